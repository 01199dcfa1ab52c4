"""The HTTP front: `POST /slack/events` (commands, interactivity, events), `/healthz`, `/readyz`, `/metrics`.

Bolt's `App` is synchronous, so it is served by a WSGI server (waitress: production-grade, threaded,
pure Python) rather than wrapped in ASGI, where it would block the event loop. Every request to the
events path passes the gate of `bot.slack.front` before Bolt sees it.

    server = BotServer(None, port=3000).start()  # serves /healthz at once, in a background thread
    server.serve_slack(app)                      # /slack/events from now on (503 before)
    server.ready.set()                           # started: /readyz answers 200 once its checks pass
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

from bot.lifecycle import Lifecycle
from bot.metrics import Metrics
from bot.slack.front import MAX_BODY_BYTES, GatedApp, plain

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

EVENTS_PATH = "/slack/events"


@dataclass(frozen=True)
class Limits:
    """Waitress's bounds on clients. Its defaults (100 connections, 120 s idle) let ~100 idle
    sockets lock everyone out for two minutes; idle sockets cost waitress no thread, only a file
    descriptor and a small buffer, so we allow many and drop the idle ones quickly."""

    connection_limit: int = 1000
    channel_timeout: int = 30  # seconds without a byte in either direction; Slack sends a request at once
    cleanup_interval: int = 5  # how often idle connections are looked for
    max_request_header_size: int = 32 * 1024  # Slack's headers are under 2 kB
    max_request_body_size: int = MAX_BODY_BYTES  # waitress answers 413 before buffering more


def _readyz(life: Lifecycle) -> tuple[str, list[tuple[str, str]], bytes]:
    problems = life.problems()
    if not problems:
        return "200 OK", [("Content-Type", "text/plain")], b"ready"
    return plain("503 Service Unavailable", "not ready: " + "; ".join(problems))


class _Slack:
    """The events path, installed once the Bolt app is built: the port is bound (and /healthz
    answers) before the slow part of start-up, so a taken port fails fast and probes see a live process."""

    def __init__(self, metrics: Metrics | None) -> None:
        self.metrics = metrics
        self.handler: Any = None
        self.over_socket = False  # Socket Mode: Slack's requests never come over HTTP

    def install(self, app: App) -> None:
        front = app.front if isinstance(app, GatedApp) else None
        if front is None:
            raise TypeError("serve a GatedApp with its front (bot.app.create_app builds one)")
        handler = front.wrap(SlackRequestHandler(app, path=EVENTS_PATH))
        self.handler = self.metrics.timed_acks(handler) if self.metrics is not None else handler


def wsgi_app(slack: _Slack, life: Lifecycle, metrics: Metrics | None = None) -> Any:
    """A WSGI application serving Slack's requests, the probes and (given `metrics`) /metrics."""

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        method = environ.get("REQUEST_METHOD", "")
        handler = slack.handler
        if handler is not None and path == EVENTS_PATH:
            return _without_body_for_head(method, handler(environ, start_response))
        if method not in ("GET", "HEAD") and path in ("/healthz", "/readyz", "/metrics"):
            answer = plain("405 Method Not Allowed")
        elif path == "/healthz":
            answer = ("200 OK", [("Content-Type", "text/plain")], b"ok")  # liveness: this process serves
        elif path == "/readyz":
            answer = _readyz(life)
        elif path == "/metrics" and metrics is not None:
            # Outside the Slack gate: Prometheus does not sign. It shows counts only, never ids or text.
            content_type, body = metrics.exposition()
            answer = ("200 OK", [("Content-Type", content_type)], body)
        elif path == EVENTS_PATH and slack.over_socket:
            answer = plain("404 Not Found", "this bot takes Slack's requests over Socket Mode")
        elif path == EVENTS_PATH:
            # Bound but still starting: Slack retries events; a load balancer has not sent traffic yet.
            answer = plain("503 Service Unavailable", "starting")
        else:
            answer = plain("404 Not Found")
        status, headers, body = answer
        if status.startswith("405"):
            headers = [*headers, ("Allow", "GET, HEAD")]
        # An explicit Content-Length always: without it waitress chunks the answer, and a chunked
        # answer to HEAD puts a body on the wire that the client reads as the next response.
        start_response(status, [*headers, ("Content-Length", str(len(body)))])
        return [b"" if method == "HEAD" else body]

    return application


def _without_body_for_head(method: str, body: Iterable[bytes]) -> Iterable[bytes]:
    """HEAD answers carry headers only (the events path answers it 405, with a Content-Length)."""
    return [b""] if method == "HEAD" else body


class BotServer:
    """Waitress serving the bot on `host:port` (port 0 picks a free one) in a daemon thread."""

    def __init__(
        self,
        app: App | None,
        *,
        host: str = "0.0.0.0",
        port: int = 3000,
        threads: int = 32,
        limits: Limits | None = None,
        metrics: Metrics | None = None,
        lifecycle: Lifecycle | None = None,
    ) -> None:
        self.lifecycle = lifecycle or Lifecycle()
        self._slack = _Slack(metrics)
        if app is not None:
            self._slack.install(app)
        self._server: Any = create_server(
            wsgi_app(self._slack, self.lifecycle, metrics),
            host=host,
            port=port,
            threads=threads,
            ident="cekura-bot",
            **asdict(limits or Limits()),
        )
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    @property
    def ready(self) -> threading.Event:
        """Set once start-up is done; /readyz answers 200 from then on while its checks pass."""
        return self.lifecycle.started

    def serve_slack(self, app: App) -> None:
        """Serve `app` on the events path from now on (it answered 503 "starting" until now)."""
        self._slack.install(app)

    def socket_mode(self) -> None:
        """Slack's requests come over Socket Mode: the events path answers 404 saying so."""
        self._slack.over_socket = True

    @property
    def port(self) -> int:
        """The port actually bound."""
        return int(self._server.effective_port)

    @property
    def url(self) -> str:
        """Base URL on loopback."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> BotServer:
        """Serve in the background; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: close the listening socket and every connection, then end the loop."""
        if not self._thread.is_alive():
            self._server.close()
            return
        # Inside the loop's own thread (through waitress's trigger): closing sockets from another
        # thread while the loop sits in select() on them fails it with EBADF. With every socket
        # gone, keep-alive connections included, the loop ends by itself.
        self._server.trigger.pull_trigger(self._close_all)
        self._thread.join(timeout=5)
        self._server.task_dispatcher.shutdown(cancel_pending=True, timeout=5)

    def _close_all(self) -> None:
        for dispatcher in list(self._server._map.values()):
            dispatcher.close()
