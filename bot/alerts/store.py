"""Alerts in the database: rules, their state and incidents; the claims ledger is `outbox.AlertLedger`.

    alert = store.add(channel="C1", owner="U1", rule=parse_rule("widget 32 when latest < 90 %"))
    if store.claim_slot(alert.id, slot, worker):       # INSERT on (alert, "eval:<slot>"): one winner
        store.commit(alert, slot, changes, notices)    # state + incident + outbox rows, one transaction

The database decides, never an in-process lock: a slot claim is an INSERT only one writer makes, a
state write is a compare-and-set on `version`, and a notification is an outbox row written in the
same transaction as the change that causes it, then claimed by compare-and-set before it is posted.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from bot.alerts.outbox import AlertLedger
from bot.alerts.records import Alert, AlertNotFound, Clock, Incident, Notice, slot_of, to_alert, to_incident
from bot.alerts.rule import Rule
from bot.alerts.tables import AlertRow, ClaimRow, IncidentRow
from bot.db import session_scope

__all__ = ["Alert", "AlertNotFound", "AlertStore", "Clock", "Incident", "Notice", "slot_of"]


class AlertStore(AlertLedger):
    """Reads and writes alerts and incidents (the ledger half: `AlertLedger`); each write is one transaction."""

    # -- rules --------------------------------------------------------------------------------

    def add(self, *, channel: str, owner: str, rule: Rule) -> Alert:
        """Store a new alert (OK, not evaluated yet)."""
        now = self._clock()
        row = AlertRow(channel=channel, owner=owner, rule_text=rule.text, widget_id=rule.widget_id, status="ok")
        row.created_at = row.updated_at = now
        with session_scope(self._factory) as session:
            session.add(row)
            session.flush()
            return to_alert(row)

    def get(self, alert_id: int) -> Alert | None:
        """One alert, or None."""
        with session_scope(self._factory) as session:
            row = session.get(AlertRow, alert_id)
            return None if row is None else to_alert(row)

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
            return [to_alert(row) for row in session.scalars(query)]

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
            return to_alert(row)

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
            return None if row is None else to_incident(row)

    def incidents(self, alert_id: int, limit: int = 10) -> list[Incident]:
        """The latest incidents of an alert, newest first."""
        query = select(IncidentRow).where(IncidentRow.alert_id == alert_id).order_by(IncidentRow.id.desc()).limit(limit)
        with session_scope(self._factory) as session:
            return [to_incident(row) for row in session.scalars(query)]

    def set_incident(self, incident_id: int, **values: Any) -> Incident:
        """Set columns of an incident (message_ts, last_reminded_at, …)."""
        with session_scope(self._factory) as session:
            row = session.get(IncidentRow, incident_id)
            assert row is not None
            for name, value in values.items():
                setattr(row, name, value)
            session.flush()
            return to_incident(row)

    def acknowledge(self, incident_id: int, user: str) -> bool:
        """Record the first acknowledgement; False when someone already acknowledged it."""
        statement = (
            update(IncidentRow)
            .where(IncidentRow.id == incident_id, IncidentRow.acknowledged_by.is_(None))
            .values(acknowledged_by=user, acknowledged_at=self._clock())
        )
        with session_scope(self._factory) as session:
            return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]
