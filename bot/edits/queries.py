"""Reading edit requests and their audit trail: the session factory and clock every store shares.

    queries = EditQueries(session_factory(engine))
    waiting = queries.pending()  # not yet decided, not yet expired, oldest first

`bot.edits.store.EditStore` adds the writes (creation and the compare-and-set transitions) on top.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.edits import EditEvent, EditRequest, HistoryEntry, Kind, State
from bot.edits.tables import EditEventRow as EventRow
from bot.edits.tables import EditRequestRow as Row
from bot.errors import UserError


def utc_now() -> datetime:
    """The real clock: aware UTC."""
    return datetime.now(UTC)


def request_of(row: Row) -> EditRequest:
    """The request a row holds, as an immutable value."""
    values = {f.name: getattr(row, f.name) for f in fields(EditRequest)}
    return EditRequest(**{**values, "state": State(row.state)})


def _event(row: EventRow) -> EditEvent:
    values = {f.name: getattr(row, f.name) for f in fields(EditEvent)}
    return EditEvent(**{**values, "from_state": State(row.from_state) if row.from_state else None,
                        "to_state": State(row.to_state)})  # fmt: skip


def normal_id(request_id: str) -> str:
    """A request id as stored: ids are typed back by people, in any case and with stray spaces."""
    return request_id.strip().upper()


class EditQueries:
    """The reads on edit requests, safe to share between threads and processes."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._factory = factory
        self._clock = clock

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

    def get(self, request_id: str) -> EditRequest | None:
        """The request with this id (case-insensitive), or None."""
        with session_scope(self._factory) as session:
            row = session.get(Row, normal_id(request_id))
            return request_of(row) if row else None

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
            return [request_of(row) for row in session.scalars(query)]

    def open_requests(self, kind: Kind, object_id: int) -> list[EditRequest]:
        """Pending or approved requests on one object (to warn about overlapping proposals)."""
        query = (
            select(Row)
            .where(Row.kind == kind, Row.object_id == object_id)
            .where(Row.state.in_([State.PENDING.value, State.APPROVED.value]))
            .order_by(Row.created_at, Row.id)
        )
        with session_scope(self._factory) as session:
            return [request_of(row) for row in session.scalars(query)]

    def unsettled(self, approved_before: datetime) -> list[EditRequest]:
        """Requests approved before that moment and still `approved`: their apply was cut off."""
        query = (
            select(Row)
            .where(Row.state == State.APPROVED.value, Row.decided_at < self._now(approved_before))
            .order_by(Row.decided_at, Row.id)
        )
        with session_scope(self._factory) as session:
            return [request_of(row) for row in session.scalars(query)]

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
            return [request_of(row) for row in session.scalars(query)]

    def events(self, request_id: str) -> list[EditEvent]:
        """The audit trail of one request, oldest first."""
        query = select(EventRow).where(EventRow.request_id == normal_id(request_id))
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
            HistoryEntry(request_of(row), at, tuple(_event(e) for e in trail if e.request_id == row.id))
            for row, at in rows
        ]
