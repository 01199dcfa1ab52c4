"""A tiny threaded HTTP server on loopback that both sandboxes are built on.

A sandbox supplies one `route(request) -> Response` function; the server adds the port, the
thread, an optional per-request latency (to imitate a real network) and a record of requests.

    server = LoopbackServer(route, latency=0.05).start()
    server.url            # "http://127.0.0.1:54321"
    server.stop()
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    """One request as the sandbox saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes
    at: float = field(default_factory=time.monotonic)

    def json(self) -> Any:
        """The body parsed as JSON (None when empty)."""
        return json.loads(self.body) if self.body else None

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        return self.headers.get(name.lower())


@dataclass
class Response:
    """What the route answers."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds of silence before the status line (a hanging server)
    drip: float = 0.0  # seconds between body bytes, sent one at a time (a dripping server)

    @classmethod
    def json(cls, payload: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
        """A JSON response."""
        merged = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(payload).encode(), merged)


Route = Callable[[Request], Response]


class _Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of concurrent uploads (or of the load
    # test's 200 commands) overflows it and the kernel drops SYNs, adding a full 1 s retransmit to a
    # request. Real Slack has no such limit.
    request_queue_size = 1024
    daemon_threads = True


class LoopbackServer:
    """Serve `route` on 127.0.0.1 (an ephemeral port unless one is given) in a daemon thread."""

    def __init__(self, route: Route, *, latency: float = 0.0, port: int = 0) -> None:
        self.route = route
        self.latency = latency
        self._lock = threading.Lock()
        self.requests: list[Request] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes; with Nagle on, keep-alive stalls ~40 ms.
            disable_nagle_algorithm = True

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                parts = urlsplit(self.path)
                request = Request(
                    method=self.command,
                    path=parts.path,
                    query=parse_qs(parts.query),
                    headers={k.lower(): v for k, v in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                with server._lock:
                    server.requests.append(request)
                if server.latency:
                    time.sleep(server.latency)
                try:
                    response = server.route(request)
                except Exception as exc:  # a sandbox bug must show as a 500, not hang the client
                    response = Response.json({"detail": f"sandbox error: {exc!r}"}, 500)
                # A client that gave up on a slow answer has closed the connection.
                with contextlib.suppress(OSError):
                    self._send(response)

            def _send(self, response: Response) -> None:
                time.sleep(response.delay)
                self.send_response(response.status)
                for name, value in response.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(response.body)))
                self.end_headers()
                if not response.drip:
                    self.wfile.write(response.body)
                    return
                for index in range(len(response.body)):
                    self.wfile.write(response.body[index : index + 1])
                    self.wfile.flush()
                    time.sleep(response.drip)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                pass

        self._httpd = _Server(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)

    @property
    def port(self) -> int:
        """The bound port."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackServer:
        """Start serving in the background; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
