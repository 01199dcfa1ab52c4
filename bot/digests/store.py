"""Digest subscriptions in the database: add, list, edit, pause, and the failure counter.

    store = DigestStore(session_factory(engine), clock=lambda: datetime.now(UTC))
    sub = store.add(channel="C1", dashboard_id=12, schedule=parse_schedule("daily 09:00"),
                    tz="Europe/Berlin", owner="U1")

Readers get `Subscription` snapshots (frozen), never live ORM rows, so they can cross threads.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from functools import lru_cache

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.digests.schedule import Schedule, next_times, parse_schedule, parse_zone, slots_between
from bot.digests.tables import DigestSubscription
from bot.errors import UserError
from bot.reldate import parse_duration, span

Clock = Callable[[], datetime]
MAX_PERIOD = timedelta(days=30)  # the longest period a digest reports on when `since` is not set
# Column sizes of `digest_subscriptions`: PostgreSQL refuses longer values instead of cutting them.
SCHEDULE_MAX = 200
WHERE_MAX = 3000  # a Text column, but a digest's conditions are shown in Slack blocks (3000 chars each)


class DigestNotFound(UserError):
    """No digest has that id."""

    def __init__(self, subscription_id: int) -> None:
        super().__init__(f"There is no digest {subscription_id}. `/cekura digest list` shows the ids.")
        self.subscription_id = subscription_id


class _Unset(Enum):
    UNSET = "unset"


UNSET = _Unset.UNSET  # "leave this field as it is" in `DigestStore.update`


@dataclass(frozen=True)
class Subscription:
    """A snapshot of one `digest_subscriptions` row, with the schedule parsed."""

    id: int
    channel: str
    dashboard_id: int
    schedule: Schedule
    tz: str
    since: str | None
    where_text: str | None
    skip_if_empty: bool
    only_if_changed: bool
    owner: str
    paused: bool
    paused_reason: str | None
    consecutive_failures: int
    last_digest: str | None
    last_slot: datetime | None
    created_at: datetime
    updated_at: datetime

    def describe(self) -> str:
        """'every weekday at 09:00 Europe/Berlin'."""
        return self.schedule.describe(self.tz)

    def next_times(self, after: datetime, n: int = 3) -> list[datetime]:
        """The next `n` send times after `after`, in the subscription's zone."""
        return next_times(self.schedule, self.tz, after, n)

    def period_start(self, slot: datetime) -> datetime:
        """Where the data of the digest for `slot` starts: `since` back, else the previous digest.

        Without `since`, the period runs from the last delivered slot (or, before the first one,
        the previous scheduled slot), and never further back than MAX_PERIOD.
        """
        floor = slot - MAX_PERIOD
        if self.since is not None:
            amount, unit = parse_duration(self.since)
            return slot - span(amount, unit, slot)
        if self.last_slot is not None and self.last_slot < slot:
            return max(self.last_slot, floor)
        previous = slots_between(self.schedule, self.tz, floor, slot - timedelta(seconds=1))
        return previous[-1] if previous else floor


@lru_cache(maxsize=4096)
def _parse(text: str) -> Schedule:
    return parse_schedule(text)


def _snapshot(row: DigestSubscription) -> Subscription:
    return Subscription(
        **{name: getattr(row, name) for name in Subscription.__dataclass_fields__ if name != "schedule"},
        schedule=_parse(row.schedule),
    )


def check_since(text: str) -> str:
    """`since` text as stored (`24h`, `7d`, `2 weeks`); raises UserError when it is no duration or over 30 days."""
    try:
        amount, unit = parse_duration(text)
    except ValueError:
        raise UserError(f"`since {text}` is not a duration — use e.g. `since 24h`, `since 7d`.") from None
    now = datetime.now(UTC)
    if unit in ("M", "y") or span(amount, unit, now) > MAX_PERIOD:
        raise UserError(f"`since {text.strip()}` is too far back: a digest covers at most 30 days, e.g. `since 30d`.")
    return text.strip()


def check_schedule(schedule: Schedule) -> str:
    """The schedule's text as stored; a UserError when it does not fit its column."""
    if len(schedule.text) > SCHEDULE_MAX:
        raise UserError(
            f"That schedule is {len(schedule.text)} characters long; at most {SCHEDULE_MAX} can be stored. "
            'Write the cron expression with ranges, e.g. `cron "0 9 * * 1-5"`.'
        )
    return schedule.text


def check_where(text: str | None) -> str | None:
    """A digest's `where` text as stored; a UserError for NUL characters or an over-long filter."""
    if text is None:
        return None
    if "\x00" in text:
        raise UserError("The `where` conditions contain a NUL character, which cannot be stored; retype them.")
    if len(text) > WHERE_MAX:
        raise UserError(f"The `where` conditions are {len(text)} characters long; at most {WHERE_MAX} can be stored.")
    return text


class DigestStore:
    """Subscriptions: the only code that writes `digest_subscriptions`."""

    def __init__(self, factory: sessionmaker[Session], clock: Clock = lambda: datetime.now(UTC)) -> None:
        self._factory = factory
        self._clock = clock

    def add(
        self,
        *,
        channel: str,
        dashboard_id: int,
        schedule: Schedule,
        tz: str,
        owner: str,
        since: str | None = None,
        where_text: str | None = None,
        skip_if_empty: bool = False,
        only_if_changed: bool = False,
    ) -> Subscription:
        """Store a new subscription (validating zone and `since` first) and return it."""
        now = self._clock()
        row = DigestSubscription(
            channel=channel,
            dashboard_id=dashboard_id,
            schedule=check_schedule(schedule),
            tz=parse_zone(tz),
            since=None if since is None else check_since(since),
            where_text=check_where(where_text),
            skip_if_empty=skip_if_empty,
            only_if_changed=only_if_changed,
            owner=owner,
            paused=False,
            consecutive_failures=0,
            created_at=now,
            updated_at=now,
        )
        with session_scope(self._factory) as session:
            session.add(row)
            session.flush()
            return _snapshot(row)

    def get(self, subscription_id: int) -> Subscription | None:
        """The subscription, or None."""
        with session_scope(self._factory) as session:
            row = session.get(DigestSubscription, subscription_id)
            return None if row is None else _snapshot(row)

    def list(self, channel: str | None = None) -> builtins.list[Subscription]:
        """Every subscription (of `channel`, when given), oldest first."""
        query = select(DigestSubscription).order_by(DigestSubscription.id)
        if channel is not None:
            query = query.where(DigestSubscription.channel == channel)
        with session_scope(self._factory) as session:
            return [_snapshot(row) for row in session.scalars(query)]

    def active(self) -> builtins.list[Subscription]:
        """The subscriptions that are not paused: the ones the scheduler runs."""
        return [sub for sub in self.list() if not sub.paused]

    def remove(self, subscription_id: int) -> Subscription:
        """Delete the subscription (its ledger rows go with it); returns what was removed."""
        with session_scope(self._factory) as session:
            row = self._row(session, subscription_id)
            removed = _snapshot(row)
            session.delete(row)
            return removed

    def pause(self, subscription_id: int, reason: str) -> Subscription:
        """Stop delivering until `resume`; `reason` is shown in `digest list`."""
        return self._edit(subscription_id, {"paused": True, "paused_reason": reason})

    def resume(self, subscription_id: int) -> Subscription:
        """Deliver again from the next slot on, with the failure count reset."""
        changes = {"paused": False, "paused_reason": None, "consecutive_failures": 0}
        return self._edit(subscription_id, changes)

    def update(
        self,
        subscription_id: int,
        *,
        dashboard_id: int | _Unset = UNSET,
        schedule: Schedule | _Unset = UNSET,
        tz: str | _Unset = UNSET,
        since: str | None | _Unset = UNSET,
        where_text: str | None | _Unset = UNSET,
        skip_if_empty: bool | _Unset = UNSET,
        only_if_changed: bool | _Unset = UNSET,
    ) -> Subscription:
        """Edit the given fields (None clears `since`/`where_text`); the rest stay as they are."""
        changes: dict[str, object] = {
            "dashboard_id": dashboard_id,
            "schedule": check_schedule(schedule) if isinstance(schedule, Schedule) else schedule,
            "tz": parse_zone(tz) if isinstance(tz, str) else tz,
            "since": check_since(since) if isinstance(since, str) else since,
            "where_text": check_where(where_text) if isinstance(where_text, str) else where_text,
            "skip_if_empty": skip_if_empty,
            "only_if_changed": only_if_changed,
        }
        return self._edit(subscription_id, {k: v for k, v in changes.items() if v is not UNSET})

    def record_failure(self, subscription_id: int, error: str, *, max_failures: int) -> int:
        """Count a failed delivery; the failure that reaches `max_failures` pauses the digest.

        Returns the new count (0 when the digest is gone). The caller DMs the owner when the
        count equals `max_failures`: that call is the one that paused it.
        """
        table = DigestSubscription
        with session_scope(self._factory) as session:
            # Increment in SQL, so two processes failing at once both count.
            bump = update(table).where(table.id == subscription_id)
            session.execute(bump.values(consecutive_failures=table.consecutive_failures + 1))
            count = session.scalar(select(table.consecutive_failures).where(table.id == subscription_id))
            if count is None:
                return 0
            if count >= max_failures:
                # The error may echo user text; PostgreSQL refuses NUL in a text column.
                reason = f"{count} deliveries in a row failed; the last error: {error}".replace("\x00", "")
                session.execute(
                    update(table)
                    .where(table.id == subscription_id, table.paused.is_(False))
                    .values(paused=True, paused_reason=reason, updated_at=self._clock())
                )
            return count

    def record_success(self, subscription_id: int, data_hash: str | None, *, slot: datetime | None = None) -> None:
        """A delivery worked: reset the failure count, remember the data hash and the slot."""
        values: dict[str, object] = {"consecutive_failures": 0}
        if data_hash is not None:
            values["last_digest"] = data_hash
        if slot is not None:
            values["last_slot"] = slot
        table = DigestSubscription
        with session_scope(self._factory) as session:
            session.execute(update(table).where(table.id == subscription_id).values(**values))

    def _row(self, session: Session, subscription_id: int) -> DigestSubscription:
        row = session.get(DigestSubscription, subscription_id)
        if row is None:
            raise DigestNotFound(subscription_id)
        return row

    def _edit(self, subscription_id: int, changes: Mapping[str, object]) -> Subscription:
        # `updated_at` marks configuration changes only: slots before it are not owed (see ledger).
        with session_scope(self._factory) as session:
            row = self._row(session, subscription_id)
            for name, value in changes.items():
                setattr(row, name, value)
            row.updated_at = self._clock()
            session.flush()
            return _snapshot(row)
