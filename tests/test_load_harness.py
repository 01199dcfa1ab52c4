"""The load test's own client and proxy (bench/load_client.py, bench/load_proxy.py), on loopback."""

from __future__ import annotations

from collections.abc import Callable

import httpx

from bench.load_client import fire_from_own_process, parse_answer, request_bytes
from bench.load_proxy import ProxyProcess, _FirstRequest
from bot.sandbox.server import LoopbackServer, Request, Response


def test_a_request_is_written_whole_and_asks_the_server_to_close() -> None:
    raw = request_bytes("http://127.0.0.1:9/slack/events", b"a=1", {"X-Slack-Signature": "v0=ab", "Host": "x"})
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.split(b"\r\n")[0] == b"POST /slack/events HTTP/1.1"
    assert b"Host: 127.0.0.1:9" in head and b"Host: x" not in head
    assert b"Content-Length: 3" in head and b"Connection: close" in head and body == b"a=1"


def test_answers_are_read_plain_and_chunked() -> None:
    assert parse_answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok") == (200, "ok")
    chunked = b"HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
    assert parse_answer(chunked) == (503, "abcde")


def test_the_first_request_is_recorded_across_reads() -> None:
    first = _FirstRequest()
    assert not first.add(b"POST / HTTP/1.1\r\nContent-Length: 5\r\n")
    assert not first.add(b"\r\nab")
    assert first.add(b"cde") and first.body == b"abcde"
    assert _FirstRequest().add(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # no body


def test_connections_go_round_robin_and_every_command_is_answered() -> None:
    def answer(name: str) -> Callable[[Request], Response]:
        return lambda request: Response(200, f"{name} answered {request.body.decode()}".encode())

    one, two = LoopbackServer(answer("one")).start(), LoopbackServer(answer("two")).start()
    try:
        with ProxyProcess([one.url, two.url]) as proxy:
            prepared = [(f"n={i}".encode(), {"Content-Type": "text/plain"}) for i in range(6)]
            acks = fire_from_own_process(proxy.url + "/slack/events", prepared, at=0.0)
            records = proxy.records()
            with httpx.Client() as client:  # a keep-alive client: its requests share one connection
                assert [client.get(proxy.url + "/x").status_code for _ in range(2)] == [200, 200]
            assert len(proxy.records()) == 7
    finally:
        one.stop()
        two.stop()
    assert [a.status for a in acks] == [200] * 6 and all(a.elapsed_ms > 0 for a in acks)
    assert sorted(a.body.split(" ")[0] for a in acks) == ["one"] * 3 + ["two"] * 3
    assert [a.body.split(" answered ")[1] for a in acks] == [f"n={i}" for i in range(6)]
    assert sorted(r.backend for r in records) == [0, 0, 0, 1, 1, 1]
    assert sorted(r.body for r in records) == [f"n={i}".encode() for i in range(6)]
    assert all(r.seconds > 0 for r in records)
    assert len(one.requests) + len(two.requests) == 8
