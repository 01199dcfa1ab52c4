"""Digest schedules: every form, canonical text, next times, DST in both directions, bad input."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.digests.schedule import (
    Schedule,
    ScheduleError,
    next_times,
    parse_schedule,
    parse_zone,
    slots_between,
    take_schedule,
)
from bot.errors import UserError

BERLIN = "Europe/Berlin"
NEW_YORK = "America/New_York"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected", "canonical"),
    [
        ("daily 09:00", Schedule("daily", hour=9), "daily 09:00"),
        ("Daily 9:05", Schedule("daily", hour=9, minute=5), "daily 09:05"),
        ("daily 5pm", Schedule("daily", hour=17), "daily 17:00"),
        ("daily 12am", Schedule("daily", hour=0), "daily 00:00"),
        ("weekdays 09:00", Schedule("weekdays", hour=9), "weekdays 09:00"),
        ("weekday 18:30", Schedule("weekdays", hour=18, minute=30), "weekdays 18:30"),
        ("weekly mon 09:00", Schedule("weekly", hour=9, weekday=0), "weekly mon 09:00"),
        ("weekly Sunday 07:15", Schedule("weekly", hour=7, minute=15, weekday=6), "weekly sun 07:15"),
        ("hourly", Schedule("hourly"), "hourly"),
        ("hourly :15", Schedule("hourly", minute=15), "hourly :15"),
        ("hourly :00", Schedule("hourly"), "hourly"),
        ('cron "0 9 * * 1-5"', Schedule("cron", cron="0 9 * * 1-5"), 'cron "0 9 * * 1-5"'),
        ("cron “30  7 * * MON”", Schedule("cron", cron="30 7 * * mon"), 'cron "30 7 * * mon"'),
        ("cron 0 6 1 * *", Schedule("cron", cron="0 6 1 * *"), 'cron "0 6 1 * *"'),
    ],
)
def test_every_form_parses_and_its_canonical_text_round_trips(text: str, expected: Schedule, canonical: str) -> None:
    schedule = parse_schedule(text)
    assert schedule == expected
    assert schedule.text == canonical
    assert parse_schedule(schedule.text) == schedule


def test_take_schedule_leaves_the_rest_of_the_command() -> None:
    schedule, rest = take_schedule('cron "0 9 * * 1-5" Europe/Berlin since 24h')
    assert schedule.cron == "0 9 * * 1-5"
    assert rest.split() == ["Europe/Berlin", "since", "24h"]
    schedule, rest = take_schedule("weekly fri 16:00 skip-if-empty")
    assert (schedule.weekday, schedule.hour, rest.strip()) == (4, 16, "skip-if-empty")


def test_descriptions_are_plain_words() -> None:
    assert parse_schedule("weekdays 09:00").describe(BERLIN) == "every weekday at 09:00 Europe/Berlin"
    assert parse_schedule("daily 07:30").describe("UTC") == "every day at 07:30 UTC"
    assert parse_schedule("weekly wed 10:00").describe(BERLIN) == "every Wednesday at 10:00 Europe/Berlin"
    assert parse_schedule("hourly :15").describe(BERLIN) == "every hour at :15 (Europe/Berlin time)"
    assert "0 9 * * 1-5" in parse_schedule('cron "0 9 * * 1-5"').describe(BERLIN)


def test_next_three_times_for_each_form() -> None:
    friday_noon = utc(2025, 6, 6, 12)  # 14:00 in Berlin
    tz = ZoneInfo(BERLIN)

    def local(schedule: str) -> list[tuple[int, int, int, int]]:
        times = next_times(parse_schedule(schedule), BERLIN, friday_noon)
        assert all(t.tzinfo == tz for t in times)
        return [(t.month, t.day, t.hour, t.minute) for t in times]

    assert local("daily 09:00") == [(6, 7, 9, 0), (6, 8, 9, 0), (6, 9, 9, 0)]
    assert local("weekdays 09:00") == [(6, 9, 9, 0), (6, 10, 9, 0), (6, 11, 9, 0)]
    assert local("weekly mon 09:00") == [(6, 9, 9, 0), (6, 16, 9, 0), (6, 23, 9, 0)]
    assert local("hourly :15") == [(6, 6, 14, 15), (6, 6, 15, 15), (6, 6, 16, 15)]
    # Crontab weekdays count from Sunday = 0: 1-5 is Monday to Friday (APScheduler alone would shift it).
    assert local('cron "0 9 * * 1-5"') == [(6, 9, 9, 0), (6, 10, 9, 0), (6, 11, 9, 0)]
    assert local('cron "0 8 * * 0,6"') == [(6, 7, 8, 0), (6, 8, 8, 0), (6, 14, 8, 0)]
    assert local('cron "0 8 * * 7"') == [(6, 8, 8, 0), (6, 15, 8, 0), (6, 22, 8, 0)]


def test_next_times_are_strictly_after_the_given_moment() -> None:
    at_nine = datetime(2025, 6, 6, 9, tzinfo=ZoneInfo(BERLIN))
    first = next_times(parse_schedule("daily 09:00"), BERLIN, at_nine, n=1)
    assert first == [at_nine + timedelta(days=1)]


def test_berlin_morning_digest_keeps_local_time_across_both_changes() -> None:
    daily = parse_schedule("daily 09:00")
    autumn = slots_between(daily, BERLIN, utc(2025, 10, 24), utc(2025, 10, 28))
    assert autumn == [utc(2025, 10, 24, 7), utc(2025, 10, 25, 7), utc(2025, 10, 26, 8), utc(2025, 10, 27, 8)]
    spring = slots_between(daily, BERLIN, utc(2025, 3, 29), utc(2025, 4, 1))
    assert spring == [utc(2025, 3, 29, 8), utc(2025, 3, 30, 7), utc(2025, 3, 31, 7)]
    local = next_times(daily, BERLIN, utc(2025, 10, 25, 12), n=2)
    assert [(t.hour, t.utcoffset()) for t in local] == [(9, timedelta(hours=1))] * 2


def test_new_york_non_existent_time_fires_once_an_hour_later_on_the_wall_clock() -> None:
    at_0230 = parse_schedule("daily 02:30")
    slots = slots_between(at_0230, NEW_YORK, utc(2025, 3, 8), utc(2025, 3, 11))
    # 02:30 EST = 07:30 UTC every day; on 9 March 02:30 does not exist and 07:30 UTC is 03:30 EDT.
    assert slots == [utc(2025, 3, 8, 7, 30), utc(2025, 3, 9, 7, 30), utc(2025, 3, 10, 6, 30)]
    shown = next_times(at_0230, NEW_YORK, utc(2025, 3, 8, 12), n=2)
    assert [(t.day, t.hour, t.minute) for t in shown] == [(9, 3, 30), (10, 2, 30)]
    # Found even when the search starts after the jump (03:05 EDT), before the slot.
    assert slots_between(at_0230, NEW_YORK, utc(2025, 3, 9, 7, 5), utc(2025, 3, 9, 8)) == [utc(2025, 3, 9, 7, 30)]


def test_new_york_ambiguous_time_fires_once_at_the_first_occurrence() -> None:
    at_0130 = parse_schedule("daily 01:30")
    slots = slots_between(at_0130, NEW_YORK, utc(2025, 11, 1), utc(2025, 11, 4))
    assert slots == [utc(2025, 11, 1, 5, 30), utc(2025, 11, 2, 5, 30), utc(2025, 11, 3, 6, 30)]
    cron = parse_schedule('cron "30 1 * * *"')
    assert slots_between(cron, NEW_YORK, utc(2025, 11, 2), utc(2025, 11, 3)) == [utc(2025, 11, 2, 5, 30)]


def test_hourly_fires_every_real_hour_through_both_changes() -> None:
    hourly = parse_schedule("hourly :30")
    autumn = slots_between(hourly, NEW_YORK, utc(2025, 11, 2, 4), utc(2025, 11, 2, 8))
    assert autumn == [utc(2025, 11, 2, h, 30) for h in (4, 5, 6, 7)]  # 01:30 EDT and 01:30 EST both
    spring = slots_between(hourly, NEW_YORK, utc(2025, 3, 9, 5), utc(2025, 3, 9, 9))
    assert spring == [utc(2025, 3, 9, h, 30) for h in (5, 6, 7, 8)]  # one per real hour, none doubled


def test_trigger_is_an_apscheduler_cron_trigger_in_the_zone_and_pickles() -> None:
    trigger = parse_schedule("weekdays 09:00").trigger(BERLIN)
    assert trigger.timezone == ZoneInfo(BERLIN)
    first = trigger.get_next_fire_time(None, utc(2025, 10, 24, 12))
    assert first == datetime(2025, 10, 27, 9, tzinfo=ZoneInfo(BERLIN))
    copy = pickle.loads(pickle.dumps(trigger))
    assert copy.get_next_fire_time(first, first) == trigger.get_next_fire_time(first, first)


@pytest.mark.parametrize(
    ("text", "word", "says"),
    [
        ("dayly 09:00", "dayly", "Unknown schedule"),
        ("daily 25:00", "25:00", "not a time of day"),
        ("daily 9", "9", "not a time of day"),
        ("daily 13pm", "13pm", "not a time of day"),
        ("weekly funday 09:00", "funday", "not a day"),
        ("hourly :75", ":75", "not a minute"),
        ("daily 09:00 tomorrow", "tomorrow", "Unexpected"),
        ('cron "61 9 * * *"', "61", "minute"),
        ('cron "0 9 * * 8"', "8", "day of week"),
        ('cron "0 9 1 * 1"', "1", "either the day of month or the day of week"),
    ],
)
def test_bad_schedules_point_at_the_offending_word(text: str, word: str, says: str) -> None:
    with pytest.raises(ScheduleError) as caught:
        parse_schedule(text)
    assert says in str(caught.value)
    assert text[caught.value.position :].startswith(word)
    assert isinstance(caught.value, UserError)
    assert caught.value.usage is not None and "weekly mon 09:00" in caught.value.usage


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "Missing schedule"),
        ("daily", "needs a time"),
        ("weekly", "needs a day"),
        ('cron "0 9 * *"', "5 fields"),
        ('cron "0 9 * * 1 2"', "5 fields"),
        ('cron "0 9 * * 1-5', "no closing quote"),
        ('cron "0 9 30 2 *"', "never fires"),
        ('cron "*/15 * * * *"', "at most hourly"),
        ('cron "0,30 9 * * *"', "at most hourly"),
    ],
)
def test_other_bad_schedules_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ScheduleError, match=says):
        parse_schedule(text)


def test_zones_are_validated_with_a_suggestion() -> None:
    assert parse_zone("Europe/Berlin") == "Europe/Berlin"
    assert parse_zone(" europe/berlin ") == "Europe/Berlin"
    assert parse_zone("UTC") == "UTC"
    with pytest.raises(UserError) as caught:
        parse_zone("Europe/Berln")
    assert str(caught.value) == "Unknown time zone 'Europe/Berln' — did you mean Europe/Berlin?"
    with pytest.raises(UserError, match="did you mean America/New_York"):
        parse_zone("New York")
    for bad in ("Mars/Olympus_Mons", "localtime", "../../etc/passwd"):
        with pytest.raises(UserError, match="Unknown time zone"):
            parse_zone(bad)
