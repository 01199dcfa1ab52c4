"""Chart rendering: valid, wide-enough PNGs for every spec, awkward text, time zones, threads and processes.

The PNG header, size and the pure helpers (folding, text fitting) are asserted here; pixels in
test_charts_images.py. pytest turns warnings into errors, so a "Glyph missing" or mathtext warning
fails these tests.
"""

from __future__ import annotations

import gc
import io
import math
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import numpy as np
import psutil
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from PIL import Image

from charts import BarChart, Chart, EmptyChart, LineChart, PieChart, StatCard, render, warm_up
from charts.common import ellipsize, fit_lines, font, text_width
from charts.fonts import PLACEHOLDER, safe_text
from charts.pie import OTHER_LABEL, fold_slices
from charts.stat import stat_label, stat_value

START = datetime(2026, 11, 2, tzinfo=UTC)
STAMP = "Last 7 days · duration ≥ 60 and success = true"
NASTY = "Costs in $ and \\$x^2$ $\\notacommand$ — 配送 🚀👨‍👩‍👧 é ü ß\tnew\nline 😀" * 2


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG signature and IHDR chunk."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png[12:16] == b"IHDR"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def assert_chart_png(png: bytes, *, min_height: int = 300) -> None:
    """A decodable PNG at least 1200 px wide, of a sane size for Slack."""
    width, height = png_size(png)
    assert width >= 1200 and height >= min_height
    assert 5_000 < len(png) < 2_000_000
    with Image.open(io.BytesIO(png)) as image:
        image.load()  # decodes every row: a bad filter byte or checksum raises here
        assert image.size == (width, height)


def line_chart(count: int = 168, **changes: object) -> LineChart:
    points = [(START + timedelta(hours=i), None if i % 37 == 5 else 60 + 40 * math.sin(i / 9)) for i in range(count)]
    spec = LineChart("Average call duration", STAMP, "America/New_York", points, "duration", "seconds")
    return LineChart(**{**spec.__dict__, **changes})  # type: ignore[arg-type]


def bar_chart(**changes: object) -> BarChart:
    buckets = [(START + timedelta(days=d), None if d == 3 else 80.0 + 9 * d) for d in range(10)]
    spec = BarChart("Calls per day", STAMP, "America/New_York", buckets, "day", "avg of duration", "seconds")
    return BarChart(**{**spec.__dict__, **changes})  # type: ignore[arg-type]


PIE = PieChart(
    "Calls by end reason",
    STAMP,
    slices=[("customer_ended_call", 320), ("agent_ended_call", 210), ("timeout", 105), ("error", 65)],
)
STAT = StatCard(
    "Key figures",
    STAMP,
    stats={"total_calls": 1234, "success_rate": 92, "avg_duration": 125, "p95_latency": None},
    units={"success_rate": "percent", "avg_duration": "seconds"},
)
EXAMPLES: list[Chart] = [line_chart(), bar_chart(), PIE, STAT, EmptyChart("Calls by topic", STAMP)]


@pytest.mark.parametrize("chart", EXAMPLES, ids=lambda c: type(c).__name__)
def test_every_chart_type_renders_a_wide_png(chart: Chart) -> None:
    assert_chart_png(render(chart))


def test_line_with_gaps_and_thousands_of_points() -> None:
    assert_chart_png(render(line_chart(3000)))
    sparse = [(START + timedelta(minutes=i), None if i % 3 else float(i)) for i in range(600)]
    assert_chart_png(render(line_chart(points=sparse, unit="")))


def test_line_edge_cases_render() -> None:
    naive = [(datetime(2026, 1, 1) + timedelta(days=i), float(i)) for i in range(5)]
    for points in (naive, [(START, 3.0)], [(START, math.inf), (START + timedelta(hours=1), 2.0)]):
        assert_chart_png(render(line_chart(points=points)))


@pytest.mark.parametrize(
    "chart",
    [
        line_chart(points=()),
        line_chart(points=[(START, None), (START + timedelta(hours=1), math.nan)]),
        bar_chart(buckets=()),
        bar_chart(buckets=[(START, None)]),
        PieChart("Nothing", STAMP),
        PieChart("Only zeros", STAMP, slices=[("a", 0.0), ("b", -3.0), ("c", math.nan)]),
        StatCard("No figures", STAMP),
        EmptyChart("", "", message=""),
    ],
    ids=lambda c: f"{type(c).__name__}:{c.title}",
)
def test_empty_inputs_render_the_no_data_image(chart: Chart) -> None:
    assert_chart_png(render(chart))


def test_pie_folds_the_tail_into_other() -> None:
    slices = [(f"reason {i}", float(20 - i)) for i in range(12)] + [("", 1.0), ("zero", 0.0)]
    folded = fold_slices(slices)
    assert len(folded) == 8
    assert [label for label, _ in folded[:7]] == [f"reason {i}" for i in range(7)]
    assert folded[-1] == (OTHER_LABEL, sum(float(20 - i) for i in range(7, 12)) + 1.0)
    assert_chart_png(render(PieChart("Many reasons", STAMP, slices=slices)))


def test_pie_keeps_up_to_eight_slices_and_names_blank_labels() -> None:
    folded = fold_slices([(f"r{i}", 1.0 + i) for i in range(7)] + [("  ", 0.5)])
    assert len(folded) == 8 and OTHER_LABEL not in dict(folded) and folded[-1] == ("(blank)", 0.5)


@pytest.mark.parametrize(
    "chart",
    [
        line_chart(title=NASTY, stamp=NASTY, y_label=NASTY),
        bar_chart(title=NASTY, stamp=NASTY, y_label=NASTY, tz="Mars/Olympus_Mons"),
        PieChart(NASTY, NASTY, slices=[(NASTY, 3.0), ("📦", 2.0), ("$5 refund $", 1.0), ("配送", 1.0)]),
        StatCard(NASTY, NASTY, stats={NASTY: 1.0, "🚀_calls": 2.0}),
        EmptyChart(NASTY, NASTY, message=NASTY),
    ],
    ids=lambda c: type(c).__name__,
)
def test_long_unicode_emoji_and_dollar_text_renders_without_warnings(chart: Chart) -> None:
    assert_chart_png(render(chart))


def test_safe_text_keeps_cjk_and_emoji_and_marks_what_no_font_has() -> None:
    assert safe_text("deploy 🚀 now") == "deploy 🚀 now"
    assert safe_text("family 👨‍👩‍👧 emoji") == "family 👨👩👧 emoji"  # joiners vanish, each person drawn
    assert safe_text("  café\t≥ 60 · naïve\n–  ") == "café ≥ 60 · naïve –"
    assert safe_text("配送 상태 テスト") == "配送 상태 テスト"
    # A private-use character no font has: one visible placeholder, not a box and a warning.
    assert safe_text("a\ue000\ue001b") == f"a{PLACEHOLDER}b"


def test_long_titles_wrap_to_two_lines_then_ellipsize() -> None:
    renderer = FigureCanvasAgg(Figure(figsize=(12.8, 6.4), dpi=100)).get_renderer()
    prop = font(24, bold=True)
    title = " ".join(f"word{i}" for i in range(60))
    lines = fit_lines(renderer, title, prop, 1224)
    assert len(lines) == 2 and lines[-1].endswith("…") and lines[0].startswith("word0 word1")
    assert all(text_width(renderer, line, prop) <= 1224 for line in lines)
    assert fit_lines(renderer, "Short title", prop, 1224) == ["Short title"]
    assert fit_lines(renderer, "", prop, 1224) == []
    url = "https://example.com/" + "x" * 300
    assert fit_lines(renderer, url, prop, 600)[0].endswith("…")
    assert ellipsize(renderer, "abc", prop, 1) == "…"


def test_stat_labels_and_values() -> None:
    assert stat_label("total_calls") == "Total calls"
    assert stat_label("p95_latency") == "P95 latency"
    assert stat_label("metadata.region-name") == "Metadata region name"
    assert stat_value(1234, "calls") == "1.2k"  # as the key figure says it: "1.2k calls"
    assert stat_value(1_234_567, "") == "1.2M"
    assert stat_value(12.5, "") == "12.5"
    assert stat_value(950, "") == "950"
    assert stat_value(92, "percent") == "92 %"
    assert stat_value(125, "seconds") == "2m 05s"
    assert stat_value(0.85, "seconds") == "850 ms"
    assert stat_value(None, "seconds") == "–"
    many = StatCard("Twelve figures", STAMP, stats={f"figure_{i}": float(i) for i in range(15)})
    assert_chart_png(render(many))


def test_render_rejects_what_is_not_a_chart() -> None:
    with pytest.raises(TypeError):
        render("line")  # type: ignore[arg-type]


def test_threads_render_the_same_bytes_as_one_thread() -> None:
    charts = [*EXAMPLES, *EXAMPLES]
    expected = [render(chart) for chart in EXAMPLES]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(render, charts))
    assert results == [*expected, *expected]


def test_specs_pickle_and_render_in_worker_processes() -> None:
    for chart in EXAMPLES:
        assert pickle.loads(pickle.dumps(chart)) == chart
    context = multiprocessing.get_context("forkserver")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        pool.submit(warm_up).result(timeout=60)
        for png in pool.map(render, [line_chart(), PIE], timeout=60):
            assert_chart_png(png)


def test_spent_figures_do_not_pile_up_memory() -> None:
    # Dead figures are reference cycles that wait for Python's rare full collection. Simulate the
    # worst case (no collection at all): they must not each keep a 3 MB pixel buffer alive.
    process = psutil.Process()
    charts = [line_chart(), bar_chart(), PIE]
    for chart in charts:
        render(chart)
    gc.collect()
    before = process.memory_info().rss
    gc.disable()
    try:
        for index in range(20):
            render(charts[index % len(charts)])
        renderers = [o for o in gc.get_objects() if isinstance(o, RendererAgg)]
        grown = process.memory_info().rss - before
    finally:
        gc.enable()
    assert len(renderers) <= 3  # this thread's reusable ones
    assert grown < 30_000_000


def test_the_stamp_reads_at_slacks_480_px_preview() -> None:
    # Capital height of the stamp font, measured in ink, scaled to a 480 px wide preview: ≥ 9 px.
    from charts.common import STAMP_PT

    fig = Figure(figsize=(2, 1), dpi=100, facecolor="white")
    fig.text(0.1, 0.2, "H", fontproperties=font(STAMP_PT))
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    ink = (np.asarray(canvas.buffer_rgba())[:, :, 0] < 128).any(axis=1)
    cap_px = int(ink.sum())
    width, _ = png_size(render(bar_chart()))
    assert cap_px * 480 / width >= 9


@pytest.mark.parametrize("chart", EXAMPLES, ids=lambda c: type(c).__name__)
def test_charts_are_opaque_white_for_dark_mode_clients(chart: Chart) -> None:
    png = render(chart)
    assert png[25] == 2  # IHDR colour type 2: RGB, no alpha channel to show the dark theme through
    with Image.open(io.BytesIO(png)) as image:
        rgb = image.convert("RGB")
        corners = [rgb.getpixel((x, y)) for x in (0, rgb.width - 1) for y in (0, rgb.height - 1)]
    assert corners == [(255, 255, 255)] * 4
