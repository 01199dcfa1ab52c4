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
from bot.sandbox.cekura_http import BadRequest, Fault, detail, paginate
from bot.sandbox.cekura_routes import CekuraRoutes
from bot.sandbox.cekura_state import SandboxState, stamp
from bot.sandbox.server import LoopbackServer, Request, Response

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
        self._fault_lock = threading.Lock()
        created = self.now().replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=90)
        self._state = SandboxState(stamp(created), self.now)
        self._charts = ChartData(self._state, DataEngine(seed))
        self._server = LoopbackServer(self._route, latency=latency)
        self._routes = CekuraRoutes(self._state, self._charts, page=self._page, now=self.now)

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
        self._charts.set_data(widget_id, data, windowed=windowed)

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
        self._charts.clear_data()
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
        view, ids = self._routes.resolve(request)
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

    def _page(self, items: list[Any], request: Request, transform: Callable[[Any], Any]) -> Response:
        return Response.json(paginate(items, request, self.url, self.page_size, transform))
