"""The delivery ledger: each (subscription, slot) is delivered once, across threads and processes.

    if ledger.claim(sub.id, slot, worker):        # INSERT; the unique key decides who delivers
        ts = post_digest(...)
        ledger.mark_sent(sub.id, slot, ts)        # or mark_skipped / mark_failed

The database decides, never an in-process lock: a claim is an INSERT that only one writer can make,
and taking over a dead worker's claim (or retrying a failed one) is a compare-and-set UPDATE that
only one writer can win. After a restart, `due_slots` returns at most one slot per subscription —
the latest one, if it is younger than the grace period — so a night of downtime is one late post,
not a storm.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NamedTuple, cast

from sqlalchemy import ColumnElement, CursorResult, Table, and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.digests.schedule import slots_between
from bot.digests.store import Subscription
from bot.digests.tables import DeliveryState, DigestDelivery

Clock = Callable[[], datetime]
LATE_AFTER = timedelta(minutes=1)  # a slot delivered later than this after its time is marked late
_T = cast(Table, DigestDelivery.__table__)


def slot_key(moment: datetime) -> datetime:
    """The ledger's form of a slot: aware UTC, whole seconds (APScheduler's run time → key)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive slot {moment!r}: slots must be aware")
    return moment.astimezone(UTC).replace(microsecond=0)


def worker_id() -> str:
    """A name for this process in `claimed_by`: host, pid and a random part (pids get reused)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Delivery:
    """A snapshot of one ledger row."""

    id: int
    subscription_id: int
    slot: datetime
    state: DeliveryState
    late: bool
    claimed_by: str
    claimed_at: datetime
    finished_at: datetime | None
    attempts: int
    error: str | None
    message_ts: str | None


class DueSlot(NamedTuple):
    """A slot to deliver now: `late` when it is more than a minute past its time."""

    subscription: Subscription
    slot: datetime
    late: bool


def _delivery(row: Any) -> Delivery:
    values = {name: getattr(row, name) for name in Delivery.__dataclass_fields__}
    values["state"] = DeliveryState(values["state"])
    return Delivery(**values)


class DeliveryLedger:
    """Claims and outcomes of digest deliveries in `digest_deliveries`.

    `stale_after`: a claim older than this belongs to a worker presumed dead (killed mid-delivery)
    and may be taken over; keep it well above the longest render-and-post. `max_attempts`: how
    many times one slot is tried in all (first claim included) before it stays failed.
    """

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Clock = lambda: datetime.now(UTC),
        *,
        stale_after: timedelta = timedelta(minutes=10),
        max_attempts: int = 3,
        observe: Callable[[str], None] = lambda event: None,
    ) -> None:
        self._factory = factory
        self._observe = observe  # bot.metrics: sent, skipped, failed, late, taken_over, retried
        self._clock = clock
        self.stale_after = stale_after
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
        # Compare-and-set on everything the takeover changes: of several workers that all saw
        # the same stale or failed row, exactly one UPDATE matches.
        takeover = (
            update(_T)
            .where(
                _T.c.id == row.id,
                _T.c.state == row.state.value,
                _T.c.claimed_at == row.claimed_at,
                _T.c.attempts == row.attempts,
            )
            .values(
                state=DeliveryState.CLAIMED.value,
                claimed_by=worker,
                claimed_at=now,
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
            return None if row is None else _delivery(row)

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
                (d.subscription_id, d.slot): d for d in map(_delivery, session.execute(select(_T).where(or_(*keys))))
            }
        return [
            DueSlot(sub, slot, slot < now - LATE_AFTER)
            for (sub_id, slot), sub in latest.items()
            if (row := rows.get((sub_id, slot))) is None or self._can_take(row, now)
        ]

    def stale_claims(self, now: datetime, timeout: timedelta) -> list[Delivery]:
        """Claims older than `timeout` that were never finished: their worker died mid-delivery."""
        query = (
            select(_T)
            .where(_T.c.state == DeliveryState.CLAIMED.value, _T.c.claimed_at < now - timeout)
            .order_by(_T.c.slot, _T.c.id)
        )
        with session_scope(self._factory) as session:
            return [_delivery(row) for row in session.execute(query)]

    def _can_take(self, row: Delivery, now: datetime) -> bool:
        if row.state is DeliveryState.CLAIMED:
            return row.claimed_at < now - self.stale_after
        return row.state is DeliveryState.FAILED and row.attempts < self.max_attempts

    def _insert(self, subscription_id: int, slot: datetime, worker: str, now: datetime, late: bool) -> bool:
        values = {
            "subscription_id": subscription_id,
            "slot": slot,
            "state": DeliveryState.CLAIMED.value,
            "late": late,
            "claimed_by": worker,
            "claimed_at": now,
            "attempts": 1,
        }
        session = self._factory()
        try:
            dialect = session.get_bind().dialect.name
            if dialect in ("postgresql", "sqlite"):
                # ON CONFLICT DO NOTHING: a lost race is a normal answer, not a logged error.
                insert = (postgresql if dialect == "postgresql" else sqlite).insert(_T).values(values)
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
