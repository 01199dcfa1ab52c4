"""Cekura's dashboards API as one typed client: one httpx.Client, every endpoint the bot uses.

    with CekuraClient(settings.cekura_base_url, settings.cekura_api_key) as cekura:
        dash = cekura.get_dashboard(12)

Every answer is validated into `bot.cekura_models`; every failure leaves as a `bot.errors` exception.
Every call ends by a deadline: each attempt within `timeout` seconds in total (not per read), all
attempts within the caller's deadline (`bot.deadlines`) or `deadline` seconds when none is set.
One call is `bot.cekura.calls`; walking pages is `bot.cekura.pages`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from typing import Any, Self

import httpx
from pydantic import SecretStr

from bot.cekura.calls import Calls
from bot.cekura.pages import all_pages
from bot.cekura_models import BulkWidgetsResult, Dashboard, DashboardSummary, FilterJSON, Widget, WidgetData
from bot.deadlines import deadline_transport


def _user_agent() -> str:
    try:
        return f"cekura-bot/{metadata.version('cekura-bot')}"
    except metadata.PackageNotFoundError:
        return "cekura-bot/unknown"


class CekuraClient:
    """Usage: with CekuraClient(base_url, api_key) as cekura: dash = cekura.get_dashboard(12)"""

    def __init__(
        self,
        base_url: str,
        api_key: SecretStr | str,
        *,
        timeout: float = 15.0,
        deadline: float = 45.0,
        transport: httpx.BaseTransport | None = None,
        max_attempts: int = 5,
        max_wait: float = 8.0,
        sleep: Callable[[float], None] = time.sleep,
        max_connections: int = 32,
        event_hooks: Mapping[str, list[Callable[..., Any]]] | None = None,
        on_retry: Callable[[str, str, str], None] | None = None,
    ) -> None:
        """`timeout`: total seconds per attempt; `deadline`: per call, retries included, when the
        caller set none (a command's deadline, see bot.deadlines, wins when it is sooner)."""
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        key = api_key.get_secret_value() if isinstance(api_key, SecretStr) else api_key
        # At most `max_connections` calls at once: the rest wait for a connection, by their deadline.
        limits = httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections)
        # The key lives only in the httpx client's headers, never on self: no repr or log line can show it.
        self._http = httpx.Client(
            base_url=base_url,
            headers={"X-CEKURA-API-KEY": key, "User-Agent": _user_agent()},
            timeout=timeout,
            transport=transport or deadline_transport(limits),
            event_hooks=event_hooks,  # bot.metrics counts and times every attempt here
        )
        self._calls = Calls(
            self._http,
            attempt_s=timeout,
            deadline_s=deadline,
            max_attempts=max_attempts,
            max_wait=max_wait,
            sleep=sleep,
            on_retry=on_retry,
        )

    def __repr__(self) -> str:
        return f"CekuraClient(base_url={str(self._http.base_url)!r})"

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def list_dashboards(self, project_id: int | None = None) -> list[DashboardSummary]:
        """Every dashboard (of one project, when given), across all pages."""
        params = {"project_id": project_id} if project_id is not None else None
        return all_pages(self._calls, "GET", "/dashboards/dashboards/", DashboardSummary, params)

    def get_dashboard(self, dashboard_id: int) -> Dashboard:
        """One dashboard with its widgets."""
        url = f"/dashboards/dashboards/{dashboard_id}/"
        return self._calls.request("GET", url, Dashboard, target=("dashboard", dashboard_id))

    def patch_dashboard(self, dashboard_id: int, changes: Mapping[str, Any]) -> Dashboard:
        """Change a dashboard's name, project or filters; returns the dashboard as saved."""
        url = f"/dashboards/dashboards/{dashboard_id}/"
        # Retried like a read: the same PATCH body sets the same state, so a repeat is harmless.
        return self._calls.request("PATCH", url, Dashboard, body=dict(changes), target=("dashboard", dashboard_id))

    def bulk_widgets(
        self,
        dashboard_id: int,
        *,
        create: Sequence[Mapping[str, Any]] = (),
        update: Sequence[Mapping[str, Any]] = (),
        delete: Sequence[int] = (),
    ) -> BulkWidgetsResult:
        """Create, update and delete widgets of one dashboard in a single transaction."""
        body = {"create": [*map(dict, create)], "update": [*map(dict, update)], "delete": [*delete]}
        url = f"/dashboards/dashboards/{dashboard_id}/bulk_widgets/"
        # Updates and deletes set the same state when repeated, so 5xx/timeouts are retried. Creates are
        # not idempotent (repeating one whose answer was lost duplicates widgets), so a call with creates
        # retries only failures that prove Cekura never saw it (connect errors, 429).
        target = ("dashboard", dashboard_id)
        return self._calls.request("POST", url, BulkWidgetsResult, body=body, target=target, idempotent=not create)

    def get_widget(self, widget_id: int) -> Widget:
        """One widget."""
        return self._calls.request("GET", f"/dashboards/widgets/{widget_id}/", Widget, target=("widget", widget_id))

    def list_widgets(self, dashboard_id: int | None = None) -> list[Widget]:
        """Every widget (of one dashboard, when given), across all pages."""
        params = {"dashboard_id": dashboard_id} if dashboard_id is not None else None
        return all_pages(self._calls, "GET", "/dashboards/widgets/", Widget, params)

    def patch_widget(self, widget_id: int, changes: Mapping[str, Any]) -> Widget:
        """Change a widget; returns the widget as saved."""
        url = f"/dashboards/widgets/{widget_id}/"
        # Retried like a read: the same PATCH body sets the same state, so a repeat is harmless.
        return self._calls.request("PATCH", url, Widget, body=dict(changes), target=("widget", widget_id))

    def bulk_data(
        self, widget_ids: Sequence[int], filters: FilterJSON | None = None, *, page_size: int | None = None
    ) -> list[WidgetData]:
        """Chart data for many widgets at once (read-only POST), following every page."""
        if not widget_ids:
            return []
        body: dict[str, Any] = {"widget_ids": list(widget_ids)}
        if filters is not None:
            body["filters"] = filters
        params = {"page_size": page_size} if page_size is not None else None
        return all_pages(self._calls, "POST", "/dashboards/widgets/bulk_data/", WidgetData, params, body)

    def widget_data(self, widget_id: int, filters: FilterJSON | None = None) -> WidgetData:
        """Chart data for one saved widget; `filters` overrides for this request only."""
        params = {"filters": json.dumps(filters, separators=(",", ":"))} if filters is not None else None
        url = f"/dashboards/widgets/{widget_id}/data/"
        return self._calls.request("GET", url, WidgetData, params=params, target=("widget", widget_id))

    def preview_data(self, config: Mapping[str, Any]) -> WidgetData:
        """Chart data for an unsaved widget configuration (read-only POST)."""
        return self._calls.request("POST", "/dashboards/widgets/preview_data/", WidgetData, body=dict(config))
