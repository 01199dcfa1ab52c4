"""Time buckets as Cekura cuts them (UTC hours, days, Monday weeks, months): every bucket of a range,
the empty ones filled in, and which end buckets the range covers only in part.

    fill_buckets([(02:00, 3.0), (06:00, 1.0)], "hour", missing=0.0)
    → 02:00 3.0, 03:00 0.0, 04:00 0.0, 05:00 0.0, 06:00 1.0
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from charts.spec import Period

# No chart needs more bars than this (720 = hourly over 30 days); beyond it filling stops.
MAX_BUCKETS = 1500


def as_utc(moment: datetime) -> datetime:
    """An aware UTC datetime; naive ones are taken to be UTC, as Cekura's timestamps are."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def floor(moment: datetime, period: Period) -> datetime:
    """The start of the UTC bucket holding `moment`."""
    utc = as_utc(moment).replace(minute=0, second=0, microsecond=0)
    if period == "hour":
        return utc
    day = utc.replace(hour=0)
    if period == "day":
        return day
    if period == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_start(start: datetime, period: Period) -> datetime:
    """The start of the bucket after the one starting at `start`."""
    if period == "hour":
        return start + timedelta(hours=1)
    if period == "day":
        return start + timedelta(days=1)
    if period == "week":
        return start + timedelta(weeks=1)
    return start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)


def fill_buckets(
    buckets: Sequence[tuple[datetime, float | None]],
    period: Period,
    *,
    missing: float | None,
    window: tuple[datetime, datetime] | None = None,
) -> list[tuple[datetime, float | None]]:
    """One entry per bucket from the window's first to its last (else the data's), in order.

    Buckets without data get `missing`: 0 when the measure is a count or sum (no calls is zero
    calls), None for averages and extremes (no calls has no average: a gap, not a zero).
    """
    values: dict[datetime, float | None] = {}
    for moment, value in buckets:
        values[floor(moment, period)] = value
    if not values and window is None:
        return []
    starts = sorted(values)
    first = floor(window[0], period) if window else starts[0]
    last = floor(window[1] - timedelta(microseconds=1), period) if window else starts[-1]
    if starts:
        first, last = min(first, starts[0]), max(last, starts[-1])
    filled: list[tuple[datetime, float | None]] = []
    start = first
    while start <= last and len(filled) < MAX_BUCKETS:
        filled.append((start, values.get(start, missing)))
        start = next_start(start, period)
    return filled


def partial_ends(
    starts: Sequence[datetime], period: Period, window: tuple[datetime, datetime] | None
) -> tuple[bool, bool]:
    """Whether the first and the last bucket are cut by the window (the range starts or ends inside them)."""
    if not starts or window is None:
        return (False, False)
    low, high = as_utc(window[0]), as_utc(window[1])
    first, last = floor(starts[0], period), floor(starts[-1], period)
    return (low > first, high < next_start(last, period))
