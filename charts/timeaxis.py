"""Time axes in the chart's time zone: matplotlib date locators and ConciseDateFormatter, so tick
labels are placed by matplotlib at round times and never overlap at any range or period.
"""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime, tzinfo

import numpy as np
from matplotlib.axes import Axes
from matplotlib.dates import (
    DAILY,
    AutoDateLocator,
    ConciseDateFormatter,
    DateFormatter,
    DateLocator,
    HourLocator,
    MonthLocator,
    RRuleLocator,
    WeekdayLocator,
    date2num,
    rrulewrapper,
)

from charts.buckets import as_utc
from charts.fonts import font
from charts.spec import Period

# Day numbers without a leading zero ("Nov 3"); Windows' C library spells the flag differently.
_DAY = "%#d" if sys.platform == "win32" else "%-d"
_EPOCH_NUM = float(date2num(datetime(1970, 1, 1, tzinfo=UTC)))  # type: ignore[no-untyped-call]
# At most this many labelled ticks across the ~1150 px axis: "Nov 30" at 18 pt is ~70 px wide.
MAX_TICKS = 10


def date_nums(moments: list[datetime]) -> np.ndarray:
    """matplotlib day numbers for aware datetimes, in one vectorised step (date2num loops in Python)."""
    return np.array([as_utc(m).timestamp() for m in moments], dtype=float) / 86400.0 + _EPOCH_NUM


def wall_start(start: datetime, period: Period, zone: tzinfo) -> datetime:
    """Where a bucket sits on the axis: hours at their instant; days, weeks and months at the local
    midnight of their UTC date, so Cekura's UTC-day bucket "Nov 3" reads Nov 3 in New York too.
    """
    utc = as_utc(start)
    if period == "hour":
        return utc
    return datetime(utc.year, utc.month, utc.day, tzinfo=zone)


def _first(options: tuple[int, ...], count: float) -> int:
    return next((o for o in options if count / o <= MAX_TICKS), options[-1])


def bar_locator(period: Period, count: int, zone: tzinfo) -> DateLocator:
    """A locator putting ticks on bucket starts (round hours, midnights, Mondays, months) for `count` bars."""
    if period == "hour" and count <= 12 * MAX_TICKS:
        step = _first((1, 2, 3, 4, 6, 12), count)
        return HourLocator(byhour=range(0, 24, step), tz=zone)  # type: ignore[no-untyped-call]
    if period in ("hour", "day"):
        days = count / 24 if period == "hour" else count
        step = _first((1, 2, 3, 7, 14, 28), days)
        if step % 7 == 0:
            return WeekdayLocator(byweekday=0, interval=step // 7, tz=zone)  # type: ignore[no-untyped-call]
        # An rrule every `step` days rather than DayLocator, whose month-day steps crowd "31" and "1".
        rule = rrulewrapper(DAILY, interval=step, byhour=0, byminute=0, bysecond=0, tzinfo=zone)  # type: ignore[no-untyped-call]
        return RRuleLocator(rule, tz=zone)  # type: ignore[no-untyped-call]
    if period == "week":
        return WeekdayLocator(byweekday=0, interval=_first((1, 2, 4, 8, 13, 26), count), tz=zone)  # type: ignore[no-untyped-call]
    return MonthLocator(interval=_first((1, 2, 3, 6, 12), count), tz=zone)  # type: ignore[no-untyped-call]


def line_locator(zone: tzinfo) -> DateLocator:
    """A locator for continuous time: round hours or days, 3 to `MAX_TICKS` ticks."""
    locator = AutoDateLocator(tz=zone, minticks=3, maxticks=MAX_TICKS)  # type: ignore[no-untyped-call]
    # Daily steps that don't restart at each month (1, 3, …, 31, 1 would crowd the last two).
    locator.intervald[DAILY] = [1, 2, 7, 14]
    return locator


def time_axis(ax: Axes, locator: DateLocator, zone: tzinfo, tick_pt: float, period: Period | None = None) -> None:
    """Put `locator`'s ticks on the x axis, labelled in `zone`: concisely ("06:00", "Nov 3") for
    hours and continuous time; by the bucket's own name ("Nov 3", "Nov 2026") for days, weeks, months.
    """
    if period in ("day", "week", "month"):
        # ConciseDateFormatter names a lone midnight tick "00:00"; a bucket is named by its date.
        fmt = "%b %Y" if period == "month" else f"%b {_DAY}"
        ax.xaxis.set_major_locator(locator)
        ax.xaxis.set_major_formatter(DateFormatter(fmt, tz=zone))  # type: ignore[no-untyped-call]
        return
    formatter = ConciseDateFormatter(  # type: ignore[no-untyped-call]
        locator,
        tz=zone,
        formats=["%Y", "%b", f"%b {_DAY}", "%H:%M", "%H:%M", "%S.%f"],
        offset_formats=["", "%Y", "%b %Y", f"%b {_DAY}, %Y", f"%b {_DAY}, %Y", f"%b {_DAY}, %Y %H:%M"],
        zero_formats=["", "%Y", f"%b {_DAY}", f"%b {_DAY}", "%H:%M", "%H:%M"],
    )
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)
    offset = ax.xaxis.get_offset_text()
    offset.set_fontproperties(font(tick_pt * 0.85))
    offset.set_color("#1F2328")


def span_days(x: np.ndarray) -> float:
    """The width of the finite x values in days (0 for one moment)."""
    finite = x[np.isfinite(x)]
    return float(np.ptp(finite)) if finite.size else 0.0


def is_finite(value: float | None) -> bool:
    """Whether a value can be drawn."""
    return value is not None and math.isfinite(value)
