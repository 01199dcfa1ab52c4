"""The HTTP transport of the bot's real server: methods, HEAD on kept-alive connections, size limits,
idle and slow clients. Raw sockets and http.client, so nothing smooths over what is on the wire."""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest

from bot.sandbox.harness import Harness
from bot.server import BotServer, Limits
from tests.http_helpers import command_body, post

pytestmark = pytest.mark.e2e


def connection(h: Harness) -> http.client.HTTPConnection:
    """A kept-alive HTTP/1.1 connection to the bot."""
    return http.client.HTTPConnection("127.0.0.1", h.server.port, timeout=5)


def test_head_answers_carry_no_body_on_a_kept_alive_connection(h: Harness) -> None:
    conn = connection(h)
    for path, status in (("/healthz", 200), ("/slack/events", 405), ("/nowhere", 404), ("/healthz", 200)):
        conn.request("HEAD", path)
        head = conn.getresponse()
        assert head.status == status
        assert head.read() == b""
        # The next answer on the same connection must parse: a body left on the wire would corrupt it.
        conn.request("GET", "/healthz")
        after = conn.getresponse()
        assert (after.status, after.read()) == (200, b"ok")
    conn.close()


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_other_methods_on_the_events_path_get_405(h: Harness, method: str) -> None:
    conn = connection(h)
    conn.request(method, "/slack/events", body=b"command=/cekura" if method in ("PUT", "PATCH") else None)
    answer = conn.getresponse()
    assert answer.status == 405 and answer.getheader("Allow") == "POST"
    answer.read()
    conn.request("POST", "/healthz", body=b"")
    assert conn.getresponse().status == 405
    conn.close()


def raw_exchange(h: Harness, request: bytes) -> bytes:
    """Send `request` on a fresh socket and read until the server closes or answers completely."""
    with socket.create_connection(("127.0.0.1", h.server.port), timeout=5) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        return data


def test_a_body_declared_over_a_mib_is_refused_before_it_is_read(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    head = b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    answer = raw_exchange(h, head + b"Content-Length: 10485760\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    # Just over the limit, sent in full: still refused, and nothing of it reaches the log.
    big = b"text=" + b"A" * (1024 * 1024)
    response = post(h, big, signature="v0=" + "0" * 64)
    assert response.status_code == 413
    assert max((len(r.getMessage()) for r in caplog.records), default=0) < 5000


def test_huge_headers_get_431_not_500(h: Harness) -> None:
    answer = raw_exchange(h, b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.") and b" 431 " in answer.split(b"\r\n")[0], answer[:100]


@contextmanager
def idle_clients(port: int, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections that send nothing, and one slowloris dribbling a request header forever."""
    socks = [socket.create_connection(("127.0.0.1", port), timeout=5) for _ in range(count)]
    stop = threading.Event()
    loris = socket.create_connection(("127.0.0.1", port), timeout=5)

    def dribble() -> None:
        loris.sendall(b"POST /slack/events HTTP/1.1\r\nHost: bot\r\nX-Slow: ")
        while not stop.wait(0.05):
            try:
                loris.sendall(b"a")
            except OSError:
                return

    thread = threading.Thread(target=dribble, daemon=True)
    thread.start()
    try:
        yield socks
    finally:
        stop.set()
        thread.join(5)
        for sock in [*socks, loris]:
            sock.close()


def test_healthz_and_a_signed_command_answer_while_200_idle_clients_and_a_slowloris_hang_on(h: Harness) -> None:
    with idle_clients(h.server.port, 200):
        health = httpx.get(h.server.url + "/healthz", timeout=5)
        assert (health.status_code, health.text) == (200, "ok")
        ack = post(h, command_body("help", h.slack.response_url(channel="C_GENERAL", user="U_ALICE")))
        assert ack.status_code == 200 and "dashboard" in json.loads(ack.text)["text"]


def test_an_idle_connection_is_closed_after_the_channel_timeout() -> None:
    server = BotServer(None, host="127.0.0.1", port=0, limits=Limits(channel_timeout=1, cleanup_interval=1)).start()
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            deadline = time.monotonic() + 10
            closed = False
            while not closed and time.monotonic() < deadline:
                closed = sock.recv(1) == b""  # blocks until the server closes the idle connection
            assert closed
    finally:
        server.stop()


def test_a_bolt_app_without_its_gate_is_not_served() -> None:
    from slack_bolt import App

    with pytest.raises(TypeError, match="GatedApp"):
        BotServer(App(signing_secret="s", token="xoxb-1", token_verification_enabled=False), port=0)
