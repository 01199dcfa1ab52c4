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
    """Render one chart so a fresh process has its fonts, glyph caches and imports loaded."""
    # One line chart is enough: it loads what every kind shares (the fonts with the CJK and emoji
    # fallbacks, text layout, dates, the Agg canvas, the PNG writer). Measured: after it, a bar, pie,
    # stat or empty chart draws as fast as its second time, so drawing each kind would only delay the
    # start (by ~0.3 s, on the path to /readyz).
    start = datetime(2026, 1, 5, tzinfo=UTC)
    stamp = "Last 7 days · warm-up ≥ 1 · 配送 🚀"
    points = [(start + timedelta(hours=h), float(h % 5)) for h in range(48)]
    render(LineChart("Warm-up", stamp, "UTC", points, "s", "seconds"))
