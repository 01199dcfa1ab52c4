"""Filters in plain words, for people reading Slack messages and chart stamps.

    timestamp >= now-7d                               →  last 7 days
    timestamp >= today-7d and duration >= 60          →  since 7 days before today (UTC) · duration ≥ 60 s
    success = true and (topic = a or topic = b)       →  success is true and (topic is a or topic is b)

The time range (the `timestamp` conditions ANDed at the top) comes first, then the other conditions.
`describe` never raises: a filter saved in Cekura may hold anything, and a chart stamp must still
render, so whatever it does not recognise is shown as it is.
"""

from __future__ import annotations

import json
from datetime import datetime

from bot import reldate
from bot.filters.combine import is_empty, is_group, split_time_range
from bot.filters.fields import FilterJSON, lookup

NO_FILTER = "all calls"
_MAX_DEPTH = 40
_COMPARE = {"gt": ">", "gte": "≥", "lt": "<", "lte": "≤"}
_TEXT_OPS = {"contains": "contains", "startswith": "starts with", "endswith": "ends with", "regex": "matches"}


def describe(node: FilterJSON | None, now: datetime | None = None) -> str:
    """A short plain-word reading of a filter, e.g. `last 7 days · duration ≥ 60 s and success is true`.

    `now` is accepted so callers can pass the moment they render for; the words are either relative
    ("last 7 days") or absolute UTC times, so today they read the same whatever it is.
    """
    if node is None or is_empty(node):
        return NO_FILTER
    leaves, rest = split_time_range(node)
    parts = [_range_words(leaves)] if leaves else []
    if rest is not None and not is_empty(rest):
        parts.append(_words(rest, 0))
    return " · ".join(parts) or NO_FILTER


def _range_words(leaves: list[FilterJSON]) -> str:
    lowers = [leaf for leaf in leaves if leaf.get("op") in ("gt", "gte")]
    uppers = [leaf for leaf in leaves if leaf.get("op") in ("lt", "lte")]
    others = [_leaf_words(leaf) for leaf in leaves if leaf.get("op") not in _COMPARE]
    # An upper bound of `now` adds nothing to a lower bound: "last 24 hours" already ends now.
    uppers = [leaf for leaf in uppers if not (lowers and leaf.get("value") == "now")]
    if len(lowers) == 1 and len(uppers) == 1:
        lower, upper = lowers[0].get("value"), uppers[0].get("value")
        bounds = [f"from {_moment(lower, upper=False)} to {_moment(upper, upper=True)}"]
    else:
        bounds = [_bound(leaf, bounded=bool(uppers)) for leaf in lowers + uppers]
    return " and ".join(bounds + others)


def _bound(leaf: FilterJSON, *, bounded: bool = False) -> str:
    op, value = leaf.get("op"), leaf.get("value")
    match = reldate.RELATIVE.match(value) if isinstance(value, str) else None
    if op in ("gt", "gte"):
        if match and match.group(1) == "now" and match.group(2) and not bounded:
            return f"last {reldate.duration_words(int(match.group(2)), match.group(3))}"
        return f"{'after' if op == 'gt' else 'since'} {_moment(value, upper=False)}"
    return f"{'before' if op == 'lt' else 'until'} {_moment(value, upper=True)}"


def _moment(value: object, *, upper: bool) -> str:
    if not isinstance(value, str):
        return _plain(value)
    match = reldate.RELATIVE.match(value)
    if match:
        anchor, amount, unit = match.groups()
        span = f"{amount} {reldate.UNIT_WORDS[unit]}{'s' if amount != '1' else ''}" if amount else ""
        if anchor == "now":
            return f"{span} ago" if span else "now"
        if span:
            return f"{span} before today (UTC)"
        return "end of today (UTC)" if upper else "start of today (UTC)"
    try:
        moment = reldate.parse_iso(value)
    except (ValueError, OverflowError):
        moment = None
    if moment is None:
        return _plain(value)
    clock = "%H:%M:%S" if moment.second else "%H:%M"
    return f"{moment.day} {moment.strftime('%b %Y ' + clock)} UTC"


def _words(node: object, depth: int) -> str:
    if depth > _MAX_DEPTH:
        return "…"
    if is_group(node):
        operator = str(node.get("operator"))
        children = [child for child in node["conditions"] if not is_empty(child)]
        if not children:
            return NO_FILTER
        if len(children) == 1 and operator != "same_row":
            return _words(children[0], depth + 1)
        parts = [_operand(child, depth + 1) for child in children]
        if operator == "same_row":
            return "one metric evaluation with " + " and ".join(parts)
        return f" {operator} ".join(parts)
    if isinstance(node, dict) and "field" in node:
        return _leaf_words(node)
    return _plain(node)


def _operand(node: object, depth: int) -> str:
    words = _words(node, depth)
    if is_group(node) and (node.get("operator") == "same_row" or _nonempty_count(node) > 1):
        return f"({words})"
    return words


def _nonempty_count(node: FilterJSON) -> int:
    return sum(1 for child in node["conditions"] if not is_empty(child))


def _leaf_words(leaf: FilterJSON) -> str:
    name, op, value = leaf.get("field"), leaf.get("op"), leaf.get("value")
    if name == "timestamp" and op in _COMPARE:
        return _bound(leaf, bounded=True)
    if name == "timestamp" and op == "eq":
        return f"time is {_moment(value, upper=False)}"
    field = lookup(name) if isinstance(name, str) else None
    label = field.label if field else str(name)
    unit = " s" if name == "duration" else ""
    if op == "isnull" and isinstance(value, bool):
        return f"{label} is {'not set' if value else 'set'}"
    if op == "in" and isinstance(value, list):
        return f"{label} is one of {', '.join(_plain(item) + unit for item in value)}"
    if op in _TEXT_OPS:
        shown = f'"{value}"' if isinstance(value, str) else _plain(value)
        return f"{label} {_TEXT_OPS[op]} {shown}"
    textual = isinstance(value, str | bool)
    words = {"eq": "is" if textual else "=", "neq": "is not" if textual else "≠", **_COMPARE}
    word = words.get(str(op), str(op))
    return f"{label} {word} {_plain(value)}{unit if not textual else ''}"


def _plain(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        readable = value.lower() not in ("", "null", "true", "false") and not any(
            c.isspace() or c == "," for c in value
        )
        return value if readable else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=str)
