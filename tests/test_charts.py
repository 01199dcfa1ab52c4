"""Chart rendering: valid, wide-enough PNGs for every spec, awkward text, time zones, threads and processes.

Pixels are not asserted on; the PNG header, size and the pure helpers (labels, folding, text fitting) are.
pytest turns warnings into errors, so a "Glyph missing" or mathtext warning fails these tests.
"""

from __future__ import annotations

import gc
import io
import math
import multiprocessing
import pickle
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import psutil
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from PIL import Image

from charts import BarChart, Chart, EmptyChart, LineChart, PieChart, StatCard, render, warm_up
from charts.bar import bucket_labels
from charts.common import ellipsize, fit_lines, font, font_family, safe_text, text_width
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


def test_safe_text_replaces_what_the_font_cannot_draw() -> None:
    assert safe_text("deploy 🚀 now") == "deploy □ now"
    assert safe_text("family 👨‍👩‍👧 emoji") == "family □ emoji"  # joiners vanish, one box per cluster
    assert safe_text("  café\t≥ 60 · naïve\n–  ") == "café ≥ 60 · naïve –"
    cjk = safe_text("配送")
    assert cjk == ("配送" if len(font_family()) > 1 else "□")


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


def test_hourly_labels_across_the_dst_change_use_local_time() -> None:
    # 2026-11-01: New York falls back from EDT (UTC-4) to EST (UTC-5) at 02:00 local.
    times = [datetime(2026, 11, 1, 3, tzinfo=UTC) + timedelta(hours=h) for h in range(6)]
    assert bucket_labels(times, "hour", "America/New_York") == [
        (0, "23:00"),  # Oct 31; its date is dropped so it cannot collide with the next one
        (1, "00:00\nNov 1"),
        (2, "01:00"),  # EDT
        (3, "01:00"),  # EST: the repeated hour
        (4, "02:00"),
        (5, "03:00"),
    ]
    buckets = [(t, float(i)) for i, t in enumerate(times)]
    assert_chart_png(render(bar_chart(buckets=buckets, period="hour", unit="")))


def test_day_labels_name_the_calendar_day_of_the_bucket() -> None:
    local_midnights = [datetime(2026, 10, 31, 4, tzinfo=UTC), datetime(2026, 11, 1, 4, tzinfo=UTC)]
    local_midnights.append(datetime(2026, 11, 2, 5, tzinfo=UTC))  # after the DST change
    expected = [(0, "Sat 31"), (1, "Sun 1\nNov"), (2, "Mon 2")]  # "Oct" dropped: two dated labels collide
    assert bucket_labels(local_midnights, "day", "America/New_York") == expected
    # Cekura buckets by UTC day: UTC midnight is the evening before in New York, but it is that UTC day.
    utc_midnights = [datetime(2026, 11, d, tzinfo=UTC) for d in (2, 3)]
    assert bucket_labels(utc_midnights, "day", "America/New_York") == [(0, "Mon 2\nNov"), (1, "Tue 3")]


def test_week_and_month_labels() -> None:
    weeks = [datetime(2026, 11, 2, tzinfo=UTC) + timedelta(weeks=w) for w in range(2)]
    assert bucket_labels(weeks, "week", "Europe/Berlin") == [(0, "Week of Nov 2"), (1, "Week of Nov 9")]
    months = [datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)]
    assert [text for _, text in bucket_labels(months, "month", "UTC")] == ["Nov 2026", "Dec 2026", "Jan 2027"]


def test_many_buckets_get_few_aligned_labels() -> None:
    times = [datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=h) for h in range(24 * 30)]
    labels = bucket_labels(times, "hour", "UTC")
    assert 5 <= len(labels) <= 14
    assert all("00:00" not in text for _, text in labels)  # daily or coarser: dates only
    days = bucket_labels(times[:48], "hour", "UTC")
    assert [text.split("\n")[0] for _, text in days[:4]] == ["00:00", "04:00", "08:00", "12:00"]
    assert_chart_png(render(bar_chart(buckets=[(t, float(i % 50)) for i, t in enumerate(times)], period="hour")))


def test_stat_labels_and_values() -> None:
    assert stat_label("total_calls") == "Total calls"
    assert stat_label("p95_latency") == "P95 latency"
    assert stat_label("metadata.region-name") == "Metadata region name"
    assert stat_value(1234, "") == "1,234"
    assert stat_value(1_234_567, "") == "1.2M"
    assert stat_value(12.5, "") == "12.5"
    assert stat_value(1234.5, "") == "1,234"  # rounds half to even, like every f-string
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
