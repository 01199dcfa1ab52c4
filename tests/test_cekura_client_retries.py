"""CekuraClient's retries on httpx.MockTransport: which failures are retried, how long it waits
(Retry-After, capped jittered backoff), what it says when it gives up, and writes that must not repeat."""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from bot.deadlines import Deadline, job
from bot.errors import BusyError, UpstreamError
from tests.test_cekura_client import WIDGET, make, recording


@pytest.mark.parametrize(
    ("call", "method"),
    [(lambda c: c.get_widget(5), "GET"), (lambda c: c.patch_widget(5, {"name": "x"}), "PATCH")],
)
def test_503_then_success_retries_once(call, method, caplog):
    handler, seen = recording([httpx.Response(503), httpx.Response(200, json=WIDGET)])
    cekura, sleeps = make(handler, max_wait=2.0)
    with caplog.at_level(logging.WARNING, logger="bot.cekura"):
        assert call(cekura).id == 5
    assert len(seen) == 2 and len(sleeps) == 1 and 0 <= sleeps[0] <= 2.0
    assert seen[0].content == seen[1].content
    (record,) = caplog.records
    assert record.levelno == logging.WARNING
    assert f"{method} /dashboards/widgets/5/" in record.getMessage() and "HTTP 503" in record.getMessage()


def test_one_client_serves_many_threads_each_with_its_own_retries():
    failed_once: set[str] = set()
    lock = threading.Lock()

    def handler(request: httpx.Request) -> httpx.Response:
        with lock:  # every widget's first request fails, whichever thread sends it
            first = request.url.path not in failed_once
            failed_once.add(request.url.path)
        widget_id = int(request.url.path.split("/")[-2])
        return httpx.Response(503) if first else httpx.Response(200, json={**WIDGET, "id": widget_id})

    cekura, sleeps = make(handler, max_connections=4)
    with ThreadPoolExecutor(max_workers=8) as pool:
        widgets = list(pool.map(cekura.get_widget, range(1, 25)))
    assert [w.id for w in widgets] == list(range(1, 25)) and len(sleeps) == 24


def test_backoff_is_capped_jittered_and_exhausts_to_upstream_error(caplog):
    handler, seen = recording([httpx.Response(502)])
    cekura, sleeps = make(handler, max_attempts=4, max_wait=0.5)
    with caplog.at_level(logging.WARNING, logger="bot.cekura"), pytest.raises(UpstreamError) as caught:
        cekura.list_widgets()
    assert len(seen) == 4 and len(sleeps) == 3 and all(0 <= s <= 0.5 for s in sleeps)
    assert caught.value.reason == "HTTP 502" and caught.value.service == "Cekura"
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and caught.value.reference in errors[0].getMessage()
    assert [r.levelno for r in caplog.records].count(logging.WARNING) == 3


def test_429_honours_retry_after_seconds_and_caps_it():
    limited = [
        httpx.Response(429, headers={"Retry-After": "3"}),
        httpx.Response(429, headers={"Retry-After": "120"}),
    ]
    handler, seen = recording([*limited, httpx.Response(200, json=WIDGET)])
    cekura, sleeps = make(handler, max_wait=8.0)
    assert cekura.get_widget(5).id == 5
    assert sleeps == [3.0, 8.0]


def test_429_honours_retry_after_http_date():
    when = email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=6), usegmt=True)
    handler, _ = recording([httpx.Response(429, headers={"Retry-After": when}), httpx.Response(200, json=WIDGET)])
    cekura, sleeps = make(handler)
    cekura.get_widget(5)
    assert len(sleeps) == 1 and 4 <= sleeps[0] <= 6


def test_429_exhausted_says_rate_limited():
    handler, seen = recording([httpx.Response(429, headers={"Retry-After": "1"})])
    cekura, sleeps = make(handler, max_attempts=3)
    with pytest.raises(UpstreamError) as caught:
        cekura.get_dashboard(12)
    assert caught.value.reason == "rate limited (HTTP 429)" and sleeps == [1.0, 1.0] and len(seen) == 3


@pytest.mark.parametrize(
    ("failure", "reason"),
    [
        (httpx.ReadTimeout("read timed out"), "timed out"),
        (httpx.ConnectTimeout("connect timed out"), "timed out"),
        (httpx.ConnectError("[Errno 111] Connection refused"), "connection refused"),
        (httpx.ConnectError("[Errno -2] Name or service not known"), "could not connect"),
        (httpx.RemoteProtocolError("Server disconnected"), "connection lost"),
    ],
)
def test_transport_failures_exhaust_to_upstream_error_with_reference(failure, reason, caplog):
    handler, seen = recording([failure])
    cekura, sleeps = make(handler, max_attempts=3)
    with caplog.at_level(logging.WARNING, logger="bot.cekura"), pytest.raises(UpstreamError) as caught:
        cekura.get_widget(5)
    assert caught.value.reason == reason and caught.value.__cause__ is failure
    assert len(seen) == 3 and len(sleeps) == 2
    assert caught.value.reference and caught.value.reference in str(caught.value)
    assert caught.value.reference in caplog.records[-1].getMessage()


def test_bulk_widgets_with_creates_retries_only_failures_cekura_never_saw():
    handler, seen = recording([httpx.ReadTimeout("lost answer"), httpx.Response(200, json={"created": []})])
    with pytest.raises(UpstreamError):
        make(handler)[0].bulk_widgets(12, create=[{"chart_type": "bar"}])
    assert len(seen) == 1  # a repeat could have duplicated the widget
    handler, seen = recording([httpx.ConnectError("refused"), httpx.Response(200, json={"created": []})])
    assert make(handler)[0].bulk_widgets(12, create=[{"chart_type": "bar"}]).created == []
    handler, seen = recording([httpx.ReadTimeout("lost answer"), httpx.Response(200, json={"updated": []})])
    assert make(handler)[0].bulk_widgets(12, update=[{"id": 5, "name": "x"}]).updated == []
    assert len(seen) == 2


def test_a_job_that_spent_its_deadline_queued_says_the_bot_was_busy_not_cekura(caplog):
    client, _ = make(recording([httpx.ReadTimeout("slow")])[0])
    # Submitted 44.5 s ago at the ack, it only now got a worker: half a second is left for Cekura.
    with job(Deadline(time.monotonic() + 0.5, 45.0)), pytest.raises(BusyError) as caught:
        client.get_widget(5)
    words = str(caught.value)
    assert words.startswith("cekura-bot is very busy right now: your request waited 44 s of its 45 s")
    assert "Cekura is not answering" not in words and caught.value.reference in words
    assert isinstance(caught.value, UpstreamError)  # answered like any other outage, with its reference
    assert caught.value.reference in caplog.text and "queued for a worker" in caplog.text


def test_a_job_that_started_at_once_and_timed_out_blames_cekura():
    client, _ = make(recording([httpx.ReadTimeout("slow")])[0])
    with job(Deadline(time.monotonic() + 0.5, 0.6)), pytest.raises(UpstreamError) as caught:
        client.get_widget(5)
    assert not isinstance(caught.value, BusyError)
    assert "Cekura is not answering right now (no answer within 0.6 s)" in str(caught.value)
