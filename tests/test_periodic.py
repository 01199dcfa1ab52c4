"""The periodic runner keeps going when a job fails."""

from __future__ import annotations

import threading

from bot.periodic import Periodic


def test_jobs_repeat_and_a_failure_does_not_stop_them() -> None:
    runs: list[int] = []
    twice = threading.Event()

    def job() -> None:
        runs.append(1)
        if len(runs) >= 2:
            twice.set()
        raise RuntimeError("boom")

    periodic = Periodic()
    periodic.every(0.05, job, "flaky")
    periodic.start()
    try:
        assert twice.wait(5)
    finally:
        periodic.shutdown()
    assert len(runs) >= 2
