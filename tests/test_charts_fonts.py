"""No glyph is ever missing: CJK and emoji draw with real fonts, the rest becomes a visible '�'.

pytest's `filterwarnings = error` turns matplotlib's "Glyph … missing from font(s)" warning into a
failure; the first test proves it does, so every render in the suite is checked for missing glyphs.
"""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from charts import BarChart, LineChart, PieChart, StatCard, render
from charts.fonts import PLACEHOLDER, coverage, font, font_family, safe_text

TEXTS = ("配送の問題", "서울 상태", "东京 送货", "🚀 📦 😀 🚚", "São Paulo · Ünïcödé ≥ ≤ – …")


def _draw(text: str) -> np.ndarray:
    fig = Figure(figsize=(4, 1), dpi=100, facecolor="white")
    fig.text(0.05, 0.4, text, fontproperties=font(20), parse_math=False)
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[:, :, :3].copy()


def test_a_missing_glyph_fails_the_test_run() -> None:
    with pytest.raises(UserWarning, match="missing from font"):
        _draw("private use \ue000")  # drawn raw, without safe_text


def test_cjk_and_emoji_fonts_are_installed_and_in_the_fallback_list() -> None:
    family = font_family()
    assert family[0] == "DejaVu Sans" and len(family) == 3, f"CJK or emoji font missing: {family}"
    for text in TEXTS:
        assert all(ord(c) in coverage(False) for c in text if not c.isspace()), text
        assert safe_text(text) == text


def test_cjk_and_emoji_draw_as_glyphs_not_as_placeholders() -> None:
    for text in TEXTS[:4]:
        drawn = _draw(text)
        assert (drawn < 128).any(), f"{text!r} drew nothing"
        assert not np.array_equal(drawn, _draw(PLACEHOLDER * len(text))), text


def test_what_no_font_has_becomes_one_visible_placeholder_and_no_warning() -> None:
    text = safe_text("menu \ue000\ue001 done \U000f0000")
    assert text == f"menu {PLACEHOLDER} done {PLACEHOLDER}"
    _draw(text)  # no warning: the placeholder is DejaVu's own glyph


@pytest.mark.parametrize("title", [*TEXTS, "配送 🚀 \ue000 " * 12])
def test_charts_with_cjk_and_emoji_everywhere_render_without_warnings(title: str) -> None:
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 30, tzinfo=UTC)
    for chart in (
        LineChart(title, title, "Asia/Tokyo", [(start + timedelta(hours=i), float(i)) for i in range(5)], title),
        BarChart(title, title, "Asia/Seoul", [(start + timedelta(days=i), float(i)) for i in range(3)], "day", title),
        PieChart(title, title, slices=[(title, 3.0), ("東京", 2.0)]),
        StatCard(title, title, stats={title: 1.0}),
    ):
        assert render(chart).startswith(b"\x89PNG")
