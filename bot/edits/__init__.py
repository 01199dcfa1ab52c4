"""Approved edits: team members propose widget and dashboard changes, an approver applies them.

The package is the core under the Slack handlers; it never talks to Slack or Cekura itself.

    changes.py  proposals: quick-form parsing, validation, diff, inverse, conflict detection
    store.py    the request state machine in the database (compare-and-set transitions + audit)
    tables.py   the SQLAlchemy tables (created by migration `0001_edits`)

This module holds the plain values both sides hand around:

    pending ──approve──▶ approved ──▶ applied | failed | conflicted
       │                    ▲            │
       ├──reject──▶ rejected └───retry───┘ (failed only)
       └──(ttl)───▶ expired
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from bot.slack import text as slack_text

Kind = Literal["widget", "dashboard"]
"""What an edit request changes."""

KINDS: tuple[Kind, ...] = ("widget", "dashboard")


class State(StrEnum):
    """Where an edit request is in its life."""

    PENDING = "pending"
    APPROVED = "approved"
    APPLIED = "applied"
    FAILED = "failed"
    CONFLICTED = "conflicted"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def is_final(self) -> bool:
        """True when nothing can happen to the request any more."""
        return self in (State.APPLIED, State.CONFLICTED, State.REJECTED, State.EXPIRED)


@dataclass(frozen=True)
class EditRequest:
    """A snapshot of one edit request as stored (not a live database object)."""

    id: str
    kind: Kind
    object_id: int
    dashboard_id: int | None
    requester: str
    channel: str
    base_snapshot: dict[str, Any]
    changes: dict[str, Any]
    state: State
    state_version: int
    created_at: datetime
    expires_at: datetime
    message_channel: str | None = None
    message_ts: str | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    result: str | None = None
    reason: str | None = None
    revert_of: str | None = None

    @property
    def subject(self) -> str:
        """`widget 34` / `dashboard 12`."""
        return f"{self.kind} {self.object_id}"


@dataclass(frozen=True)
class EditEvent:
    """One row of the append-only audit trail: a transition, who made it and when."""

    id: int
    request_id: str
    from_state: State | None
    to_state: State
    actor: str
    at: datetime
    detail: dict[str, Any]


@dataclass(frozen=True)
class HistoryEntry:
    """An applied request with its whole audit trail, for `/cekura history`."""

    request: EditRequest
    applied_at: datetime
    events: tuple[EditEvent, ...]


@dataclass(frozen=True)
class Outcome:
    """What a transition did: `ok` is False when it was refused; `message` says why in plain words."""

    ok: bool
    request: EditRequest
    message: str


@dataclass(frozen=True)
class FieldChange:
    """One line of a before → after diff; filters are shown as filter-language text."""

    field: str
    before: Any
    after: Any


def when(moment: datetime) -> str:
    """A time Slack shows in the reader's own zone, with a UTC fallback."""
    return slack_text.date(moment)


def state_message(request: EditRequest) -> str:
    """Where a request stands, in plain words (also why an action on it was refused)."""
    rid, by = request.id, f"<@{request.decided_by}>"
    messages = {
        State.PENDING: f"{rid} is waiting for an approver until {when(request.expires_at)}.",
        State.APPROVED: f"{rid} was already approved by {by}; it is being applied.",
        State.APPLIED: f"{rid} was already approved by {by} and applied.",
        State.FAILED: f"{rid} was already approved by {by}, but applying it failed: {request.reason}",
        State.CONFLICTED: f"{rid} was already approved by {by}, but not applied: {request.reason}",
        State.REJECTED: f"{rid} was rejected by {by}" + (f": {request.reason}" if request.reason else "."),
        State.EXPIRED: f"{rid} expired {when(request.expires_at)} without a decision; propose it again.",
    }
    return messages[request.state]
