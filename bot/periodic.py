"""Background timers for the running bot, on APScheduler: e.g. expiring edit requests every minute.

    periodic = Periodic()
    periodic.every(60, lambda: expire_sweep(deps), "edit-expiry")
    periodic.start()

Each job is guarded: a failing run is logged with a reference and the next run happens as planned.
Several bot processes may run the same job; the jobs themselves are exactly-once in the database.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from bot.errors import new_reference

log = logging.getLogger(__name__)


class Periodic:
    """One background scheduler for every periodic job of the process."""

    def __init__(self) -> None:
        self.scheduler = BackgroundScheduler(
            timezone=UTC, job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 30}
        )

    def every(self, seconds: float, job: Callable[[], Any], name: str, *, now: bool = False) -> None:
        """Run `job` every `seconds` (never two runs of it at once); with `now`, also right at start."""
        first = {"next_run_time": datetime.now(UTC)} if now else {}
        self.scheduler.add_job(
            _guarded(job, name), "interval", seconds=seconds, id=name, name=name, replace_existing=True, **first
        )

    def start(self) -> None:
        """Start the timers."""
        self.scheduler.start()

    @property
    def running(self) -> bool:
        """Whether the timers run."""
        return bool(self.scheduler.running)

    def shutdown(self) -> None:
        """Stop the timers, letting a running job finish."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=True)


def _guarded(job: Callable[[], Any], name: str) -> Callable[[], None]:
    def run() -> None:
        try:
            job()
        except Exception:
            log.exception("periodic job %s failed (reference %s)", name, new_reference())

    return run
