"""Line charts: values over time in the chart's time zone, with gaps where a value is missing."""

from __future__ import annotations

import math
import sys
from datetime import UTC, datetime

import numpy as np
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num

from charts.common import ACCENT, INK, TICK_PT, as_utc, font, new_frame, place_axes, style_axes, to_png, zone
from charts.empty import render_empty
from charts.spec import EmptyChart, LineChart

# Above this many points markers turn the line into a smear (and cost time); below, they show each call.
MAX_MARKED_POINTS = 200
_BOTTOM_PX = 64.0  # room for the tick labels and the date offset line under them
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# Day numbers without a leading zero ("Nov 3"); Windows' C library spells the flag differently.
_DAY = "%#d" if sys.platform == "win32" else "%-d"


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
    # Epoch seconds → matplotlib day numbers in one vectorised step (date2num loops in Python).
    x = np.array([moment.timestamp() for moment, _ in points]) / 86400.0 + date2num(_EPOCH)  # type: ignore[no-untyped-call]

    frame = new_frame(chart)
    fig = frame.fig
    ax = fig.add_subplot()
    style_axes(ax)
    marked = len(points) <= MAX_MARKED_POINTS
    ax.plot(
        x,
        y,
        color=ACCENT,
        linewidth=2.5 if marked else 1.8,
        marker="o" if marked else "",
        markersize=5.5,
        solid_joinstyle="round",
    )
    if not marked:
        # A point with gaps on both sides draws no segment, so show it as a dot or it would vanish.
        before = np.concatenate(([False], finite[:-1]))
        after = np.concatenate((finite[1:], [False]))
        lonely = finite & ~before & ~after
        if lonely.any():
            ax.plot(x[lonely], y[lonely], linestyle="none", marker="o", markersize=3.5, color=ACCENT)

    tz = zone(chart.tz)
    locator = AutoDateLocator(tz=tz, minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    formatter = ConciseDateFormatter(  # type: ignore[no-untyped-call]
        locator,
        tz=tz,
        formats=["%Y", "%b", f"%b {_DAY}", "%H:%M", "%H:%M", "%S.%f"],
        offset_formats=["", "%Y", "%b %Y", f"%b {_DAY}, %Y", f"%b {_DAY}, %Y", f"%b {_DAY}, %Y %H:%M"],
        zero_formats=["", "%Y", f"%b {_DAY}", f"%b {_DAY}", "%H:%M", "%H:%M"],
    )
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(formatter)
    ax.margins(x=0.01, y=0.08)
    if np.ptp(x[finite]) == 0:
        ax.set_xlim(x[finite][0] - 1 / 24, x[finite][0] + 1 / 24)  # one moment: an hour either side, not years
    ax.xaxis.get_offset_text().set_fontproperties(font(TICK_PT * 0.85))
    ax.xaxis.get_offset_text().set_color(INK)
    place_axes(frame, ax, unit=chart.unit, y_label=chart.y_label, bottom_px=_BOTTOM_PX)
    return to_png(fig)
