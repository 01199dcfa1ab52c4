"""Properties of the filter language: JSON → text → JSON and canonical text → JSON → text are exact,
and no input makes `parse` raise anything but FilterSyntaxError."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import FilterSyntaxError, UserError
from bot.filters import parse, to_text
from bot.filters.fields import FIELDS, TEXT_OPS, Field, lookup
from bot.query import DataQuery, parse_query

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# --- JSON trees within the language ---------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False)
relative = st.builds(
    lambda anchor, amount, unit: anchor + (f"-{amount}{unit}" if amount else ""),
    st.sampled_from(["now", "today"]),
    st.integers(0, 999),
    st.sampled_from("smhdwMy"),
)
iso = st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")) | st.dates().map(
    lambda d: d.isoformat()
)
SCALARS: dict[str, st.SearchStrategy[Any]] = {
    "integer": st.integers(-(10**15), 10**15),
    "number": st.integers(-(10**6), 10**6) | finite,
    "boolean": st.booleans(),
    "string": st.text(max_size=12),
    "datetime": relative | iso,
    "dynamic": st.text(max_size=12) | st.integers() | finite | st.booleans(),
}


def value_for(field: Field, op: str) -> st.SearchStrategy[Any]:
    if op == "isnull":
        return st.booleans()
    if op in TEXT_OPS:
        return st.text(max_size=12)
    if op == "in":
        return st.lists(SCALARS[field.kind], min_size=1, max_size=3)
    return SCALARS[field.kind]


def leaf_on(field: Field) -> st.SearchStrategy[dict[str, Any]]:
    return st.sampled_from(field.ops).flatmap(
        lambda op: value_for(field, op).map(lambda value: {"field": field.name, "op": op, "value": value})
    )


metadata = st.text("abXY09_-", min_size=1, max_size=8).map(lambda key: lookup(f"metadata.{key}"))
any_field = st.sampled_from(list(FIELDS.values())) | metadata
metric_fields = [f for name, f in FIELDS.items() if name.startswith("metric_evaluations.")]
leaves = any_field.flatmap(leaf_on)
same_rows = st.lists(st.sampled_from(metric_fields).flatmap(leaf_on), min_size=1, max_size=3).map(
    lambda conditions: {"operator": "same_row", "conditions": conditions}
)
trees = st.recursive(
    leaves | same_rows,
    lambda children: st.builds(
        lambda operator, conditions: {"operator": operator, "conditions": conditions},
        st.sampled_from(["and", "or"]),
        st.lists(children, min_size=2, max_size=3),
    ),
    max_leaves=10,
)


@FAST
@given(trees)
def test_json_to_text_and_back_is_exact(node: dict[str, Any]) -> None:
    assert json.dumps(parse(to_text(node))) == json.dumps(node)


# --- texts in canonical form, written without the printer ------------------------------------

KEYWORDS = {"and", "or", "in", "is", "not", "null", "true", "false", "contains", "startswith", "endswith"}
bare = st.from_regex(r"[a-z_][a-z0-9_\-]{0,8}", fullmatch=True).filter(lambda w: w not in KEYWORDS | {"matches"})
spaced = st.builds(lambda a, b: f'"{a} {b}"', bare, bare)
numbers = st.integers(-1000, 10**6).map(str) | finite.map(repr)
leaf_texts = st.one_of(
    st.builds("duration {} {}".format, st.sampled_from(["=", ">", ">=", "<", "<="]), numbers),
    st.builds("success {} {}".format, st.sampled_from(["=", "!="]), st.sampled_from(["true", "false"])),
    st.builds("topic {} {}".format, st.sampled_from(["=", "!=", "contains"]), bare | spaced),
    st.builds("id in ({})".format, st.lists(st.integers(0, 999).map(str), min_size=1, max_size=3).map(", ".join)),
    st.builds("dropoff_point is {}null".format, st.sampled_from(["", "not "])),
    st.builds("timestamp >= {}".format, relative),
    st.builds("metadata.{} = {}".format, bare, bare | spaced | numbers | st.sampled_from(["true", '"true"'])),
    st.builds('agent.agent_name matches "{}"'.format, bare),
    st.builds("same_row(metric_evaluations.value >= {})".format, numbers),
)


def joined(children: st.SearchStrategy[tuple[str, bool]]) -> st.SearchStrategy[tuple[str, bool]]:
    """A chain of 2–3 operands; nested chains are parenthesised, as the canonical form does."""
    return st.builds(
        lambda word, items: (f" {word} ".join(f"({t})" if group else t for t, group in items), True),
        st.sampled_from(["and", "or"]),
        st.lists(children, min_size=2, max_size=3),
    )


canonical_texts = st.recursive(leaf_texts.map(lambda t: (t, False)), joined, max_leaves=8).map(lambda p: p[0])


@FAST
@given(canonical_texts)
def test_canonical_text_to_json_and_back_is_exact(text: str) -> None:
    assert to_text(parse(text)) == text


# --- fuzz: anything in, a dict or a FilterSyntaxError out -------------------------------------

VOCABULARY = [
    *["duration", "success", "topic", "timestamp", "id", "metadata.x", "metadata.", "agent.id", "same_row"],
    *["metric_evaluations.value", "(", ")", "[", "]", ",", "and", "or", "AND", "=", "==", "!=", ">=", "=>"],
    *["<", "≥", "≠", "!", "&gt;", "&gt", "in", "is", "not", "null", "contains", "matches", '"', "'", "“"],
    *[
        "\\",
        "now-7d",
        "today",
        "2026-11-01",
        "1e999",
        "-5",
        "0.9",
        "true",
        "x",
        '"a b"',
        "`",
        "\n",
        "9" * 5000,
    ],
    # issue 8: digits int() refuses, dates before year 1 or after 9999, control and direction characters
    *["²", "¹²", "１２", "١٢", "now-999999d", "now-999999y", "today-999999M", "9999-12-31T23:00:00-05:00"],
    *["0001-01-01T00:00:00+05:00", "99999-01-01", "1e308", "-1e308", "\x00", '"a\x00b"', "\x1b", "\u200f"],
    *["\u202e", "\ufeff", "timestamp >= now-999999d", "timestamp < today-999999y"],
]
# Whole conditions among the stray words, so that a fair share of the soup parses.
soup = st.lists(st.sampled_from(VOCABULARY) | leaf_texts, max_size=12).flatmap(
    lambda words: st.sampled_from([" ", ""]).map(lambda sep: sep.join(words))
)


def parses_or_refuses(text: str) -> None:
    try:
        node = parse(text)
    except FilterSyntaxError as exc:
        assert 0 <= exc.position <= len(text)
        assert exc.text == text and str(exc)
        return
    assert isinstance(node, dict)
    assert json.dumps(parse(to_text(node))) == json.dumps(node)  # whatever parses also prints back


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_on_any_text_returns_a_filter_or_a_syntax_error(text: str) -> None:
    parses_or_refuses(text)


@settings(max_examples=300, deadline=None)
@given(soup)
def test_parse_on_token_soup_returns_a_filter_or_a_syntax_error(text: str) -> None:
    parses_or_refuses(text)


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["", "since 7d ", "last 999999d ", "since ²d ", "since 1e308d "]),
    soup,
)
def test_a_data_query_on_token_soup_is_a_query_or_a_user_error(range_text: str, where: str) -> None:
    # parse_query also resolves the filter's time bound: `now-999999y` lies before year 1.
    try:
        query = parse_query(f"{range_text}where {where}", datetime.now(UTC))
    except UserError as exc:
        assert str(exc)
        return
    assert isinstance(query, DataQuery)
