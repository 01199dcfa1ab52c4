"""Time axes that tell the truth: every bucket shown, partial ends marked, ticks that never overlap,
labels in the chart's time zone, and no line drawn across a gap in the data.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from itertools import combinations

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure

from charts import BarChart, LineChart
from charts.bar import draw_bar
from charts.buckets import fill_buckets, floor, next_start, partial_ends
from charts.line import DENSE_POINTS, break_gaps, bucket_stats, draw_line
from charts.spec import Period
from charts.timeaxis import date_nums

NOW = datetime(2026, 12, 1, 10, 27, tzinfo=UTC)
SPANS = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}


def h(day: int, hour: int, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=UTC)


def test_hours_without_calls_are_zero_for_counts_and_gaps_for_averages() -> None:
    rows = [(h(30, 2), 3.0), (h(30, 6), 1.0)]
    assert fill_buckets(rows, "hour", missing=0.0) == [
        (h(30, 2), 3.0),
        (h(30, 3), 0.0),
        (h(30, 4), 0.0),
        (h(30, 5), 0.0),
        (h(30, 6), 1.0),
    ]
    assert [v for _, v in fill_buckets(rows, "hour", missing=None)] == [3.0, None, None, None, 1.0]


def test_buckets_cover_the_whole_window_even_where_no_call_came() -> None:
    window = (NOW - timedelta(days=7), NOW)
    filled = fill_buckets([(h(27, 0), 5.0)], "day", missing=0.0, window=window)
    assert [start.day for start, _ in filled] == [24, 25, 26, 27, 28, 29, 30, 1]  # 8 days: both ends partial
    assert [v for _, v in filled] == [0, 0, 0, 5.0, 0, 0, 0, 0]
    assert partial_ends([s for s, _ in filled], "day", window) == (True, True)
    midnight = (h(24, 0), datetime(2026, 12, 1, tzinfo=UTC))
    aligned = fill_buckets([], "day", missing=0.0, window=midnight)
    assert len(aligned) == 7 and partial_ends([s for s, _ in aligned], "day", midnight) == (False, False)
    assert fill_buckets([], "day", missing=0.0) == []


@pytest.mark.parametrize(
    ("moment", "period", "start", "after"),
    [
        (h(30, 14), "hour", h(30, 14), h(30, 15)),
        (h(30, 14), "day", h(30, 0), datetime(2026, 12, 1, tzinfo=UTC)),
        (datetime(2026, 12, 3, 9, tzinfo=UTC), "week", h(30, 0), datetime(2026, 12, 7, tzinfo=UTC)),
        (
            datetime(2026, 12, 31, 23, tzinfo=UTC),
            "month",
            datetime(2026, 12, 1, tzinfo=UTC),
            datetime(2027, 1, 1, tzinfo=UTC),
        ),
    ],
)
def test_buckets_are_cut_as_cekura_cuts_them(
    moment: datetime, period: Period, start: datetime, after: datetime
) -> None:
    assert floor(moment, period) == start and next_start(start, period) == after


def test_a_24_hour_range_by_month_has_partial_bars() -> None:
    window = (datetime(2026, 11, 30, 10, 27, tzinfo=UTC), NOW)
    filled = fill_buckets([(datetime(2026, 12, 1, tzinfo=UTC), 4.0)], "month", missing=0.0, window=window)
    assert [(s.month, v) for s, v in filled] == [(11, 0.0), (12, 4.0)]
    assert partial_ends([s for s, _ in filled], "month", window) == (True, True)


def _bar(period: Period, span: str, tz: str) -> BarChart:
    window = (NOW - SPANS[span], NOW)
    rows = []
    start = floor(window[0], period)
    while start < NOW:
        rows.append((start, float(len(rows) % 7 + 1)))
        start = next_start(start, period)
    buckets = fill_buckets(rows, period, missing=0.0, window=window)
    partial = partial_ends([s for s, _ in buckets], period, window)
    return BarChart("Calls", "Last days", tz, buckets, period, "Calls", "calls", partial)


def _tick_boxes(fig: Figure) -> list[tuple[str, tuple[float, float]]]:
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    fig.canvas.draw()  # type: ignore[no-untyped-call]
    ax = fig.axes[0]
    low, high = sorted(ax.get_xlim())
    boxes = []
    for tick, label in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True):
        if low <= tick <= high and label.get_text():
            extent = label.get_window_extent(renderer)
            boxes.append((label.get_text(), (extent.x0, extent.x1)))
    return boxes


@pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata"])
@pytest.mark.parametrize("span", list(SPANS))
@pytest.mark.parametrize("period", ["hour", "day", "week", "month"])
def test_bar_tick_labels_never_overlap(period: Period, span: str, tz: str) -> None:
    fig = draw_bar(_bar(period, span, tz))
    assert fig is not None
    boxes = _tick_boxes(fig)
    assert boxes, "no labelled tick"
    for (a, (a0, a1)), (b, (b0, b1)) in combinations(boxes, 2):
        assert a1 + 4 <= b0 or b1 + 4 <= a0, f"{a!r} and {b!r} overlap"


@pytest.mark.parametrize("span", list(SPANS))
def test_line_tick_labels_never_overlap(span: str) -> None:
    count = 2000
    points = [(NOW - SPANS[span] * (1 - i / count), 1.0 + i % 5) for i in range(count)]
    fig = draw_line(LineChart("Latency", "", "Europe/Berlin", points, "Latency", "seconds"))
    assert fig is not None
    boxes = _tick_boxes(fig)
    assert len(boxes) >= 3
    for (a, (a0, a1)), (b, (b0, b1)) in combinations(boxes, 2):
        assert a1 + 4 <= b0 or b1 + 4 <= a0, f"{a!r} and {b!r} overlap"


def test_hour_ticks_read_the_chart_time_zone() -> None:
    buckets = [(h(30, 9) + timedelta(hours=i), float(i)) for i in range(6)]
    fig = draw_bar(BarChart("Calls", "", "Europe/Berlin", buckets, "hour", "Calls", "calls"))
    assert fig is not None
    labels = [text for text, _ in _tick_boxes(fig)]
    assert labels[:3] == ["10:00", "11:00", "12:00"]  # 09:00 UTC is 10:00 in Berlin


def test_a_utc_day_bucket_is_named_by_its_day_in_new_york_too() -> None:
    buckets = [(h(d, 0), 1.0) for d in (2, 3, 4)]
    fig = draw_bar(BarChart("Calls", "", "America/New_York", buckets, "day", "Calls", "calls"))
    assert fig is not None
    assert [text for text, _ in _tick_boxes(fig)] == ["Nov 2", "Nov 3", "Nov 4"]


def test_partial_bars_are_drawn_apart_and_labelled() -> None:
    chart = _bar("day", "7d", "UTC")
    fig = draw_bar(chart)
    assert fig is not None and chart.partial == (True, True)
    ax = fig.axes[0]
    hatched = [c for c in ax.collections if isinstance(c, PolyCollection) and c.get_hatch()]
    assert len(hatched) == 1 and len(hatched[0].get_paths()) == 2  # the first and the last bar
    notes = [t.get_text() for t in ax.texts]
    assert sum("partial" in n for n in notes) == 1 and sum("so far" in n for n in notes) == 1


def test_evenly_spaced_points_break_at_a_missing_step() -> None:
    x = date_nums([h(30, i) for i in (0, 1, 2, 4, 5)])
    line_x, line_y = break_gaps(x, np.arange(5.0))
    assert np.isnan(line_y).sum() == 1 and np.isnan(line_y[3])


def test_irregular_points_break_across_a_night_without_calls() -> None:
    minutes = [0, 7, 9, 21, 30, 44, 47, 60, 66, 80] + [600 + m for m in (0, 5, 13, 20, 31)]
    x = date_nums([h(30, 0) + timedelta(minutes=m) for m in minutes])
    _, line_y = break_gaps(x, np.ones(len(minutes)))
    assert np.isnan(line_y).sum() == 1 and np.isnan(line_y[10])


def test_dense_lines_show_a_median_per_bucket_with_gaps_where_no_call_was() -> None:
    rows = [(h(30, 0) + timedelta(minutes=m), float(m % 10)) for m in range(0, 24 * 60, 2) if not 300 <= m < 600]
    assert len(rows) > DENSE_POINTS
    x = date_nums([t for t, _ in rows])
    centres, median, low, high, name = bucket_stats(x, np.array([v for _, v in rows]))
    assert name == "15 min" and len(centres) == 96
    assert np.isnan(median[20:40]).all() and np.isfinite(median[:20]).all()  # 05:00–10:00 had no calls
    assert np.all(low[:20] <= median[:20]) and np.all(median[:20] <= high[:20])
    fig = draw_line(LineChart("Latency", "", "UTC", rows, "Latency", "seconds"))
    assert fig is not None
    lines = fig.axes[0].get_lines()
    faint = [ln for ln in lines if ln.get_linestyle() == "None" and (ln.get_alpha() or 1) < 0.5]
    assert len(faint[0].get_xdata()) == len(rows)  # every call shown, as dots joined by nothing
    joined = [ln for ln in lines if ln.get_linestyle() != "None"]
    assert all(np.isnan(np.asarray(ln.get_ydata(), dtype=float)).any() for ln in joined)  # broken at the gap


def test_sparse_lines_keep_missing_values_as_breaks() -> None:
    points = [(h(30, i), None if i == 3 else float(i)) for i in range(8)]
    fig = draw_line(LineChart("Duration", "", "UTC", points, "Duration", "seconds"))
    assert fig is not None
    y = np.asarray(fig.axes[0].get_lines()[0].get_ydata(), dtype=float)
    assert np.isnan(y).sum() == 1 and math.isclose(float(np.nansum(y)), 25.0)
