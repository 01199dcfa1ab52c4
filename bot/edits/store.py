"""Edit requests in the database: creation and the state machine (the reads are in bot/edits/queries.py).

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
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from bot.db import session_scope
from bot.edits import KINDS, EditRequest, Kind, Outcome, State, state_message
from bot.edits.queries import EditQueries, normal_id, request_of, utc_now
from bot.edits.tables import EditEventRow as EventRow
from bot.edits.tables import EditRequestRow as Row
from bot.errors import UserError

ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: ids are read aloud and retyped
SYSTEM = "system"
"""The actor of transitions the bot makes on its own (expiry, apply results)."""


def new_request_id() -> str:
    """A short, readable id such as `ER-7F3K2`."""
    return "ER-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(5))


class EditStore(EditQueries):
    """Edit requests and their audit trail, safe to share between threads and processes: reads and writes."""

    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Callable[[], datetime] = utc_now,
        on_transition: Callable[[str | None, str], None] = lambda before, after: None,
    ) -> None:
        super().__init__(factory, clock)
        self._on_transition = on_transition  # bot.metrics counts transitions; called after each commit

    # ---- creating -------------------------------------------------------------------------------

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
                return request_of(row)
            except IntegrityError:
                if self.get(row.id) is None:
                    raise  # not an id collision: a real error
        raise RuntimeError("could not find a free edit request id")

    def set_message(self, request_id: str, channel: str, ts: str) -> None:
        """Remember where the approvals message of a request is, so it can be updated in place."""
        statement = update(Row).where(Row.id == normal_id(request_id)).values(message_channel=channel, message_ts=ts)
        with session_scope(self._factory) as session:
            if _rowcount(session, statement) != 1:
                raise UserError(f"There is no edit request `{request_id}`.")

    def mark_shown(self, request_id: str, state_version: int) -> bool:
        """The approval message shows (or is about to show) `state_version`; False if it already did."""
        statement = (
            update(Row)
            .where(Row.id == normal_id(request_id))
            .where((Row.shown_version.is_(None)) | (Row.shown_version < state_version))
            .values(shown_version=state_version)
        )
        with session_scope(self._factory) as session:
            return _rowcount(session, statement) == 1

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
        rid = normal_id(request_id)
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
            request = request_of(row)
        if won:
            self._on_transition(expected.value, target.value)
            return Outcome(True, request, f"{rid} is now {target.value}.")
        if request.state is State.PENDING and request.expires_at <= now:
            # Noticed on a click: expire it now so the message and the database agree.
            self._move(rid, State.PENDING, State.EXPIRED, SYSTEM, now, {}, guards=[Row.expires_at <= now])
            request = self.require(rid)
        return Outcome(False, request, state_message(request))


def _rowcount(session: Session, statement: Any) -> int:
    """Rows an UPDATE touched (ORM synchronisation off: the CAS result is all that matters)."""
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return int(result.rowcount)  # type: ignore[attr-defined]
