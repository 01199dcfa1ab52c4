"""Settling approved edits whose apply was cut off: the bot died between approval and the outcome.

    settled = Reconciler(service, after=timedelta(minutes=10)).run()   # at start and every minute

A request still `approved` long after its approval (well past any live apply: a live one gives up
before sending when it is half that old, see EditService._apply) had its process die mid-apply. Only
Cekura knows whether the PATCH landed, so the object is read again: it has the proposed values →
`applied` ("confirmed after restart"); it still has the base values → `failed`, with *Retry*;
anything else → `conflicted`. One process sweeps at a time (a PostgreSQL advisory lock; on SQLite, a
process lock), and every transition is still the store's compare-and-set, so a request is settled
once even if two sweeps did meet. Requests settled just before a crash that kept Slack from hearing
of it (`shown_version` behind `state_version`) are returned too, so their message gets updated.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal

from sqlalchemy import text

from bot.edits import EditRequest
from bot.edits.changes import REMOVE_WIDGETS, RESTORE_WIDGETS
from bot.errors import BotError

if TYPE_CHECKING:
    from bot.edits.service import EditService

log = logging.getLogger(__name__)
Landed = Literal["proposed", "base", "other"]
CONFIRMED = "confirmed after restart"
_ADVISORY_KEY = 0x0CE6_0ED1  # any fixed bigint shared by every bot process: "the edit reconciler"
_LOCAL = threading.Lock()


def _blank(value: Any) -> Any:
    return None if value in ("", {}, []) else value


def _names(obj: dict[str, Any]) -> list[str]:
    return [str(w.get("name")) for w in obj.get("widgets") or []]


def landed(base: dict[str, Any], changes: dict[str, Any], current: dict[str, Any]) -> Landed:
    """Does `current` carry the proposed values of `changes`, still the base values, or neither?"""
    votes: list[Landed] = []
    for field, wanted in changes.items():
        if field in (REMOVE_WIDGETS, RESTORE_WIDGETS):
            continue
        now = _blank(current.get(field))
        votes.append("proposed" if now == _blank(wanted) else "base" if now == _blank(base.get(field)) else "other")
    present = {w.get("id") for w in current.get("widgets") or []}
    for widget_id in changes.get(REMOVE_WIDGETS, []):
        votes.append("base" if widget_id in present else "proposed")
    for widget in changes.get(RESTORE_WIDGETS, []):
        name = str(widget.get("name"))  # a restored widget gets a new id: count it by name
        votes.append("proposed" if _names(current).count(name) > _names(base).count(name) else "base")
    if votes and all(v == "proposed" for v in votes):
        return "proposed"
    if votes and all(v == "base" for v in votes):
        return "base"
    return "other"


class Reconciler:
    """Finds approved requests older than `after` and settles each from what Cekura has now."""

    def __init__(self, service: EditService, after: timedelta) -> None:
        self.service = service
        self.after = after

    def run(self) -> list[EditRequest]:
        """Settle every cut-off apply this process wins; the requests it moved (Slack still to tell)."""
        with self._sweep_lock() as mine:
            if not mine:
                return []  # another process is sweeping right now
            store = self.service.store
            settled = []
            cutoff = store.now() - self.after
            for request in store.unsettled(cutoff):
                outcome = self._settle(request)
                if outcome is not None and store.mark_shown(outcome.id, outcome.state_version):
                    settled.append(outcome)  # claimed for showing: the caller updates Slack
            # Settled before a crash, but Slack never heard: claim showing it (a CAS), then it is shown.
            for request in store.unshown(cutoff):
                if store.mark_shown(request.id, request.state_version):
                    log.info("edit request %s: showing its %s outcome after restart", request.id, request.state.value)
                    settled.append(request)
            return settled

    def _settle(self, request: EditRequest) -> EditRequest | None:
        store = self.service.store
        try:
            current = self.service.current(request.kind, request.object_id).model_dump(mode="json")
        except BotError as exc:  # Cekura down: the request stays approved and the next sweep tries again
            log.warning("could not re-read %s to settle %s: %s", request.subject, request.id, exc)
            return None
        found = landed(request.base_snapshot, request.changes, current)
        if found == "proposed":
            outcome = store.mark_applied(request.id, f"{CONFIRMED}: {request.subject} has the approved values")
        elif found == "base":
            why = (
                "the bot stopped while applying it and Cekura still has the old values, so nothing was changed; "
                "press Retry to apply it"
            )
            outcome = store.mark_failed(request.id, why)
        else:
            why = f"the bot stopped while applying it, and {request.subject} now has other values; nothing more sent"
            outcome = store.mark_conflicted(request.id, why)
        if not outcome.ok:
            return None  # the live apply (or another sweep) settled it first
        log.info("edit request %s settled after restart: %s", request.id, outcome.request.state.value)
        return outcome.request

    @contextmanager
    def _sweep_lock(self) -> Iterator[bool]:
        factory = self.service.store.factory
        bind = factory.kw.get("bind")
        if bind is None or bind.dialect.name != "postgresql":
            got = _LOCAL.acquire(blocking=False)  # SQLite: one process, so a process lock is enough
            try:
                yield got
            finally:
                if got:
                    _LOCAL.release()
            return
        with bind.connect() as conn:
            got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_KEY}).scalar())
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
                conn.commit()
