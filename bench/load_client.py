"""The load test's Slack side: every slash command sent at one instant, from a process of its own.

    acks = fire_from_own_process(url, [(body, headers), …], at=slot_epoch)   # [Ack(status, body, ms), …]

The bodies are built and signed in the bench process (the Slack sandbox mints each response_url and
trigger_id there); only the sending happens here, one thread and connection per command, released
together at `at`. In the process of the sandboxes, the client's threads waited for the GIL behind
~330 chart uploads, and that wait read as ack time; here a thread does nothing but send and time.
"""

from __future__ import annotations

import multiprocessing
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection

import httpx

Prepared = tuple[bytes, dict[str, str]]  # a signed request: the body and its headers


@dataclass(frozen=True)
class Ack:
    """The bot's answer to one command, as the client saw it."""

    status: int
    body: str
    elapsed_ms: float


def _send_all(url: str, prepared: list[Prepared], at: float, timeout: float) -> list[Ack]:
    acks: list[Ack | None] = [None] * len(prepared)
    go = threading.Event()

    def send(index: int) -> None:
        body, headers = prepared[index]
        with httpx.Client(timeout=timeout) as client:
            go.wait()
            started = time.perf_counter()
            try:
                response = client.post(url, content=body, headers=headers)
                acks[index] = Ack(response.status_code, response.text, (time.perf_counter() - started) * 1000)
            except httpx.TransportError as exc:  # counted as unanswered, not lost in a thread
                acks[index] = Ack(0, repr(exc), (time.perf_counter() - started) * 1000)

    threads = [threading.Thread(target=send, args=(i,), name=f"cmd-{i}") for i in range(len(prepared))]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, at - time.time()))
    go.set()
    for thread in threads:
        thread.join()
    return [ack if ack is not None else Ack(0, "not sent", 0.0) for ack in acks]


def _child(url: str, prepared: list[Prepared], at: float, timeout: float, pipe: Connection) -> None:
    pipe.send(_send_all(url, prepared, at, timeout))


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
