"""Helpers of the HTTP-front tests: a listener standing in for a forged response_url, raw signed posts."""

from __future__ import annotations

import hashlib
import hmac
import http.server
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlencode

import httpx

from bot.sandbox.harness import SIGNING_SECRET, Harness

FORM = "application/x-www-form-urlencoded"


class Listener:
    """A loopback HTTP server that records every request it gets (nothing should reach it)."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                owner.hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
                return

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """Where a forged body says to respond."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/forged"

    def close(self) -> None:
        """Stop listening."""
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def listener() -> Iterator[Listener]:
    """A running Listener, closed afterwards."""
    made = Listener()
    try:
        yield made
    finally:
        made.close()


def sign(body: bytes, timestamp: str, secret: str = SIGNING_SECRET) -> str:
    """Slack's v0 signature over raw bytes (works for non-UTF-8 bodies too)."""
    base = b"v0:" + timestamp.encode("latin-1") + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def post(
    h: Harness,
    body: bytes,
    *,
    content_type: str = FORM,
    timestamp: str | None = None,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST `body` to the events path, signed for `timestamp` (now by default) unless `signature` is given."""
    stamp = str(int(time.time())) if timestamp is None else timestamp
    sent = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": signature if signature is not None else sign(body, stamp),
        **(headers or {}),
    }
    encoded = {name: value.encode("latin-1") for name, value in sent.items()}
    return httpx.post(h.server.url + "/slack/events", content=body, headers=encoded, timeout=10)


def command_body(text: str, response_url: str, *, user: str = "U_ALICE", channel: str = "C_GENERAL") -> bytes:
    """A slash-command body as Slack sends it."""
    fields = {
        "team_id": "T0SANDBOX",
        "channel_id": channel,
        "user_id": user,
        "command": "/cekura",
        "text": text,
        "response_url": response_url,
        "trigger_id": "1.2.3",
    }
    return urlencode(fields).encode()


def payload_body(payload: str) -> bytes:
    """An interactivity body: one form field `payload` holding (what should be) JSON."""
    return urlencode({"payload": payload}).encode()
