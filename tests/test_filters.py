"""The chat filter language: text ↔ Cekura filter JSON, its errors, and the helpers built on it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from bot.errors import FilterSyntaxError, UserError
from bot.filters import (
    and_all,
    canonical,
    describe,
    lower_bound,
    parse,
    split_time_range,
    to_text,
)

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


def L(field: str, op: str, value: Any) -> dict[str, Any]:
    return {"field": field, "op": op, "value": value}


def AND(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"operator": "and", "conditions": list(conditions)}


def OR(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"operator": "or", "conditions": list(conditions)}


def ROW(*conditions: dict[str, Any]) -> dict[str, Any]:
    return {"operator": "same_row", "conditions": list(conditions)}


def assert_json(actual: object, expected: object) -> None:
    """`==` plus byte-equal JSON, because `True == 1` and `1 == 1.0` in Python but not in Cekura."""
    assert actual == expected
    assert json.dumps(actual) == json.dumps(expected)


DUR, OK, TOPIC = L("duration", "gte", 60), L("success", "eq", True), L("topic", "eq", "billing")
NAME, VALUE = L("metric_evaluations.metric.name", "eq", "accuracy"), L("metric_evaluations.value", "gte", 0.9)
SINCE_7D, UNTIL_NOW = L("timestamp", "gte", "now-7d"), L("timestamp", "lte", "now")

PARSE_CASES = [
    # every operator
    ("id = 12", L("id", "eq", 12)),
    ("success != false", L("success", "neq", False)),
    ("duration > 60", L("duration", "gt", 60)),
    ("duration >= 60", DUR),
    ("duration < 1.5", L("duration", "lt", 1.5)),
    ("duration <= -2", L("duration", "lte", -2)),
    ("topic contains bill", L("topic", "contains", "bill")),
    ("customer_number startswith +1", L("customer_number", "startswith", "+1")),
    ("agent.agent_name endswith bot", L("agent.agent_name", "endswith", "bot")),
    ("id in (1, 2, 3)", L("id", "in", [1, 2, 3])),
    ("topic is null", L("topic", "isnull", True)),
    ("dropoff_point is not null", L("dropoff_point", "isnull", False)),
    ('agent.agent_name matches "^\\d+$"', L("agent.agent_name", "regex", "^\\d+$")),
    # aliases, case and spacing
    ("duration == 60", L("duration", "eq", 60)),
    ("duration ≥ 60", DUR),
    ("duration ≤ 60", L("duration", "lte", 60)),
    ("success ≠ true", L("success", "neq", True)),
    ("duration>=60", DUR),
    ("duration &gt;= 60", DUR),
    ("topic CONTAINS x", L("topic", "contains", "x")),
    ("id IN [4, 5]", L("id", "in", [4, 5])),
    ("topic IS NOT NULL", L("topic", "isnull", False)),
    # value kinds
    ("success = TRUE", OK),
    ("duration = 1e3", L("duration", "eq", 1000.0)),
    ("call_ended_reason = customer_ended_call", L("call_ended_reason", "eq", "customer_ended_call")),
    ("metadata.region = us-east", L("metadata.region", "eq", "us-east")),
    ("metadata.tier = 3", L("metadata.tier", "eq", 3)),
    ('metadata.tier = "3"', L("metadata.tier", "eq", "3")),
    ("metadata.vip = false", L("metadata.vip", "eq", False)),
    ("customer_number = 15551234", L("customer_number", "eq", "15551234")),
    ("topic = 'it\\'s \"x\"'", L("topic", "eq", 'it\'s "x"')),
    ("topic = “smart quotes”", L("topic", "eq", "smart quotes")),
    ("topic in (a, 'b c', 7)", L("topic", "in", ["a", "b c", "7"])),
    ("timestamp >= now-7d", SINCE_7D),
    ("timestamp < today", L("timestamp", "lt", "today")),
    ("timestamp >= 2026-11-01T00:00:00Z", L("timestamp", "gte", "2026-11-01T00:00:00Z")),
    ('timestamp <= "2026-11-03"', L("timestamp", "lte", "2026-11-03")),
    ("metric_evaluations.metric.id = 7", L("metric_evaluations.metric.id", "eq", 7)),
    # precedence, chains and parentheses
    ("duration >= 60 and success = true", AND(DUR, OK)),
    ("duration >= 60 and success = true and topic = billing", AND(DUR, OK, TOPIC)),
    ("duration >= 60 or success = true and topic = billing", OR(DUR, AND(OK, TOPIC))),
    ("duration >= 60 AND success = true Or topic = billing", OR(AND(DUR, OK), TOPIC)),
    ("(duration >= 60 or success = true) and topic = billing", AND(OR(DUR, OK), TOPIC)),
    ("duration >= 60 and (success = true and topic = billing)", AND(DUR, AND(OK, TOPIC))),
    ("((duration >= 60))", DUR),
    ("(" * 20 + "id = 1" + ")" * 20, L("id", "eq", 1)),  # the deepest nesting allowed
    # same_row
    (
        "same_row(metric_evaluations.metric.name = accuracy and metric_evaluations.value >= 0.9)",
        ROW(NAME, VALUE),
    ),
    ("success = true and SAME_ROW(metric_evaluations.value >= 0.9)", AND(OK, ROW(VALUE))),
]


@pytest.mark.parametrize(("text", "expected"), PARSE_CASES)
def test_parse(text: str, expected: dict[str, Any]) -> None:
    assert_json(parse(text), expected)


PRINT_CASES = [
    (AND(DUR, OK), "duration >= 60 and success = true"),
    (OR(AND(DUR, OK), TOPIC), "(duration >= 60 and success = true) or topic = billing"),
    (AND(DUR, AND(OK, TOPIC)), "duration >= 60 and (success = true and topic = billing)"),
    (
        AND(OK, ROW(NAME, VALUE)),
        "success = true and same_row(metric_evaluations.metric.name = accuracy and metric_evaluations.value >= 0.9)",
    ),
    (
        ROW(OR(NAME, VALUE)),
        "same_row((metric_evaluations.metric.name = accuracy or metric_evaluations.value >= 0.9))",
    ),
    (L("topic", "in", ["a b", "x", "and", "5", ""]), 'topic in ("a b", x, "and", "5", "")'),
    (L("metadata.k", "in", [1, 2.5, True, "true"]), 'metadata.k in (1, 2.5, true, "true")'),
    (L("topic", "isnull", False), "topic is not null"),
    (L("agent.agent_name", "regex", "a\\"), 'agent.agent_name matches "a\\\\"'),
    (L("topic", "eq", 'say "hi"'), 'topic = "say \\"hi\\""'),
    (L("duration", "lt", 0.1), "duration < 0.1"),
    (L("timestamp", "gte", "now-30m"), "timestamp >= now-30m"),
    (L("metadata.note", "contains", "x=1"), 'metadata.note contains "x=1"'),
]


@pytest.mark.parametrize(("node", "text"), PRINT_CASES)
def test_to_text_is_canonical_and_reads_back(node: dict[str, Any], text: str) -> None:
    assert to_text(node) == text
    assert_json(parse(text), node)


@pytest.mark.parametrize(
    "node",
    [
        AND(DUR),  # one-condition group: `(a)` reads back as `a`
        OR(),
        {"operator": "xor", "conditions": [DUR, OK]},
        L("duraton", "gte", 60),
        L("duration", "contains", "5"),
        L("duration", "gte", "60"),
        L("success", "eq", 1),
        L("topic", "in", []),
        L("topic", "isnull", "yes"),
        L("metadata.k", "eq", None),
        L("metadata.k", "eq", float("nan")),
        ROW(DUR),
        {"field": "topic", "op": "eq"},
        [DUR],
    ],
)
def test_to_text_refuses_what_the_language_cannot_say(node: Any) -> None:
    with pytest.raises(ValueError):
        to_text(node)


ERROR_CASES = [
    # (text, the word the message must quote, where the caret must point)
    ("duration => 60", '"=>"', 9),
    ("duraton >= 60", 'did you mean "duration"', 0),
    ("agent_id = 4", 'did you mean "agent.id"', 0),
    ("duration contains 5", "it takes =, >, >=, <, <=", 9),
    ("success = yes", '"yes"', 10),
    ("duration >= 1m", '"1m"', 12),
    ("id = 1.5", '"1.5"', 5),
    ("timestamp >= yesterday", '"yesterday"', 13),
    ("", "empty", 0),
    ("   ", "empty", 3),
    ("(duration >= 60", '"(" is never closed', 0),
    ("duration >= 60)", '")"', 14),
    ("duration >= 60 and", 'Nothing follows "and"', 15),
    ("duration >= 60 and or success = true", '"and" is followed by "or"', 19),
    ("duration >=", 'Missing value after ">="', 11),
    ("duration >= and success = true", 'Missing value after ">=", found "and"', 12),
    ("duration", '"duration" needs an operator', 8),
    ('topic = "billing', "Unterminated quote", 8),
    ("topic = billing issue", '"billing issue"', 16),
    ("duration >= 60 success = true", 'is an "and" or "or" missing before "success"', 15),
    ("topic = null", "is null", 8),
    ("success is true", 'After "is"', 11),
    ("topic in ()", "empty", 10),
    ("topic in (a, b", "never closed", 9),
    ("topic in a", "needs a list", 9),
    ("()", "Empty parentheses", 1),
    ("same_row(duration > 5)", "duration is not one", 9),
    ("same_row(metric_evaluations.value > 1 or metric_evaluations.value < 0)", '"or"', 38),
    ("not success = true", '"not"', 0),
    ("duration >= 1e999", "too large", 12),
    ("(" * 21 + "id = 1" + ")" * 21, "at most 20 levels", 20),
]


@pytest.mark.parametrize(("text", "quoted", "position"), ERROR_CASES)
def test_errors_name_the_word_and_point_at_it(text: str, quoted: str, position: int) -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse(text)
    assert quoted in str(info.value)
    assert info.value.position == position
    assert info.value.text == text
    assert isinstance(info.value, UserError) and info.value.usage
    caret_line = str(info.value).rsplit("\n", 1)[1]
    assert caret_line.index("^") == position  # the caret sits under the offending word


def test_error_message_matches_the_documented_example() -> None:
    with pytest.raises(FilterSyntaxError) as info:
        parse("duration => 60 and success = true")
    assert str(info.value).splitlines() == [
        'Unexpected "=>" after "duration" — did you mean ">="?',
        "```duration => 60 and success = true",
        "         ^^```",
    ]


def test_and_all_keeps_inputs_nested_and_unchanged() -> None:
    first, second = AND(DUR, OK), TOPIC
    snapshot = json.dumps([first, second])
    assert and_all() is None
    assert and_all(None, {}, AND()) is None
    assert and_all(None, first) is first
    assert_json(and_all(first, None, second), AND(AND(DUR, OK), TOPIC))
    assert json.dumps([first, second]) == snapshot


def test_split_time_range_takes_top_level_timestamps_only() -> None:
    node = AND(SINCE_7D, OR(L("timestamp", "lt", "now-1d"), OK), AND(UNTIL_NOW, DUR), TOPIC)
    snapshot = json.dumps(node)
    leaves, rest = split_time_range(node)
    assert_json(leaves, [SINCE_7D, UNTIL_NOW])
    assert_json(rest, AND(OR(L("timestamp", "lt", "now-1d"), OK), DUR, TOPIC))
    assert json.dumps(node) == snapshot
    assert split_time_range(None) == ([], None)
    assert split_time_range(SINCE_7D) == ([SINCE_7D], None)
    assert split_time_range(AND(SINCE_7D, DUR)) == ([SINCE_7D], DUR)
    assert split_time_range(AND(SINCE_7D, UNTIL_NOW)) == ([SINCE_7D, UNTIL_NOW], None)
    unrelated = OR(SINCE_7D, DUR)
    assert split_time_range(unrelated) == ([], unrelated)
    assert split_time_range(ROW(NAME))[1] == ROW(NAME)


def test_lower_bound_looks_through_and_groups_only() -> None:
    assert lower_bound(None) is None
    assert lower_bound(SINCE_7D) is SINCE_7D
    assert lower_bound(UNTIL_NOW) is None
    gt = L("timestamp", "gt", "2026-11-01")
    assert lower_bound(AND(DUR, AND(UNTIL_NOW, gt))) is gt
    assert lower_bound(OR(SINCE_7D, DUR)) is None
    assert lower_bound(AND(OK, OR(SINCE_7D, DUR))) is None


def test_canonical_ignores_key_order_but_not_types() -> None:
    assert canonical({"value": 1, "op": "eq", "field": "id"}) == canonical(L("id", "eq", 1))
    assert canonical(L("metadata.x", "eq", True)) != canonical(L("metadata.x", "eq", 1))
    assert canonical(AND(DUR, OK)) != canonical(AND(OK, DUR))


@pytest.mark.parametrize(
    ("node", "words"),
    [
        (None, "all calls"),
        (SINCE_7D, "last 7 days"),
        (AND(L("timestamp", "gte", "now-24h"), UNTIL_NOW), "last 24 hours"),
        (L("timestamp", "gte", "now-1h"), "last hour"),
        (L("timestamp", "gte", "today-7d"), "since 7 days before today (UTC)"),
        (L("timestamp", "gte", "today"), "since start of today (UTC)"),
        (L("timestamp", "gte", "2026-11-03T10:00:00Z"), "since 3 Nov 2026 10:00 UTC"),
        (
            AND(L("timestamp", "gt", "now-7d"), L("timestamp", "lt", "now-1d")),
            "from 7 days ago to 1 day ago",
        ),
        (L("timestamp", "lte", "today"), "until end of today (UTC)"),
        (AND(SINCE_7D, DUR, OK), "last 7 days · duration ≥ 60 s and success is true"),
        (L("call_ended_reason", "in", ["a", "b"]), "call ended reason is one of a, b"),
        (L("metadata.region", "contains", "east"), 'region contains "east"'),
        (
            AND(OK, OR(TOPIC, L("topic", "isnull", True))),
            "success is true and (topic is billing or topic is not set)",
        ),
        (ROW(NAME, VALUE), "one metric evaluation with metric name is accuracy and metric value ≥ 0.9"),
        (L("duration", "lt", 30), "duration < 30 s"),
        (L("metadata.mystery", "weird_op", {"a": 1}), 'mystery weird_op {"a": 1}'),
        ({"operator": "and", "conditions": []}, "all calls"),
    ],
)
def test_describe_in_plain_words(node: dict[str, Any] | None, words: str) -> None:
    assert describe(node, NOW) == words
    assert describe(node) == words
