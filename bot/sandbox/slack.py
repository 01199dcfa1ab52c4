"""A fake Slack on loopback: the Web API, the upload-v2 endpoint and response_urls, over real HTTP.

Point a real `slack_sdk.WebClient` (or the bot, via SLACK_API_URL) at it and assert on what
Slack would have shown:

    with SlackSandbox() as slack:
        client = WebClient(token="xoxb-sandbox", base_url=slack.api_url)
        client.chat_postMessage(channel="C_GENERAL", text="hi")
        assert slack.messages[-1].text == "hi"
        slack.fail("chat.postMessage", retry_after=0)   # next call answers 429 + Retry-After

Seeded: users U_ALICE (Europe/Berlin), U_BOB (America/New_York), U_CAROL (Asia/Kolkata), the bot
`bot_user_id`; channels C_GENERAL and C_APPROVALS (bot member), C_PUBLIC (public, bot not a member),
G_PRIVATE (private, bot not a member), C_ARCHIVED (archived); user groups S_APPROVERS (@approvers) =
[U_CAROL] and S_ONCALL (@oncall) = [U_BOB, U_CAROL].
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs

from bot.sandbox.server import LoopbackServer, Request, Response
from bot.sandbox.slack_apps import APP_METHODS
from bot.sandbox.slack_blocks import block_errors, size_error
from bot.sandbox.slack_chat import CHAT_METHODS, Handler
from bot.sandbox.slack_files import FILE_METHODS, upload
from bot.sandbox.slack_records import (
    Channel,
    Ephemeral,
    Message,
    RecordedCall,
    ResponsePost,
    UploadedFile,
    User,
    ViewRecord,
)
from bot.sandbox.slack_state import Params, SlackError, SlackState
from bot.sandbox.slack_views import VIEW_METHODS, issue_trigger

__all__ = [
    "Channel",
    "Ephemeral",
    "Message",
    "RecordedCall",
    "ResponsePost",
    "SlackError",
    "SlackSandbox",
    "UploadedFile",
    "User",
    "ViewRecord",
]

METHODS: dict[str, Handler] = {**CHAT_METHODS, **FILE_METHODS, **VIEW_METHODS, **APP_METHODS}


@dataclass
class _Fault:
    """A planned failure of the next `remaining` calls of `method`."""

    method: str
    error: str
    status: int
    retry_after: int | None
    remaining: int


def _text(status: int, body: str) -> Response:
    """A plain-text answer, as files.slack.com and response_url endpoints give."""
    return Response(status, body.encode(), {"Content-Type": "text/plain; charset=utf-8"})


def _params(request: Request) -> dict[str, Any]:
    """Arguments from the query string and a JSON or form-encoded body (last value wins)."""
    params: dict[str, Any] = {k: v[-1] for k, v in request.query.items()}
    content_type = (request.header("content-type") or "").lower()
    if not request.body:
        return params
    if content_type.startswith("application/json"):
        try:
            body = json.loads(request.body)
        except ValueError:
            raise SlackError("invalid_json") from None
        if not isinstance(body, dict):
            raise SlackError("json_not_object")
        params.update(body)
    else:
        form = parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)
        params.update({k: v[-1] for k, v in form.items()})
    return params


class SlackSandbox(SlackState):
    """A stateful fake Slack workspace served on 127.0.0.1 (see the module docstring)."""

    def __init__(
        self,
        *,
        bot_token: str = "xoxb-sandbox",
        latency: float = 0.0,
        team_id: str = "T0SANDBOX",
        bot_user_id: str = "UBOT",
    ) -> None:
        super().__init__(bot_token=bot_token, team_id=team_id, bot_user_id=bot_user_id)
        self._faults: list[_Fault] = []
        self._gates: dict[str, threading.Barrier] = {}
        self._server = LoopbackServer(self._route, latency=latency)
        self.url = self._server.url

    @property
    def api_url(self) -> str:
        """The Web API base for `WebClient(base_url=...)` and the bot's SLACK_API_URL."""
        return f"{self.url}/api/"

    @property
    def latency(self) -> float:
        """Seconds every request waits before being answered."""
        return self._server.latency

    @latency.setter
    def latency(self, value: float) -> None:
        self._server.latency = value

    def start(self) -> SlackSandbox:
        """Start serving; returns self."""
        self._server.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.stop()

    def __enter__(self) -> SlackSandbox:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()

    def calls(self, method: str | None = None) -> list[RecordedCall]:
        """Every Web API call so far (or those of one method), oldest first."""
        with self.lock:
            return [c for c in self.recorded if method is None or c.method == method]

    def fail(
        self,
        method: str,
        *,
        error: str = "ratelimited",
        status: int = 429,
        retry_after: int | None = 1,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` (or "upload" for the byte POST) fail this way."""
        with self.lock:
            self._faults.append(_Fault(method, error, status, retry_after, times))

    def response_url(self, *, channel: str | None = None, user: str | None = None) -> str:
        """A fresh response_url (5 uses within 30 min); channel/user are only noted on its posts."""
        token = secrets.token_urlsafe(12)
        with self.lock:
            self.hooks[token] = (time.monotonic(), 0, channel, user)
        return f"{self.url}/response/{token}"

    def issue_trigger(self, user: str) -> str:
        """A fresh trigger_id for `user` (valid `trigger_ttl` s, single use), as the driver hands out."""
        with self.lock:
            return issue_trigger(self, user)

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Poll `predicate` until it is true; AssertionError after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            with self.lock:
                if predicate():
                    return
            if time.monotonic() >= deadline:
                raise AssertionError(f"condition not met within {timeout} s")
            time.sleep(0.01)

    def reset(self) -> None:
        """Back to the seeded workspace: records, files, views, triggers and faults cleared."""
        with self.lock:
            self._seed()
            self._faults.clear()
            self._gates.clear()

    def gate(self, method: str, parties: int, timeout: float = 10.0) -> None:
        """Hold each call of `method` until `parties` of them are in flight together (proves concurrency).

        When they do not all arrive within `timeout`, every waiting call is answered `gate_timeout`.
        """
        self._gates[method] = threading.Barrier(parties, timeout=timeout)

    def _pass_gate(self, path: str) -> bool:
        """Wait at the gate of this Web API method, if any; False when it broke (too few arrived)."""
        kind, _, method = path.lstrip("/").partition("/")
        barrier = self._gates.get(method) if kind == "api" else None
        if barrier is None:
            return True
        try:
            barrier.wait()  # outside the lock: the other calls must be able to arrive
        except threading.BrokenBarrierError:
            return False
        return True

    def _take_fault(self, method: str) -> _Fault | None:
        """Consume one planned failure of `method`, if any."""
        for fault in self._faults:
            if fault.method == method and fault.remaining > 0:
                fault.remaining -= 1
                return fault
        return None

    def _route(self, request: Request) -> Response:
        """Dispatch by path: /api/<method>, /upload/<file_id>, /response/<token>."""
        kind, _, rest = request.path.lstrip("/").partition("/")
        if not self._pass_gate(request.path):
            with self.lock:
                self.recorded.append(RecordedCall(rest, {}, error="gate_timeout", status=500))
            return Response.json({"ok": False, "error": "gate_timeout"}, 500)
        with self.lock:
            if kind == "api" and rest:
                return self._api(rest, request)
            if kind == "upload" and request.method == "POST":
                fault = self._take_fault("upload")
                return _text(fault.status, fault.error) if fault else upload(self, rest, request)
            if kind == "response" and request.method == "POST":
                return self._respond(rest, request)
        return _text(404, "not found")

    def _authorize(self, method: str, request: Request, params: dict[str, Any]) -> None:
        """Bearer header or `token` argument, as Slack accepts either; the app-level token opens sockets only."""
        header = request.header("authorization") or ""
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else params.get("token")
        if not token:
            raise SlackError("not_authed")
        if token != (self.app_token if method in APP_METHODS else self.bot_token):
            raise SlackError("not_allowed_token_type" if token in (self.bot_token, self.app_token) else "invalid_auth")

    def _api(self, method: str, request: Request) -> Response:
        """One Web API call: record, authorize, inject faults, run the handler."""
        call = RecordedCall(method, {})
        self.recorded.append(call)
        try:
            params = _params(request)
            call.params = {k: v for k, v in params.items() if k != "token"}
            self._authorize(method, request, params)
            fault = self._take_fault(method)
            if fault is not None:
                call.error, call.status = fault.error, fault.status
                retry = {} if fault.retry_after is None else {"Retry-After": str(fault.retry_after)}
                return Response.json({"ok": False, "error": fault.error}, fault.status, retry)
            handler = METHODS.get(method)
            if handler is None:
                raise SlackError("unknown_method")
            body = handler(self, Params(params))
        except SlackError as err:
            call.error, call.status = err.code, err.status
            return Response.json(err.payload(), err.status)
        return Response.json({"ok": True, **body})

    def _respond(self, token: str, request: Request) -> Response:
        """POST to a response_url: Slack's 5-uses-in-30-minutes rule, Block Kit limits, then record."""
        hook = self.hooks.get(token)
        if hook is None:
            return _text(404, "no_service")
        issued, uses, channel, user = hook
        if time.monotonic() - issued > self.response_url_ttl:
            return _text(404, "expired_url")
        if uses >= self.response_url_uses:
            return _text(404, "used_url")
        try:
            payload = json.loads(request.body)
        except ValueError:
            return _text(400, "invalid_payload")
        if not isinstance(payload, dict):
            return _text(400, "invalid_payload")
        blocks = payload.get("blocks")
        if blocks is not None and block_errors(blocks):
            return _text(400, "invalid_blocks")
        too_big = size_error(payload.get("text"), blocks)
        if too_big:
            return _text(400, too_big)
        if not (payload.get("text") or blocks or payload.get("delete_original")):
            return _text(400, "no_text")
        self.hooks[token] = (issued, uses + 1, channel, user)
        url = f"{self.url}/response/{token}"
        self.responses.append(ResponsePost(payload, url=url, channel=channel, user=user))
        return _text(200, "ok")
