"""When alerts are evaluated: one APScheduler job a minute per process, running `Evaluator.tick`.

    scheduler = AlertScheduler(evaluator, clock)
    scheduler.start()      # evaluates at once (restart catch-up: the latest slot only), then every minute
    scheduler.shutdown()

Every alert's `every` is a multiple of a minute, so a one-minute sweep sees every slot; the ledger
makes several processes evaluate each slot once. Tests call `tick(now)` with a hand-moved clock.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.alerts.evaluate import Evaluator, TickResult

log = logging.getLogger(__name__)
JOB_ID = "alert-sweep"


class AlertScheduler:
    """Runs the evaluator every `seconds` in this process."""

    def __init__(self, evaluator: Evaluator, clock: Callable[[], datetime], *, seconds: float = 60.0) -> None:
        self.evaluator, self.clock, self.seconds = evaluator, clock, seconds
        self._lock = threading.Lock()
        self._apscheduler: BackgroundScheduler | None = None

    def start(self) -> None:
        """Start the sweep now and every `seconds`."""
        self._apscheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )
        self._apscheduler.start()
        trigger = IntervalTrigger(seconds=self.seconds, timezone=UTC)
        self._apscheduler.add_job(
            self.sweep, trigger, id=JOB_ID, replace_existing=True, next_run_time=datetime.now(UTC)
        )

    def sweep(self) -> None:
        """The job: a tick whose failure is logged and retried by the next sweep."""
        try:
            self.tick()
        except Exception:
            log.exception("alert sweep failed; the next one retries")

    def tick(self, now: datetime | None = None) -> TickResult:
        """Evaluate what is due at `now` (default: the clock)."""
        with self._lock:
            return self.evaluator.tick(now or self.clock())

    @property
    def running(self) -> bool:
        """Whether APScheduler runs (started and not shut down)."""
        return self._apscheduler is not None and bool(self._apscheduler.running)

    def shutdown(self) -> None:
        """Stop the sweep, letting a running tick finish."""
        if self._apscheduler is not None:
            self._apscheduler.shutdown(wait=True)
            self._apscheduler = None
