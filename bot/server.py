"""The HTTP front: `POST /slack/events` (commands, interactivity, events) and `GET /healthz`, on waitress.

Bolt's `App` is synchronous, so it is served by a WSGI server (waitress: production-grade, threaded,
pure Python) rather than wrapped in ASGI, where it would block the event loop.

    server = BotServer(app, port=3000).start()   # serves in a background thread
    server.ready.set()                           # /healthz answers 200 from now on
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from waitress.server import create_server

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

EVENTS_PATH = "/slack/events"


def wsgi_app(app: App | None, ready: threading.Event) -> Any:
    """A WSGI application serving Slack's requests and the health check."""
    slack = SlackRequestHandler(app, path=EVENTS_PATH) if app is not None else None

    def application(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            ok = ready.is_set()
            start_response("200 OK" if ok else "503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"ok" if ok else b"starting"]
        if slack is not None and path == EVENTS_PATH:
            return slack(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]

    return application


class BotServer:
    """Waitress serving the bot on `host:port` (port 0 picks a free one) in a daemon thread."""

    def __init__(self, app: App | None, *, host: str = "0.0.0.0", port: int = 3000, threads: int = 32) -> None:
        self.ready = threading.Event()
        self._server: Any = create_server(
            wsgi_app(app, self.ready), host=host, port=port, threads=threads, ident="cekura-bot"
        )
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

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
        """Stop serving."""
        self._server.close()
        self._thread.join(timeout=5)
