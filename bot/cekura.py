"""Cekura's dashboards API as one typed client: one httpx.Client, one `_request()`, tenacity retries.

    with CekuraClient(settings.cekura_base_url, settings.cekura_api_key) as cekura:
        dash = cekura.get_dashboard(12)

Every answer is validated into `bot.cekura_models`; every failure leaves as a `bot.errors` exception.
Every call ends by a deadline: each attempt within `timeout` seconds in total (not per read), all
attempts within the caller's deadline (`bot.deadlines`) or `deadline` seconds when none is set.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from importlib import metadata
from typing import Any, Self, TypeVar

import httpx
from pydantic import BaseModel, SecretStr
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from bot.cekura_body import BadData, parse_json, read_body
from bot.cekura_models import (
    BulkWidgetsResult,
    Dashboard,
    DashboardSummary,
    FilterJSON,
    Page,
    Widget,
    WidgetData,
)
from bot.cekura_retry import (
    _is_transient,
    _out_of_time,
    _reason,
    _rejection_detail,
    _RetryableStatus,
    _StopBefore,
    _Wait,
)
from bot.deadlines import Deadline, current, deadline_transport, earliest, use
from bot.errors import CekuraAuthError, CekuraDataError, CekuraRejected, NotFound, UpstreamError

log = logging.getLogger("bot.cekura")

M = TypeVar("M", bound=BaseModel)
Params = Mapping[str, Any] | None
Target = tuple[str, int] | None  # what a 404 means for this call, e.g. ("dashboard", 12)
# Real listings are dashboards or widgets of one org (hundreds) in pages of up to 100; bulk_data asks
# for a whole group in one page. 200 pages or 20,000 items is far past any of them, and at ~50 ms
# a page still ends in ~10 s, inside a command's deadline. Past it, `next` is a server bug.
MAX_PAGES = 200
MAX_ITEMS = 20_000


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
        self._attempt_s = timeout
        self._deadline_s = deadline
        self._on_retry = on_retry
        self._max_attempts = max_attempts
        self._wait = _Wait(max_wait)
        self._sleep = sleep

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
        return self._all_pages("GET", "/dashboards/dashboards/", DashboardSummary, params)

    def get_dashboard(self, dashboard_id: int) -> Dashboard:
        """One dashboard with its widgets."""
        url = f"/dashboards/dashboards/{dashboard_id}/"
        return self._request("GET", url, Dashboard, target=("dashboard", dashboard_id))

    def patch_dashboard(self, dashboard_id: int, changes: Mapping[str, Any]) -> Dashboard:
        """Change a dashboard's name, project or filters; returns the dashboard as saved."""
        url = f"/dashboards/dashboards/{dashboard_id}/"
        # Retried like a read: the same PATCH body sets the same state, so a repeat is harmless.
        return self._request("PATCH", url, Dashboard, body=dict(changes), target=("dashboard", dashboard_id))

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
        return self._request("POST", url, BulkWidgetsResult, body=body, target=target, idempotent=not create)

    def get_widget(self, widget_id: int) -> Widget:
        """One widget."""
        return self._request("GET", f"/dashboards/widgets/{widget_id}/", Widget, target=("widget", widget_id))

    def list_widgets(self, dashboard_id: int | None = None) -> list[Widget]:
        """Every widget (of one dashboard, when given), across all pages."""
        params = {"dashboard_id": dashboard_id} if dashboard_id is not None else None
        return self._all_pages("GET", "/dashboards/widgets/", Widget, params)

    def patch_widget(self, widget_id: int, changes: Mapping[str, Any]) -> Widget:
        """Change a widget; returns the widget as saved."""
        url = f"/dashboards/widgets/{widget_id}/"
        # Retried like a read: the same PATCH body sets the same state, so a repeat is harmless.
        return self._request("PATCH", url, Widget, body=dict(changes), target=("widget", widget_id))

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
        return self._all_pages("POST", "/dashboards/widgets/bulk_data/", WidgetData, params, body)

    def widget_data(self, widget_id: int, filters: FilterJSON | None = None) -> WidgetData:
        """Chart data for one saved widget; `filters` overrides for this request only."""
        params = {"filters": json.dumps(filters, separators=(",", ":"))} if filters is not None else None
        url = f"/dashboards/widgets/{widget_id}/data/"
        return self._request("GET", url, WidgetData, params=params, target=("widget", widget_id))

    def preview_data(self, config: Mapping[str, Any]) -> WidgetData:
        """Chart data for an unsaved widget configuration (read-only POST)."""
        return self._request("POST", "/dashboards/widgets/preview_data/", WidgetData, body=dict(config))

    def _all_pages(self, method: str, url: str, item: type[M], params: Params, body: Any = None) -> list[M]:
        """Walk the `next` links as given, re-sending the same body (bulk_data pages are POSTs)."""
        items: list[M] = []
        seen: set[str] = set()
        next_url: str | None = url
        while next_url is not None:
            if len(seen) >= MAX_PAGES or len(items) >= MAX_ITEMS:
                what = f"it kept sending more pages: over {MAX_PAGES} pages or {MAX_ITEMS:,} items"
                raise self._bad_data(method, url, what, f"after {len(seen)} pages, {len(items)} items")
            seen.add(next_url)
            page = self._request(method, next_url, Page, params=params, body=body)
            items += [self._validate(item, result, method, next_url) for result in page.results]
            params = None  # the server's `next` already carries the query
            next_url = self._same_origin(page.next)
            if next_url is not None and next_url in seen:
                raise self._give_up(method, next_url, "pagination loop")
        return items

    def _same_origin(self, url: str | None) -> str | None:
        """A `next` link moved onto our base URL's scheme and host, so the API key never travels elsewhere.

        (A proxy in front of Cekura may write its internal host or plain http into `next`.)
        """
        if url is None:
            return None
        target, base = httpx.URL(url), self._http.base_url
        return str(target.copy_with(scheme=base.scheme, host=base.host, port=base.port))

    def _request(
        self,
        method: str,
        url: str,
        model: type[M],
        *,
        params: Params = None,
        body: Any = None,
        target: Target = None,
        idempotent: bool = True,
    ) -> M:
        """The choke point: send with retries by a deadline, map failures to `bot.errors`, validate."""
        call = earliest(current(), Deadline.after(self._deadline_s))
        assert call is not None
        retrying = Retrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self._max_attempts) | _StopBefore(call, min(1.0, self._attempt_s / 4)),
            wait=self._wait,
            retry=retry_if_exception(partial(_is_transient, idempotent)),
            before_sleep=partial(self._log_retry, method, url),
            reraise=True,
        )
        try:
            response = retrying(self._send, method, url, params, body, call)
        except (_RetryableStatus, httpx.TransportError) as exc:
            reason = f"no answer within {call.budget:g} s" if _out_of_time(call, exc) else _reason(exc)
            raise self._give_up(method, url, reason) from exc
        except BadData as exc:
            raise self._bad_data(method, url, str(exc)) from exc
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            status = response.status_code
            log.info("Cekura %s %s -> HTTP %d", method, _path(url), status)
            if status in (401, 403):
                raise CekuraAuthError(status) from exc
            if status == 404 and target is not None:
                raise NotFound(*target) from exc
            if 400 <= status < 500:
                raise CekuraRejected(_rejection_detail(response)) from exc
            raise self._give_up(method, url, f"unexpected HTTP {status}") from exc
        try:
            data = parse_json(response.content)
        except BadData as exc:
            raise self._bad_data(method, url, str(exc)) from exc
        return self._validate(model, data, method, url)

    def _send(self, method: str, url: str, params: Params, body: Any, call: Deadline) -> httpx.Response:
        attempt = earliest(call, Deadline.after(self._attempt_s))
        assert attempt is not None
        with use(attempt):
            left = attempt.remaining()
            if left <= 0.0:
                raise httpx.PoolTimeout("the deadline passed before the request could start")
            request = self._http.build_request(method, url, params=params, json=body, timeout=left)
            response = read_body(self._http.send(request, stream=True), attempt)
        if response.status_code == 429 or response.status_code >= 500:
            raise _RetryableStatus(response)
        return response

    def _validate(self, model: type[M], data: Any, method: str, url: str) -> M:
        try:
            return model.model_validate(data)
        except RecursionError as exc:
            raise self._bad_data(method, url, "data nested too deeply") from exc
        except ValueError as exc:
            summary = " ".join(str(exc).split())[:500]  # the body can be large; the first errors say enough
            what = f"{model.__name__} did not have the expected shape"
            raise self._bad_data(method, url, what, f"{model.__name__}: {summary}") from exc

    def _log_retry(self, method: str, url: str, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        attempt = f"{state.attempt_number}/{self._max_attempts}"
        if self._on_retry is not None:
            self._on_retry(method, _path(url), _reason(exc))
        log.warning("Cekura %s %s: %s; attempt %s, retrying in %.2fs", method, _path(url), _reason(exc), attempt, wait)

    def _give_up(self, method: str, url: str, reason: str, details: str = "") -> UpstreamError:
        error = UpstreamError("Cekura", reason)
        more = f" ({details})" if details else ""
        log.error("Cekura %s %s failed: %s%s [reference %s]", method, _path(url), reason, more, error.reference)
        return error

    def _bad_data(self, method: str, url: str, what: str, details: str = "") -> CekuraDataError:
        error = CekuraDataError(what)
        more = f" ({details})" if details else ""
        log.error(
            "Cekura %s %s sent unreadable data: %s%s [reference %s]", method, _path(url), what, more, error.reference
        )
        return error


def _path(url: str) -> str:
    # Logs name the path only: the query can hold long filter JSON and adds nothing to a diagnosis.
    return httpx.URL(url).path
