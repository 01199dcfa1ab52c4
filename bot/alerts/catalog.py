"""Widget look-ups for alerts, cached, and a failure's words as users may read them.

    catalog = WidgetCatalog(deps.cekura, deps.clock)
    widget, dashboard_filters = catalog.get(32)     # NotFound when the widget is gone

Widget definitions change rarely, so they are cached for ten minutes; a 404 drops the entry.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.cekura import CekuraClient
from bot.cekura_models import FilterJSON, Widget


class WidgetCatalog:
    """Widget definitions and their dashboard's filters, cached for `ttl` (they change rarely)."""

    def __init__(
        self, cekura: CekuraClient, clock: Callable[[], datetime], ttl: timedelta = timedelta(minutes=10)
    ) -> None:
        self.cekura, self.clock, self.ttl = cekura, clock, ttl
        self._cache: dict[int, tuple[datetime, Widget, FilterJSON | None]] = {}
        self._lock = threading.Lock()

    def get(self, widget_id: int) -> tuple[Widget, FilterJSON | None]:
        """The widget and its dashboard's filters (NotFound when it is gone)."""
        now = self.clock()
        with self._lock:
            cached = self._cache.get(widget_id)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1], cached[2]
        widget = self.cekura.get_widget(widget_id)
        dashboard = self.cekura.get_dashboard(widget.dashboard).filters if widget.dashboard is not None else None
        with self._lock:
            self._cache[widget_id] = (now, widget, dashboard)
        return widget, dashboard

    def forget(self, widget_id: int) -> None:
        """Drop a cached widget (after a 404, so a restored widget is seen again)."""
        with self._lock:
            self._cache.pop(widget_id, None)
