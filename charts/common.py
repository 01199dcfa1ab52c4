"""The shared look of every chart: figure factory, safe and fitted text, title and stamp lines, PNG bytes.

Only matplotlib's object API is used (no pyplot): each render owns its Figure, so nothing is shared
between threads or left behind in a long-running worker.
"""

from __future__ import annotations

import struct
import threading
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties

from charts.fonts import font as font
from charts.fonts import safe_text as safe_text
from charts.format import axis_formatter, axis_locator
from charts.spec import Common, Unit

DPI = 100
WIDTH_IN = 12.8
HEIGHT_IN = 6.4
SHORT_HEIGHT_IN = 4.0
MARGIN_PX = 28.0

# Okabe–Ito (distinguishable with the common colour-vision deficiencies) without its green and
# vermillion: those read as good and bad, so they are kept for values whose sense is known.
PALETTE = ("#0072B2", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442", "#4D4D4D", "#8E7CC3")
GOOD = "#009E73"
BAD = "#D55E00"
NEUTRAL = "#9AA5B1"
ACCENT = PALETTE[0]
OTHER = "#BDBDBD"
INK = "#1F2328"
MUTED = "#6E7781"
GRID = "#E4E7EB"
SPINE = "#B8BEC5"

# Sizes for a 1280 px image that Slack shows shrunk to ~480 px (× 0.375): the stamp's capitals are
# then 24 pt × 100/72 × 0.73 (DejaVu cap height) × 0.375 ≈ 9 px, the least that still reads.
TITLE_PT = 28.0
STAMP_PT = 24.0
TICK_PT = 18.0
LABEL_PT = 18.0
VALUE_PT = 16.0

_ELLIPSIS = "…"
_LINE_SPACING = 1.25
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def text_width(renderer: RendererAgg, text: str, prop: FontProperties) -> float:
    """How wide `text` draws, in pixels."""
    width, _, _ = renderer.get_text_width_height_descent(text, prop, ismath=False)  # type: ignore[no-untyped-call]
    return float(width)


def surely_fits(text: str, prop: FontProperties, max_px: float) -> bool:
    """Whether `text` surely fits without laying it out (~0.5 ms a call; most labels are short)."""
    # No printable ASCII glyph of DejaVu Sans is wider than 1.11 em (bold 'W'), so a bound will do.
    return len(text) * 1.12 * prop.get_size_in_points() * DPI / 72 <= max_px and text.isascii()


def ellipsize(renderer: RendererAgg, text: str, prop: FontProperties, max_px: float) -> str:
    """`text`, cut and ended with '…' if it is wider than `max_px`."""
    if surely_fits(text, prop, max_px) or text_width(renderer, text, prop) <= max_px:
        return text
    low, high = 0, len(text)  # invariant: text[:low] + "…" fits
    while low < high:
        mid = (low + high + 1) // 2
        if text_width(renderer, text[:mid].rstrip() + _ELLIPSIS, prop) <= max_px:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + _ELLIPSIS


def fit_lines(renderer: RendererAgg, text: str, prop: FontProperties, max_px: float, max_lines: int = 2) -> list[str]:
    """`text` wrapped at spaces into lines of at most `max_px`, the last one ellipsized if needed."""
    if surely_fits(text, prop, max_px) or text_width(renderer, text, prop) <= max_px:
        return [text] if text else []
    lines: list[str] = []
    current = ""
    words = text.split(" ")
    for index, word in enumerate(words):
        candidate = f"{current} {word}" if current else word
        if not current or text_width(renderer, candidate, prop) <= max_px:
            current = candidate
            continue
        lines.append(current)
        current = word
        if len(lines) == max_lines:
            # Out of lines: the rest joins the last one, which the cut below ends with "…".
            lines[-1] = " ".join([lines[-1], *words[index:]])
            current = ""
            break
    if current:
        lines.append(current)
    # Also cuts a single over-long word (a URL, CJK without spaces) rather than letting it overflow.
    return [ellipsize(renderer, line, prop, max_px) for line in lines]


@lru_cache(maxsize=64)
def zone(name: str) -> tzinfo:
    """The IANA zone `name`; an unknown or malformed name falls back to UTC rather than failing the chart."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return UTC


def as_utc(moment: datetime) -> datetime:
    """An aware datetime; naive ones are taken to be UTC, as Cekura's timestamps are."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


_per_thread = threading.local()


class _Canvas(FigureCanvasAgg):
    """An Agg canvas drawing into its thread's reusable pixel buffer rather than a new one.

    Spent figures are reference cycles (their texts keep the renderer) freed only by Python's rare
    full collection: with a 3 MB buffer each, a busy worker would carry ~100 MB of dead ones.
    """

    def get_renderer(self) -> RendererAgg:
        """This thread's renderer for the figure's pixel size, made on first use."""
        width, height = self.get_width_height(physical=True)
        key = (width, height, float(self.figure.dpi))
        renderers: dict[tuple[int, int, float], RendererAgg] = vars(_per_thread).setdefault("renderers", {})
        if key not in renderers:
            if len(renderers) >= 3:
                renderers.clear()  # a stat card of unusual height: don't hoard one buffer per size
            renderers[key] = RendererAgg(width, height, key[2])  # type: ignore[no-untyped-call]
        return renderers[key]


@dataclass(frozen=True)
class Frame:
    """A new figure with its title and stamp drawn, and the free band between them (figure fractions)."""

    fig: Figure
    renderer: RendererAgg
    top: float
    bottom: float

    def px_x(self, pixels: float) -> float:
        """`pixels` as a fraction of the figure width."""
        return pixels / float(self.fig.bbox.width)

    def px_y(self, pixels: float) -> float:
        """`pixels` as a fraction of the figure height."""
        return pixels / float(self.fig.bbox.height)


def line_px(size: float) -> float:
    """The height of one line of text at `size` points, in pixels."""
    return size * _LINE_SPACING * DPI / 72


def _text_block(frame: Frame, text: str, prop: FontProperties, y: float, va: str, color: str) -> int:
    """Draw `text` at the left margin, wrapped into at most two lines; return how many lines it took."""
    usable = float(frame.fig.bbox.width) - 2 * MARGIN_PX
    lines = fit_lines(frame.renderer, safe_text(text, bold=prop.get_weight() == "bold"), prop, usable)
    if lines:
        kwargs: dict[str, Any] = {"va": va, "color": color, "linespacing": _LINE_SPACING}
        frame.fig.text(frame.px_x(MARGIN_PX), y, "\n".join(lines), fontproperties=prop, parse_math=False, **kwargs)
    return len(lines)


def new_frame(chart: Common, height_in: float = HEIGHT_IN) -> Frame:
    """A white figure with the chart's title (≤ 2 lines) at the top and its grey stamp at the bottom."""
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, facecolor="white")
    # The same renderer draws the figure later, so measuring text with it costs nothing extra.
    renderer = _Canvas(fig).get_renderer()
    height = float(fig.bbox.height)
    top_px, bottom_px = MARGIN_PX * 0.8, MARGIN_PX * 0.6
    # A provisional frame (the whole height) to draw the title and stamp into and measure them.
    whole = Frame(fig, renderer, 1.0, 0.0)
    top_px += line_px(TITLE_PT) * _text_block(
        whole, chart.title, font(TITLE_PT, bold=True), 1 - top_px / height, "top", INK
    )
    bottom_px += line_px(STAMP_PT) * _text_block(
        whole, chart.stamp, font(STAMP_PT), bottom_px / height, "bottom", MUTED
    )
    return Frame(fig, renderer, 1 - top_px / height, bottom_px / height)


def style_axes(ax: Axes, *, grid: Literal["x", "y", "both"] = "y") -> None:
    """The shared axes look: light grid behind the data, no top/right spines, large grey ticks."""
    ax.spines[["top", "right"]].set_visible(False)
    ax.spines[["left", "bottom"]].set_color(SPINE)
    ax.set_axisbelow(True)
    ax.grid(True, axis=grid, color=GRID, linewidth=1.0)
    ax.tick_params(labelsize=TICK_PT, colors=MUTED, labelcolor=INK, length=5, width=1)


def place_axes(frame: Frame, ax: Axes, *, unit: Unit, y_label: str, bottom_px: float) -> None:
    """Format the value axis in `unit`, fit the left margin to its widest tick, label it above the axis.

    Call it after plotting (ticks depend on the data). The label is horizontal to stay readable shrunk.
    """
    ax.yaxis.set_major_locator(axis_locator(unit))
    formatter = axis_formatter(unit)
    ax.yaxis.set_major_formatter(formatter)
    low, high = sorted(ax.get_ylim())
    ticks = [t for t in ax.yaxis.get_majorticklocs() if low <= t <= high]
    prop = font(TICK_PT)
    widest = max((text_width(frame.renderer, label, prop) for label in formatter.format_ticks(ticks)), default=0)
    top_px = 22.0
    if y_label:
        prop, top = font(LABEL_PT), frame.top - frame.px_y(8)
        text = ellipsize(frame.renderer, safe_text(y_label), prop, float(frame.fig.bbox.width) / 2)
        frame.fig.text(frame.px_x(MARGIN_PX), top, text, fontproperties=prop, color=MUTED, va="top", parse_math=False)
        top_px += line_px(LABEL_PT)
    frame.fig.subplots_adjust(
        left=frame.px_x(MARGIN_PX + widest + 14),
        right=1 - frame.px_x(MARGIN_PX + 8),
        top=frame.top - frame.px_y(top_px),
        bottom=frame.bottom + frame.px_y(bottom_px),
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def encode_png(rgb: np.ndarray) -> bytes:
    """An RGB uint8 image (height × width × 3) as PNG bytes: 'Up' filter, zlib level 1.

    Pillow's PNG path tries every filter on every row and keeps the alpha channel, which costs
    ~3× the time of this for an opaque, flat-coloured chart; the file is about the same size.
    """
    height, width, _ = rgb.shape
    flat = rgb.reshape(height, width * 3)
    rows = np.empty((height, width * 3 + 1), dtype=np.uint8)
    rows[:, 0] = 2  # filter type "Up": each byte minus the one above it (mod 256)
    rows[0, 0] = 0
    rows[0, 1:] = flat[0]
    np.subtract(flat[1:], flat[:-1], out=rows[1:, 1:])
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    idat = zlib.compress(rows.data, 1)  # the contiguous buffer itself: no copy to bytes first
    return _PNG_SIGNATURE + _chunk(b"IHDR", header) + _chunk(b"IDAT", idat) + _chunk(b"IEND", b"")


def to_png(fig: Figure) -> bytes:
    """Draw the figure once and encode it (the figure is opaque white, so alpha is dropped)."""
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.draw()  # type: ignore[no-untyped-call]
    return encode_png(np.asarray(canvas.buffer_rgba())[:, :, :3])  # type: ignore[no-untyped-call]
