"""The naive pyplot rendering the benchmark compares `charts.draw.render` against.

Same figure size and content as `charts`, written the way a first version usually is: pyplot's
global figure registry, datetimes handed straight to matplotlib, `bbox_inches="tight"` (a second
layout pass) and Pillow's default PNG compression. Only here may pyplot be imported.
"""

from __future__ import annotations

import io
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import FancyBboxPatch  # noqa: E402

from charts.common import safe_text, zone  # noqa: E402
from charts.format import axis_formatter  # noqa: E402
from charts.numbers import human_number, short_number  # noqa: E402
from charts.pie import fold_slices  # noqa: E402
from charts.spec import BarChart, Chart, EmptyChart, LineChart, PieChart, StatCard  # noqa: E402
from charts.stat import stat_label, stat_value  # noqa: E402


def _finish(fig: Figure, chart: Chart) -> bytes:
    """Title, stamp, tight PNG, close: the usual tail of a pyplot chart function."""
    fig.suptitle(safe_text(chart.title), fontsize=24, fontweight="bold", x=0.02, ha="left")
    fig.text(0.02, 0.01, safe_text(chart.stamp), fontsize=14, color="grey")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def _line(chart: LineChart) -> bytes:
    fig = plt.figure(figsize=(12.8, 6.4), dpi=100)
    ax = fig.add_subplot()
    points = sorted(chart.points, key=lambda p: p[0])
    values = [math.nan if v is None else v for _, v in points]
    ax.plot([t for t, _ in points], values, marker="o" if len(points) <= 200 else "")  # type: ignore[arg-type]
    locator = AutoDateLocator(tz=zone(chart.tz))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=zone(chart.tz)))  # type: ignore[no-untyped-call]
    ax.yaxis.set_major_formatter(axis_formatter(chart.unit))
    ax.set_ylabel(safe_text(chart.y_label), fontsize=16)
    ax.tick_params(labelsize=16)
    ax.grid(True, axis="y")
    return _finish(fig, chart)


def _bar(chart: BarChart) -> bytes:
    fig = plt.figure(figsize=(12.8, 6.4), dpi=100)
    ax = fig.add_subplot()
    buckets = sorted(chart.buckets, key=lambda b: b[0])
    drawn = [(t, v) for t, v in buckets if v is not None]
    width = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 30.0}[chart.period] * 0.72
    bars = ax.bar([t for t, _ in drawn], [v for _, v in drawn], width=width)  # type: ignore[arg-type]
    cut = [i for i, flag in ((0, chart.partial[0]), (len(drawn) - 1, chart.partial[1])) if flag and drawn]
    for i in cut:
        bars[i].set_hatch("///")
        bars[i].set_alpha(0.4)
    if len(drawn) <= 14:
        ax.bar_label(bars, labels=[short_number(v, chart.unit) for _, v in drawn], fontsize=16)
    locator = AutoDateLocator(tz=zone(chart.tz))  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=zone(chart.tz)))  # type: ignore[no-untyped-call]
    ax.yaxis.set_major_formatter(axis_formatter(chart.unit))
    ax.set_ylabel(safe_text(chart.y_label), fontsize=16)
    ax.tick_params(labelsize=16)
    ax.grid(True, axis="y")
    return _finish(fig, chart)


def _pie(chart: PieChart) -> bytes:
    fig = plt.figure(figsize=(12.8, 6.4), dpi=100)
    ax = fig.add_subplot()
    slices = fold_slices(chart.slices)
    total = sum(v for _, v in slices)
    ax.pie([v for _, v in slices], autopct="%.0f%%", wedgeprops={"width": 0.36}, textprops={"fontsize": 14})
    labels = [f"{safe_text(k)}  {human_number(v)} · {human_number(100 * v / total, 'percent')}" for k, v in slices]
    ax.legend(labels, loc="center left", bbox_to_anchor=(1, 0.5), fontsize=16, frameon=False)
    return _finish(fig, chart)


def _card(fig: Figure, x: float, y: float, width: float, height: float) -> None:
    fig.patches.append(
        FancyBboxPatch(
            (x, y),
            width,
            height,
            boxstyle="round,pad=0,rounding_size=0.015",
            transform=fig.transFigure,
            facecolor="#F4F6F8",
            edgecolor="none",
        )
    )


def _stat(chart: StatCard) -> bytes:
    fig = plt.figure(figsize=(12.8, 4.0), dpi=100)
    count = max(len(chart.stats), 1)
    for index, (key, value) in enumerate(chart.stats.items()):
        _card(fig, index / count + 0.01, 0.15, 1 / count - 0.02, 0.65)
        x = (index + 0.5) / count
        fig.text(x, 0.5, stat_value(value, chart.units.get(key, "")), fontsize=40, ha="center", weight="bold")
        fig.text(x, 0.25, safe_text(stat_label(key)), fontsize=17, ha="center", color="grey")
    return _finish(fig, chart)


def _empty(chart: EmptyChart) -> bytes:
    fig = plt.figure(figsize=(12.8, 4.0), dpi=100)
    _card(fig, 0.02, 0.15, 0.96, 0.65)
    fig.text(0.5, 0.5, safe_text(chart.message), fontsize=26, ha="center", va="center", color="grey")
    return _finish(fig, chart)


def render_pyplot(chart: Chart) -> bytes:
    """PNG bytes of `chart` drawn the naive pyplot way (the benchmark's baseline)."""
    match chart:
        case LineChart():
            return _line(chart)
        case BarChart():
            return _bar(chart)
        case PieChart():
            return _pie(chart)
        case StatCard():
            return _stat(chart)
        case EmptyChart():
            return _empty(chart)
    raise TypeError(f"not a chart spec: {type(chart).__name__}")
