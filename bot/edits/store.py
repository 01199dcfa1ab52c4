"""Edit requests in the database: creation, queries and the state machine.

Every transition is one compare-and-set `UPDATE … WHERE id = :id AND state = :expected` whose
row count says whether this caller won, with its audit row written in the same transaction. Two
bot processes sharing PostgreSQL therefore agree without any in-process lock: of twenty
simultaneous *Approve* clicks exactly one gets `ok`, the others learn who beat them. The CAS is
always the first statement of its transaction, so SQLite's busy timeout queues writers instead of
failing them on a stale read snapshot.

    store = EditStore(session_factory(engine), clock=lambda: datetime.now(UTC))
    request = store.create("widget", 34, 12, "U1", "C1", widget.model_dump(mode="json"),
                           {"chart_type": "bar"}, ttl=timedelta(hours=24))
    outcome = store.approve(request.id, "U2", allow_self=False)
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.edits import KINDS, EditEvent, EditRequest, HistoryEntry, Kind, Outcome, State, state_message
from bot.edits.tables import EditEventRow as EventRow
from bot.edits.tables import EditRequestRow as Row
from bot.errors import UserError

ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: ids are read aloud and retyped
SYSTEM = "system"
"""The actor of transitions the bot makes on its own (expiry, apply results)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


def new_request_id() -> str:
    """A short, readable id such as `ER-7F3K2`."""
    return "ER-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(5))


def _snapshot(row: Row) -> EditRequest:
    values = {f.name: getattr(row, f.name) for f in fields(EditRequest)}
    return EditRequest(**{**values, "state": State(row.state)})


def _event(row: EventRow) -> EditEvent:
    values = {f.name: getattr(row, f.name) for f in fields(EditEvent)}
    return EditEvent(**{**values, "from_state": State(row.from_state) if row.from_state else None,
                        "to_state": State(row.to_state)})  # fmt: skip


class EditStore:
    """Edit requests and their audit trail, safe to share between threads and processes."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Callable[[], datetime] = _utc_now,
        on_transition: Callable[[str | None, str], None] = lambda before, after: None,
    ) -> None:
        self._factory = factory
        self._clock = clock
        self._on_transition = on_transition  # bot.metrics counts transitions; called after each commit

    @property
    def factory(self) -> sessionmaker[Session]:
        """The session factory (the reconciler takes its cross-process lock on the same database)."""
        return self._factory

    def now(self) -> datetime:
        """The store's clock: aware UTC."""
        return self._now()

    def _now(self, now: datetime | None = None) -> datetime:
        moment = now or self._clock()
        if moment.tzinfo is None:
            raise ValueError("the clock must return timezone-aware datetimes")
        return moment.astimezone(UTC)

    # ---- creating and reading -------------------------------------------------------------------

    def create(
        self,
        kind: Kind,
        object_id: int,
        dashboard_id: int | None,
        requester: str,
        channel: str,
        base_snapshot: dict[str, Any],
        changes: dict[str, Any],
        ttl: timedelta,
        *,
        revert_of: str | None = None,
    ) -> EditRequest:
        """Store a new pending request; `base_snapshot` is the object as read now, JSON-ready."""
        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        if not changes:
            raise UserError("Nothing to change: name at least one field and its new value.")
        if ttl <= timedelta(0):
            raise ValueError("ttl must be positive")
        # Round-trip through JSON now, so a datetime left in a snapshot fails here, not at approval.
        snapshot, proposed = json.loads(json.dumps(base_snapshot)), json.loads(json.dumps(changes))
        now = self._now()
        for _ in range(8):
            row = Row(
                id=new_request_id(), kind=kind, object_id=object_id, dashboard_id=dashboard_id,
                requester=requester, channel=channel, base_snapshot=snapshot, changes=proposed,
                state=State.PENDING.value, state_version=1, created_at=now, expires_at=now + ttl,
                revert_of=revert_of,
            )  # fmt: skip
            try:
                with session_scope(self._factory) as session:
                    session.add(row)
                    session.flush()
                    session.add(
                        EventRow(
                            request_id=row.id, from_state=None, to_state=State.PENDING.value,
                            actor=requester, at=now, detail={"changes": proposed},
                        )
                    )  # fmt: skip
                self._on_transition(None, State.PENDING.value)
                return _snapshot(row)
            except IntegrityError:
                if self.get(row.id) is None:
                    raise  # not an id collision: a real error
        raise RuntimeError("could not find a free edit request id")

    def get(self, request_id: str) -> EditRequest | None:
        """The request with this id (case-insensitive), or None."""
        with session_scope(self._factory) as session:
            row = session.get(Row, _normal_id(request_id))
            return _snapshot(row) if row else None

    def require(self, request_id: str) -> EditRequest:
        """The request with this id, or a UserError naming the unknown id."""
        request = self.get(request_id)
        if request is None:
            raise UserError(f"There is no edit request `{request_id}`. `/cekura requests` lists the open ones.")
        return request

    def pending(self, now: datetime | None = None) -> list[EditRequest]:
        """Requests still waiting for a decision (not yet expired), oldest first."""
        moment = self._now(now)
        query = (
            select(Row)
            .where(Row.state == State.PENDING.value, Row.expires_at > moment)
            .order_by(Row.created_at, Row.id)
        )
        with session_scope(self._factory) as session:
            return [_snapshot(row) for row in session.scalars(query)]

    def open_requests(self, kind: Kind, object_id: int) -> list[EditRequest]:
        """Pending or approved requests on one object (to warn about overlapping proposals)."""
        query = (
            select(Row)
            .where(Row.kind == kind, Row.object_id == object_id)
            .where(Row.state.in_([State.PENDING.value, State.APPROVED.value]))
            .order_by(Row.created_at, Row.id)
        )
        with session_scope(self._factory) as session:
            return [_snapshot(row) for row in session.scalars(query)]

    def unsettled(self, approved_before: datetime) -> list[EditRequest]:
        """Requests approved before that moment and still `approved`: their apply was cut off."""
        query = (
            select(Row)
            .where(Row.state == State.APPROVED.value, Row.decided_at < self._now(approved_before))
            .order_by(Row.decided_at, Row.id)
        )
        with session_scope(self._factory) as session:
            return [_snapshot(row) for row in session.scalars(query)]

    def unshown(self, approved_before: datetime) -> list[EditRequest]:
        """Requests settled after an approval before that moment whose message never showed the outcome."""
        settled = [State.APPLIED.value, State.FAILED.value, State.CONFLICTED.value]
        query = (
            select(Row)
            .where(Row.state.in_(settled), Row.decided_at < self._now(approved_before))
            .where((Row.shown_version.is_(None)) | (Row.shown_version < Row.state_version))
            .order_by(Row.decided_at, Row.id)
        )
        with session_scope(self._factory) as session:
            return [_snapshot(row) for row in session.scalars(query)]

    def mark_shown(self, request_id: str, state_version: int) -> bool:
        """The approval message shows (or is about to show) `state_version`; False if it already did."""
        statement = (
            update(Row)
            .where(Row.id == _normal_id(request_id))
            .where((Row.shown_version.is_(None)) | (Row.shown_version < state_version))
            .values(shown_version=state_version)
        )
        with session_scope(self._factory) as session:
            return _rowcount(session, statement) == 1

    def events(self, request_id: str) -> list[EditEvent]:
        """The audit trail of one request, oldest first."""
        query = select(EventRow).where(EventRow.request_id == _normal_id(request_id))
        with session_scope(self._factory) as session:
            return [_event(row) for row in session.scalars(query.order_by(EventRow.id))]

    def history(self, kind: Kind, object_id: int) -> list[HistoryEntry]:
        """Applied changes to an object, newest first; a dashboard's include its widgets' edits."""
        on_object: ColumnElement[bool] = (Row.kind == kind) & (Row.object_id == object_id)
        if kind == "dashboard":
            on_object = on_object | ((Row.kind == "widget") & (Row.dashboard_id == object_id))
        applied = (
            select(Row, EventRow.at)
            .join(EventRow, EventRow.request_id == Row.id)
            .where(on_object, Row.state == State.APPLIED.value, EventRow.to_state == State.APPLIED.value)
            .order_by(EventRow.at.desc(), EventRow.id.desc())
        )
        with session_scope(self._factory) as session:
            rows = session.execute(applied).all()
            trail = session.scalars(
                select(EventRow).where(EventRow.request_id.in_([row.id for row, _ in rows])).order_by(EventRow.id)
            ).all()
        return [
            HistoryEntry(_snapshot(row), at, tuple(_event(e) for e in trail if e.request_id == row.id))
            for row, at in rows
        ]

    def set_message(self, request_id: str, channel: str, ts: str) -> None:
        """Remember where the approvals message of a request is, so it can be updated in place."""
        statement = update(Row).where(Row.id == _normal_id(request_id)).values(message_channel=channel, message_ts=ts)
        with session_scope(self._factory) as session:
            if _rowcount(session, statement) != 1:
                raise UserError(f"There is no edit request `{request_id}`.")

    # ---- transitions ----------------------------------------------------------------------------

    def approve(self, request_id: str, approver: str, *, allow_self: bool = False) -> Outcome:
        """pending → approved, unless expired, already decided, or the approver is the requester."""
        now = self._now()
        guards = [Row.expires_at > now] + ([] if allow_self else [Row.requester != approver])
        values = {"decided_by": approver, "decided_at": now}
        outcome = self._move(request_id, State.PENDING, State.APPROVED, approver, now, values, guards=guards)
        if outcome.ok:
            return Outcome(True, outcome.request, f"Approved by <@{approver}>.")
        request = outcome.request
        if request.state is State.PENDING and request.requester == approver and not allow_self:
            return Outcome(False, request, "You can't approve your own request: another approver has to.")
        return outcome

    def reject(self, request_id: str, actor: str, reason: str | None = None) -> Outcome:
        """pending → rejected, with an optional reason shown to the requester."""
        now = self._now()
        values = {"decided_by": actor, "decided_at": now, "reason": (reason or "").strip() or None}
        outcome = self._move(
            request_id, State.PENDING, State.REJECTED, actor, now, values, guards=[Row.expires_at > now]
        )
        return Outcome(True, outcome.request, f"Rejected by <@{actor}>.") if outcome.ok else outcome

    def mark_applied(self, request_id: str, result: str) -> Outcome:
        """approved → applied; `result` says what Cekura did."""
        return self._move(request_id, State.APPROVED, State.APPLIED, SYSTEM, self._now(), {"result": result})

    def mark_failed(self, request_id: str, reason: str) -> Outcome:
        """approved → failed (Cekura kept failing); an approver may retry."""
        return self._move(request_id, State.APPROVED, State.FAILED, SYSTEM, self._now(), {"reason": reason})

    def mark_conflicted(self, request_id: str, reason: str) -> Outcome:
        """approved → conflicted: the object changed since the request was made; nothing applied."""
        return self._move(request_id, State.APPROVED, State.CONFLICTED, SYSTEM, self._now(), {"reason": reason})

    def retry(self, request_id: str, actor: str) -> Outcome:
        """failed → approved again (the *Retry* button); the retrying approver becomes the decider."""
        now = self._now()
        values = {"decided_by": actor, "decided_at": now, "reason": None, "result": None}
        return self._move(request_id, State.FAILED, State.APPROVED, actor, now, values)

    def expire_due(self, now: datetime | None = None) -> list[EditRequest]:
        """pending → expired for every request past its expiry; returns those this call expired."""
        moment = self._now(now)
        due = select(Row.id).where(Row.state == State.PENDING.value, Row.expires_at <= moment)
        with session_scope(self._factory) as session:
            ids = list(session.scalars(due))
        past = [Row.expires_at <= moment]
        moved = [self._move(rid, State.PENDING, State.EXPIRED, SYSTEM, moment, {}, guards=past) for rid in ids]
        return [outcome.request for outcome in moved if outcome.ok]

    def _move(
        self,
        request_id: str,
        expected: State,
        target: State,
        actor: str,
        now: datetime,
        values: dict[str, Any],
        *,
        guards: Sequence[ColumnElement[bool]] = (),
    ) -> Outcome:
        """The compare-and-set at the heart of every transition, with its audit row."""
        rid = _normal_id(request_id)
        # Reasons and results are free text (a user's, or an error echoing one): PostgreSQL refuses NUL in text.
        values = {key: value.replace("\x00", "") if isinstance(value, str) else value for key, value in values.items()}
        statement = (
            update(Row)
            .where(Row.id == rid, Row.state == expected.value, *guards)
            .values(state=target.value, state_version=Row.state_version + 1, **values)
        )
        with session_scope(self._factory) as session:
            won = _rowcount(session, statement) == 1
            if won:
                detail = {key: value for key, value in values.items() if key in ("reason", "result")}
                session.add(
                    EventRow(
                        request_id=rid, from_state=expected.value, to_state=target.value,
                        actor=actor, at=now, detail=detail,
                    )
                )  # fmt: skip
            row = session.get(Row, rid, populate_existing=True)
            if row is None:
                raise UserError(f"There is no edit request `{request_id}`.")
            request = _snapshot(row)
        if won:
            self._on_transition(expected.value, target.value)
            return Outcome(True, request, f"{rid} is now {target.value}.")
        if request.state is State.PENDING and request.expires_at <= now:
            # Noticed on a click: expire it now so the message and the database agree.
            self._move(rid, State.PENDING, State.EXPIRED, SYSTEM, now, {}, guards=[Row.expires_at <= now])
            request = self.require(rid)
        return Outcome(False, request, state_message(request))


def _normal_id(request_id: str) -> str:
    return request_id.strip().upper()


def _rowcount(session: Session, statement: Any) -> int:
    """Rows an UPDATE touched (ORM synchronisation off: the CAS result is all that matters)."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return int(result.rowcount)  # type: ignore[attr-defined]
