"""Bar charts: one bar per time bucket on a real time axis in the chart's time zone.

Every bucket has its slot (the caller fills empty ones with 0 or None); a None leaves the slot
empty. Buckets the range covers only in part are drawn hatched and pale, labelled "partial" (the first:
the range starts inside it) or "so far" (the last: its period is still running).
"""

from __future__ import annotations

import calendar
from datetime import datetime

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from charts.buckets import as_utc
from charts.common import (
    ACCENT,
    INK,
    MUTED,
    TICK_PT,
    VALUE_PT,
    font,
    line_px,
    new_frame,
    place_axes,
    style_axes,
    to_png,
)
from charts.common import zone as get_zone
from charts.empty import render_empty
from charts.numbers import short_number
from charts.spec import BarChart, EmptyChart, Period, Unit
from charts.threshold import breach_x, mark_threshold
from charts.timeaxis import bar_locator, date_nums, is_finite, time_axis, wall_start

# Value labels above the bars only while they have room to stay readable.
MAX_VALUE_LABELS = 14
Polygon = tuple[tuple[float, float], ...]
SO_FAR = "so far"  # the last bucket: its period is still running
PART = "partial"  # the first bucket: the range starts inside it
_PALE = "#A9CBE3"  # the accent blue at ~35 %, opaque (hatching over alpha would show the grid)


def bucket_days(start: datetime, period: Period) -> float:
    """How long a bucket is, in days (months vary)."""
    if period == "hour":
        return 1 / 24
    if period == "day":
        return 1.0
    if period == "week":
        return 7.0
    return float(calendar.monthrange(start.year, start.month)[1])


def render_bar(chart: BarChart) -> bytes:
    """PNG bytes of a bar chart; with nothing to draw it is the 'no data' image."""
    fig = draw_bar(chart)
    if fig is None:
        return render_empty(EmptyChart(chart.title, chart.stamp, chart.tz))
    return to_png(fig)


def draw_bar(chart: BarChart) -> Figure | None:
    """The drawn-up figure of a bar chart (not yet rendered), None when no value can be drawn."""
    buckets = sorted(((as_utc(moment), value) for moment, value in chart.buckets), key=lambda b: b[0])
    if not any(is_finite(v) for _, v in buckets):
        return None
    zone = get_zone(chart.tz)
    x = date_nums([wall_start(start, chart.period, zone) for start, _ in buckets])
    widths = [bucket_days(start, chart.period) for start, _ in buckets]
    last = len(buckets) - 1
    notes = {0: PART} if chart.partial[0] else {}
    if chart.partial[1]:
        notes[last] = SO_FAR  # one bucket cut at both ends is still running: "so far" says more
    partial = set(notes)

    frame = new_frame(chart)
    ax = frame.fig.add_subplot()
    style_axes(ax)
    ax.tick_params(axis="x", length=0, pad=8)
    fill = 0.72 if len(buckets) <= 60 else 0.86
    full: list[Polygon] = []
    cut: list[Polygon] = []
    for i, (_, value) in enumerate(buckets):
        if value is None or not is_finite(value):
            continue
        half = widths[i] * fill / 2
        polygon = ((x[i] - half, 0), (x[i] - half, value), (x[i] + half, value), (x[i] + half, 0))
        (cut if i in partial else full).append(polygon)
    # Collections rather than a Rectangle per bar: 720 hourly bars draw in milliseconds, not a second.
    for polygons, face, hatch in ((full, ACCENT, None), (cut, _PALE, "///")):
        if polygons:
            bars = PolyCollection(polygons, facecolors=face, edgecolors=ACCENT, linewidths=0, hatch=hatch)
            if hatch:
                bars.set_linewidth(1.2)
            bars.sticky_edges.y.append(0)  # bars grow from zero: no margin below it
            ax.add_collection(bars)
    values = [float(v) for _, v in buckets if v is not None and is_finite(v)]
    ax.update_datalim([(x[0], 0.0), (x[-1], max(values)), (x[-1], min(min(values), 0.0))])
    _value_labels(ax, buckets, chart.unit, x, notes)
    pad = widths[0] * 0.6, widths[-1] * 0.6
    ax.set_xlim(x[0] - pad[0], x[-1] + pad[1])
    ax.margins(y=0.14)
    ax.autoscale_view(scalex=False)
    mark_threshold(ax, chart, float(x[0]), _breach_slot(chart, x, widths))
    time_axis(ax, bar_locator(chart.period, len(buckets), zone), zone, TICK_PT, chart.period)
    bottom = 20 + 2 * line_px(TICK_PT)  # tick labels and the date offset line under them
    place_axes(frame, ax, unit=chart.unit, y_label=chart.y_label, bottom_px=bottom)
    return frame.fig


def _breach_slot(chart: BarChart, x: np.ndarray, widths: list[float]) -> float | None:
    """The left edge of the slot of the bucket the breach started in: its whole bar is shaded."""
    at = breach_x(chart)
    if at is None:
        return None
    starts = np.flatnonzero(x <= at)
    if starts.size == 0:
        return float(x[0] - widths[0] / 2)
    i = int(starts[-1])
    return float(x[i] - widths[i] / 2)


def _value_labels(
    ax: Axes, buckets: list[tuple[datetime, float | None]], unit: Unit, x: np.ndarray, notes: dict[int, str]
) -> None:
    """Each value above its bar when few enough fit; else only a legend explaining the hatching."""
    drawn = [(i, float(v)) for i, (_, v) in enumerate(buckets) if v is not None and is_finite(v)]
    labelled = len(drawn) <= MAX_VALUE_LABELS
    if labelled:
        prop = font(VALUE_PT)
        for i, value in drawn:
            note = notes.get(i, "")
            text = short_number(value, unit) + (f"\n{note}" if note else "")
            ax.annotate(
                text,
                (float(x[i]), value),
                xytext=(0, 5 if value >= 0 else -5),
                textcoords="offset points",
                ha="center",
                va="bottom" if value >= 0 else "top",
                fontproperties=prop,
                color=MUTED if note else INK,
                linespacing=1.1,
            )
    if notes and not labelled:
        key = Patch(facecolor=_PALE, edgecolor=ACCENT, hatch="///", linewidth=1.2, label="partial period")
        # Above the plot, right of the axis label: inside it could hide a bar.
        legend = ax.legend(
            handles=[key], loc="lower right", bbox_to_anchor=(1.0, 1.0), frameon=False, prop=font(VALUE_PT)
        )
        legend.get_texts()[0].set_color(MUTED)
