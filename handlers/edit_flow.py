"""The approved-edits flow the listeners share: propose and post, show decisions, expire, tell people."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from bot.edits import EditRequest, Kind, Outcome
from handlers import edit_messages as em
from handlers.edit_previews import post_preview

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)
Tell = Callable[..., Any]


def tell_user(deps: Deps, channel: str, user: str) -> Tell:
    """A `respond`-like callable that answers `user` ephemerally in `channel` (for modal submissions)."""

    def tell(text: str = "", blocks: Any = None, **_: Any) -> None:
        deps.slack.chat_postEphemeral(channel=channel, user=user, text=text, blocks=blocks)

    return tell


def propose_and_post(
    deps: Deps,
    kind: Kind,
    object_id: int,
    changes: dict[str, Any],
    user: str,
    channel: str,
    respond: Tell,
    revert_of: str | None = None,
) -> None:
    """Store the request, post it for approval with a preview, and give the requester a receipt."""
    if revert_of:
        request, _ = deps.editing.revert(revert_of, requester=user, channel=channel)
    else:
        request, _ = deps.editing.propose(kind, object_id, changes, requester=user, channel=channel)
    target = deps.settings.approvals_channel or channel
    ts = deps.poster.post_message(target, text=em.request_text(request), blocks=em.request_message(request))
    deps.edits.set_message(request.id, target, ts)
    respond(text=em.receipt(request, target), response_type="ephemeral", replace_original=False)
    post_preview(deps, request, target, ts)


def refresh_message(deps: Deps, request_id: str, *, tell_requester: bool) -> None:
    """Show a request's current state on its approvals message, and tell the requester if asked."""
    request = deps.edits.require(request_id)
    if request.message_channel and request.message_ts:
        deps.slack.chat_update(
            channel=request.message_channel,
            ts=request.message_ts,
            text=em.request_text(request),
            blocks=em.request_message(request),
        )
        deps.edits.mark_shown(request.id, request.state_version)
    if tell_requester:
        try:
            deps.slack.chat_postEphemeral(
                channel=request.channel, user=request.requester, text=em.outcome_for_requester(request)
            )
        except SlackApiError as exc:  # the requester may have left the channel: the message shows it anyway
            log.info("could not tell %s about %s: %s", request.requester, request.id, exc.response.get("error"))


def after_decision(deps: Deps, outcome: Outcome, respond: Tell) -> None:
    """Refusals go only to the clicker; real transitions update the message and tell the requester."""
    if not outcome.ok:
        respond(text=em.refusal(outcome), response_type="ephemeral", replace_original=False)
        return
    refresh_message(deps, outcome.request.id, tell_requester=True)


def expire_sweep(deps: Deps) -> int:
    """Expire overdue requests and mark their messages (each by exactly one process); returns how many."""
    return _show_all(deps, deps.editing.expire_due(), "expired")


def reconcile_sweep(deps: Deps) -> int:
    """Settle approved edits whose apply a crash cut off, and show each outcome as a decision would."""
    return _show_all(deps, deps.editing.reconcile(), "settled")


def _show_all(deps: Deps, requests: Sequence[EditRequest], what: str) -> int:
    """Update each request's message and tell its requester; how many there were."""
    for request in requests:
        try:
            refresh_message(deps, request.id, tell_requester=True)
        except SlackApiError as exc:  # one deleted message must not keep the others from being marked
            log.warning("could not show the %s %s in Slack: %s", what, request.id, exc.response.get("error"))
    return len(requests)
