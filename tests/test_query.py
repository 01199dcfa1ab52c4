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


# 2026-11-23 is a Monday; 12:00 UTC is 13:00 in Paris and 07:00 in New York.
@pytest.mark.parametrize(
    ("word", "tz", "start"),
    [
        ("today", "UTC", datetime(2026, 11, 23, 0, 0, tzinfo=UTC)),
        ("yesterday", "UTC", datetime(2026, 11, 22, 0, 0, tzinfo=UTC)),
        ("monday", "UTC", datetime(2026, 11, 23, 0, 0, tzinfo=UTC)),
        ("sunday", "UTC", datetime(2026, 11, 22, 0, 0, tzinfo=UTC)),
        ("tuesday", "UTC", datetime(2026, 11, 17, 0, 0, tzinfo=UTC)),
        ("today", "Europe/Paris", datetime(2026, 11, 22, 23, 0, tzinfo=UTC)),
        ("Yesterday", "America/New_York", datetime(2026, 11, 22, 5, 0, tzinfo=UTC)),
    ],
)
def test_since_a_day_starts_at_its_midnight_in_the_bots_zone(word: str, tz: str, start: datetime) -> None:
    query = parse_query(f"since {word}", NOW, tz=tz)
    assert query.start == (word.lower(), start)
    assert query.since_text == word.lower()
    assert query.range_condition() == {
        "field": "timestamp",
        "op": "gte",
        "value": start.isoformat().replace("+00:00", "Z"),
    }
    # the echo re-reads as the same request (buttons carry the word, so a later click means the later day)
    assert parse_query(query.to_text(), NOW, tz=tz) == query


def test_since_monday_on_a_sunday_reaches_back_six_days() -> None:
    sunday = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    assert parse_query("since monday", sunday).start == ("monday", datetime(2026, 11, 23, tzinfo=UTC))


def test_since_now_minus_a_length_is_that_length() -> None:
    assert parse_query("since now-3d", NOW) == DataQuery(range=(3, "d"))


def test_since_now_minus_too_much_is_refused() -> None:
    with pytest.raises(UserError, match="at most 30 days"):
        parse_query("since now-31d", NOW)


@pytest.mark.parametrize("text", ["last yesterday", "past monday"])
def test_days_are_for_since_and_the_hint_says_what_works(text: str) -> None:
    with pytest.raises(UserError, match="needs a range after it, e.g. `(last|past) 7d`"):
        parse_query(text, NOW)


def test_a_range_after_the_filter_ends_the_filter() -> None:
    query = parse_query("where duration >= 60 since 24h", NOW)
    assert query == DataQuery(range=(24, "h"), where={"field": "duration", "op": "gte", "value": 60})
    later = parse_query("where success = true and duration > 5 last 3 days", NOW)
    assert later.range == (3, "d") and later.where is not None and len(later.where["conditions"]) == 2
    day = parse_query("where duration >= 60 since yesterday", NOW)
    assert day.start is not None and day.where == {"field": "duration", "op": "gte", "value": 60}


def test_since_inside_a_quoted_value_stays_in_the_filter() -> None:
    query = parse_query('where topic = "calls since 3d"', NOW)
    assert query.range is None and query.where == {"field": "topic", "op": "eq", "value": "calls since 3d"}
