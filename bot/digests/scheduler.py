"""When digests go out: APScheduler triggers and a periodic sweep, both running the same `tick`.

    scheduler = DigestScheduler(deps)
    scheduler.start()          # one job per active subscription + a sweep every minute; catches up at once
    ...
    scheduler.shutdown()

`tick(now)` is the whole logic: it delivers every slot due at `now` (the latest one per subscription
within DIGEST_GRACE_MINUTES, stale claims of dead workers included) through the ledger, fan-out
groups and all. APScheduler only decides *when* to call it, so tests call `tick` with a hand-moved
clock and never wait. Jobs fire at the exact slot time; the sweep catches whatever a job could not
(a restart, a subscription added or edited by another process, a retry after a failure).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from apscheduler.executors.pool import ThreadPoolExecutor as JobExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.digests.deliver import Batch, ChannelPacer, Deliverer, Outcome
from bot.digests.records import DueSlot, slot_key, worker_id
from bot.digests.store import Subscription

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)
SWEEP_JOB = "digest-sweep"
# Running schedulers by id(deps), so a command can tell its own process's scheduler about a change.
# A scheduler holds its deps, so the id cannot be reused while the entry is there.
_RUNNING: dict[int, DigestScheduler] = {}


def job_id(subscription_id: int) -> str:
    """The stable APScheduler job id of a subscription."""
    return f"digest-{subscription_id}"


def changed(deps: Deps, subscription_id: int) -> None:
    """A subscription was added, edited, paused, resumed or removed: reschedule it now, if a scheduler runs here."""
    scheduler = _RUNNING.get(id(deps))
    if scheduler is not None:
        scheduler.changed(subscription_id)


def run_now(deps: Deps, sub: Subscription, requester: str) -> Outcome:
    """`digest run`: deliver `sub` now, outside its schedule, still claimed through the ledger."""
    now = deps.clock()
    deliverer = Deliverer(deps, worker_id(), group_workers=1, post_workers=1)
    try:
        batch = deliverer.deliver([DueSlot(sub, slot_key(now), False)], now, requester=requester)
    finally:
        deliverer.close()
    return batch.outcomes[0]


class DigestScheduler:
    """Triggers digests in one bot process; any number of processes may share the database."""

    def __init__(
        self,
        deps: Deps,
        *,
        clock: Callable[[], datetime] | None = None,
        worker: str | None = None,
        share: bool = True,
        pacer: ChannelPacer | None = None,
        sweep_seconds: float = 60.0,
    ) -> None:
        self.deps = deps
        self.clock: Callable[[], datetime] = clock or deps.clock
        self.worker = worker or worker_id()
        self.sweep_seconds = sweep_seconds
        self.deliverer = Deliverer(deps, self.worker, share=share, pacer=pacer, on_pause=self.changed)
        self._tick_lock = threading.Lock()
        self._last_tick = float("-inf")  # time.monotonic() when the latest tick started
        self._jobs: dict[int, tuple[str, str]] = {}  # subscription id → (schedule text, zone) scheduled
        self._jobs_lock = threading.Lock()
        self._apscheduler: BackgroundScheduler | None = None

    @property
    def grace(self) -> timedelta:
        """How old a missed slot may be and still be sent (late)."""
        return timedelta(minutes=self.deps.settings.digest_grace_minutes)

    def start(self) -> None:
        """Start APScheduler: one job per active subscription, the sweep now and every minute."""
        grace = max(1, int(self.grace.total_seconds()))
        self._apscheduler = BackgroundScheduler(
            timezone=UTC,
            executors={"default": JobExecutor(4)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": grace},
        )
        self._apscheduler.start()
        _RUNNING[id(self.deps)] = self
        self._apscheduler.add_job(
            self.sweep,
            IntervalTrigger(seconds=self.sweep_seconds, timezone=UTC),
            id=SWEEP_JOB,
            replace_existing=True,
            next_run_time=datetime.now(UTC),  # restart catch-up straight away
        )
        self.sync()

    @property
    def running(self) -> bool:
        """Whether APScheduler runs (started and not shut down)."""
        return self._apscheduler is not None and bool(self._apscheduler.running)

    def shutdown(self) -> None:
        """Stop triggering and let running deliveries finish."""
        _RUNNING.pop(id(self.deps), None)
        if self._apscheduler is not None:
            self._apscheduler.shutdown(wait=True)
            self._apscheduler = None
        self.deliverer.close()

    def jobs(self) -> list[Any]:
        """APScheduler's jobs (empty when not started)."""
        return list(self._apscheduler.get_jobs()) if self._apscheduler is not None else []

    def sync(self) -> None:
        """Make the jobs match the database: one per active subscription, none for the others."""
        active = {sub.id: sub for sub in self.deps.digests.active()}
        for sub in active.values():
            self._schedule(sub)
        with self._jobs_lock:
            gone = set(self._jobs) - set(active)
        for subscription_id in gone:
            self._unschedule(subscription_id)

    def changed(self, subscription_id: int) -> None:
        """Reschedule one subscription after a change (dropping its job when paused or removed)."""
        sub = self.deps.digests.get(subscription_id)
        if sub is None or sub.paused:
            self._unschedule(subscription_id)
        else:
            self._schedule(sub)

    def sweep(self) -> None:
        """The periodic job: pick up changes made elsewhere, then deliver whatever is due."""
        try:
            self.sync()
            self.tick()
        except Exception:
            log.exception("digest sweep failed; the next one retries")

    def tick(self, now: datetime | None = None) -> Batch:
        """Deliver everything due at `now` (default: the clock) and return what happened."""
        with self._tick_lock:
            return self._tick(now or self.clock())

    def fire(self) -> None:
        """A subscription's job fired: deliver what is due, unless a tick that started since already did."""
        fired = time.monotonic()
        with self._tick_lock:
            if self._last_tick >= fired:
                return  # a tick started after this job fired: it saw this slot (and the others due with it)
            self._tick(self.clock())

    def _tick(self, now: datetime) -> Batch:
        self._last_tick = time.monotonic()
        due = self.deps.ledger.due_slots(self.deps.digests.active(), now, self.grace)
        self._settle_stale(now, due)
        batch = self.deliverer.deliver(due, now)
        if batch.outcomes:
            counts = {state: batch.count(state) for state in ("sent", "skipped", "failed", "taken")}
            log.info("digests at %s: %s, %d render(s)", now.isoformat(timespec="seconds"), counts, batch.renders)
        return batch

    def _settle_stale(self, now: datetime, due: list[DueSlot]) -> None:
        """Claims of dead workers that are no longer owed (too old, superseded, paused) end as failed."""
        owed = {(item.subscription.id, slot_key(item.slot)) for item in due}
        ledger = self.deps.ledger
        for row in ledger.stale_claims(now):
            if (row.subscription_id, row.slot) not in owed:
                why = "abandoned: the worker stopped mid-delivery and a newer or later slot stands for it"
                ledger.mark_failed(row.subscription_id, row.slot, why, worker=row.claimed_by)

    def _schedule(self, sub: Subscription) -> None:
        key = (sub.schedule.text, sub.tz)
        with self._jobs_lock:
            if self._apscheduler is None or self._jobs.get(sub.id) == key:
                return
            self._jobs[sub.id] = key
            self._apscheduler.add_job(
                self.fire, sub.schedule.trigger(sub.tz), id=job_id(sub.id), name=sub.describe(), replace_existing=True
            )

    def _unschedule(self, subscription_id: int) -> None:
        with self._jobs_lock:
            if self._jobs.pop(subscription_id, None) is not None and self._apscheduler is not None:
                try:
                    self._apscheduler.remove_job(job_id(subscription_id))
                except Exception:  # JobLookupError: already gone (it was a one-off, or removed twice)
                    log.debug("job of digest %s was already gone", subscription_id)
