"""One address in front of several bot replicas: a round-robin TCP proxy on loopback, for the load test.

    with ProxyProcess(["http://127.0.0.1:3001", "http://127.0.0.1:3002"]) as proxy:
        driver = SlackDriver(proxy.url + "/slack/events", secret, slack)
        ...
        proxy.records()  # [Routed(replica index, request body, seconds the replica took), …] in order

Each connection goes to the next replica in turn and its bytes are relayed unchanged both ways, as a
Kubernetes Service (kube-proxy) or a TCP load balancer spreads connections over the pods: Slack opens
a connection per request, so that is a request each. A copy of the first request's head and body is
kept for the record, to tell which replica got which command, and it is timed from its last byte
sent to the replica until the replica's first byte back.

It runs in a process of its own, on one asyncio event loop, and parses nothing it forwards. The two
proxies before it cost the replicas the CPU they share with it on this 2-core machine: a threaded one
queued 200 connections behind 200 relay threads all wanting its GIL; an HTTP one (httpx on asyncio)
took ~0.5 s of the burst to open its 200 connections, then wrote each request's head and body apart.
"""

from __future__ import annotations

import asyncio
import itertools
import multiprocessing
import re
from dataclasses import dataclass
from multiprocessing.connection import Connection
from types import TracebackType
from urllib.parse import urlsplit

CHUNK = 64 * 1024
_LENGTH = re.compile(rb"\r\ncontent-length:\s*(\d+)", re.IGNORECASE)


@dataclass
class Routed:
    """One relayed connection: which backend served it, its first request's body, and how long the
    backend took to start answering it."""

    backend: int
    body: bytes = b""
    seconds: float = 0.0


class _FirstRequest:
    """The first request of a connection, as its bytes pass: complete once its head and body are in."""

    def __init__(self) -> None:
        self.seen = b""
        self.body: bytes | None = None

    def add(self, data: bytes) -> bool:
        """Take the next bytes the client sent; True once the first request is complete."""
        if self.body is not None:
            return True
        self.seen += data
        head, found, rest = self.seen.partition(b"\r\n\r\n")
        if not found:
            return False
        length = _LENGTH.search(head + b"\r\n")
        wanted = int(length.group(1)) if length else 0
        if len(rest) < wanted:
            return False
        self.body = rest[:wanted]
        return True


class _Relay:
    """The event loop's side: pair each client connection with a new one to the next backend."""

    def __init__(self, backends: list[tuple[str, int]]) -> None:
        self.backends = backends
        self.routed: list[Routed] = []
        self._turn = itertools.cycle(range(len(backends)))

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection, relayed to the next backend until either side closes."""
        routed = Routed(next(self._turn))
        self.routed.append(routed)
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.backends[routed.backend])
        except OSError:  # the replica is down: the client sees its connection closed, as behind a Service
            writer.close()
            return
        first = _FirstRequest()
        loop = asyncio.get_running_loop()
        sent_at: float | None = None  # when the first request's last byte went to the backend

        async def upstream() -> None:
            nonlocal sent_at
            while data := await reader.read(CHUNK):
                up_writer.write(data)
                await up_writer.drain()
                if sent_at is None and first.add(data):
                    routed.body, sent_at = first.body or b"", loop.time()
            up_writer.write_eof()

        async def downstream() -> None:
            while data := await up_reader.read(CHUNK):
                if sent_at is not None and not routed.seconds:
                    routed.seconds = loop.time() - sent_at
                writer.write(data)
                await writer.drain()
            writer.close()

        try:
            await asyncio.gather(upstream(), downstream())
        except (ConnectionError, OSError):
            pass  # either side closed early: the other is closed below
        finally:
            writer.close()
            up_writer.close()


async def _run(backends: list[str], pipe: Connection) -> None:
    addresses = [(urlsplit(url).hostname or "127.0.0.1", urlsplit(url).port or 80) for url in backends]
    relay = _Relay(addresses)
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
        """Every connection relayed so far (since the last `clear`), in order."""
        self._pipe.send("records")
        records: list[Routed] = self._pipe.recv()
        return records

    def clear(self) -> None:
        """Forget the connections relayed so far (a warm-up's)."""
        self._pipe.send("clear")
        self._pipe.recv()

    def per_backend(self) -> list[int]:
        """How many connections each backend was sent."""
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
