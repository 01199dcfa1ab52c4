"""An alert's threshold on a line or bar chart: a dashed line across it and the breach shaded.

    mark_threshold(ax, chart, first_x, shade_from)   # after plotting, with the x range fixed

Charts without a `threshold` are left exactly as they were (the image baselines stay valid).
"""

from __future__ import annotations

from matplotlib.axes import Axes

from charts.common import BAD, VALUE_PT, font
from charts.numbers import short_number
from charts.spec import BarChart, LineChart
from charts.timeaxis import date_nums

SHADE_ALPHA = 0.12  # light enough that bars and points inside the breach still read


def breach_x(chart: LineChart | BarChart) -> float | None:
    """Where the breach starts on the time axis (matplotlib day number), None without one."""
    return None if chart.breach_since is None else float(date_nums([chart.breach_since])[0])


def mark_threshold(ax: Axes, chart: LineChart | BarChart, first_x: float, shade_from: float | None) -> None:
    """Draw `chart.threshold` (in the chart's values) and shade from `shade_from` to the right edge."""
    if chart.threshold is None:
        return
    # The line must be in view even when every value is far from it: widen the value range to it.
    ax.update_datalim([(first_x, chart.threshold)])
    ax.autoscale_view(scalex=False)
    low, high = ax.get_xlim()
    if shade_from is not None:
        start = max(shade_from, low)
        if start < high:
            ax.axvspan(start, high, color=BAD, alpha=SHADE_ALPHA, linewidth=0, zorder=0)
    ax.axhline(chart.threshold, color=BAD, linewidth=2.2, linestyle=(0, (6, 4)), zorder=4)
    ax.annotate(
        f"threshold {short_number(chart.threshold, chart.unit)}",
        (1.0, chart.threshold),
        xycoords=("axes fraction", "data"),
        xytext=(-6, 5),
        textcoords="offset points",
        ha="right",
        va="bottom",
        color=BAD,
        fontproperties=font(VALUE_PT),
        annotation_clip=False,
    )
    ax.set_xlim(low, high)  # the span must not widen the time axis
