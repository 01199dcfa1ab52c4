"""KPI cards: each figure as a big number with its label under it, on a short image."""

from __future__ import annotations

import math
from collections.abc import Mapping

from matplotlib.patches import FancyBboxPatch

from charts.common import (
    ACCENT,
    MARGIN_PX,
    MUTED,
    SHORT_HEIGHT_IN,
    ellipsize,
    font,
    new_frame,
    safe_text,
    to_png,
)
from charts.empty import render_empty
from charts.numbers import MISSING, short_number
from charts.spec import EmptyChart, StatCard, Unit

MAX_COLUMNS = 4
MAX_STATS = 12
_VALUE_PT = 40.0
_LABEL_PT = 17.0
_CARD = "#F4F6F8"
_ROW_IN = 1.9


def stat_label(key: str) -> str:
    """A figure's label from its key: 'total_calls' → 'Total calls', 'p95_latency' → 'P95 latency'."""
    words = " ".join(key.replace("_", " ").replace("-", " ").replace(".", " ").split())
    return words[:1].upper() + words[1:]


def stat_value(value: float | None, unit: Unit) -> str:
    """A figure as the key figures and axes write it ('1.2k', '1.4 s', '92 %'), so they always agree."""
    return short_number(value, unit)


def render_stat(chart: StatCard) -> bytes:
    """PNG bytes of a KPI card (up to 12 figures, 4 per row); no figures → the 'no data' image."""
    stats = list(chart.stats.items())[:MAX_STATS]
    if not stats:
        return render_empty(EmptyChart(chart.title, chart.stamp, chart.tz))
    columns = min(len(stats), MAX_COLUMNS)
    rows = math.ceil(len(stats) / columns)
    frame = new_frame(chart, SHORT_HEIGHT_IN + (rows - 1) * _ROW_IN)
    fig = frame.fig
    gap_x, gap_y = frame.px_x(16), frame.px_y(16)
    left, right = frame.px_x(MARGIN_PX), 1 - frame.px_x(MARGIN_PX)
    top, bottom = frame.top - gap_y, frame.bottom + gap_y
    cell_w = (right - left - (columns - 1) * gap_x) / columns
    cell_h = (top - bottom - (rows - 1) * gap_y) / rows
    value_prop, label_prop = font(_VALUE_PT, bold=True), font(_LABEL_PT)
    room = cell_w * float(fig.bbox.width) - 24
    for index, (key, value) in enumerate(stats):
        row, column = divmod(index, columns)
        x0 = left + column * (cell_w + gap_x)
        y0 = top - (row + 1) * cell_h - row * gap_y
        fig.patches.append(
            FancyBboxPatch(
                (x0, y0),
                cell_w,
                cell_h,
                boxstyle="round,pad=0,rounding_size=0.015",
                transform=fig.transFigure,
                facecolor=_CARD,
                edgecolor="none",
                mutation_aspect=fig.bbox.width / fig.bbox.height,
            )
        )
        text = stat_value(value, _unit(chart.units, key))
        centre = x0 + cell_w / 2
        fig.text(
            centre,
            y0 + cell_h * 0.58,
            ellipsize(frame.renderer, text, value_prop, room),
            ha="center",
            va="center",
            fontproperties=value_prop,
            color=ACCENT if text != MISSING else MUTED,
            parse_math=False,
        )
        label = ellipsize(frame.renderer, safe_text(stat_label(key)), label_prop, room)
        fig.text(
            centre,
            y0 + cell_h * 0.24,
            label,
            ha="center",
            va="center",
            fontproperties=label_prop,
            color=MUTED,
            parse_math=False,
        )
    return to_png(fig)


def _unit(units: Mapping[str, Unit], key: str) -> Unit:
    return units.get(key, "")
