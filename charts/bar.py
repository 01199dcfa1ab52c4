"""Bar charts: one bar per time bucket, labelled by period in the chart's time zone."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, tzinfo

from matplotlib.collections import PolyCollection

from charts.common import (
    ACCENT,
    INK,
    TICK_PT,
    VALUE_PT,
    as_utc,
    font,
    line_px,
    new_frame,
    place_axes,
    style_axes,
    to_png,
)
from charts.common import zone as get_zone
from charts.empty import render_empty
from charts.format import human_number
from charts.spec import BarChart, EmptyChart, Period

# Value labels above the bars only while they have room to stay readable.
MAX_VALUE_LABELS = 14
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# How many labels fit along the axis (by label width), and the label strides that read naturally.
_MAX_LABELS: dict[str, int] = {"hour": 14, "day": 12, "week": 6, "month": 10}
_STRIDES: dict[str, tuple[int, ...]] = {
    "hour": (1, 2, 3, 4, 6, 12, 24, 48, 72, 168),
    "day": (1, 2, 7, 14, 28),
    "week": (1, 2, 4, 8, 13, 26, 52),
    "month": (1, 2, 3, 6, 12, 24),
}


def _midnight(moment: datetime) -> bool:
    return (moment.hour, moment.minute, moment.second, moment.microsecond) == (0, 0, 0, 0)


def bucket_start(moment: datetime, period: Period, zone: tzinfo) -> datetime:
    """The wall-clock time a bucket is named by: local for hours; for longer buckets, their calendar day."""
    local = as_utc(moment).astimezone(zone)
    if period == "hour" or _midnight(local):
        return local
    # A day bucket starting at UTC midnight (Cekura buckets by UTC day) is that UTC day, not the
    # evening before in New York.
    utc = as_utc(moment).astimezone(UTC)
    return utc if _midnight(utc) else local


def _stride(count: int, period: Period) -> int:
    limit = _MAX_LABELS[period]
    return next((s for s in _STRIDES[period] if count / s <= limit), math.ceil(count / limit))


def _aligned(start: datetime, index: int, period: Period, stride: int) -> bool:
    """Whether a bucket gets a label: on round hours, Mondays, quarters… rather than every n-th bar."""
    if stride == 1:
        return True
    if period == "hour" and 24 % stride == 0:
        return start.minute == 0 and start.hour % stride == 0
    if period == "hour" and stride % 24 == 0:
        return _midnight(start) and (start.toordinal() - 1) % (stride // 24) == 0
    if period == "day":
        return (start.toordinal() - 1) % stride == 0  # ordinal 1 is a Monday, so 7 and 14 land on Mondays
    if period == "month":
        return (start.year * 12 + start.month - 1) % stride == 0
    return index % stride == 0


def _label(start: datetime, period: Period, stride: int, previous: datetime | None) -> str:
    day = f"{_DAYS[start.weekday()]} {start.day}"
    new_month = previous is None or (previous.year, previous.month) != (start.year, start.month)
    if period == "hour" and stride < 24:
        new_day = previous is None or previous.date() != start.date()
        return f"{start:%H:%M}" + (f"\n{_MONTHS[start.month - 1]} {start.day}" if new_day else "")
    if period in ("hour", "day"):
        return day + (f"\n{_MONTHS[start.month - 1]}" if new_month else "")
    if period == "week":
        return f"Week of {_MONTHS[start.month - 1]} {start.day}"
    return f"{_MONTHS[start.month - 1]} {start.year}"


def bucket_labels(times: Sequence[datetime], period: Period, tz: str) -> list[tuple[int, str]]:
    """(bar index, label) for the bars that get an x label, in `tz`; thinned so labels never collide.

    Hours read "14:00" with the date under the first one of each day; days "Mon 3" (month under
    the first of each month); weeks "Week of Nov 3"; months "Nov 2026".
    """
    zone = get_zone(tz)
    starts = [bucket_start(moment, period, zone) for moment in times]
    stride = _stride(len(starts), period)
    shown = [i for i, start in enumerate(starts) if _aligned(start, i, period, stride)] or [0][: len(starts)]
    labels: list[tuple[int, str]] = []
    previous: datetime | None = None
    for index in shown:
        labels.append((index, _label(starts[index], period, stride, previous)))
        previous = starts[index]
    if len(labels) > 1 and "\n" in labels[0][1] and "\n" in labels[1][1]:
        # Two dated labels side by side collide; the second one's date already says where we are.
        labels[0] = (labels[0][0], labels[0][1].split("\n")[0])
    return labels


def render_bar(chart: BarChart) -> bytes:
    """PNG bytes of a bar chart; None values leave their slot empty; no values → the 'no data' image."""
    buckets = sorted(((as_utc(moment), value) for moment, value in chart.buckets), key=lambda b: b[0])
    drawn = [(i, v) for i, (_, v) in enumerate(buckets) if v is not None and math.isfinite(v)]
    if not drawn:
        return render_empty(EmptyChart(chart.title, chart.stamp, chart.tz))

    frame = new_frame(chart)
    ax = frame.fig.add_subplot()
    style_axes(ax)
    ax.tick_params(axis="x", length=0, pad=8)
    half = (0.36 if len(buckets) <= 60 else 0.45) if len(buckets) > 1 else 0.3
    # One collection rather than a Rectangle per bar: 720 hourly bars draw in milliseconds, not a second.
    bars = PolyCollection(
        [((i - half, 0), (i - half, v), (i + half, v), (i + half, 0)) for i, v in drawn],
        facecolors=ACCENT,
        edgecolors="none",
        linewidths=0,
    )
    bars.sticky_edges.y.append(0)  # bars grow from zero: no margin below it
    ax.add_collection(bars)
    ax.update_datalim([(i, v) for i, v in drawn] + [(0, 0)])
    if len(drawn) <= MAX_VALUE_LABELS:
        prop = font(VALUE_PT)
        for i, v in drawn:
            ax.annotate(
                human_number(v, chart.unit),
                (i, v),
                xytext=(0, 5 if v >= 0 else -5),
                textcoords="offset points",
                ha="center",
                va="bottom" if v >= 0 else "top",
                fontproperties=prop,
                color=INK,
            )
    ax.set_xlim(-0.6, len(buckets) - 0.4)
    ax.margins(y=0.12)
    ax.autoscale_view(scalex=False)
    labels = bucket_labels([moment for moment, _ in buckets], chart.period, chart.tz)
    ax.set_xticks([i for i, _ in labels], [text for _, text in labels])
    lines = max(text.count("\n") + 1 for _, text in labels)
    place_axes(frame, ax, unit=chart.unit, y_label=chart.y_label, bottom_px=16 + lines * line_px(TICK_PT))
    return to_png(frame.fig)
