"""Block Kit for approved edits: the request message in its every state, receipts and lists. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.edits import EditRequest, FieldChange, HistoryEntry, State, when
from bot.edits.changes import diff
from handlers import blocks as bk
from handlers.ids import EditActions, EditBlocks

STATE_LINES = {
    State.APPLIED: ":white_check_mark: Approved by {by} {at} and applied.",
    State.FAILED: ":x: Approved by {by} {at}, but applying failed: {reason}",
    State.CONFLICTED: ":twisted_rightwards_arrows: Approved by {by} {at}, but not applied: {reason}. Propose it again.",
    State.REJECTED: ":no_entry_sign: Rejected by {by} {at}{why}",
    State.EXPIRED: ":hourglass: Expired {expires} without a decision.",
    State.APPROVED: ":gear: Approved by {by} {at}; applying…",
}


def _value(value: Any) -> str:
    if value is None or value == "":
        return "_(none)_"
    return f"`{bk.escape(str(value))[:900]}`"


def change_lines(changes: Sequence[FieldChange]) -> list[str]:
    """`• *field*: before → after` for each change."""
    return [f"• *{bk.escape(c.field)}*: {_value(c.before)} → {_value(c.after)}" for c in changes]


def object_name(request: EditRequest) -> str:
    """`widget 34 “Avg duration”`."""
    name = request.base_snapshot.get("name")
    return f"{request.subject}" + (f" “{bk.escape(str(name))}”" if name else "")


def request_message(request: EditRequest) -> list[bk.SlackBlock]:
    """The approvals-channel message for a request, in whatever state it is."""
    title = f":pencil2: Edit request {request.id}" + (f" (reverts {request.revert_of})" if request.revert_of else "")
    blocks = [
        bk.header(title),
        bk.section(f"<@{request.requester}> asks to change *{object_name(request)}*:"),
        *bk.sections(change_lines(diff(request.base_snapshot, request.changes)))[:20],
    ]
    if request.state is State.PENDING:
        blocks.append(bk.context(f"Nothing changes until an approver approves. Expires {when(request.expires_at)}."))
        blocks.append(
            bk.actions(
                [
                    bk.button("Approve", EditActions.APPROVE, request.id, style="primary"),
                    bk.button("Reject", EditActions.REJECT, request.id, style="danger"),
                ],
                block_id=EditBlocks.ACTIONS,
            )
        )
        return blocks
    line = STATE_LINES[request.state].format(
        by=f"<@{request.decided_by}>" if request.decided_by else "someone",
        at=when(request.decided_at) if request.decided_at else "",
        reason=bk.escape(request.reason or ""),
        why=f": {bk.escape(request.reason)}" if request.reason else ".",
        expires=when(request.expires_at),
    )
    blocks.append(bk.section(line))
    if request.state is State.FAILED:
        blocks.append(bk.actions([bk.button("Retry", EditActions.RETRY, request.id)], block_id=EditBlocks.ACTIONS))
    return blocks


def request_text(request: EditRequest) -> str:
    """Notification text for the request message."""
    return f"Edit request {request.id} for {request.subject}: {request.state.value}"


def receipt(request: EditRequest, channel: str) -> str:
    """What the requester sees after proposing."""
    return (
        f":inbox_tray: Edit request *{request.id}* for {object_name(request)} was sent to <#{channel}> "
        f"for approval. Nothing changes until an approver approves it (expires {when(request.expires_at)})."
    )


def outcome_for_requester(request: EditRequest) -> str:
    """What the requester is told when their request is decided."""
    return f"Your edit request *{request.id}* for {object_name(request)}: " + STATE_LINES[request.state].format(
        by=f"<@{request.decided_by}>",
        at=when(request.decided_at) if request.decided_at else "",
        reason=bk.escape(request.reason or ""),
        why=f": {bk.escape(request.reason)}" if request.reason else ".",
        expires=when(request.expires_at),
    )


def pending_list(requests: Sequence[EditRequest]) -> list[bk.SlackBlock]:
    """`/cekura requests`."""
    if not requests:
        return [bk.section("No edit requests are waiting for approval.")]
    lines = [f"• *{r.id}* — {object_name(r)} by <@{r.requester}>, expires {when(r.expires_at)}" for r in requests]
    return [bk.section(f"*Pending edit requests* ({len(requests)})"), *bk.sections(lines)[:45]]


def history_list(subject: str, entries: Sequence[HistoryEntry]) -> list[bk.SlackBlock]:
    """`/cekura history widget 34`: who changed what and when, newest first."""
    if not entries:
        return [bk.section(f"No approved edits of {subject} yet.")]
    lines = []
    for entry in entries[:30]:
        r = entry.request
        what = "; ".join(
            f"{c.field}: {c.before or '(none)'} → {c.after or '(none)'}" for c in diff(r.base_snapshot, r.changes)
        )
        lines.append(
            f"• {when(entry.applied_at)} — *{r.id}* asked by <@{r.requester}>, approved by "
            f"<@{r.decided_by}>: {bk.escape(what)[:600]}"
        )
    return [
        bk.section(f"*History of {subject}*"),
        *bk.sections(lines)[:45],
        bk.context("Undo one with `/cekura revert <request id>`."),
    ]
