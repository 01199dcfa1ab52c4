"""Alerts in the database: rules, their state, incidents, and the claims ledger.

    alert = store.add(channel="C1", owner="U1", rule=parse_rule("widget 32 when latest < 90 %"))
    if store.claim_slot(alert.id, slot, worker):       # INSERT on (alert, "eval:<slot>"): one winner
        store.commit(alert, slot, changes, notices)    # state + incident + outbox rows, one transaction

The database decides, never an in-process lock: a slot claim is an INSERT only one writer makes, a
state write is a compare-and-set on `version`, and a notification is an outbox row written in the
same transaction as the change that causes it, then claimed by compare-and-set before it is posted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.rule import Rule, parse_rule
from bot.alerts.state import Status, Track
from bot.alerts.tables import AlertRow, ClaimRow, IncidentRow
from bot.db import session_scope
from bot.errors import UserError

Clock = Callable[[], datetime]


class AlertNotFound(UserError):
    """No alert has that id."""

    def __init__(self, alert_id: int) -> None:
        super().__init__(f"There is no alert {alert_id}. `/cekura alert list` shows this channel's alerts.")


@dataclass(frozen=True)
class Alert:
    """A snapshot of one alert row, its rule parsed."""

    id: int
    channel: str
    owner: str
    rule: Rule
    track: Track
    last_value: float | None
    last_slot: datetime | None
    incident_id: int | None
    failures: int
    unknown: bool
    own_failures: int
    snoozed_until: datetime | None
    paused: bool
    paused_reason: str | None
    version: int
    created_at: datetime

    def snoozed(self, now: datetime) -> bool:
        """Whether notifications go quietly into the thread right now."""
        return self.snoozed_until is not None and now < self.snoozed_until


@dataclass(frozen=True)
class Incident:
    """A snapshot of one incident row."""

    id: int
    alert_id: int
    started_at: datetime
    fired_at: datetime
    resolved_at: datetime | None
    value: float | None
    peak: float | None
    message_ts: str | None
    thread_ts: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    last_reminded_at: datetime | None


@dataclass(frozen=True)
class Notice:
    """A notification owed (an outbox row this worker has claimed)."""

    id: int
    alert_id: int
    kind: str
    incident_id: int | None
    payload: dict[str, Any]


def slot_of(now: datetime, every: timedelta) -> datetime:
    """The evaluation slot `now` falls in: a multiple of `every` since the epoch, so all processes agree."""
    seconds = int(every.total_seconds())
    stamp = int(now.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(stamp, UTC)


def _alert(row: AlertRow) -> Alert:
    track = Track(Status(row.status), row.breach_since, row.good_since, row.peak)
    return Alert(
        row.id,
        row.channel,
        row.owner,
        parse_rule(row.rule_text),
        track,
        row.last_value,
        row.last_slot,
        row.incident_id,
        row.failures,
        row.unknown,
        row.own_failures,
        row.snoozed_until,
        row.paused,
        row.paused_reason,
        row.version,
        row.created_at,
    )


def _incident(row: IncidentRow) -> Incident:
    return Incident(**{f.name: getattr(row, f.name) for f in fields(Incident)})


class AlertStore:
    """Reads and writes alerts; every write is one short transaction."""

    def __init__(
        self, factory: sessionmaker[Session], clock: Clock, *, stale_after: timedelta = timedelta(minutes=2)
    ) -> None:
        self._factory = factory
        self._clock = clock
        self.stale_after = stale_after  # a notification claimed longer ago belongs to a dead worker

    # -- rules --------------------------------------------------------------------------------

    def add(self, *, channel: str, owner: str, rule: Rule) -> Alert:
        """Store a new alert (OK, not evaluated yet)."""
        now = self._clock()
        row = AlertRow(channel=channel, owner=owner, rule_text=rule.text, widget_id=rule.widget_id, status="ok")
        row.created_at = row.updated_at = now
        with session_scope(self._factory) as session:
            session.add(row)
            session.flush()
            return _alert(row)

    def get(self, alert_id: int) -> Alert | None:
        """One alert, or None."""
        with session_scope(self._factory) as session:
            row = session.get(AlertRow, alert_id)
            return None if row is None else _alert(row)

    def require(self, alert_id: int) -> Alert:
        """One alert, or AlertNotFound."""
        alert = self.get(alert_id)
        if alert is None:
            raise AlertNotFound(alert_id)
        return alert

    def find(self, channel: str | None = None) -> list[Alert]:
        """Alerts of one channel (or all), by id."""
        query = select(AlertRow).order_by(AlertRow.id)
        if channel is not None:
            query = query.where(AlertRow.channel == channel)
        with session_scope(self._factory) as session:
            return [_alert(row) for row in session.scalars(query)]

    def active(self) -> list[Alert]:
        """Every alert that is not paused."""
        return [a for a in self.find() if not a.paused]

    def change(self, alert_id: int, **values: Any) -> Alert:
        """Set columns (rule_text, paused, snoozed_until, …); a new rule starts from OK."""
        if "rule" in values:
            rule: Rule = values.pop("rule")
            values |= {"rule_text": rule.text, "widget_id": rule.widget_id, "status": "ok", "breach_since": None}
            values |= {"good_since": None, "peak": None, "failures": 0, "own_failures": 0, "last_slot": None}
        with session_scope(self._factory) as session:
            row = session.get(AlertRow, alert_id)
            if row is None:
                raise AlertNotFound(alert_id)
            for name, value in values.items():
                setattr(row, name, value)
            row.updated_at = self._clock()
            row.version += 1
            session.flush()
            return _alert(row)

    def remove(self, alert_id: int) -> Alert:
        """Delete an alert with its incidents and ledger rows."""
        alert = self.require(alert_id)
        with session_scope(self._factory) as session:
            for table in (ClaimRow, IncidentRow):
                session.execute(delete(table).where(table.alert_id == alert_id))
            session.execute(delete(AlertRow).where(AlertRow.id == alert_id))
        return alert

    # -- incidents ----------------------------------------------------------------------------

    def incident(self, incident_id: int | None) -> Incident | None:
        """One incident, or None."""
        if incident_id is None:
            return None
        with session_scope(self._factory) as session:
            row = session.get(IncidentRow, incident_id)
            return None if row is None else _incident(row)

    def incidents(self, alert_id: int, limit: int = 10) -> list[Incident]:
        """The latest incidents of an alert, newest first."""
        query = select(IncidentRow).where(IncidentRow.alert_id == alert_id).order_by(IncidentRow.id.desc()).limit(limit)
        with session_scope(self._factory) as session:
            return [_incident(row) for row in session.scalars(query)]

    def set_incident(self, incident_id: int, **values: Any) -> Incident:
        """Set columns of an incident (message_ts, last_reminded_at, …)."""
        with session_scope(self._factory) as session:
            row = session.get(IncidentRow, incident_id)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            return _incident(row)

    def acknowledge(self, incident_id: int, user: str) -> bool:
        """Record the first acknowledgement; False when someone already acknowledged it."""
        statement = (
            update(IncidentRow)
            .where(IncidentRow.id == incident_id, IncidentRow.acknowledged_by.is_(None))
            .values(acknowledged_by=user, acknowledged_at=self._clock())
        )
        with session_scope(self._factory) as session:
            return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]

    # -- the ledger ---------------------------------------------------------------------------

    def claim_slot(self, alert_id: int, slot: datetime, worker: str) -> bool:
        """True when this worker won the evaluation of (alert, slot)."""
        row = ClaimRow(alert_id=alert_id, key=f"eval:{slot.isoformat()}", kind="eval", state="claimed")
        row.claimed_by, row.claimed_at, row.attempts, row.created_at = worker, self._clock(), 1, self._clock()
        session = self._factory()
        try:
            session.add(row)
            session.commit()
            return True
        except IntegrityError:  # the unique key: another worker has it (or the alert is gone)
            session.rollback()
            return False
        finally:
            session.close()

    def commit(
        self,
        alert: Alert,
        slot: datetime,
        changes: dict[str, Any],
        notices: list[tuple[str, dict[str, Any]]],
        *,
        open_incident: dict[str, Any] | None = None,
        incident: dict[str, Any] | None = None,
    ) -> bool:
        """Write one evaluation's outcome if the alert is unchanged since it was read; False otherwise.

        `open_incident` creates an incident (its id goes to the alert and to the notices);
        `incident` updates the alert's current one; `notices` are (kind, payload) outbox rows.
        """
        now = self._clock()
        with session_scope(self._factory) as session:
            values = dict(changes, last_slot=slot, updated_at=now, version=alert.version + 1)
            incident_id = alert.incident_id
            if open_incident is not None:
                created = IncidentRow(alert_id=alert.id, **open_incident)
                session.add(created)
                session.flush()
                incident_id = values["incident_id"] = created.id
            elif incident is not None and incident_id is not None:
                session.execute(update(IncidentRow).where(IncidentRow.id == incident_id).values(**incident))
            cas = update(AlertRow).where(AlertRow.id == alert.id, AlertRow.version == alert.version).values(**values)
            if not session.execute(cas).rowcount:  # type: ignore[attr-defined]
                session.rollback()
                return False
            for kind, payload in notices:
                key = f"{kind}:{incident_id}:{slot.isoformat()}"
                session.add(
                    ClaimRow(
                        alert_id=alert.id,
                        key=key,
                        kind=kind,
                        incident_id=incident_id,
                        state="pending",
                        attempts=0,
                        payload=json.dumps(payload),
                        created_at=now,
                    )
                )
        self.finish_slot(alert.id, slot)
        return True

    def finish_slot(self, alert_id: int, slot: datetime, error: str | None = None) -> None:
        """Mark an evaluation claim done (or failed, with why)."""
        key = f"eval:{slot.isoformat()}"
        values = {"state": "failed" if error else "done", "error": error}
        with session_scope(self._factory) as session:
            session.execute(update(ClaimRow).where(ClaimRow.alert_id == alert_id, ClaimRow.key == key).values(**values))

    def claim_notices(self, worker: str, limit: int = 200) -> list[Notice]:
        """Claim owed notifications: pending ones, and claims of workers presumed dead (stale)."""
        now = self._clock()
        owed = or_(
            ClaimRow.state == "pending", (ClaimRow.state == "claimed") & (ClaimRow.claimed_at < now - self.stale_after)
        )
        query = select(ClaimRow).where(ClaimRow.kind != "eval", owed).order_by(ClaimRow.id).limit(limit)
        with session_scope(self._factory) as session:
            candidates = list(session.scalars(query))
            seen = [(row.id, row.state, row.claimed_at, row.attempts) for row in candidates]
            rows = {row.id: row for row in candidates}
        won: list[Notice] = []
        for ident, state, claimed_at, attempts in seen:
            cas = (
                update(ClaimRow)
                .where(ClaimRow.id == ident, ClaimRow.state == state, ClaimRow.attempts == attempts)
                .values(state="claimed", claimed_by=worker, claimed_at=now, attempts=attempts + 1)
            )
            with session_scope(self._factory) as session:
                if session.execute(cas).rowcount:  # type: ignore[attr-defined]
                    row = rows[ident]
                    won.append(Notice(ident, row.alert_id, row.kind, row.incident_id, json.loads(row.payload or "{}")))
            del claimed_at
        return won

    def finish_notice(
        self, notice_id: int, worker: str, *, ts: str | None = None, error: str | None = None, retry: bool = False
    ) -> bool:
        """Mark a claimed notification sent (with its ts), failed, or owed again (`retry`); False when not ours."""
        state = "pending" if retry else "failed" if error else "done"
        values = {"state": state, "message_ts": ts, "error": error}
        statement = update(ClaimRow).where(
            ClaimRow.id == notice_id, ClaimRow.claimed_by == worker, ClaimRow.state == "claimed"
        )
        with session_scope(self._factory) as session:
            return bool(session.execute(statement.values(**values)).rowcount)  # type: ignore[attr-defined]

    def add_notice(self, alert_id: int, kind: str, payload: dict[str, Any]) -> None:
        """Owe one notification outside an evaluation (e.g. the owner's DM after a failed post)."""
        now = self._clock()
        row = ClaimRow(alert_id=alert_id, key=f"{kind}:-:{now.isoformat()}", kind=kind, state="pending", attempts=0)
        row.payload, row.created_at = json.dumps(payload), now
        with session_scope(self._factory) as session:
            session.add(row)

    def notices(self, alert_id: int) -> list[tuple[str, str, str | None]]:
        """(kind, state, message_ts) of an alert's notifications, oldest first (for tests and history)."""
        query = select(ClaimRow).where(ClaimRow.alert_id == alert_id, ClaimRow.kind != "eval").order_by(ClaimRow.id)
        with session_scope(self._factory) as session:
            return [(row.kind, row.state, row.message_ts) for row in session.scalars(query)]
