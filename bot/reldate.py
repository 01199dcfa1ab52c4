"""Cekura's relative dates (`now`, `today`, `now-7d`, `today-30m`) and absolute ISO times.

Grammar, as Cekura's Dashboards guide documents it:

    rel-datetime := anchor [ "-" INTEGER unit ]
    anchor       := "now" | "today"
    unit         := s | m | h | d | w | M | y      (m = minutes, M = months)

`today` means the start of the day (00:00:00 UTC) as a lower bound and its end (23:59:59) as an
upper bound. Both the bot (range checks, plain-word descriptions) and the Cekura sandbox use this.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

RELATIVE = re.compile(r"^(now|today)(?:-(\d{1,6})([smhdwMy]))?$")
DURATION = re.compile(r"^(\d{1,6})\s*([smhdwMy]|min|mins|minutes?|hours?|hrs?|days?|weeks?)$")

UNIT_WORDS = {
    "s": "second",
    "m": "minute",
    "h": "hour",
    "d": "day",
    "w": "week",
    "M": "month",
    "y": "year",
}
_LONG_UNITS = {
    "min": "m",
    "mins": "m",
    "minute": "m",
    "minutes": "m",
    "hour": "h",
    "hours": "h",
    "hr": "h",
    "hrs": "h",
    "day": "d",
    "days": "d",
    "week": "w",
    "weeks": "w",
}


def is_relative(value: object) -> bool:
    """True for a relative date string such as `now-7d` or `today`."""
    return isinstance(value, str) and RELATIVE.match(value) is not None


# Where a relative date further back than `datetime` can count lands: every range check refuses it.
EARLIEST = datetime.min.replace(tzinfo=UTC)


def _minus(moment: datetime, amount: int, unit: str) -> datetime:
    try:
        return _subtract(moment, amount, unit)
    except (OverflowError, ValueError):  # `now-999999d`: before year 1
        return EARLIEST


def _subtract(moment: datetime, amount: int, unit: str) -> datetime:
    if unit in ("M", "y"):
        months = amount * (12 if unit == "y" else 1)
        year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
        day = min(moment.day, _days_in_month(year, month + 1))
        return moment.replace(year=year, month=month + 1, day=day)
    seconds = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit]
    return moment - timedelta(seconds=amount * seconds)


def _days_in_month(year: int, month: int) -> int:
    nxt = datetime(year + (month == 12), month % 12 + 1, 1)
    return (nxt - timedelta(days=1)).day


def parse_iso(value: str) -> datetime | None:
    """An ISO-8601 date or date-time as an aware UTC datetime, or None when it is not one."""
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):  # OverflowError: `9999-12-31T23:00-05:00` is past year 9999 in UTC
        return None


def resolve(value: object, now: datetime, *, upper: bool = False) -> datetime | None:
    """The moment a timestamp filter value stands for, or None when it is not a date at all.

    `upper` says the value is an upper bound (`lt`/`lte`), where `today` means the end of the day.
    """
    if not isinstance(value, str):
        return None
    match = RELATIVE.match(value)
    if match is None:
        return parse_iso(value)
    anchor, amount, unit = match.groups()
    now = now.astimezone(UTC)
    if anchor == "now":
        base = now
    else:
        base = now.replace(hour=0, minute=0, second=0, microsecond=0)
        if upper:
            base = base.replace(hour=23, minute=59, second=59)
    return _minus(base, int(amount), unit) if amount else base


def parse_duration(text: str) -> tuple[int, str]:
    """`7d`, `24h`, `30 min`, `2 weeks` → (amount, unit letter); raises ValueError otherwise."""
    match = DURATION.match(text.strip())
    if match is None:
        raise ValueError(text)
    amount, unit = int(match.group(1)), match.group(2)
    unit = _LONG_UNITS.get(unit, unit)
    if amount <= 0:
        raise ValueError(text)
    return amount, unit


def duration_words(amount: int, unit: str) -> str:
    """(7, 'd') → '7 days'; (1, 'h') → 'hour'."""
    word = UNIT_WORDS[unit]
    return word if amount == 1 else f"{amount} {word}s"


def span(amount: int, unit: str, now: datetime) -> timedelta:
    """How long `amount` `unit`s reach back from `now`."""
    return now - _minus(now.astimezone(UTC), amount, unit)


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
CALENDAR_WORDS = ("today", "yesterday", *WEEKDAYS)


def calendar_start(word: str, now: datetime, tz: str = "UTC") -> datetime | None:
    """The moment `since <word>` means in zone `tz`, as UTC: `today` 00:00, `yesterday` 00:00, or the
    most recent `monday` (…`sunday`) 00:00 (today's, when today is that day); None for other words."""
    word = word.lower()
    if word not in CALENDAR_WORDS:
        return None
    local = now.astimezone(ZoneInfo(tz))
    if word == "today":
        back = 0
    elif word == "yesterday":
        back = 1
    else:
        back = (local.weekday() - WEEKDAYS.index(word)) % 7
    day = (local - timedelta(days=back)).date()
    # Midnight is built in the zone itself, so a DST change between then and now is honoured.
    midnight = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(tz))
    return midnight.astimezone(UTC)
