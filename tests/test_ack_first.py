"""Slow work waits for the Slack requests in flight (bot.ack_first), but never longer than its cap."""

from __future__ import annotations

import threading

from bot.ack_first import AckFirst


def test_a_job_starts_at_once_when_no_request_is_in_flight() -> None:
    assert AckFirst(quiet_s=0.02, max_wait_s=5.0).wait_turn() < 1.0


def test_a_job_starts_only_after_the_requests_in_flight_are_answered() -> None:
    gate = AckFirst(quiet_s=0.02, max_wait_s=30.0)
    order: list[str] = []
    answering, answered = threading.Event(), threading.Event()

    def request() -> None:
        with gate.serving():
            answering.set()
            answered.wait(10)
            order.append("acked")

    def job() -> None:
        gate.wait_turn()
        order.append("job started")

    threading.Thread(target=request).start()
    assert answering.wait(10)
    worker = threading.Thread(target=job)
    worker.start()
    worker.join(0.2)
    assert order == []  # the job is still waiting for the ack
    answered.set()
    worker.join(10)
    assert order == ["acked", "job started"]


def test_steady_traffic_delays_a_job_by_at_most_its_cap() -> None:
    gate = AckFirst(quiet_s=0.02, max_wait_s=0.3)
    done = threading.Event()

    def endless_requests() -> None:
        while not done.is_set():
            with gate.serving():
                done.wait(0.05)

    traffic = threading.Thread(target=endless_requests)
    traffic.start()
    try:
        waited = gate.wait_turn()
    finally:
        done.set()
        traffic.join(10)
    assert 0.3 <= waited < 10  # it waited its cap, then went ahead
