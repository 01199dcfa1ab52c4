"""Snapshots of alert rows (`Alert`, `Incident`, `Notice`) and the evaluation slot arithmetic.

    alert = to_alert(row)            # an AlertRow read in a session → a frozen snapshot
    slot = slot_of(now, alert.rule.every)

Kept apart from the store so the evaluator, the ledger and the handlers share one vocabulary.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.alerts.rule import Rule, parse_rule
from bot.alerts.state import Status, Track
from bot.alerts.tables import AlertRow, IncidentRow
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
    worker: str = ""  # who holds the claim
    attempts: int = 1  # more than one: a retry, or a takeover from a worker that died mid-post
    file_ids: tuple[str, ...] = ()  # charts an earlier attempt uploaded: files.info tells whether it landed


def slot_of(now: datetime, every: timedelta) -> datetime:
    """The evaluation slot `now` falls in: a multiple of `every` since the epoch, so all processes agree."""
    seconds = int(every.total_seconds())
    stamp = int(now.timestamp()) // seconds * seconds
    return datetime.fromtimestamp(stamp, UTC)


def to_alert(row: AlertRow) -> Alert:
    """The snapshot of an alert row (its rule parsed again)."""
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


def to_incident(row: IncidentRow) -> Incident:
    """The snapshot of an incident row."""
    return Incident(**{f.name: getattr(row, f.name) for f in fields(Incident)})
