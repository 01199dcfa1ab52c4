"""Which fonts draw the charts, and text made safe to draw with them: no glyph is ever missing.

DejaVu Sans draws Latin, Greek, Cyrillic and most symbols; Noto Sans CJK (apt `fonts-noto-cjk`)
draws Chinese, Japanese and Korean; Symbola (apt `fonts-symbola`) draws emoji in outline. Agg cannot
draw colour bitmap fonts (Noto Color Emoji), so a monochrome emoji font is the one that works.
matplotlib falls back through the family list glyph by glyph. A character none of them has is
replaced by a visible '�' before drawing, because matplotlib would otherwise draw a box and warn.
"""

from __future__ import annotations

import logging
import unicodedata
from functools import lru_cache
from pathlib import Path

from matplotlib.font_manager import FontProperties, findfont, findSystemFonts, fontManager, get_font

BASE_FAMILY = "DejaVu Sans"
# Fallbacks in order of preference, each with the file names it ships as (to register it when
# matplotlib's font cache predates its installation).
FALLBACKS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Noto Sans CJK JP", ("NotoSansCJK-Regular.ttc", "NotoSansCJK-Bold.ttc")),
    ("Source Han Sans", ("SourceHanSans-Regular.ttc",)),
    ("WenQuanYi Zen Hei", ("wqy-zenhei.ttc",)),
    ("Symbola", ("Symbola_hint.ttf", "Symbola.ttf")),
    ("Noto Emoji", ("NotoEmoji-Regular.ttf",)),
)
# The emoji font has no bold face; matplotlib logs that it uses the regular one, which is what we want.
logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
PLACEHOLDER = "\ufffd"  # '�': says "a character was here" where a box would look like a rendering bug


def _register_missing() -> None:
    """Add installed fallback fonts that matplotlib's cached font list does not know yet."""
    known = {entry.name for entry in fontManager.ttflist}
    wanted = {file: name for name, files in FALLBACKS if name not in known for file in files}
    if not wanted:
        return
    for path in findSystemFonts():  # asks fontconfig once: a few tens of ms, only when a font is new
        if Path(path).name in wanted:
            try:
                fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):
                continue  # an unreadable font file: the others still help


@lru_cache(maxsize=1)
def font_family() -> tuple[str, ...]:
    """DejaVu Sans, then one installed CJK font and one emoji font, in fallback order."""
    _register_missing()
    installed = {entry.name for entry in fontManager.ttflist}
    cjk = [name for name, _ in FALLBACKS[:3] if name in installed][:1]
    emoji = [name for name, _ in FALLBACKS[3:] if name in installed][:1]
    return (BASE_FAMILY, *cjk, *emoji)


@lru_cache(maxsize=2)
def coverage(bold: bool) -> frozenset[int]:
    """Every code point the chart fonts can draw in this weight (read from their charmaps once)."""
    codes: set[int] = set()
    for family in font_family():
        path = findfont(FontProperties(family=family, weight="bold" if bold else "normal"), fallback_to_default=False)
        codes.update(get_font(path).get_charmap())
    return frozenset(codes)


def safe_text(text: str, *, bold: bool = False) -> str:
    """`text` on one line, each character no chart font can draw replaced by one visible '�'."""
    covered = coverage(bold)
    out: list[str] = []
    for char in " ".join(text.split()):
        category = unicodedata.category(char)
        if category in ("Cf", "Cc") or "\ufe00" <= char <= "\ufe0f":
            continue  # joiners, direction marks, variation selectors: they glue an emoji, never draw
        if ord(char) in covered:
            out.append(char)
        elif category in ("Mn", "Me", "Sk"):
            continue  # an undrawable accent or skin tone on a glyph already replaced
        elif not out or out[-1] != PLACEHOLDER:
            out.append(PLACEHOLDER)
    return "".join(out)


def font(size: float, *, bold: bool = False) -> FontProperties:
    """The chart font at `size` points (with its fallbacks)."""
    return FontProperties(family=list(font_family()), size=size, weight="bold" if bold else "normal")
