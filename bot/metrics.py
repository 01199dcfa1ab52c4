"""What the bot is doing, as Prometheus metrics: one registry per `Deps`, hooks that feed it.

    metrics = Metrics()                       # owned by Deps (never the global default registry,
    metrics.commands.labels("dashboard", "ok").inc()   # so several bots in one process do not collide)
    body = metrics.exposition()               # GET /metrics (bot.server), or mount `metrics.wsgi_app()`

Every label value is bounded: sub-commands come from the command table, Cekura paths are templated
(`/dashboards/widgets/{id}/data/`), Slack methods and error codes are checked against a pattern.
No user id, channel id or filter text ever becomes a label.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import httpx
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

P = ParamSpec("P")
R = TypeVar("R")
# Slack wants an ack within 3 s: the buckets are dense below that.
ACK_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
WORK_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
CALL_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 15.0)
_WORD = re.compile(r"^[a-z_]+$")
_SLACK_METHOD = re.compile(r"^[a-zA-Z]+(\.[a-zA-Z]+){1,3}$")
_SLACK_ERROR = re.compile(r"^[a-z_]{1,60}$")
_STARTED = "cekura_bot_started"  # request extension carrying the send time (httpx passes extensions through)


def endpoint_template(path: str) -> str:
    """A Cekura path with its ids replaced: `/dashboards/widgets/34/data/` → `/dashboards/widgets/{id}/data/`."""
    parts = ["{id}" if part and not _WORD.match(part) else part for part in path.split("/")]
    return "/".join(parts)


def slack_method(url: str) -> str:
    """The Web API method of a Slack URL (`…/api/chat.postMessage` → `chat.postMessage`), or `other`."""
    name = httpx.URL(url).path.rstrip("/").rsplit("/", 1)[-1]
    return name if _SLACK_METHOD.match(name) else "other"


class PoolGauge:
    """Busy and queued work of one pool, kept from submit/start/finish events."""

    def __init__(self, busy: Gauge, queued: Gauge, pool: str) -> None:
        self.busy = busy.labels(pool)
        self.queued = queued.labels(pool)

    def wrap(self, fn: Callable[P, R]) -> Callable[P, R]:
        """`fn`, counted as queued now and as busy while it runs."""
        self.queued.inc()

        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            self.queued.dec()
            self.busy.inc()
            try:
                return fn(*args, **kwargs)
            finally:
                self.busy.dec()

        return run


class Metrics:
    """Every metric of the bot, in its own registry."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.commands = Counter(
            "cekura_bot_commands_total",
            "Slash commands by sub-command and outcome.",
            ["subcommand", "outcome"],
            registry=r,
        )
        self.ack_seconds = Histogram(
            "cekura_bot_ack_seconds",
            "Time to ack a Slack request (HTTP events path or Socket Mode envelope).",
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.work_seconds = Histogram(
            "cekura_bot_slow_work_seconds", "Duration of slow work after the ack, by kind.", ["kind"],
            buckets=WORK_BUCKETS, registry=r,
        )  # fmt: skip
        self.cekura_requests = Counter(
            "cekura_bot_cekura_requests_total", "Cekura HTTP answers (every attempt) by endpoint and status.",
            ["method", "endpoint", "status"], registry=r,
        )  # fmt: skip
        self.cekura_seconds = Histogram(
            "cekura_bot_cekura_request_seconds", "Cekura time to answer headers, by endpoint.", ["method", "endpoint"],
            buckets=CALL_BUCKETS, registry=r,
        )  # fmt: skip
        self.cekura_retries = Counter(
            "cekura_bot_cekura_retries_total", "Cekura attempts that were retried, by endpoint and reason.",
            ["method", "endpoint", "reason"], registry=r,
        )  # fmt: skip
        self.slack_requests = Counter(
            "cekura_bot_slack_requests_total",
            "Slack Web API answers (every attempt) by method and error (`ok`, Slack's code, `ratelimited`, …).",
            ["method", "error"], registry=r,
        )  # fmt: skip
        self.render_seconds = Histogram(
            "cekura_bot_render_seconds", "Chart render time seen from the bot (queue wait included), by chart kind.",
            ["kind", "outcome"], buckets=CALL_BUCKETS, registry=r,
        )  # fmt: skip
        busy = Gauge("cekura_bot_pool_busy", "Tasks running, by pool.", ["pool"], registry=r)
        queued = Gauge("cekura_bot_pool_queued", "Tasks waiting for a worker, by pool.", ["pool"], registry=r)
        self.jobs = PoolGauge(busy, queued, "jobs")
        self.render_busy, self.render_queued = busy.labels("render"), queued.labels("render")
        self.deliveries = Counter(
            "cekura_bot_digest_deliveries_total",
            "Digest ledger events: sent, skipped, failed, late (a late slot claimed), taken_over (a dead "
            "worker's claim), retried (a failed slot claimed again).",
            ["state"], registry=r,
        )  # fmt: skip
        self.edit_transitions = Counter(
            "cekura_bot_edit_transitions_total", "Edit-request state changes.", ["from_state", "to_state"], registry=r
        )
        self._render_lock = threading.Lock()
        self._rendering = 0

    def exposition(self) -> tuple[str, bytes]:
        """The content type and body of a scrape (Prometheus text format)."""
        return CONTENT_TYPE_LATEST, generate_latest(self.registry)

    def wsgi_app(self) -> WSGIApplication:
        """`/metrics` as a WSGI app of its own, to mount on any server (Socket Mode's METRICS_PORT)."""

        def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            content_type, body = self.exposition()
            start_response("200 OK", [("Content-Type", content_type), ("Content-Length", str(len(body)))])
            return [b"" if environ.get("REQUEST_METHOD") == "HEAD" else body]

        return application

    def timed_acks(self, inner: WSGIApplication) -> WSGIApplication:
        """`inner`, with the time to each answer observed (Bolt returns once the listener acked)."""

        def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            started = time.perf_counter()
            try:
                return inner(environ, start_response)
            finally:
                self.ack_seconds.observe(time.perf_counter() - started)

        return application

    def job(self, kind: str, fn: Callable[P, R]) -> Callable[P, R]:
        """`fn` for the job pool: counted queued, then busy, and its duration observed as `kind`."""
        observed = self.work_seconds.labels(kind)

        def timed(*args: P.args, **kwargs: P.kwargs) -> R:
            with observed.time():
                return fn(*args, **kwargs)

        return self.jobs.wrap(timed)

    def rendering(self, delta: int, workers: int) -> None:
        """`delta` charts more (or fewer) in the render pool; busy is capped at the worker count."""
        with self._render_lock:
            self._rendering += delta
            inflight = self._rendering
        capacity = workers or inflight  # 0 workers: rendered in the calling thread, never queued
        self.render_busy.set(min(inflight, capacity))
        self.render_queued.set(max(0, inflight - capacity))

    # ---- Cekura: httpx event hooks and the client's retry callback ----------------------------

    def cekura_hooks(self) -> dict[str, list[Callable[..., Any]]]:
        """httpx `event_hooks` for the Cekura client: every answer counted and timed by endpoint."""

        def on_request(request: httpx.Request) -> None:
            request.extensions[_STARTED] = time.perf_counter()

        def on_response(response: httpx.Response) -> None:
            request = response.request
            endpoint = endpoint_template(request.url.path)
            self.cekura_requests.labels(request.method, endpoint, str(response.status_code)).inc()
            started = request.extensions.get(_STARTED)
            if isinstance(started, float):
                self.cekura_seconds.labels(request.method, endpoint).observe(time.perf_counter() - started)

        return {"request": [on_request], "response": [on_response]}

    def cekura_retry(self, method: str, path: str, reason: str) -> None:
        """Count one retried Cekura attempt (`reason` is the client's short wording, e.g. `HTTP 503`)."""
        self.cekura_retries.labels(method, endpoint_template(path), reason[:40]).inc()

    # ---- Slack and the ledgers -------------------------------------------------------------------

    def slack_answer(self, url: str, status: int | None, body: Any) -> None:
        """Count one Slack Web API answer (status None: no answer at all)."""
        if status is None:
            error = "connection"
        elif status == 429:
            error = "ratelimited"
        elif status >= 300:
            error = f"http_{status}" if 100 <= status < 600 else "http_other"
        elif isinstance(body, dict) and body.get("ok") is False:
            code = str(body.get("error", ""))
            error = code if _SLACK_ERROR.match(code) else "other"
        else:
            error = "ok"
        self.slack_requests.labels(slack_method(url), error).inc()

    def delivery(self, event: str) -> None:
        """Count one digest ledger event (see the metric's help for the events)."""
        self.deliveries.labels(event).inc()

    def edit_transition(self, from_state: str | None, to_state: str) -> None:
        """Count one edit-request transition (`from_state` None: the request was created)."""
        self.edit_transitions.labels(from_state or "new", to_state).inc()
