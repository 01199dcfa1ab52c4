"""The 'no data' image: title and stamp around a centred message, so the post still explains itself."""

from __future__ import annotations

from matplotlib.patches import FancyBboxPatch

from charts.common import MARGIN_PX, MUTED, SHORT_HEIGHT_IN, ellipsize, font, new_frame, safe_text, to_png
from charts.spec import EmptyChart

_MESSAGE_PT = 26.0
_PANEL = "#F4F6F8"


def render_empty(chart: EmptyChart) -> bytes:
    """PNG bytes of the 'no data in this range' image."""
    frame = new_frame(chart, SHORT_HEIGHT_IN)
    fig = frame.fig
    gap = frame.px_y(14)
    left, right = frame.px_x(MARGIN_PX), 1 - frame.px_x(MARGIN_PX)
    low, high = frame.bottom + gap, frame.top - gap
    # A soft panel where the chart would be, so the image reads as "a chart with nothing in it".
    fig.patches.append(
        FancyBboxPatch(
            (left, low),
            right - left,
            high - low,
            boxstyle="round,pad=0,rounding_size=0.02",
            transform=fig.transFigure,
            facecolor=_PANEL,
            edgecolor="none",
            mutation_aspect=fig.bbox.width / fig.bbox.height,
        )
    )
    prop = font(_MESSAGE_PT)
    usable = float(fig.bbox.width) - 4 * MARGIN_PX
    message = ellipsize(frame.renderer, safe_text(chart.message or "No data"), prop, usable)
    fig.text(
        0.5,
        (low + high) / 2,
        message,
        fontproperties=prop,
        color=MUTED,
        ha="center",
        va="center",
        parse_math=False,
    )
    return to_png(fig)
