"""Block Kit for approved edits: the request message in its every state, receipts and lists. Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.edits import EditRequest, FieldChange, HistoryEntry, Outcome, State, state_message
from bot.edits.changes import diff
from bot.slack.text import ChannelRef, Mention, Mrkdwn, clip, code, date, escape, fit, md
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
# The same words as bot.edits.state_message, with the request's data escaped.
REFUSALS = {
    State.PENDING: "{rid} is waiting for an approver until {expires}.",
    State.APPROVED: "{rid} was already approved by {by}; it is being applied.",
    State.APPLIED: "{rid} was already approved by {by} and applied.",
    State.FAILED: "{rid} was already approved by {by}, but applying it failed: {reason}",
    State.CONFLICTED: "{rid} was already approved by {by}, but not applied: {reason}",
    State.REJECTED: "{rid} was rejected by {by}{why}",
    State.EXPIRED: "{rid} expired {expires} without a decision; propose it again.",
}
VALUE_LIMIT = 900
REASON_LIMIT = 1500


def _value(value: Any) -> Mrkdwn:
    if value is None or value == "":
        return md("_(none)_")
    return code(clip(str(value), VALUE_LIMIT))


def change_lines(changes: Sequence[FieldChange]) -> list[Mrkdwn]:
    """`• *field*: before → after` for each change."""
    return [
        md("• *{field}*: {before} → {after}", field=c.field, before=_value(c.before), after=_value(c.after))
        for c in changes
    ]


def object_name(request: EditRequest) -> Mrkdwn:
    """`widget 34 “Avg duration”`."""
    name = request.base_snapshot.get("name")
    return (
        md("{subject} “{name}”", subject=request.subject, name=clip(str(name), 200))
        if name
        else escape(request.subject)
    )


def _state_values(request: EditRequest, someone: str = "someone") -> dict[str, object]:
    reason = clip(request.reason or "", REASON_LIMIT)
    return {
        "rid": request.id,
        "by": Mention(request.decided_by) if request.decided_by else someone,
        "at": date(request.decided_at) if request.decided_at else "",
        "reason": reason,
        "why": md(": {reason}", reason=reason) if request.reason else ".",
        "expires": date(request.expires_at),
    }


def request_message(request: EditRequest) -> list[bk.SlackBlock]:
    """The approvals-channel message for a request, in whatever state it is."""
    title = f":pencil2: Edit request {request.id}" + (f" (reverts {request.revert_of})" if request.revert_of else "")
    blocks = [
        bk.header(title),
        bk.section(md("{who} asks to change *{what}*:", who=Mention(request.requester), what=object_name(request))),
        *bk.sections(change_lines(diff(request.base_snapshot, request.changes)))[:20],
    ]
    if request.state is State.PENDING:
        expires = date(request.expires_at)
        blocks.append(bk.context(md("Nothing changes until an approver approves. Expires {at}.", at=expires)))
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
    blocks.append(bk.section(md(STATE_LINES[request.state], **_state_values(request))))
    if request.state is State.FAILED:
        blocks.append(bk.actions([bk.button("Retry", EditActions.RETRY, request.id)], block_id=EditBlocks.ACTIONS))
    return blocks


def request_text(request: EditRequest) -> Mrkdwn:
    """Notification text for the request message."""
    return md(
        "Edit request {id} for {subject}: {state}", id=request.id, subject=request.subject, state=request.state.value
    )


def receipt(request: EditRequest, channel: str) -> Mrkdwn:
    """What the requester sees after proposing."""
    return md(
        ":inbox_tray: Edit request *{id}* for {what} was sent to {channel} for approval. "
        "Nothing changes until an approver approves it (expires {expires}).",
        id=request.id,
        what=object_name(request),
        channel=ChannelRef(channel),
        expires=date(request.expires_at),
    )


def outcome_for_requester(request: EditRequest) -> Mrkdwn:
    """What the requester is told when their request is decided."""
    line = md(STATE_LINES[request.state], **_state_values(request, someone="an approver"))
    return md("Your edit request *{id}* for {what}: {line}", id=request.id, what=object_name(request), line=line)


def refusal(outcome: Outcome) -> Mrkdwn:
    """Why an action on a request was refused, for the one who clicked (the request's data escaped)."""
    request = outcome.request
    if outcome.message == state_message(request):
        return md(":warning: {line}", line=md(REFUSALS[request.state], **_state_values(request)))
    return md(":warning: {message}", message=outcome.message)


def pending_list(requests: Sequence[EditRequest]) -> list[bk.SlackBlock]:
    """`/cekura requests`."""
    if not requests:
        return [bk.section(md("No edit requests are waiting for approval."))]
    lines = [
        md(
            "• *{id}* — {what} by {who}, expires {at}",
            id=r.id,
            what=object_name(r),
            who=Mention(r.requester),
            at=date(r.expires_at),
        )
        for r in requests
    ]
    count = fit(lines, bk.MESSAGE_BUDGET - 500)
    blocks = [bk.section(md("*Pending edit requests* ({n})", n=len(requests))), *bk.sections(lines[:count])[:45]]
    if count < len(lines):
        blocks.append(bk.context(md("…and {n} more, not listed (Slack's message size).", n=len(lines) - count)))
    return blocks


def history_list(subject: str, entries: Sequence[HistoryEntry]) -> list[bk.SlackBlock]:
    """`/cekura history widget 34`: who changed what and when, newest first."""
    if not entries:
        return [bk.section(md("No approved edits of {subject} yet.", subject=subject))]
    lines = []
    for entry in entries[:30]:
        r = entry.request
        what = "; ".join(
            f"{c.field}: {c.before or '(none)'} → {c.after or '(none)'}" for c in diff(r.base_snapshot, r.changes)
        )
        lines.append(
            md(
                "• {at} — *{id}* asked by {who}, approved by {by}: {what}",
                at=date(entry.applied_at),
                id=r.id,
                who=Mention(r.requester),
                by=Mention(r.decided_by or ""),
                what=clip(what, 300),
            )
        )
    undo = bk.context(md("Undo one with {revert}.", revert=code("/cekura revert <request id>")))
    return [bk.section(md("*History of {subject}*", subject=subject)), *bk.sections(lines)[:45], undo]
