"""The shared look of every chart: figure factory, safe and fitted text, title and stamp lines, PNG bytes.

Only matplotlib's object API is used (no pyplot): each render owns its Figure, so nothing is shared
between threads or left behind in a long-running worker.
"""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, fontManager, get_font

from charts.spec import Common

DPI = 100
WIDTH_IN = 12.8
HEIGHT_IN = 6.4
SHORT_HEIGHT_IN = 4.0
MARGIN_PX = 28.0

# Okabe–Ito: distinguishable with the common colour-vision deficiencies; black softened to charcoal.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442", "#4D4D4D")
ACCENT = PALETTE[0]
OTHER = "#BDBDBD"
INK = "#1F2328"
MUTED = "#6E7781"
GRID = "#E4E7EB"
SPINE = "#B8BEC5"

TITLE_PT = 24.0
STAMP_PT = 14.0
TICK_PT = 16.0
LABEL_PT = 16.0
VALUE_PT = 14.0

_PRIMARY = "DejaVu Sans"
# Fonts that can draw CJK, used as fallbacks only when installed (matplotlib falls back per glyph).
_CJK_FALLBACKS = (
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Noto Sans CJK TC",
    "Noto Sans CJK KR",
    "Source Han Sans",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
)
_MISSING_GLYPH = "□"
_ELLIPSIS = "…"
_LINE_SPACING = 1.25


@lru_cache(maxsize=1)
def font_family() -> tuple[str, ...]:
    """DejaVu Sans, then the first installed CJK font, if any."""
    installed = {entry.name for entry in fontManager.ttflist}
    return (_PRIMARY, *[name for name in _CJK_FALLBACKS if name in installed][:1])


@lru_cache(maxsize=2)
def _coverage(bold: bool) -> frozenset[int]:
    """Every code point the chart fonts can draw in this weight (read from their charmaps once)."""
    codes: set[int] = set()
    for family in font_family():
        path = findfont(FontProperties(family=family, weight="bold" if bold else "normal"))
        codes.update(get_font(path).get_charmap())
    return frozenset(codes)


def safe_text(text: str, *, bold: bool = False) -> str:
    """`text` on one line, with characters the fonts cannot draw (emoji…) shown as '□' rather than warning."""
    covered = _coverage(bold)
    out: list[str] = []
    for char in " ".join(text.split()):
        if ord(char) in covered:
            out.append(char)
        elif unicodedata.category(char) in ("Cf", "Cc", "Mn", "Me", "Sk") or char == "\ufe0f":
            continue  # joiners, variation selectors, skin tones: invisible parts of a drawn glyph
        elif not out or out[-1] != _MISSING_GLYPH:
            out.append(_MISSING_GLYPH)
    return "".join(out)


def font(size: float, *, bold: bool = False) -> FontProperties:
    """The chart font at `size` points."""
    return FontProperties(family=list(font_family()), size=size, weight="bold" if bold else "normal")


def text_width(renderer: RendererAgg, text: str, prop: FontProperties) -> float:
    """How wide `text` draws, in pixels."""
    width, _, _ = renderer.get_text_width_height_descent(text, prop, ismath=False)
    return float(width)


def ellipsize(renderer: RendererAgg, text: str, prop: FontProperties, max_px: float) -> str:
    """`text`, cut and ended with '…' if it is wider than `max_px`."""
    if text_width(renderer, text, prop) <= max_px:
        return text
    low, high = 0, len(text)  # invariant: text[:low] + "…" fits
    while low < high:
        mid = (low + high + 1) // 2
        if text_width(renderer, text[:mid].rstrip() + _ELLIPSIS, prop) <= max_px:
            low = mid
        else:
            high = mid - 1
    return text[:low].rstrip() + _ELLIPSIS


def fit_lines(
    renderer: RendererAgg, text: str, prop: FontProperties, max_px: float, max_lines: int = 2
) -> list[str]:
    """`text` wrapped at spaces into lines of at most `max_px`, the last one ellipsized if needed."""
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
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def as_utc(moment: datetime) -> datetime:
    """An aware datetime; naive ones are taken to be UTC, as Cekura's timestamps are."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


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


def _line_px(size: float) -> float:
    return size * _LINE_SPACING * DPI / 72


def new_frame(chart: Common, height_in: float = HEIGHT_IN) -> Frame:
    """A white figure with the chart's title (≤ 2 lines) at the top and its grey stamp at the bottom."""
    fig = Figure(figsize=(WIDTH_IN, height_in), dpi=DPI, facecolor="white")
    canvas = FigureCanvasAgg(fig)
    renderer = canvas.get_renderer()  # the same renderer draws later, so measuring costs nothing extra
    width_px, height_px = float(fig.bbox.width), float(fig.bbox.height)
    usable = width_px - 2 * MARGIN_PX
    x = MARGIN_PX / width_px

    title_prop = font(TITLE_PT, bold=True)
    title = fit_lines(renderer, safe_text(chart.title, bold=True), title_prop, usable)
    top_px = MARGIN_PX * 0.8
    if title:
        fig.text(x, 1 - top_px / height_px, "\n".join(title), fontproperties=title_prop, color=INK,
                 va="top", ha="left", linespacing=_LINE_SPACING, parse_math=False)  # fmt: skip
        top_px += len(title) * _line_px(TITLE_PT)

    stamp_prop = font(STAMP_PT)
    stamp = fit_lines(renderer, safe_text(chart.stamp), stamp_prop, usable)
    bottom_px = MARGIN_PX * 0.6
    if stamp:
        fig.text(x, bottom_px / height_px, "\n".join(stamp), fontproperties=stamp_prop, color=MUTED,
                 va="bottom", ha="left", linespacing=_LINE_SPACING, parse_math=False)  # fmt: skip
        bottom_px += len(stamp) * _line_px(STAMP_PT)
    return Frame(fig, renderer, 1 - top_px / height_px, bottom_px / height_px)


def style_axes(ax: Axes, *, grid: str = "y") -> None:
    """The shared axes look: light grid behind the data, no top/right spines, large grey ticks."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(SPINE)
    ax.set_axisbelow(True)
    ax.grid(True, axis=grid, color=GRID, linewidth=1.0)
    ax.tick_params(labelsize=TICK_PT, colors=MUTED, labelcolor=INK, length=5, width=1)
    for offset in (ax.xaxis.get_offset_text(), ax.yaxis.get_offset_text()):
        offset.set_fontproperties(font(LABEL_PT * 0.9))
        offset.set_color(MUTED)


def set_ylabel(ax: Axes, label: str) -> None:
    """A grey value-axis label, drawn literally (a '$' in it is not mathtext)."""
    if label:
        ax.set_ylabel(safe_text(label), fontproperties=font(LABEL_PT), color=MUTED, labelpad=10, parse_math=False)


def to_png(fig: Figure) -> bytes:
    """Draw once and encode as PNG with fast compression (charts are flat colour, so size stays small)."""
    buffer = io.BytesIO()
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    canvas.print_png(buffer, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()
