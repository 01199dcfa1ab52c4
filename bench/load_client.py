"""The load test's Slack side: every slash command sent at one instant, from a process of its own.

    acks = fire_from_own_process(url, [(body, headers), …], at=slot_epoch)   # [Ack(status, body, ms), …]

The bodies are built and signed in the bench process (the Slack sandbox mints each response_url and
trigger_id there); only the sending happens here: at `at`, one asyncio event loop opens a connection
per command, as Slack does, writes its prepared bytes in one piece and reads the answer. Each ack is
timed from the moment its connection was opened. Earlier clients cost the replicas CPU they share with
it on this 2-core machine: threads in the process of the sandboxes waited for the GIL behind ~330
chart uploads, and 200 threads with an HTTP client each took ~0.4 s of the burst to get going.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from urllib.parse import urlsplit

Prepared = tuple[bytes, dict[str, str]]  # a signed request: the body and its headers


@dataclass(frozen=True)
class Ack:
    """The bot's answer to one command, as the client saw it."""

    status: int
    body: str
    elapsed_ms: float


def request_bytes(url: str, body: bytes, headers: dict[str, str]) -> bytes:
    """The whole HTTP/1.1 POST of `body` to `url`, asking the server to close the connection after it."""
    parts = urlsplit(url)
    lines = [
        f"POST {parts.path or '/'} HTTP/1.1",
        f"Host: {parts.netloc}",
        *(f"{name}: {value}" for name, value in headers.items() if name.lower() not in ("host", "content-length")),
        f"Content-Length: {len(body)}",
        "Connection: close",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def parse_answer(raw: bytes) -> tuple[int, str]:
    """The status and body of a whole HTTP/1.1 answer, read until the server closed the connection."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _unchunk(body)
    return int(status_line.split(" ", 2)[1]), body.decode("utf-8", errors="replace")


def _unchunk(data: bytes) -> bytes:
    out = b""
    while data:
        size_line, _, rest = data.partition(b"\r\n")
        size = int(size_line.split(b";")[0], 16)
        if size == 0:
            break
        out, data = out + rest[:size], rest[size + 2 :]
    return out


async def _one(host: str, port: int, request: bytes, timeout: float) -> Ack:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            writer.write(request)
            raw = await reader.read()  # to EOF: the request asked for "Connection: close"
            writer.close()
        status, body = parse_answer(raw)
        return Ack(status, body, (time.perf_counter() - started) * 1000)
    except (OSError, TimeoutError, ValueError, IndexError) as exc:  # counted as unanswered, not lost
        return Ack(0, repr(exc), (time.perf_counter() - started) * 1000)


async def _send_all(url: str, prepared: list[Prepared], at: float, timeout: float) -> list[Ack]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    requests = [request_bytes(url, body, headers) for body, headers in prepared]
    await asyncio.sleep(max(0.0, at - time.time()))
    return list(await asyncio.gather(*(_one(host, port, r, timeout) for r in requests)))


def _child(url: str, prepared: list[Prepared], at: float, timeout: float, pipe: Connection) -> None:
    pipe.send(asyncio.run(_send_all(url, prepared, at, timeout)))


def fire_from_own_process(url: str, prepared: list[Prepared], at: float, timeout: float = 60.0) -> list[Ack]:
    """POST every prepared request to `url` at the epoch second `at`, from a new process; the acks, in order."""
    context = multiprocessing.get_context("spawn")  # the bench process has threads: no fork
    mine, theirs = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(url, prepared, at, timeout, theirs), name="load-client")
    process.start()
    theirs.close()
    try:
        acks: list[Ack] = mine.recv()  # EOFError if the client process died
    finally:
        process.join(30)
    return acks
