"""Line charts: values over time in the chart's time zone, with gaps where a value is missing."""

from __future__ import annotations

import math

import numpy as np
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num

from charts.common import ACCENT, INK, TICK_PT, as_utc, font, new_frame, set_ylabel, style_axes, to_png, zone
from charts.empty import render_empty
from charts.format import axis_formatter, axis_locator
from charts.spec import EmptyChart, LineChart

# Above this many points markers turn the line into a smear (and cost time); below, they show each call.
MAX_MARKED_POINTS = 200
_LEFT_PX, _RIGHT_PX, _TOP_GAP_PX, _BOTTOM_PX = 120.0, 36.0, 18.0, 64.0


def _value(value: float | None) -> float:
    """A plottable value; None, NaN and ±inf all become NaN, which breaks the line."""
    return value if value is not None and math.isfinite(value) else math.nan


def render_line(chart: LineChart) -> bytes:
    """PNG bytes of a line chart; with no plottable point it is the 'no data' image."""
    points = sorted(((as_utc(moment), _value(value)) for moment, value in chart.points), key=lambda p: p[0])
    y = np.array([value for _, value in points], dtype=float)
    finite = np.isfinite(y)
    if not finite.any():
        return render_empty(EmptyChart(chart.title, chart.stamp, chart.tz))
    x = np.asarray(date2num([moment for moment, _ in points]), dtype=float)

    frame = new_frame(chart)
    fig = frame.fig
    ax = fig.add_subplot()
    fig.subplots_adjust(
        left=frame.px_x(_LEFT_PX if chart.y_label else _LEFT_PX - 30),
        right=1 - frame.px_x(_RIGHT_PX),
        top=frame.top - frame.px_y(_TOP_GAP_PX),
        bottom=frame.bottom + frame.px_y(_BOTTOM_PX),
    )
    style_axes(ax)

    if len(points) <= MAX_MARKED_POINTS:
        ax.plot(x, y, color=ACCENT, linewidth=2.5, marker="o", markersize=5.5, solid_capstyle="round")
    else:
        ax.plot(x, y, color=ACCENT, linewidth=2.0, solid_joinstyle="round")
        # A point with gaps on both sides draws no segment, so show it as a dot or it would vanish.
        before = np.concatenate(([False], finite[:-1]))
        after = np.concatenate((finite[1:], [False]))
        lonely = finite & ~before & ~after
        if lonely.any():
            ax.plot(x[lonely], y[lonely], linestyle="none", marker="o", markersize=3.5, color=ACCENT)

    tz = zone(chart.tz)
    locator = AutoDateLocator(tz=tz, minticks=3, maxticks=8)
    formatter = ConciseDateFormatter(
        locator,
        tz=tz,
        formats=["%Y", "%b", "%b %d", "%H:%M", "%H:%M", "%S.%f"],
        offset_formats=["", "%Y", "%b %Y", "%b %d, %Y", "%b %d, %Y", "%b %d, %Y %H:%M"],
    )
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)
    ax.yaxis.set_major_locator(axis_locator(chart.unit))
    ax.yaxis.set_major_formatter(axis_formatter(chart.unit))
    ax.margins(x=0.01, y=0.08)
    ax.xaxis.get_offset_text().set_fontproperties(font(TICK_PT * 0.85))
    ax.xaxis.get_offset_text().set_color(INK)
    set_ylabel(ax, chart.y_label)
    return to_png(fig)
