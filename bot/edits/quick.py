"""The chat quick form of an edit: `chart bar period day aggregation avg`, `name "Avg duration"`.

    changes = parse_quick_edit("widget", 'chart bar period day aggregation avg')

Bad input raises UserError naming the offending word and listing what is editable.
"""

from __future__ import annotations

import json
import re
from typing import Any

from bot import filters
from bot.edits import Kind
from bot.edits.changes import _CHOICES, _WHAT, EDITABLE_WORDS, REMOVE_WIDGETS, USAGE, _or
from bot.errors import UserError

# The words people type → the Cekura field they mean.
WORDS: dict[Kind, dict[str, str]] = {
    "widget": {
        "name": "name", "title": "name", "filters": "filters", "filter": "filters",
        "chart": "chart_type", "chart_type": "chart_type", "type": "chart_type", "field": "field",
        "metric": "metric", "period": "time_period", "time_period": "time_period",
        "aggregation": "aggregation_function", "agg": "aggregation_function",
        "aggregation_function": "aggregation_function", "data_type": "data_type",
        "dashboard": "dashboard", "metadata": "metadata",
    },
    "dashboard": {
        "name": "name", "title": "name", "filters": "filters", "filter": "filters", "project": "project",
    },
}  # fmt: skip
_ALIASES = {
    "time_period": {"hourly": "hour", "daily": "day", "weekly": "week", "monthly": "month"},
    "aggregation_function": {"average": "avg", "mean": "avg", "total": "sum", "median": "p50"},
}
_CLEAR = ("", "none", "clear", "off", "null")
_REST_OF_LINE = ("filters", "metadata")  # unquoted, these take the rest of the text
_SMART_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'"})
_TOKEN = re.compile(r'"((?:[^"\\]|\\.)*)"|\'([^\']*)\'|(\S+)')


def _tokens(text: str) -> list[tuple[str, bool, int]]:
    """(word, was quoted, offset) for each word; quotes group words, a backslash escapes a quote."""
    out = []
    for match in _TOKEN.finditer(text):
        double, single, bare = match.groups()
        if bare is not None and bare[0] in "\"'":
            raise UserError(f"A quote is not closed: {bare}", usage=None)
        word = re.sub(r"\\(.)", r"\1", double) if double is not None else single if single is not None else bare
        out.append((word, bare is None, match.start()))
    return out


def parse_quick_edit(kind: Kind, text: str) -> dict[str, Any]:
    """The changes in `chart bar period day`-style text, as Cekura JSON values; UserError on bad input."""
    text = text.translate(_SMART_QUOTES)
    words, usage = WORDS[kind], USAGE[kind]
    tokens = _tokens(text)
    if not tokens:
        raise UserError(f"Say what to change. You can edit a {kind}'s {EDITABLE_WORDS[kind]}.", usage)
    changes: dict[str, Any] = {}
    index = 0
    while index < len(tokens):
        word, quoted, _ = tokens[index]
        if kind == "dashboard" and word.lower() == "remove" and not quoted:
            index = _parse_remove(tokens, index + 1, changes)
            continue
        field = None if quoted else words.get(word.lower())
        if field is None:
            hint = ""
            if index >= 2 and words.get(tokens[index - 2][0].lower()) == "name" and not tokens[index - 1][1]:
                hint = ' Put a name with spaces in quotes: `name "Avg duration"`.'
            raise UserError(
                f"`{word}` is not something I can edit on a {kind}.{hint} You can edit: {EDITABLE_WORDS[kind]}.",
                usage,
            )
        if field in changes:
            raise UserError(f"`{word}` is given twice: say it once.", usage)
        if index + 1 >= len(tokens):
            raise UserError(f"`{word}` needs a value, e.g. `{_example(field, word)}`.", usage)
        value, value_quoted, start = tokens[index + 1]
        if field in _REST_OF_LINE and not value_quoted:
            value, index = text[start:].strip(), len(tokens)
        else:
            index += 2
        changes[field] = _value(field, word, value, usage)
    return changes


def _example(field: str, word: str) -> str:
    examples = {
        "filters": 'filters "duration >= 60"',
        "name": 'name "Avg duration"',
        "metadata": 'metadata {"w": 6}',
    }
    if field in _CHOICES:
        return f"{word} {_or(_CHOICES[field])}"
    return examples.get(field, f"{word} 101")


def _value(field: str, word: str, raw: str, usage: str) -> Any:
    """One value typed in chat → its Cekura JSON value."""
    blank = raw.strip().lower() in _CLEAR
    if field == "filters":
        return {} if blank else filters.parse(raw)
    if field == "name":
        if len(raw) > 255:
            raise UserError(f"A name can be at most 255 characters (this one has {len(raw)}).", usage)
        return raw.strip() or None
    if field == "field":
        return "" if blank else raw.strip()
    if field == "metadata":
        if blank:
            return None
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            raise UserError(f'`metadata` takes JSON, e.g. `metadata {{"w": 6}}`; got `{raw}`.', usage) from None
    if field in _CHOICES:
        lowered = raw.strip().lower()
        if blank and field != "chart_type":
            return None
        lowered = _ALIASES.get(field, {}).get(lowered, lowered)
        if lowered not in _CHOICES[field]:
            raise UserError(f"`{raw}` is not {_WHAT[field]}: use {_or(_CHOICES[field])}.", usage)
        return lowered
    if blank and field in ("metric", "project"):
        return None
    number = raw.strip().lstrip("#")
    if not (number.isascii() and number.isdigit()):  # `²` passes isdigit() alone, and int() refuses it
        raise UserError(f"`{word}` takes a number (an id), not `{raw}`.", usage)
    return int(number)


def _parse_remove(tokens: list[tuple[str, bool, int]], index: int, changes: dict[str, Any]) -> int:
    usage = USAGE["dashboard"]
    if index >= len(tokens) or tokens[index][0].lower() not in ("widget", "widgets"):
        raise UserError("Say which widget to remove, e.g. `remove widget 34`.", usage)
    ids: list[int] = changes.setdefault(REMOVE_WIDGETS, [])
    index += 1
    while index < len(tokens) and re.fullmatch(r"[#\d,]+", tokens[index][0]):
        ids.extend(int(part.lstrip("#")) for part in tokens[index][0].split(",") if part.strip("#"))
        index += 1
    if not ids:
        raise UserError("Say which widget to remove by its number, e.g. `remove widget 34`.", usage)
    return index
