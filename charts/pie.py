"""Donut charts: at most 8 slices, percentages on the ring, labels with values in a legend on the right."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from matplotlib.patches import FancyBboxPatch, Wedge

from charts.common import (
    BAD,
    DPI,
    GOOD,
    HEIGHT_IN,
    INK,
    MARGIN_PX,
    MUTED,
    NEUTRAL,
    OTHER,
    PALETTE,
    WIDTH_IN,
    Frame,
    ellipsize,
    font,
    new_frame,
    safe_text,
    text_width,
    to_png,
)
from charts.empty import render_empty
from charts.numbers import human_number, share
from charts.spec import EmptyChart, PieChart, Tone

MAX_SLICES = 8
OTHER_LABEL = "Other"
# Percentages are printed on the ring only for slices wide enough to hold them; the legend has them all.
_MIN_RING_LABEL = 0.05
_RING_WIDTH = 0.36
_LEGEND_PT = 16.0
_RING_PT = 14.0


def fold_slices(slices: Sequence[tuple[str, float]], limit: int = MAX_SLICES) -> list[tuple[str, float]]:
    """Positive slices, largest first, the tail beyond `limit - 1` summed into one 'Other' slice."""
    positive = sorted(
        ((label.strip() or "(blank)", value) for label, value in slices if math.isfinite(value) and value > 0),
        key=lambda s: -s[1],
    )
    if len(positive) <= limit:
        return positive
    head, tail = positive[: limit - 1], positive[limit - 1 :]
    return [*head, (OTHER_LABEL, sum(value for _, value in tail))]


_TONES: dict[Tone, str] = {"good": GOOD, "bad": BAD, "neutral": NEUTRAL}


def slice_colours(labels: Sequence[str], tones: Mapping[str, Tone]) -> list[str]:
    """A colour per slice: green/red/grey where the label's sense is known, else the next neutral colour."""
    colours, neutral = [], iter(PALETTE * (len(labels) // len(PALETTE) + 1))
    for index, label in enumerate(labels):
        if label == OTHER_LABEL and index == len(labels) - 1:
            colours.append(OTHER)
        elif label in tones:
            colours.append(_TONES[tones[label]])
        else:
            colours.append(next(neutral))
    return colours


def _ink_on(colour: str) -> str:
    """White or dark text, whichever reads better on `colour` (by perceived luminance)."""
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return INK if 0.299 * red + 0.587 * green + 0.114 * blue > 150 else "white"


def render_pie(chart: PieChart) -> bytes:
    """PNG bytes of a donut chart; no positive slice → the 'no data' image."""
    slices = fold_slices(chart.slices)
    if not slices:
        return render_empty(EmptyChart(chart.title, chart.stamp, chart.tz))
    total = sum(value for _, value in slices)
    colours = slice_colours([label for label, _ in slices], chart.tones)
    frame = new_frame(chart)
    fig = frame.fig
    # Drawn straight onto the figure in inches (no Axes: it would cost a fifth of the render time).
    inches = fig.dpi_scale_trans
    low, high = frame.bottom * HEIGHT_IN, frame.top * HEIGHT_IN
    radius = (high - low) / 2 - 0.25
    cx, cy = MARGIN_PX / DPI + 0.4 + radius, (low + high) / 2
    start = 90.0
    for (_, value), colour in zip(slices, colours, strict=True):
        fraction = value / total
        end = start - 360 * fraction
        ring = radius * _RING_WIDTH
        fig.patches.append(
            Wedge(
                (cx, cy),
                radius,
                end,
                start,
                width=ring,
                transform=inches,
                facecolor=colour,
                edgecolor="white",
                linewidth=2,
            )
        )
        if fraction >= _MIN_RING_LABEL:
            middle = math.radians((start + end) / 2)
            at = (cx + (radius - ring / 2) * math.cos(middle), cy + (radius - ring / 2) * math.sin(middle))
            fig.text(
                *at,
                share(value, total),
                transform=inches,
                ha="center",
                va="center",
                fontproperties=font(_RING_PT, bold=True),
                color=_ink_on(colour),
            )
        start = end
    fig.text(
        cx,
        cy + 0.1,
        human_number(total),
        transform=inches,
        ha="center",
        va="center",
        fontproperties=font(30, bold=True),
        color=INK,
    )
    fig.text(
        cx,
        cy - 0.25,
        "total",
        transform=inches,
        ha="center",
        va="center",
        fontproperties=font(_LEGEND_PT),
        color=MUTED,
    )
    _legend(frame, slices, colours, total, left=cx + radius + 0.6, centre=cy)
    return to_png(fig)


def _legend(
    frame: Frame,
    slices: list[tuple[str, float]],
    colours: list[str],
    total: float,
    left: float,
    centre: float,
) -> None:
    """Swatch, label, value and share per slice, in rows right of the ring (labels cut to fit)."""
    fig, inches, prop = frame.fig, frame.fig.dpi_scale_trans, font(_LEGEND_PT)
    swatch = 0.22
    step = min(0.5, (frame.top - frame.bottom) * HEIGHT_IN / (len(slices) + 0.5))
    room = (WIDTH_IN - left - swatch - 0.15) * DPI - MARGIN_PX
    for row, ((label, value), colour) in enumerate(zip(slices, colours, strict=True)):
        y = centre + step * ((len(slices) - 1) / 2 - row)
        fig.patches.append(
            FancyBboxPatch(
                (left, y - swatch / 2),
                swatch,
                swatch,
                boxstyle="round,pad=0,rounding_size=0.04",
                transform=inches,
                facecolor=colour,
                edgecolor="none",
            )
        )
        numbers = f"  {human_number(value)} · {share(value, total)}"
        name_room = max(room - text_width(frame.renderer, numbers, prop), 80)
        text = ellipsize(frame.renderer, safe_text(label), prop, name_room) + numbers
        fig.text(
            left + swatch + 0.15,
            y,
            text,
            transform=inches,
            va="center",
            ha="left",
            fontproperties=prop,
            color=INK,
            parse_math=False,
        )
