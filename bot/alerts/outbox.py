"""The alerts ledger: evaluation slot claims and the outbox of notifications, in `alert_claims`.

    if ledger.claim_slot(alert.id, slot, worker):        # INSERT on (alert, "eval:<slot>"): one winner
        ledger.commit(alert, slot, changes, notices)     # state + incident + outbox rows, one transaction
    for notice in ledger.claim_notices(worker):          # pending rows, and stale claims of dead workers
        ledger.record_files(notice, file_ids)            # before Slack shares them (crash recovery)
        ledger.finish_notice(notice.id, worker, ts=ts)

A notification is claimed by compare-and-set; its worker renews the claim while it evaluates and
posts (`heartbeat`), so a claim older than `stale_after` belongs to a worker presumed dead and is
taken over, keeping the file ids it recorded so the successor can ask Slack
(files.info) whether the dead worker's post landed before posting again.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts.records import Alert, Clock, Notice
from bot.alerts.tables import AlertRow, ClaimRow, IncidentRow
from bot.db import session_scope
from bot.heartbeat import Heartbeat

# The ORM would look for loaded rows to update after each UPDATE; these short sessions load none.
_UNSYNCED = {"synchronize_session": False}


class AlertLedger:
    """Slot claims and notification claims of alerts; `AlertStore` adds the rules and incidents."""

    def __init__(
        self, factory: sessionmaker[Session], clock: Clock, *, stale_after: timedelta = timedelta(minutes=2)
    ) -> None:
        self._factory = factory
        self._clock = clock
        self.stale_after = stale_after  # a notification claimed longer ago belongs to a dead worker

    def claim_slot(self, alert_id: int, slot: datetime, worker: str) -> bool:
        """True when this worker won the evaluation of (alert, slot), or took over a dead worker's claim of it."""
        key, now = f"eval:{slot.isoformat()}", self._clock()
        row = ClaimRow(alert_id=alert_id, key=key, kind="eval", state="claimed")
        row.claimed_by, row.claimed_at, row.attempts, row.created_at = worker, now, 1, now
        session = self._factory()
        try:
            session.add(row)
            session.commit()
            return True
        except IntegrityError:  # the unique key: another worker has it (or the alert is gone)
            session.rollback()
        finally:
            session.close()
        # A worker killed mid-evaluation leaves its claim `claimed`: once stale, one successor (the CAS)
        # evaluates the slot instead of skipping it. The state write's version CAS keeps a slow but live
        # first worker from committing the same slot twice.
        takeover = (
            update(ClaimRow)
            .where(
                ClaimRow.alert_id == alert_id,
                ClaimRow.key == key,
                ClaimRow.state == "claimed",
                ClaimRow.claimed_at < now - self.stale_after,
            )
            .values(claimed_by=worker, claimed_at=now, attempts=ClaimRow.attempts + 1)
        )
        with session_scope(self._factory) as session:
            return bool(session.execute(takeover).rowcount)  # type: ignore[attr-defined]

    def commit(
        self,
        alert: Alert,
        slot: datetime,
        changes: dict[str, Any],
        notices: list[tuple[str, dict[str, Any]]],
        *,
        open_incident: dict[str, Any] | None = None,
        incident: dict[str, Any] | None = None,
        slot_error: str | None = None,
    ) -> bool:
        """Write one evaluation's outcome if the alert is unchanged since it was read; False otherwise.

        `open_incident` creates an incident (its id goes to the alert and to the notices);
        `incident` updates the alert's current one; `notices` are (kind, payload) outbox rows. The
        slot's claim is marked done (or failed with `slot_error`) in the same transaction.
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
                changed = update(IncidentRow).where(IncidentRow.id == incident_id).values(**incident)
                session.execute(changed, execution_options=_UNSYNCED)
            cas = update(AlertRow).where(AlertRow.id == alert.id, AlertRow.version == alert.version).values(**values)
            if not session.execute(cas, execution_options=_UNSYNCED).rowcount:  # type: ignore[attr-defined]
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
            session.execute(_finished(alert.id, slot, slot_error))
        return True

    def finish_slot(self, alert_id: int, slot: datetime, error: str | None = None) -> None:
        """Mark an evaluation claim done (or failed, with why), outside `commit`."""
        with session_scope(self._factory) as session:
            session.execute(_finished(alert_id, slot, error))

    def claim_notices(self, worker: str, limit: int = 200) -> list[Notice]:
        """Claim owed notifications: pending ones, and claims of workers presumed dead (stale)."""
        now = self._clock()
        owed = or_(
            ClaimRow.state == "pending", (ClaimRow.state == "claimed") & (ClaimRow.claimed_at < now - self.stale_after)
        )
        query = select(ClaimRow).where(ClaimRow.kind != "eval", owed).order_by(ClaimRow.id).limit(limit)
        with session_scope(self._factory) as session:
            candidates = list(session.scalars(query))
            seen = [(row.id, row.state, row.attempts) for row in candidates]
            rows = {row.id: row for row in candidates}
        won: list[Notice] = []
        for ident, state, attempts in seen:
            # Still pending, or still stale: a claim its live owner renewed meanwhile is not taken.
            unchanged = or_(ClaimRow.state == "pending", ClaimRow.claimed_at < now - self.stale_after)
            cas = (
                update(ClaimRow)
                .where(ClaimRow.id == ident, ClaimRow.state == state, ClaimRow.attempts == attempts, unchanged)
                .values(state="claimed", claimed_by=worker, claimed_at=now, attempts=attempts + 1)
            )
            with session_scope(self._factory) as session:
                if session.execute(cas).rowcount:  # type: ignore[attr-defined]
                    row = rows[ident]
                    payload = json.loads(row.payload or "{}")
                    files = tuple(i for i in (row.file_ids or "").split(",") if i)
                    won.append(
                        Notice(ident, row.alert_id, row.kind, row.incident_id, payload, worker, attempts + 1, files)
                    )
        return won

    def renew(self, worker: str) -> int:
        """Refresh the claims `worker` holds (it is alive, still evaluating or posting); how many."""
        statement = update(ClaimRow).where(ClaimRow.claimed_by == worker, ClaimRow.state == "claimed")
        with session_scope(self._factory) as session:
            return int(session.execute(statement.values(claimed_at=self._clock())).rowcount)  # type: ignore[attr-defined]

    def heartbeat(self, worker: str) -> Heartbeat:
        """Renews `worker`'s claims every third of `stale_after` while the `with` block runs."""
        every_s = self.stale_after.total_seconds() / 3
        return Heartbeat(lambda: self.renew(worker), every_s, f"the alert claims of {worker}")

    def release(self, worker: str) -> int:
        """Make `worker`'s unfinished claims stale now, so the next sweep of any worker takes them over
        (a draining process that could not finish); how many were released."""
        stale = self._clock() - self.stale_after - timedelta(seconds=1)
        statement = update(ClaimRow).where(ClaimRow.claimed_by == worker, ClaimRow.state == "claimed")
        with session_scope(self._factory) as session:
            return int(session.execute(statement.values(claimed_at=stale)).rowcount)  # type: ignore[attr-defined]

    def record_files(self, notice: Notice, file_ids: list[str]) -> bool:
        """Remember the charts uploaded for `notice` before Slack shares them; False when the claim is not ours."""
        statement = (
            update(ClaimRow)
            .where(ClaimRow.id == notice.id, ClaimRow.claimed_by == notice.worker, ClaimRow.state == "claimed")
            .values(file_ids=",".join(file_ids))
        )
        with session_scope(self._factory) as session:
            return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]

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


def _finished(alert_id: int, slot: datetime, error: str | None) -> Any:
    """The UPDATE that marks the evaluation claim of (alert, slot) done, or failed with `error`."""
    values = {"state": "failed" if error else "done", "error": error}
    statement = update(ClaimRow).where(ClaimRow.alert_id == alert_id, ClaimRow.key == f"eval:{slot.isoformat()}")
    return statement.values(**values).execution_options(**_UNSYNCED)
