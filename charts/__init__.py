"""Chart specs in, PNG bytes out: `render(chart)` for any spec, `warm_up()` for a fresh worker process.

    >>> from charts import PieChart, render
    >>> png = render(PieChart("Calls by end reason", "Last 7 days", slices=[("agent", 3.0), ("bot", 1.0)]))

Knows nothing of Slack or Cekura; uses matplotlib's object API only (no pyplot), so it is thread-safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from charts.spec import BarChart, Chart, Common, EmptyChart, LineChart, Period, PieChart, StatCard, Unit

if TYPE_CHECKING:
    from charts.draw import render, warm_up

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


def __getattr__(name: str) -> object:
    """`render` and `warm_up` on first use: they load matplotlib, which the bot's main process never needs."""
    if name in ("render", "warm_up"):
        from charts import draw

        return getattr(draw, name)
    raise AttributeError(f"module 'charts' has no attribute {name!r}")
