"""Approved edits end to end, without Slack: propose, preview, approve-and-apply, retry, revert.

    request, changes = service.propose("widget", 34, {"chart_type": "pie"}, requester="U1", channel="C1")
    outcome = service.approve(request.id, approver="U2")   # exactly one approver wins; applies once

Approval is a compare-and-set in the database (see store.py), so twenty clicks in two processes
send one PATCH. Before applying, the object is read again: if it changed since the request was made,
nothing is sent and the request becomes *conflicted*.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from bot import filters
from bot.cekura import CekuraClient
from bot.cekura_models import Dashboard, Widget
from bot.config import Settings
from bot.edits import EditRequest, FieldChange, Kind, Outcome, State
from bot.edits.changes import (
    apply_changes,
    bulk_widgets_body,
    changed_fields,
    complete_widget_changes,
    diff,
    inverse,
    patch_body,
    touched_fields,
    validate_dashboard,
    validate_widget,
)
from bot.edits.reconcile import Reconciler
from bot.edits.store import EditStore
from bot.errors import BotError, CekuraRejected, UpstreamError, UserError
from bot.kill_points import kill_point
from bot.plan import DEFAULT_RANGE

log = logging.getLogger(__name__)
Members = Callable[[str], list[str]]
"""User-group id → its member user ids."""


class EditService:
    """The approved-edits workflow over the Cekura client and the request store."""

    def __init__(self, cekura: CekuraClient, store: EditStore, settings: Settings, members: Members) -> None:
        self.cekura = cekura
        self.store = store
        self.settings = settings
        self.members = members

    # -- who may do what ------------------------------------------------------------------------
    def _in(self, user: str, ids: list[str]) -> bool:
        if user in ids:
            return True
        return any(user in self.members(group) for group in ids if group.startswith("S"))

    def check_enabled(self) -> None:
        """Edits stay off until someone can approve them."""
        if not self.settings.approvers:
            raise UserError(
                "Edits are turned off: no approvers are configured. Ask your bot admin to set APPROVERS "
                "(Slack user or user-group ids) — until then nobody can change a dashboard from Slack."
            )

    def check_editor(self, user: str) -> None:
        """May `user` propose edits? (EDITORS empty = everyone.)"""
        self.check_enabled()
        if self.settings.editors and not self._in(user, self.settings.editors):
            raise UserError("You are not on the list of people who may propose edits (EDITORS). Ask your bot admin.")

    def is_approver(self, user: str) -> bool:
        """May `user` approve, reject and retry requests?"""
        return bool(self.settings.approvers) and self._in(user, self.settings.approvers)

    # -- proposing ------------------------------------------------------------------------------
    def current(self, kind: Kind, object_id: int) -> Widget | Dashboard:
        """The object as Cekura has it now."""
        return self.cekura.get_widget(object_id) if kind == "widget" else self.cekura.get_dashboard(object_id)

    def prepare(
        self, kind: Kind, object_id: int, changes: dict[str, Any]
    ) -> tuple[Widget | Dashboard, dict[str, Any], list[FieldChange]]:
        """Validate `changes` against the live object; the completed changes and their diff."""
        obj = self.current(kind, object_id)
        if isinstance(obj, Widget):
            changes = complete_widget_changes(obj, changes)
            validate_widget(obj, changes)
        else:
            validate_dashboard(obj, changes)
            missing = [w for w in changes.get("remove_widgets", []) if w not in {x.id for x in obj.widgets}]
            if missing:
                raise UserError(f"Dashboard {object_id} has no widget {missing[0]}.")
        before = obj.model_dump(mode="json")
        changed = diff(before, changes)
        if not changed:
            raise UserError(f"That is how {kind} {object_id} already is: nothing to change.")
        return (
            obj,
            {k: v for k, v in changes.items() if k in {c.field for c in changed} or k.endswith("_widgets")},
            changed,
        )

    def propose(
        self,
        kind: Kind,
        object_id: int,
        changes: dict[str, Any],
        *,
        requester: str,
        channel: str,
        revert_of: str | None = None,
    ) -> tuple[EditRequest, list[FieldChange]]:
        """Store a pending request (nothing changes in Cekura); raises UserError on invalid changes."""
        self.check_editor(requester)
        return self._create(kind, object_id, changes, requester=requester, channel=channel, revert_of=revert_of)

    def _create(
        self,
        kind: Kind,
        object_id: int,
        changes: dict[str, Any],
        *,
        requester: str,
        channel: str,
        revert_of: str | None,
    ) -> tuple[EditRequest, list[FieldChange]]:
        obj, changes, changed = self.prepare(kind, object_id, changes)
        dashboard_id = obj.dashboard if isinstance(obj, Widget) else obj.id
        request = self.store.create(
            kind,
            object_id,
            dashboard_id,
            requester,
            channel,
            obj.model_dump(mode="json"),
            changes,
            timedelta(hours=self.settings.edit_request_ttl_hours),
            revert_of=revert_of,
        )
        log.info("edit request %s proposed by %s on %s", request.id, requester, request.subject)
        return request, changed

    def revert(self, request_id: str, *, requester: str, channel: str) -> tuple[EditRequest, list[FieldChange]]:
        """Propose the inverse of an applied request (approved like any other)."""
        self.check_editor(requester)  # first: a non-editor learns nothing about requests
        original = self.store.require(request_id)
        if original.state is not State.APPLIED:
            raise UserError(f"{original.id} was never applied ({original.state.value}), so there is nothing to revert.")
        undo = inverse(original.base_snapshot, original.changes)
        return self._create(
            original.kind, original.object_id, undo, requester=requester, channel=channel, revert_of=original.id
        )

    def preview_config(self, request: EditRequest) -> dict[str, Any] | None:
        """The preview_data body for a widget request (None for dashboards)."""
        if request.kind != "widget":
            return None
        after = apply_changes(request.base_snapshot, request.changes)
        config = {
            k: after.get(k)
            for k in ("dashboard", "field", "chart_type", "metric", "time_period", "aggregation_function", "filters")
        }
        dashboard_filters = None
        if request.dashboard_id:
            dashboard_filters = self.cekura.get_dashboard(request.dashboard_id).filters
        if filters.lower_bound(filters.and_all(dashboard_filters, after.get("filters") or None)) is None:
            config["filters"] = filters.and_all(after.get("filters") or None, DEFAULT_RANGE)
        return config

    # -- deciding -------------------------------------------------------------------------------
    def approve(self, request_id: str, approver: str) -> Outcome:
        """Approve (exactly once across processes), then apply; refusals come back as `ok=False`."""
        if not self.is_approver(approver):
            return Outcome(
                False,
                self.store.require(request_id),
                "Only approvers (APPROVERS) can approve edit requests; nothing was changed.",
            )
        outcome = self.store.approve(request_id, approver, allow_self=self.settings.allow_self_approval)
        if not outcome.ok:
            return outcome
        kill_point("edit.approved")
        return self._apply(outcome.request)

    def retry(self, request_id: str, approver: str) -> Outcome:
        """Apply a failed request again (approvers only)."""
        if not self.is_approver(approver):
            return Outcome(False, self.store.require(request_id), "Only approvers can retry an edit request.")
        outcome = self.store.retry(request_id, approver)
        return self._apply(outcome.request) if outcome.ok else outcome

    def reject(self, request_id: str, actor: str, reason: str | None) -> Outcome:
        """Reject a pending request (approvers, or the requester withdrawing it)."""
        request = self.store.require(request_id)
        if not self.is_approver(actor) and actor != request.requester:
            return Outcome(False, request, "Only approvers (or whoever asked) can reject an edit request.")
        return self.store.reject(request_id, actor, reason)

    @property
    def reconcile_after(self) -> timedelta:
        """How long after approval an unfinished apply counts as cut off (by a crash)."""
        return timedelta(seconds=self.settings.edit_reconcile_after_seconds)

    def reconcile(self) -> list[EditRequest]:
        """Settle approved requests whose apply was cut off, and find outcomes Slack never showed."""
        return Reconciler(self, self.reconcile_after).run()

    def _apply(self, request: EditRequest) -> Outcome:
        try:
            current = self.current(request.kind, request.object_id).model_dump(mode="json")
        except BotError as exc:
            return self.store.mark_failed(request.id, f"could not re-read {request.subject}: {exc}")
        moved = changed_fields(request.base_snapshot, current, touched_fields(request.changes))
        if moved:
            why = f"{request.subject} changed since the request was made ({', '.join(moved)}); nothing was applied"
            return self.store.mark_conflicted(request.id, why)
        approved_at = request.decided_at or self.store.now()
        if self.store.now() > approved_at + self.reconcile_after / 2:
            # Past half the reconcile age, a sweep could settle the request while the PATCH is in
            # flight: give up before sending, so a sweep never judges a half-applied change.
            return self.store.mark_failed(request.id, "it took too long to reach Cekura; nothing was sent")
        try:
            result = self._send(request)
        except CekuraRejected as exc:
            return self.store.mark_failed(request.id, f"Cekura refused the change: {exc.detail}")
        except (UpstreamError, BotError) as exc:
            return self.store.mark_failed(request.id, str(exc))
        kill_point("edit.patched")
        log.info("edit request %s applied to %s", request.id, request.subject)
        outcome = self.store.mark_applied(request.id, result)
        kill_point("edit.settled")
        return outcome

    def _send(self, request: EditRequest) -> str:
        body = patch_body(request.changes)
        if request.kind == "widget":
            self.cekura.patch_widget(request.object_id, body)
            return f"PATCH widget {request.object_id}: {', '.join(body)}"
        done = []
        if body:
            self.cekura.patch_dashboard(request.object_id, body)
            done.append(f"PATCH dashboard {request.object_id}: {', '.join(body)}")
        bulk = bulk_widgets_body(request.changes)
        if bulk:
            result = self.cekura.bulk_widgets(request.object_id, **bulk)
            if result.errors:
                raise CekuraRejected(f"bulk_widgets: {result.errors}")
            done.append(f"bulk_widgets: {len(result.deleted)} removed, {len(result.created)} restored")
        return "; ".join(done)

    def expire_due(self, now: datetime | None = None) -> list[EditRequest]:
        """Move requests past their expiry to expired (each one by exactly one process)."""
        return self.store.expire_due(now)
