"""Line charts: values over time in the chart's time zone, never a line across a gap in the data.

Up to `DENSE_POINTS` points: a line with a dot per point, broken where a value is missing or where
time jumps (hours without calls). Above it, every call as a faint dot with a per-bucket median line
over them and a 10–90 % band, so thousands of calls read as a trend rather than a tangle.
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from charts.buckets import as_utc
from charts.common import ACCENT, MUTED, TICK_PT, VALUE_PT, font, new_frame, place_axes, style_axes, to_png, zone
from charts.empty import render_empty
from charts.spec import EmptyChart, LineChart
from charts.threshold import breach_x, mark_threshold
from charts.timeaxis import date_nums, line_locator, span_days, time_axis

DENSE_POINTS = 300
_BOTTOM_PX = 70.0  # room for the tick labels and the date offset line under them
# Median buckets that read naturally, in days, with their legend words; ~40–120 buckets per chart.
_BUCKETS = (
    (5 / 1440, "5 min"),
    (15 / 1440, "15 min"),
    (30 / 1440, "30 min"),
    (1 / 24, "hour"),
    (3 / 24, "3 hours"),
    (6 / 24, "6 hours"),
    (12 / 24, "12 hours"),
    (1.0, "day"),
)
_MAX_BUCKETS = 120


def _value(value: float | None) -> float:
    """A plottable value; None, NaN and ±inf all become NaN, which breaks the line."""
    return value if value is not None and math.isfinite(value) else math.nan


def break_gaps(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y with a NaN inserted wherever time jumps, so the line stops there rather than bridging it.

    Evenly spaced points (one per hour) break at any missing step; irregular ones (one per call) at a
    jump of 5× the usual spacing and at least a twelfth of the chart, e.g. a night without calls.
    """
    if x.size < 3:
        return x, y
    steps = np.diff(x)
    usual = float(np.median(steps))
    if usual <= 0:
        return x, y
    multiples = steps / usual
    # Regular: the steps are whole multiples of the usual one (a missing hour is a step of 2).
    regular = np.mean(np.abs(multiples - np.round(multiples)) <= 0.01) >= 0.9
    limit = 1.5 * usual if regular else max(5 * usual, span_days(x) / 12)
    jumps = np.flatnonzero(steps > limit) + 1
    return np.insert(x, jumps, np.nan), np.insert(y, jumps, np.nan)


def bucket_stats(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    """Per time bucket: centre, median, 10th and 90th percentile (NaN for empty buckets), bucket name."""
    span = span_days(x)
    size, name = next(((s, n) for s, n in _BUCKETS if span / s <= _MAX_BUCKETS), _BUCKETS[-1])
    start = math.floor(float(np.nanmin(x)) / size) * size
    index = np.floor((x - start) / size).astype(int)
    count = int(index.max()) + 1
    centres = start + (np.arange(count) + 0.5) * size
    median, low, high = (np.full(count, np.nan) for _ in range(3))
    order = np.argsort(index, kind="stable")
    sorted_index, sorted_y = index[order], y[order]
    bounds = np.flatnonzero(np.diff(sorted_index)) + 1
    for chunk_index, chunk in zip(np.split(sorted_index, bounds), np.split(sorted_y, bounds), strict=True):
        at = int(chunk_index[0])
        median[at], low[at], high[at] = np.percentile(chunk, (50, 10, 90))
    return centres, median, low, high, name


def render_line(chart: LineChart) -> bytes:
    """PNG bytes of a line chart; with nothing to draw it is the 'no data' image."""
    fig = draw_line(chart)
    if fig is None:
        return render_empty(EmptyChart(chart.title, chart.stamp, chart.tz))
    return to_png(fig)


def draw_line(chart: LineChart) -> Figure | None:
    """The drawn-up figure of a line chart (not yet rendered), None when no value can be drawn."""
    points = sorted(((as_utc(moment), _value(value)) for moment, value in chart.points), key=lambda p: p[0])
    y = np.array([value for _, value in points], dtype=float)
    finite = np.isfinite(y)
    if not finite.any():
        return None
    x = date_nums([moment for moment, _ in points])

    frame = new_frame(chart)
    fig = frame.fig
    ax = fig.add_subplot()
    style_axes(ax)
    if int(finite.sum()) <= DENSE_POINTS:
        line_x, line_y = break_gaps(x[finite], y[finite])
        # A missing value is a gap too: put its NaN back where it was.
        if not finite.all():
            line_x, line_y = break_gaps(*_with_missing(x, y))
        ax.plot(line_x, line_y, color=ACCENT, linewidth=2.5, marker="o", markersize=5.5, solid_joinstyle="round")
    else:
        _dense(ax, x[finite], y[finite])
    tz = zone(chart.tz)
    time_axis(ax, line_locator(tz), tz, TICK_PT)
    ax.margins(x=0.01, y=0.08)
    if span_days(x[finite]) == 0:
        ax.set_xlim(x[finite][0] - 1 / 24, x[finite][0] + 1 / 24)  # one moment: an hour either side, not years
    mark_threshold(ax, chart, float(x[finite][0]), breach_x(chart))
    place_axes(frame, ax, unit=chart.unit, y_label=chart.y_label, bottom_px=_BOTTOM_PX)
    return fig


def _with_missing(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The points with each missing value kept as NaN (a break) but consecutive NaNs collapsed."""
    keep = np.isfinite(y) | np.concatenate(([False], np.isfinite(y[:-1])))
    return x[keep], y[keep]


def _dense(ax: object, x: np.ndarray, y: np.ndarray) -> None:
    """Faint dots for every point, the per-bucket median over them, and the 10–90 % band."""
    from matplotlib.axes import Axes

    assert isinstance(ax, Axes)
    ax.plot(x, y, linestyle="none", marker="o", markersize=3, color=ACCENT, alpha=0.18, markeredgewidth=0)
    centres, median, low, high, name = bucket_stats(x, y)
    band = np.isfinite(low)
    ax.fill_between(centres, low, high, where=band, color=ACCENT, alpha=0.16, linewidth=0, interpolate=False)
    ax.plot(centres, median, color=ACCENT, linewidth=2.8, solid_joinstyle="round")
    # A bucket alone between empty ones has no segment: mark it so it does not vanish.
    lonely = np.isfinite(median) & ~np.concatenate(([False], band[:-1])) & ~np.concatenate((band[1:], [False]))
    if lonely.any():
        ax.plot(centres[lonely], median[lonely], linestyle="none", marker="o", markersize=5, color=ACCENT)
    handles = [
        Line2D([], [], linestyle="none", marker="o", markersize=6, color=ACCENT, alpha=0.35, label="each point"),
        Line2D([], [], color=ACCENT, linewidth=2.8, label=f"median per {name}"),
        Patch(facecolor=ACCENT, alpha=0.16, label="middle 80 %"),
    ]
    # Above the plot, right of the axis label: inside it would hide the highest points.
    legend = ax.legend(
        handles=handles, loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=3, frameon=False, prop=font(VALUE_PT)
    )
    for text in legend.get_texts():
        text.set_color(MUTED)
