"""A fake Cekura dashboards API on loopback, for the bot's tests, `cekura-bot demo` and benchmarks.

It answers like Cekura as documented in cekura-api.md: `X-CEKURA-API-KEY` auth, DRF pages and
errors, the 30-day timestamp rule on data requests, and chart data computed from deterministic
synthetic calls (see `cekura_calls` and the seeded dashboards in `cekura_data`).

    with CekuraSandbox(clock=lambda: fixed_now) as cekura:
        settings = Settings(cekura_base_url=cekura.url, cekura_api_key="sandbox-key")
        cekura.fail("bulk_data", 429, retry_after=0.01)    # the next bulk_data call is throttled
        ...
        assert cekura.requests("POST", "bulk_data")

One deliberate choice where the docs disagree (cekura-api.md §6.4): an override `filters` on
`bulk_data` and `…/data/` REPLACES both the dashboard's and the widget's filters.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from bot.sandbox.cekura_data import Record
from bot.sandbox.cekura_dataviews import ChartData
from bot.sandbox.cekura_eval import DataEngine
from bot.sandbox.cekura_filters import time_window
from bot.sandbox.cekura_http import (
    NOT_FOUND,
    BadRequest,
    Fault,
    detail,
    int_param,
    json_body,
    lookup,
    paginate,
)
from bot.sandbox.cekura_state import SandboxState, stamp
from bot.sandbox.server import LoopbackServer, Request, Response

View = Callable[[Request, list[int]], Response]
API_KEY_HEADER = "x-cekura-api-key"


class CekuraSandbox:
    """The fake Cekura API: seeded dashboards, synthetic calls, fault injection, recorded requests."""

    def __init__(
        self,
        *,
        api_key: str = "sandbox-key",
        latency: float = 0.0,
        clock: Callable[[], datetime] | None = None,
        page_size: int = 5,
        seed: int = 7,
    ) -> None:
        self.api_key = api_key
        self.page_size = page_size
        self.seed = seed
        self._clock = clock or (lambda: datetime.now(UTC))
        self._faults: list[Fault] = []
        self._data: dict[int, Any] = {}  # widget id → chart `data` served instead of the computed one
        self._windowed: set[int] = set()  # widgets whose served rows are cut to the request's time range
        self._fault_lock = threading.Lock()
        created = self.now().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=90)
        self._state = SandboxState(stamp(created), self.now)
        self._charts = ChartData(self._state, DataEngine(seed))
        self._server = LoopbackServer(self._route, latency=latency)
        self._routes: dict[tuple[str, ...], dict[str, View]] = {
            ("dashboards",): {"GET": self._list_dashboards},
            ("dashboards", "{id}"): {"GET": self._get_dashboard, "PATCH": self._patch_dashboard},
            ("dashboards", "{id}", "bulk_widgets"): {"POST": self._bulk_widgets},
            ("widgets",): {"GET": self._list_widgets, "POST": self._create_widget},
            ("widgets", "bulk_data"): {"POST": self._bulk_data},
            ("widgets", "preview_data"): {"POST": self._preview_data},
            ("widgets", "{id}"): {
                "GET": self._get_widget,
                "PATCH": self._patch_widget,
                "DELETE": self._delete,
            },
            ("widgets", "{id}", "data"): {"GET": self._widget_data},
        }

    # -- lifecycle and test controls ------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL without a trailing slash: the bot's CEKURA_BASE_URL."""
        return self._server.url

    @property
    def latency(self) -> float:
        """Seconds slept before answering each request."""
        return self._server.latency

    @latency.setter
    def latency(self, seconds: float) -> None:
        self._server.latency = seconds

    @property
    def dashboards(self) -> dict[int, Record]:
        """Live dashboards by id (writable fields and timestamps; no nested widgets)."""
        return self._state.dashboards

    @property
    def widgets(self) -> dict[int, Record]:
        """Live widgets by id (writable fields and timestamps)."""
        return self._state.widgets

    def start(self) -> CekuraSandbox:
        """Start serving; returns self."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.stop()

    def __enter__(self) -> CekuraSandbox:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()

    def now(self) -> datetime:
        """The sandbox clock, as an aware UTC datetime."""
        return self._clock().astimezone(UTC)

    def fail(
        self,
        path_contains: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        body: dict[str, Any] | None = None,
        method: str | None = None,
    ) -> None:
        """Answer the next `times` requests whose path contains `path_contains` with `status`."""
        with self._fault_lock:
            self._faults.append(Fault(path_contains, status, times, retry_after, body, method))

    def set_data(self, widget_id: int, data: Any, *, windowed: bool = False) -> None:
        """Serve `data` (rows, or a callable(now) returning rows) as the widget's chart data; None undoes it.

        `windowed`: only the rows whose `timestamp` / `time_interval` lies in the request's time range
        are served, as Cekura would (two windows of one widget then get different rows).
        """
        self._windowed.discard(widget_id)
        if data is None:
            self._data.pop(widget_id, None)
        else:
            self._data[widget_id] = data
            if windowed:
                self._windowed.add(widget_id)

    def _served(self, result: dict[str, Any], now: datetime, job: Any = None) -> dict[str, Any]:
        ident = int(result.get("widget_id") or 0)
        override = self._data.get(ident)
        if override is None:
            return result
        rows = override(now) if callable(override) else override
        if ident in self._windowed and job is not None:
            start, end = time_window(job[1], now)
            rows = [r for r in rows if _in_window(r.get("timestamp") or r.get("time_interval"), start, end)]
        return {**result, "data": rows}

    def slow(
        self, path_contains: str, *, hang: float = 0.0, drip: float = 0.0, times: int = 1, method: str | None = None
    ) -> None:
        """Send the real answer to the next `times` matching requests `hang` s late, a byte per `drip` s."""
        with self._fault_lock:
            self._faults.append(Fault(path_contains, 200, times, method=method, hang=hang, drip=drip))

    def misbehave(
        self,
        path_contains: str,
        *,
        raw: bytes | None = None,
        endless: dict[str, Any] | None = None,
        times: int = 1,
        method: str | None = None,
    ) -> None:
        """Answer matching requests with `raw` bytes, or with pages whose `next` never ends."""
        with self._fault_lock:
            self._faults.append(Fault(path_contains, 200, times, method=method, raw=raw, endless=endless))

    def requests(self, method: str | None = None, path_contains: str | None = None) -> list[Request]:
        """Requests received so far, optionally only one method and/or paths containing a string."""
        return [
            request
            for request in list(self._server.requests)
            if (method is None or request.method == method.upper())
            and (path_contains is None or path_contains in request.path)
        ]

    def reset(self) -> None:
        """Back to the seeded dashboards, with faults and recorded requests cleared."""
        self._state.reset()
        self._data.clear()
        self._windowed.clear()
        with self._fault_lock:
            self._faults.clear()
        self._server.requests.clear()

    # -- request handling -----------------------------------------------------------------------

    def _route(self, request: Request) -> Response:
        fault = self._take_fault(request)
        if fault is not None and not fault.passthrough:
            return fault.response(request, self.url)
        response = self._answer(request)
        return fault.slowed(response) if fault is not None else response

    def _answer(self, request: Request) -> Response:
        view, ids = self._resolve(request)
        if isinstance(view, Response):
            return view
        key = request.header(API_KEY_HEADER)
        if key is None:
            return detail(401, "Authentication credentials were not provided.")
        if key != self.api_key:
            return detail(401, "Invalid API key.")
        try:
            return view(request, ids)
        except BadRequest as exc:
            return Response.json(exc.body, exc.status)

    def _take_fault(self, request: Request) -> Fault | None:
        with self._fault_lock:
            for fault in self._faults:
                if fault.matches(request):
                    fault.times -= 1
                    if fault.times <= 0:
                        self._faults.remove(fault)
                    return fault
        return None

    def _resolve(self, request: Request) -> tuple[View | Response, list[int]]:
        parts = [part for part in request.path.split("/") if part]
        if len(parts) < 2 or parts[0] != "dashboards":
            return detail(404, NOT_FOUND), []
        ids = [int(part) for part in parts[1:] if _is_id(part)]
        shape = tuple("{id}" if _is_id(part) else part for part in parts[1:])
        methods = self._routes.get(shape)
        if methods is None:
            return detail(404, NOT_FOUND), []
        view = methods.get(request.method)
        if view is None:
            return detail(405, f'Method "{request.method}" not allowed.'), []
        return view, ids

    def _page(self, items: list[Any], request: Request, transform: Callable[[Any], Any]) -> Response:
        return Response.json(paginate(items, request, self.url, self.page_size, transform))

    # -- dashboards and widgets -----------------------------------------------------------------

    def _list_dashboards(self, request: Request, ids: list[int]) -> Response:
        project = int_param(request, "project_id")
        with self._state.lock:
            found = [
                self._state.dashboard_json(dashboard, nested=False)
                for _, dashboard in sorted(self.dashboards.items())
                if project is None or dashboard["project"] == project
            ]
        return self._page(found, request, lambda item: item)

    def _get_dashboard(self, request: Request, ids: list[int]) -> Response:
        with self._state.lock:
            return Response.json(self._state.dashboard_json(lookup(self.dashboards, ids[0])))

    def _patch_dashboard(self, request: Request, ids: list[int]) -> Response:
        return Response.json(self._state.patch_dashboard(ids[0], json_body(request)))

    def _bulk_widgets(self, request: Request, ids: list[int]) -> Response:
        lookup(self.dashboards, ids[0])
        return Response.json(self._state.bulk(ids[0], json_body(request)))

    def _list_widgets(self, request: Request, ids: list[int]) -> Response:
        dashboard = int_param(request, "dashboard_id")
        with self._state.lock:
            found = [
                widget
                for _, widget in sorted(self.widgets.items())
                if dashboard is None or widget["dashboard"] == dashboard
            ]
            return self._page(found, request, self._state.widget_json)

    def _create_widget(self, request: Request, ids: list[int]) -> Response:
        return Response.json(self._state.create_widget(json_body(request)), 201)

    def _get_widget(self, request: Request, ids: list[int]) -> Response:
        return Response.json(self._state.widget_json(lookup(self.widgets, ids[0])))

    def _patch_widget(self, request: Request, ids: list[int]) -> Response:
        return Response.json(self._state.patch_widget(ids[0], json_body(request)))

    def _delete(self, request: Request, ids: list[int]) -> Response:
        self._state.delete_widget(ids[0])
        return Response(204)

    # -- chart data -----------------------------------------------------------------------------

    def _bulk_data(self, request: Request, ids: list[int]) -> Response:
        now = self.now()
        jobs = self._charts.bulk_jobs(json_body(request), now)
        return self._page(jobs, request, lambda job: self._served(self._charts.compute(job, now), now, job))

    def _widget_data(self, request: Request, ids: list[int]) -> Response:
        now = self.now()
        job = self._charts.widget_job(ids[0], (request.query.get("filters") or [""])[0], now)
        return Response.json(self._served(self._charts.compute(job, now), now, job))

    def _preview_data(self, request: Request, ids: list[int]) -> Response:
        now = self.now()
        return Response.json(self._charts.compute(self._charts.preview_job(json_body(request), now), now))


def _is_id(part: str) -> bool:
    return part.isascii() and part.isdigit()


def _in_window(moment: Any, start: datetime | None, end: datetime | None) -> bool:
    """Whether an ISO time lies in [start, end) (an open end is no bound)."""
    if not isinstance(moment, str):
        return False
    at = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return (start is None or at >= start) and (end is None or at < end)
