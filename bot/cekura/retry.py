"""How the Cekura client decides to retry, how long to wait, and how it words a failure.

Transient failures (connection errors, timeouts, 429, 5xx) are retried; `Retry-After` is honoured
(seconds or an HTTP date, capped); a 400's field errors are flattened into plain words.
"""

from __future__ import annotations

import email.utils
import math
from datetime import UTC, datetime
from typing import Any

import httpx
from tenacity import RetryCallState, wait_random_exponential
from tenacity.stop import stop_base

from bot.deadlines import Deadline

_DETAIL_MAX = 300  # a 400's reason is shown in Slack; a runaway body must not flood the message
# Failures that prove Cekura never saw the request: safe to retry even a create.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


class _RetryableStatus(Exception):
    """A 429/5xx answer, raised inside the retry loop so tenacity treats it like a transport error."""

    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _is_transient(idempotent: bool, exc: BaseException) -> bool:
    if isinstance(exc, httpx.UnsupportedProtocol):
        return False  # a base URL without http(s):// is a config mistake; waiting will not fix it
    if not idempotent:
        # A timeout or 5xx may arrive after the server committed: repeating a create would duplicate it.
        rate_limited = isinstance(exc, _RetryableStatus) and exc.response.status_code == 429
        return rate_limited or isinstance(exc, _NOT_SENT)
    return isinstance(exc, _RetryableStatus | httpx.TransportError)


def _retry_after(value: str | None) -> float | None:
    """Seconds a `Retry-After` header asks for (delta-seconds or HTTP-date); None if absent or unreadable."""
    if not value:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        when = when if when.tzinfo else when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
    return max(0.0, seconds) if math.isfinite(seconds) else None


class _Wait:
    """Honour the server's `Retry-After` (capped), else capped exponential backoff with full jitter."""

    def __init__(self, max_wait: float) -> None:
        self._max_wait = max_wait
        self._backoff = wait_random_exponential(multiplier=0.25, max=max_wait)

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        asked = _retry_after(exc.response.headers.get("Retry-After")) if isinstance(exc, _RetryableStatus) else None
        return min(asked, self._max_wait) if asked is not None else float(self._backoff(state))


class _StopBefore(stop_base):
    """Stop retrying when the wait plus a useful attempt (`floor` seconds) no longer fits the deadline."""

    def __init__(self, deadline: Deadline, floor: float) -> None:
        self.deadline = deadline
        self.floor = floor

    def __call__(self, retry_state: RetryCallState) -> bool:
        return self.deadline.remaining() - retry_state.upcoming_sleep < self.floor


def _out_of_time(deadline: Deadline, exc: BaseException) -> bool:
    """Whether the call failed because its deadline ran out (rather than, say, a refused connection)."""
    return isinstance(exc, httpx.TimeoutException) and deadline.remaining() < 1.0


def _reason(exc: BaseException | None) -> str:
    """A short, human reason for an UpstreamError or a retry log line."""
    if isinstance(exc, _RetryableStatus):
        status = exc.response.status_code
        return "rate limited (HTTP 429)" if status == 429 else f"HTTP {status}"
    if isinstance(exc, httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return "connection refused" if "refused" in str(exc).lower() else "could not connect"
    return "bad base URL" if isinstance(exc, httpx.UnsupportedProtocol) else "connection lost"


def _flatten(errors: Any, where: str = "") -> list[str]:
    """DRF error bodies as `field: message` lines; nested serializer paths are joined with dots."""
    if isinstance(errors, dict):
        return [line for key, value in errors.items() for line in _flatten(value, _join(where, key))]
    if not isinstance(errors, list):
        text = "" if errors is None else str(errors)
        return [f"{where}: {text}" if where else text] if text else []
    words = " ".join(str(item) for item in errors if not isinstance(item, dict | list))
    lines = [f"{where}: {words}" if where else words] if words else []
    for index, item in enumerate(errors):
        if isinstance(item, dict | list):
            lines += _flatten(item, _join(where, index))
    return lines


def _join(where: str, key: Any) -> str:
    # DRF files errors that belong to no single field under these keys; naming them would only confuse.
    if key in ("non_field_errors", "detail"):
        return where
    return f"{where}.{key}" if where else str(key)


def _rejection_detail(response: httpx.Response) -> str:
    """Cekura's reason for a 4xx: `detail` when given, else the field errors in plain words."""
    try:
        body = response.json()
    except ValueError:
        body = None
    detail = body.get("detail") if isinstance(body, dict) else None
    text = (detail if isinstance(detail, str) else "; ".join(_flatten(body))) or f"HTTP {response.status_code}"
    return text if len(text) <= _DETAIL_MAX else text[: _DETAIL_MAX - 1] + "…"
