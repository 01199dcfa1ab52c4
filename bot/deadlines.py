"""Wall-clock deadlines: one per job, carried in a contextvar into every outside call the job makes.

    with deadlines.within(45):        # the whole budget of a command, retries included
        cekura.get_dashboard(12)      # each attempt gets min(attempt timeout, what is left)

httpx's timeouts bound each socket operation, not a request: a server that drips a byte every few
seconds never trips them. `deadline_transport()` builds an httpx transport whose every connect, read
and write is clamped to what is left of the current deadline, so an attempt ends when its deadline
passes, whatever the server does (slow headers included, which no check between body chunks sees).
"""

from __future__ import annotations

import contextvars
import functools
import ssl
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

import httpcore
import httpx

P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class Deadline:
    """A moment on the monotonic clock; `budget` is the seconds it was given (for messages)."""

    at: float
    budget: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """The deadline `seconds` from now."""
        return cls(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        """Seconds left (0 once passed)."""
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        """Whether the deadline has passed."""
        return self.remaining() <= 0.0


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("deadline", default=None)
_waited: contextvars.ContextVar[float] = contextvars.ContextVar("waited", default=0.0)


def current() -> Deadline | None:
    """The deadline of the work running in this context, if any."""
    return _current.get()


def earliest(*candidates: Deadline | None) -> Deadline | None:
    """The soonest of the given deadlines (None when none is given)."""
    present = [d for d in candidates if d is not None]
    return min(present, key=lambda d: d.at) if present else None


@contextmanager
def use(deadline: Deadline | None) -> Iterator[Deadline | None]:
    """Run the block under `deadline`, or under the current one if that is sooner (never later)."""
    effective = earliest(current(), deadline)
    token = _current.set(effective)
    try:
        yield effective
    finally:
        _current.reset(token)


@contextmanager
def job(deadline: Deadline) -> Iterator[None]:
    """Run a job taken off a queue under `deadline`, remembering how long it waited for its turn:
    when the deadline then runs out, the user is told the bot was busy, not that Cekura was slow."""
    token = _waited.set(deadline.budget - deadline.remaining())
    try:
        with use(deadline):
            yield
    finally:
        _waited.reset(token)


def waited() -> float:
    """Seconds the running job waited in a queue before it started (0 outside a job)."""
    return _waited.get()


def within(seconds: float) -> AbstractContextManager[Deadline | None]:
    """Run the block with at most `seconds` left (less if the current deadline is sooner)."""
    return use(Deadline.after(seconds))


def carry(fn: Callable[P, R]) -> Callable[P, R]:
    """`fn` bound to the current deadline, for handing to an executor (threads do not inherit it)."""
    deadline = current()

    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with use(deadline):
            return fn(*args, **kwargs)

    return run


def _clamp(timeout: float | None, expired: type[Exception]) -> float | None:
    deadline = current()
    if deadline is None:
        return timeout
    left = deadline.remaining()
    if left <= 0.0:
        raise expired("the deadline passed")
    return left if timeout is None else min(timeout, left)


class _Stream(httpcore.NetworkStream):
    """A socket stream whose every operation ends by the current deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, _clamp(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, _clamp(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> _Stream:
        clamped = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.start_tls(ssl_context, server_hostname, clamped))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class _Backend(httpcore.NetworkBackend):
    """httpcore's socket backend, with streams that honour the current deadline."""

    def __init__(self) -> None:
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        clamped = _clamp(timeout, httpcore.ConnectTimeout)
        return _Stream(self._inner.connect_tcp(host, port, clamped, local_address, socket_options))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """The process's one TLS client context, for Cekura (httpx) and Slack (slack_sdk) alike."""
    # Loading the CA bundle costs ~30 ms of CPU a context, and a context is safe to share. Without
    # it slack_sdk's urllib makes a new one for every Slack call (it keeps no connection open).
    return httpx.create_ssl_context()


def deadline_transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """An httpx transport whose requests end by the current deadline (see the module docstring)."""
    transport = httpx.HTTPTransport(limits=limits, verify=shared_tls())
    # httpx does not take a network backend, so its pool is rebuilt with ours; the settings are
    # the ones HTTPTransport itself would use for a direct (proxy-less) connection.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=shared_tls(),
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=_Backend(),
    )
    return transport
