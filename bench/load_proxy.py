"""One address in front of several bot replicas: a round-robin HTTP proxy on loopback, for the load test.

    with ProxyProcess(["http://127.0.0.1:3001", "http://127.0.0.1:3002"]) as proxy:
        driver = SlackDriver(proxy.url + "/slack/events", secret, slack)
        ...
        proxy.records()  # [Routed(replica index, request body, seconds the replica took), …] in order

Each request goes to the next replica in turn, as a layer-7 load balancer in front of the Deployment
would send it, over connections kept open to the replicas. It records which replica served each
request, so the client's timings can be split per replica. Hop-by-hop headers are dropped both ways;
the body is passed unchanged, so Slack's signature still verifies.

It runs in a process of its own, on one asyncio event loop, as nginx or Envoy would: the threaded
proxy it replaces accepted 200 simultaneous connections one at a time behind 200 relay threads that
all wanted the GIL, and the client read ~1.7 s of that queue as ack time the replicas never saw.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
from dataclasses import dataclass
from http import HTTPStatus
from multiprocessing.connection import Connection
from types import TracebackType

import httpx

HOP_BY_HOP = frozenset(
    ("connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host")
)
DROPPED_ANSWER_HEADERS = HOP_BY_HOP | {"content-encoding", "content-length"}  # httpx has decoded the body


@dataclass
class Routed:
    """One forwarded request: which backend served it, what was sent, and how long the backend took."""

    backend: int
    body: bytes
    seconds: float = 0.0


class _Relay:
    """The event loop's side: read each request, forward it to the next backend, write the answer."""

    def __init__(self, backends: list[str]) -> None:
        self.routed: list[Routed] = []
        self._turn = itertools.cycle(range(len(backends)))
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
        self._clients = [httpx.AsyncClient(base_url=url, timeout=30.0, limits=limits) for url in backends]

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: requests in turn, kept alive until the client closes it."""
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
                method, target, _version = request_line.split(" ", 2)
                headers = {name.strip().lower(): value.strip() for name, _, value in (h.partition(":") for h in lines)}
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                writer.write(await self._forward(method, target, headers, body))
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass  # the client closed the connection: between requests, as keep-alive clients do
        finally:
            writer.close()

    async def _forward(self, method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
        routed = Routed(next(self._turn), body)
        self.routed.append(routed)
        sent = {k: v for k, v in headers.items() if k not in HOP_BY_HOP | {"content-length"}}
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            answer = await self._clients[routed.backend].request(method, target, headers=sent, content=body)
            status, content = answer.status_code, answer.content
            kept = [(k, v) for k, v in answer.headers.items() if k.lower() not in DROPPED_ANSWER_HEADERS]
        except httpx.TransportError as exc:  # the replica is down: say so, as a load balancer does
            status, content, kept = 502, f"bad gateway: {exc!r}".encode(), [("Content-Type", "text/plain")]
        finally:
            routed.seconds = loop.time() - started
        try:
            reason = HTTPStatus(status).phrase
        except ValueError:  # a status code Python has no name for
            reason = ""
        lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in kept), f"Content-Length: {len(content)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + content

    async def close(self) -> None:
        """Close the connections to the backends."""
        for client in self._clients:
            await client.aclose()


async def _run(backends: list[str], pipe: Connection) -> None:
    relay = _Relay(backends)
    server = await asyncio.start_server(relay.serve, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    pipe.send(f"http://127.0.0.1:{port}")
    loop = asyncio.get_running_loop()
    async with server:
        while (asked := await loop.run_in_executor(None, pipe.recv)) != "stop":
            if asked == "records":
                pipe.send(list(relay.routed))
            elif asked == "clear":
                relay.routed.clear()
                pipe.send(None)
    await relay.close()


def _serve_in_child(backends: list[str], pipe: Connection) -> None:
    asyncio.run(_run(backends, pipe))


class ProxyProcess:
    """The round-robin proxy in a process of its own, driven over a pipe; see the module docstring."""

    def __init__(self, backends: list[str]) -> None:
        if not backends:
            raise ValueError("a proxy needs at least one backend")
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
