"""`render(chart)`: PNG bytes for any chart spec, dispatched by its type; `warm_up()` for fresh workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from charts.bar import render_bar
from charts.empty import render_empty
from charts.line import render_line
from charts.pie import render_pie
from charts.spec import BarChart, Chart, EmptyChart, LineChart, PieChart, StatCard
from charts.stat import render_stat


def render(chart: Chart) -> bytes:
    """PNG bytes of `chart` (about 1280 px wide); pure, thread-safe, and safe in worker processes."""
    match chart:
        case LineChart():
            return render_line(chart)
        case BarChart():
            return render_bar(chart)
        case PieChart():
            return render_pie(chart)
        case StatCard():
            return render_stat(chart)
        case EmptyChart():
            return render_empty(chart)
    raise TypeError(f"not a chart spec: {type(chart).__name__}")


def warm_up() -> None:
    """Render one chart of each kind so a fresh process has its fonts, glyph caches and imports loaded."""
    start = datetime(2026, 1, 5, tzinfo=UTC)
    stamp = "Last 7 days · warm-up ≥ 1 · 配送 🚀"  # loads the CJK and emoji fallback fonts too
    for chart in (
        LineChart(
            "Warm-up",
            stamp,
            "UTC",
            [(start + timedelta(hours=h), float(h % 5)) for h in range(48)],
            "s",
            "seconds",
        ),
        BarChart("Warm-up", stamp, "UTC", [(start + timedelta(days=d), float(d)) for d in range(7)], "day", "count"),
        PieChart("Warm-up", stamp, "UTC", [("a", 3.0), ("b", 2.0), ("c", 1.0)]),
        StatCard(
            "Warm-up",
            stamp,
            "UTC",
            {"total_calls": 1234.0, "success_rate": 92.0},
            {"success_rate": "percent"},
        ),
        EmptyChart("Warm-up", stamp),
    ):
        render(chart)
