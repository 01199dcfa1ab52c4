"""The delivery ledger: each (subscription, slot) is delivered once, across threads and processes.

    if ledger.claim(sub.id, slot, worker):        # INSERT; the unique key decides who delivers
        ledger.record_files(sub.id, slot, worker, file_ids)   # before Slack shares them
        ts = post_digest(...)
        ledger.mark_sent(sub.id, slot, ts)        # or mark_skipped / mark_failed

The database decides, never an in-process lock: a claim is an INSERT that only one writer can make,
and taking over a dead worker's claim (or retrying a failed one) is a compare-and-set UPDATE that
only one writer can win. A claim is a lease (`lease_until`) that the live worker renews while it
works (`renew`, from a heartbeat thread); once the lease has run out the worker is presumed dead and
another may take the slot over — keeping the `file_ids` it recorded, so the new owner can ask Slack
whether the dead worker's post landed before posting again.

After a restart, `due_slots` returns at most one slot per subscription — the latest one, if it is
younger than the grace period — so a night of downtime is one late post, not a storm.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, Table, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.digests.records import Delivery, DueSlot, delivery_of, slot_key
from bot.digests.schedule import slots_between
from bot.digests.store import Subscription
from bot.digests.tables import DeliveryState, DigestDelivery
from bot.heartbeat import Heartbeat

Clock = Callable[[], datetime]
LATE_AFTER = timedelta(minutes=1)  # a slot delivered later than this after its time is marked late
_T = cast(Table, DigestDelivery.__table__)


class DeliveryLedger:
    """Claims and outcomes of digest deliveries in `digest_deliveries`.

    `lease`: how long a claim lasts unless its worker renews it; a claim whose lease ran out
    belongs to a worker presumed dead (killed mid-delivery) and may be taken over. The worker renews
    every lease/3 (see lease.py), so only a dead or wedged worker lets it lapse. `max_attempts`: how
    many times one slot is tried in all (first claim included) before it stays failed.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Clock = lambda: datetime.now(UTC),
        *,
        lease: timedelta = timedelta(seconds=60),
        max_attempts: int = 3,
        observe: Callable[[str], None] = lambda event: None,
    ) -> None:
        self._factory = factory
        self._observe = observe  # bot.metrics: sent, skipped, failed, late, taken_over, retried
        self._clock = clock
        self.lease = lease
        self.max_attempts = max_attempts

    def claim(self, subscription_id: int, slot: datetime, worker: str, *, late: bool = False) -> bool:
        """True when this worker now owns the slot and must deliver it; False when someone else does."""
        slot, now = slot_key(slot), self._clock()
        if self._insert(subscription_id, slot, worker, now, late):
            if late:
                self._observe("late")
            return True
        row = self.get(subscription_id, slot)
        if row is None or not self._can_take(row, now):
            return False  # delivered, being delivered, out of attempts, or the digest was removed
        # Compare-and-set on everything the takeover or a renewal changes: of several workers that
        # all saw the same stale or failed row, exactly one UPDATE matches — and none does if the
        # owner renewed its lease in between (it was alive after all).
        same_lease = _T.c.lease_until.is_(None) if row.lease_until is None else _T.c.lease_until == row.lease_until
        takeover = (
            update(_T)
            .where(
                _T.c.id == row.id,
                _T.c.state == row.state.value,
                _T.c.claimed_at == row.claimed_at,
                _T.c.attempts == row.attempts,
                same_lease,
            )
            .values(
                state=DeliveryState.CLAIMED.value,
                claimed_by=worker,
                claimed_at=now,
                lease_until=now + self.lease,
                attempts=row.attempts + 1,
                late=late,
                finished_at=None,
                error=None,
            )
        )
        won = self._execute(takeover) == 1
        if won:
            self._observe("taken_over" if row.state is DeliveryState.CLAIMED else "retried")
            if late:
                self._observe("late")
        return won

    def renew(self, worker: str) -> int:
        """Extend the lease of every unfinished claim of `worker`; how many it still holds."""
        now = self._clock()
        statement = (
            update(_T)
            .where(_T.c.claimed_by == worker, _T.c.state == DeliveryState.CLAIMED.value)
            .values(lease_until=now + self.lease)
        )
        return self._execute(statement)

    def heartbeat(self, worker: str) -> Heartbeat:
        """Renews `worker`'s leases every third of a lease while the `with` block runs."""
        return Heartbeat(lambda: self.renew(worker), self.lease.total_seconds() / 3, f"the digest leases of {worker}")

    def release(self, worker: str) -> int:
        """End the leases of `worker`'s unfinished claims now, so another worker takes them at once
        (a draining process that could not finish); how many were released."""
        statement = (
            update(_T)
            .where(_T.c.claimed_by == worker, _T.c.state == DeliveryState.CLAIMED.value)
            .values(lease_until=self._clock() - timedelta(seconds=1))
        )
        return self._execute(statement)

    def holds(self, subscription_id: int, slot: datetime, worker: str) -> bool:
        """Is the slot still claimed by `worker` with a live lease? (checked right before posting)"""
        row = self.get(subscription_id, slot)
        return (
            row is not None
            and row.state is DeliveryState.CLAIMED
            and row.claimed_by == worker
            and not self._lapsed(row, self._clock())
        )

    def record_files(self, subscription_id: int, slot: datetime, worker: str, file_ids: Iterable[str]) -> bool:
        """Remember the uploaded file ids before Slack shares them, so a successor can look them up."""
        statement = update(_T).where(*self._owned(subscription_id, slot, worker)).values(file_ids=",".join(file_ids))
        return self._execute(statement) == 1

    def mark_sent(self, subscription_id: int, slot: datetime, message_ts: str, *, worker: str | None = None) -> bool:
        """Record the post; False when the claim was no longer this worker's (or is gone)."""
        return self._finish(subscription_id, slot, worker, DeliveryState.SENT, message_ts=message_ts, error=None)

    def mark_skipped(self, subscription_id: int, slot: datetime, why: str, *, worker: str | None = None) -> bool:
        """Record a deliberate non-post (empty data, unchanged data); `why` goes in `error`."""
        return self._finish(subscription_id, slot, worker, DeliveryState.SKIPPED, error=why)

    def mark_failed(self, subscription_id: int, slot: datetime, error: str, *, worker: str | None = None) -> bool:
        """Record a failed attempt; the slot is retried while attempts < max_attempts."""
        return self._finish(subscription_id, slot, worker, DeliveryState.FAILED, error=error)

    def get(self, subscription_id: int, slot: datetime) -> Delivery | None:
        """The ledger row of that slot, or None."""
        query = select(_T).where(_T.c.subscription_id == subscription_id, _T.c.slot == slot_key(slot))
        with session_scope(self._factory) as session:
            row = session.execute(query).first()
            return None if row is None else delivery_of(row)

    def due_slots(self, subscriptions: Iterable[Subscription], now: datetime, grace: timedelta) -> list[DueSlot]:
        """Per active subscription, its latest slot ≤ now if younger than `grace` and still owed.

        Older missed slots are never returned: the latest one stands for them. A slot is owed when
        it has no ledger row, a failed one with attempts left, or a stale claim. Slots at or before
        the subscription's last configuration change (created, edited, resumed) are not owed.
        """
        latest: dict[tuple[int, datetime], Subscription] = {}
        for sub in subscriptions:
            if sub.paused:
                continue
            slots = slots_between(sub.schedule, sub.tz, max(now - grace, sub.updated_at), now)
            if slots:
                latest[(sub.id, slots[-1])] = sub
        if not latest:
            return []
        keys = [and_(_T.c.subscription_id == sub_id, _T.c.slot == slot) for sub_id, slot in latest]
        with session_scope(self._factory) as session:
            rows = {
                (d.subscription_id, d.slot): d for d in map(delivery_of, session.execute(select(_T).where(or_(*keys))))
            }
        return [
            DueSlot(sub, slot, slot < now - LATE_AFTER)
            for (sub_id, slot), sub in latest.items()
            if (row := rows.get((sub_id, slot))) is None or self._can_take(row, now)
        ]

    def stale_claims(self, now: datetime) -> list[Delivery]:
        """Unfinished claims whose lease ran out: their worker died mid-delivery."""
        lapsed = or_(
            _T.c.lease_until < now,
            and_(_T.c.lease_until.is_(None), _T.c.claimed_at < now - self.lease),  # rows from before leases
        )
        query = select(_T).where(_T.c.state == DeliveryState.CLAIMED.value, lapsed).order_by(_T.c.slot, _T.c.id)
        with session_scope(self._factory) as session:
            return [delivery_of(row) for row in session.execute(query)]

    def _lapsed(self, row: Delivery, now: datetime) -> bool:
        until = row.lease_until if row.lease_until is not None else row.claimed_at + self.lease
        return until < now

    def _can_take(self, row: Delivery, now: datetime) -> bool:
        if row.state is DeliveryState.CLAIMED:
            return self._lapsed(row, now)
        return row.state is DeliveryState.FAILED and row.attempts < self.max_attempts

    @staticmethod
    def _owned(subscription_id: int, slot: datetime, worker: str) -> list[ColumnElement[bool]]:
        return [
            _T.c.subscription_id == subscription_id,
            _T.c.slot == slot_key(slot),
            _T.c.state == DeliveryState.CLAIMED.value,
            _T.c.claimed_by == worker,
        ]

    def _insert(self, subscription_id: int, slot: datetime, worker: str, now: datetime, late: bool) -> bool:
        values = {
            "subscription_id": subscription_id,
            "slot": slot,
            "state": DeliveryState.CLAIMED.value,
            "late": late,
            "claimed_by": worker,
            "claimed_at": now,
            "lease_until": now + self.lease,
            "attempts": 1,
        }
        session = self._factory()
        try:
            dialect = session.get_bind().dialect.name
            if dialect in ("postgresql", "sqlite"):
                # ON CONFLICT DO NOTHING: a lost race is a normal answer, not a logged error. The
                # dialect's module is loaded here: the engine has loaded its own, never the other one.
                insert = importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert(_T).values(values)
                statement: Any = insert.on_conflict_do_nothing(index_elements=["subscription_id", "slot"])
            else:
                statement = _T.insert().values(values)
            # RETURNING rather than rowcount, which psycopg reports as -1 for this statement.
            inserted = session.execute(statement.returning(_T.c.id)).first() is not None
            session.commit()
            return inserted
        except IntegrityError:
            # The unique key on other backends, or the subscription was deleted (foreign key).
            session.rollback()
            return False
        finally:
            session.close()

    def _finish(
        self, subscription_id: int, slot: datetime, worker: str | None, state: DeliveryState, **values: Any
    ) -> bool:
        conditions: list[ColumnElement[bool]] = [
            _T.c.subscription_id == subscription_id,
            _T.c.slot == slot_key(slot),
            _T.c.state == DeliveryState.CLAIMED.value,
        ]
        if worker is not None:
            conditions.append(_T.c.claimed_by == worker)
        statement = update(_T).where(*conditions).values(state=state.value, finished_at=self._clock(), **values)
        won = self._execute(statement) == 1
        if won:
            self._observe(state.value)
        return won

    def _execute(self, statement: Any) -> int:
        with session_scope(self._factory) as session:
            return cast(CursorResult[Any], session.execute(statement)).rowcount
