"""Chart specs in, PNG bytes out: `render(chart)` for any spec, `warm_up()` for a fresh worker process.

    >>> from charts import PieChart, render
    >>> png = render(PieChart("Calls by end reason", "Last 7 days", slices=[("agent", 3.0), ("bot", 1.0)]))

Knows nothing of Slack or Cekura; uses matplotlib's object API only (no pyplot), so it is thread-safe.
"""

from __future__ import annotations

from charts.render import render, warm_up
from charts.spec import BarChart, Chart, Common, EmptyChart, LineChart, Period, PieChart, StatCard, Unit

__all__ = [
    "BarChart",
    "Chart",
    "Common",
    "EmptyChart",
    "LineChart",
    "Period",
    "PieChart",
    "StatCard",
    "Unit",
    "render",
    "warm_up",
]
