"""One address in front of several bot replicas: a round-robin HTTP proxy on loopback, for the load test.

    with RoundRobinProxy(["http://127.0.0.1:3001", "http://127.0.0.1:3002"]) as proxy:
        driver = SlackDriver(proxy.url + "/slack/events", secret, slack)
        ...
        proxy.routed  # [Routed(replica index, request body, seconds the replica took), …] in order

Each request goes to the next replica in turn, as a layer-7 load balancer in front of the
Deployment would send it. It records which replica served each request, so the client's timings
can be split per replica. Hop-by-hop headers are dropped both ways; the body is passed unchanged,
so Slack's signature still verifies behind it.
"""

from __future__ import annotations

import contextlib
import itertools
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

import httpx

HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host")
)


@dataclass
class Routed:
    """One forwarded request: which backend served it, what was sent, and how long the backend took."""

    backend: int
    body: bytes
    seconds: float = 0.0


class _Server(ThreadingHTTPServer):
    # A burst of 200 connections at once overflows socketserver's default backlog of 5, and each
    # dropped SYN costs the client a 1 s retransmit: that would measure the kernel, not the bot.
    request_queue_size = 1024
    daemon_threads = True


class RoundRobinProxy:
    """Forwards every request to the next of `backends` (base URLs) in turn; see the module docstring."""

    def __init__(self, backends: list[str], *, timeout: float = 30.0) -> None:
        if not backends:
            raise ValueError("a proxy needs at least one backend")
        self.backends = backends
        self.routed: list[Routed] = []
        self._turn = itertools.cycle(range(len(backends)))
        self.lock = threading.Lock()
        # One pooled client per backend: the proxy keeps connections to the replicas open, as a real one does.
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
        self._clients = [httpx.Client(base_url=url, timeout=timeout, limits=limits) for url in backends]
        self._httpd = _Server(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), name="proxy", daemon=True)

    @property
    def url(self) -> str:
        """The one address clients use."""
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def per_backend(self) -> list[int]:
        """How many requests each backend was sent."""
        with self.lock:
            return [sum(1 for r in self.routed if r.backend == i) for i in range(len(self.backends))]

    def start(self) -> RoundRobinProxy:
        """Serve in a background thread; returns self."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the connections to the backends."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()
        for client in self._clients:
            client.close()

    def __enter__(self) -> RoundRobinProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _forward(self, method: str, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        with self.lock:
            routed = Routed(next(self._turn), body)
            self.routed.append(routed)
        started = time.perf_counter()
        try:
            return self._clients[routed.backend].request(method, path, headers=headers, content=body)
        finally:
            routed.seconds = time.perf_counter() - started

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms Nagle stall

            def _relay(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
                try:
                    answer = proxy._forward(self.command, self.path, headers, body)
                except httpx.TransportError as exc:  # the replica is down: say so, as a load balancer does
                    self._answer(502, [("Content-Type", "text/plain")], f"bad gateway: {exc!r}".encode())
                    return
                # httpx has decoded the body already, so its content-encoding no longer applies.
                kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}]
                self._answer(answer.status_code, kept, answer.content)

            def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes) -> None:
                with contextlib.suppress(OSError):  # the client gave up
                    self.send_response_only(status)
                    for name, value in headers:
                        if name.lower() != "content-length":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)

            do_GET = do_POST = _relay

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
                pass

        return Handler
