"""One Cekura call, the client's choke point: send with retries by a deadline, map failures to
`bot.errors`, validate the answer into a `bot.cekura_models` model.

    calls = Calls(http, attempt_s=15, deadline_s=45, max_attempts=5, max_wait=8, sleep=time.sleep)
    dash = calls.request("GET", "/dashboards/dashboards/12/", Dashboard, target=("dashboard", 12))

Each attempt ends within `attempt_s` seconds in total (not per read), all attempts within the
caller's deadline (`bot.deadlines`) or `deadline_s` seconds when none is set.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from bot.cekura.body import BadData, parse_json, read_body
from bot.cekura.retry import (
    _is_transient,
    _out_of_time,
    _reason,
    _rejection_detail,
    _RetryableStatus,
    _StopBefore,
    _Wait,
)
from bot.deadlines import Deadline, current, earliest, use, waited
from bot.errors import BusyError, CekuraAuthError, CekuraDataError, CekuraRejected, NotFound, UpstreamError

log = logging.getLogger("bot.cekura")

M = TypeVar("M", bound=BaseModel)
Params = Mapping[str, Any] | None
Target = tuple[str, int] | None  # what a 404 means for this call, e.g. ("dashboard", 12)


class Calls:
    """Sends requests on one httpx client with the client's retry and deadline policy."""

    def __init__(
        self,
        http: httpx.Client,
        *,
        attempt_s: float,
        deadline_s: float,
        max_attempts: int,
        max_wait: float,
        sleep: Callable[[float], None],
        on_retry: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self._http = http
        self._attempt_s = attempt_s
        self._deadline_s = deadline_s
        self._on_retry = on_retry
        self._max_attempts = max_attempts
        self._wait = _Wait(max_wait)
        self._sleep = sleep

    @property
    def base_url(self) -> httpx.URL:
        """Where the calls go: the client's base URL."""
        return self._http.base_url

    def request(
        self,
        method: str,
        url: str,
        model: type[M],
        *,
        params: Params = None,
        body: Any = None,
        target: Target = None,
        idempotent: bool = True,
    ) -> M:
        """The choke point: send with retries by a deadline, map failures to `bot.errors`, validate."""
        call = earliest(current(), Deadline.after(self._deadline_s))
        assert call is not None
        retrying = Retrying(
            sleep=self._sleep,
            stop=stop_after_attempt(self._max_attempts) | _StopBefore(call, min(1.0, self._attempt_s / 4)),
            wait=self._wait,
            retry=retry_if_exception(partial(_is_transient, idempotent)),
            before_sleep=partial(self._log_retry, method, url),
            reraise=True,
        )
        try:
            response = retrying(self._send, method, url, params, body, call)
        except (_RetryableStatus, httpx.TransportError) as exc:
            if _out_of_time(call, exc) and waited() > call.budget / 3:
                raise self.busy(method, url, call) from exc
            reason = f"no answer within {call.budget:g} s" if _out_of_time(call, exc) else _reason(exc)
            raise self.give_up(method, url, reason) from exc
        except BadData as exc:
            raise self.bad_data(method, url, str(exc)) from exc
        try:
            response.raise_for_status()
        except httpx.HTTPStatusError as exc:
            status = response.status_code
            log.info("Cekura %s %s -> HTTP %d", method, path(url), status)
            if status in (401, 403):
                raise CekuraAuthError(status) from exc
            if status == 404 and target is not None:
                raise NotFound(*target) from exc
            if 400 <= status < 500:
                raise CekuraRejected(_rejection_detail(response)) from exc
            raise self.give_up(method, url, f"unexpected HTTP {status}") from exc
        try:
            data = parse_json(response.content)
        except BadData as exc:
            raise self.bad_data(method, url, str(exc)) from exc
        return self.validate(model, data, method, url)

    def _send(self, method: str, url: str, params: Params, body: Any, call: Deadline) -> httpx.Response:
        attempt = earliest(call, Deadline.after(self._attempt_s))
        assert attempt is not None
        with use(attempt):
            left = attempt.remaining()
            if left <= 0.0:
                raise httpx.PoolTimeout("the deadline passed before the request could start")
            request = self._http.build_request(method, url, params=params, json=body, timeout=left)
            response = read_body(self._http.send(request, stream=True), attempt)
        if response.status_code == 429 or response.status_code >= 500:
            raise _RetryableStatus(response)
        return response

    def validate(self, model: type[M], data: Any, method: str, url: str) -> M:
        """`data` as a `model`, or a CekuraDataError (logged with a reference) when it has another shape."""
        try:
            return model.model_validate(data)
        except RecursionError as exc:
            raise self.bad_data(method, url, "data nested too deeply") from exc
        except ValueError as exc:
            summary = " ".join(str(exc).split())[:500]  # the body can be large; the first errors say enough
            what = f"{model.__name__} did not have the expected shape"
            raise self.bad_data(method, url, what, f"{model.__name__}: {summary}") from exc

    def _log_retry(self, method: str, url: str, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        attempt = f"{state.attempt_number}/{self._max_attempts}"
        if self._on_retry is not None:
            self._on_retry(method, path(url), _reason(exc))
        log.warning("Cekura %s %s: %s; attempt %s, retrying in %.2fs", method, path(url), _reason(exc), attempt, wait)

    def give_up(self, method: str, url: str, reason: str, details: str = "") -> UpstreamError:
        """The error for a call Cekura did not answer usefully, logged with its reference."""
        error = UpstreamError("Cekura", reason)
        more = f" ({details})" if details else ""
        log.error("Cekura %s %s failed: %s%s [reference %s]", method, path(url), reason, more, error.reference)
        return error

    def busy(self, method: str, url: str, call: Deadline) -> BusyError:
        """The error for a call cut off because its job spent most of the deadline queued."""
        error = BusyError(waited(), call.budget)
        log.error(
            "Cekura %s %s: out of time after %.1f s queued for a worker (of %g s) [reference %s]",
            method, path(url), waited(), call.budget, error.reference,
        )  # fmt: skip
        return error

    def bad_data(self, method: str, url: str, what: str, details: str = "") -> CekuraDataError:
        """The error for an answer the bot cannot use, logged with its reference."""
        error = CekuraDataError(what)
        more = f" ({details})" if details else ""
        log.error(
            "Cekura %s %s sent unreadable data: %s%s [reference %s]", method, path(url), what, more, error.reference
        )
        return error


def path(url: str) -> str:
    """The URL's path, as logs name it."""
    # Only the path: the query can hold long filter JSON and adds nothing to a diagnosis.
    return httpx.URL(url).path
