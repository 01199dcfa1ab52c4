"""Chat overrides: `since 7d`, `last 24h`, `where …`, and the 30-day limit."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.errors import FilterSyntaxError, UserError
from bot.query import DataQuery, parse_query

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", DataQuery()),
        ("since 7d", DataQuery(range=(7, "d"))),
        ("last 24h", DataQuery(range=(24, "h"))),
        ("past 30 days", DataQuery(range=(30, "d"))),
        ("since 90m", DataQuery(range=(90, "m"))),
        ("since 2w", DataQuery(range=(2, "w"))),
    ],
)
def test_ranges(text: str, expected: DataQuery) -> None:
    assert parse_query(text, NOW) == expected


def test_where_and_range_in_either_order() -> None:
    a = parse_query("since 24h where duration >= 60 and success = true", NOW)
    assert a.range == (24, "h")
    assert a.where == {
        "operator": "and",
        "conditions": [
            {"field": "duration", "op": "gte", "value": 60},
            {"field": "success", "op": "eq", "value": True},
        ],
    }
    assert a.range_condition() == {"field": "timestamp", "op": "gte", "value": "now-24h"}
    assert a.to_text() == "since 24h where duration >= 60 and success = true"
    assert parse_query(a.to_text(), NOW) == a


@pytest.mark.parametrize("text", ["since 31d", "last 5w", "since 2M", "since 1y", "since 745h"])
def test_more_than_30_days_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises(UserError, match="at most 30 days"):
        parse_query(text, NOW)


def test_where_reaching_past_30_days_is_refused() -> None:
    with pytest.raises(UserError, match="at most 30 days"):
        parse_query("where timestamp >= now-45d", NOW)


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("since", "needs a range"),
        ("since soon", "needs a range"),
        ("since 7x", "not a time range"),
        ("where", "needs conditions"),
        ("sinse 7d", '"sinse"'),
        ("banana", '"banana"'),
    ],
)
def test_bad_text_says_what_was_wrong(text: str, needle: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_query(text, NOW)
    assert needle in str(caught.value)


def test_bad_filter_points_at_the_word() -> None:
    with pytest.raises(FilterSyntaxError) as caught:
        parse_query("where durration >= 60", NOW)
    assert "durration" in str(caught.value)
