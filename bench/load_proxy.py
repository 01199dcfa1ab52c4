"""One address in front of several bot replicas: a round-robin HTTP proxy on loopback, for the load test.

    with RoundRobinProxy(["http://127.0.0.1:3001", "http://127.0.0.1:3002"]) as proxy:
        driver = SlackDriver(proxy.url + "/slack/events", secret, slack)
        ...
        proxy.records()  # [Routed(replica index, request body, seconds the replica took), …] in order

    with ProxyProcess([...]) as proxy:  # the same, in a process of its own
        ...

It is a route on the sandboxes' own loopback server (bot.sandbox.server). Each request goes to the
next replica in turn, as a layer-7 load balancer in front of the Deployment would send it. It records
which replica served each request, so the client's timings can be split per replica. Hop-by-hop
headers are dropped both ways; the body is passed unchanged, so Slack's signature still verifies.
The load test runs it in a process of its own (`ProxyProcess`): in the process of the sandboxes and
the load generator it waited for their GIL, and the client's ack times were mostly that wait.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from urllib.parse import urlencode

import httpx

from bot.sandbox.server import LoopbackServer, Request, Response

HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host")
)


@dataclass
class Routed:
    """One forwarded request: which backend served it, what was sent, and how long the backend took."""

    backend: int
    body: bytes
    seconds: float = 0.0


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
        self._server = LoopbackServer(self._relay)

    @property
    def url(self) -> str:
        """The one address clients use."""
        return self._server.url

    def per_backend(self) -> list[int]:
        """How many requests each backend was sent."""
        with self.lock:
            return [sum(1 for r in self.routed if r.backend == i) for i in range(len(self.backends))]

    def records(self) -> list[Routed]:
        """Every request forwarded so far (since the last `clear`), in order."""
        with self.lock:
            return list(self.routed)

    def clear(self) -> None:
        """Forget the requests forwarded so far (a warm-up's)."""
        with self.lock:
            self.routed.clear()

    def start(self) -> RoundRobinProxy:
        """Serve in a background thread; returns self."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the connections to the backends."""
        self._server.stop()
        for client in self._clients:
            client.close()

    def __enter__(self) -> RoundRobinProxy:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def _relay(self, request: Request) -> Response:
        with self.lock:
            routed = Routed(next(self._turn), request.body)
            self.routed.append(routed)
        path = request.path + (f"?{urlencode(request.query, doseq=True)}" if request.query else "")
        headers = {k: v for k, v in request.headers.items() if k not in HOP_BY_HOP | {"content-length"}}
        started = time.perf_counter()
        try:
            answer = self._clients[routed.backend].request(request.method, path, headers=headers, content=request.body)
        except httpx.TransportError as exc:  # the replica is down: say so, as a load balancer does
            return Response(502, f"bad gateway: {exc!r}".encode(), {"Content-Type": "text/plain"})
        finally:
            routed.seconds = time.perf_counter() - started
        # httpx has decoded the body already, so its content-encoding no longer applies.
        dropped = HOP_BY_HOP | {"content-encoding", "content-length"}
        return Response(
            answer.status_code, answer.content, {k: v for k, v in answer.headers.items() if k.lower() not in dropped}
        )


def _serve_in_child(backends: list[str], pipe: Connection) -> None:
    with RoundRobinProxy(backends) as proxy:
        pipe.send(proxy.url)
        while (asked := pipe.recv()) != "stop":
            if asked == "records":
                pipe.send(proxy.records())
            elif asked == "clear":
                proxy.clear()
                pipe.send(None)


class ProxyProcess:
    """A `RoundRobinProxy` in a process of its own (its own GIL), driven over a pipe; same methods."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        context = multiprocessing.get_context("spawn")  # the bench process has threads: no fork
        self._pipe, child = context.Pipe()
        self._process = context.Process(target=_serve_in_child, args=(backends, child), name="load-proxy", daemon=True)
        self.url = ""

    def start(self) -> ProxyProcess:
        """Start the process and wait until it serves; returns self."""
        self._process.start()
        if not self._pipe.poll(60):
            raise RuntimeError("the proxy process did not start within 60 s")
        self.url = self._pipe.recv()
        return self

    def records(self) -> list[Routed]:
        """Every request forwarded so far (since the last `clear`), in order."""
        self._pipe.send("records")
        records: list[Routed] = self._pipe.recv()
        return records

    def clear(self) -> None:
        """Forget the requests forwarded so far (a warm-up's)."""
        self._pipe.send("clear")
        self._pipe.recv()

    def per_backend(self) -> list[int]:
        """How many requests each backend was sent."""
        records = self.records()
        return [sum(1 for r in records if r.backend == i) for i in range(len(self.backends))]

    def stop(self) -> None:
        """Stop the proxy and wait for its process."""
        if self._process.is_alive():
            self._pipe.send("stop")
            self._process.join(10)
        if self._process.is_alive():
            self._process.kill()

    def __enter__(self) -> ProxyProcess:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()
