"""How errors reach the user: one place that turns any exception into a safe, helpful reply.

A BotError's message is written for users and never carries a secret. Anything else is a bug: the
user gets a short reference id and the log gets the traceback under the same id.

Replies after the ack go to Slack's `response_url` through `BoundedRespond` (installed for every
listener by the `bounded_respond` middleware): each reply is bounded in time, and one Slack
refuses or never takes is logged instead of vanishing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltContext
from slack_sdk.webhook import WebhookClient, WebhookResponse

from bot.errors import BotError, CekuraDataError, UpstreamError, UserError, new_reference
from bot.logs import note
from bot.slack.text import Mrkdwn, md
from handlers import blocks as bk
from handlers import messages

log = logging.getLogger(__name__)
# Seconds per socket operation of a reply: with CEKURA_DEADLINE_S ≤ 50, the reference-id answer
# after a Cekura that never answers still arrives within 60 s of the ack.
REPLY_TIMEOUT_S = 10


def user_message(exc: BaseException) -> tuple[Mrkdwn, list[dict[str, Any]]]:
    """Text and blocks that tell the user what went wrong (logging the unexpected with a reference).

    A BotError's message quotes what the user typed and what Cekura said, so it is escaped here
    (and in messages.user_error), the one place errors are rendered.
    """
    if isinstance(exc, UserError):
        return messages.error_text(exc), messages.user_error(exc)
    if isinstance(exc, CekuraDataError):
        note(reference=exc.reference)
        log.error("Cekura sent unreadable data: %s (reference %s)", exc.what, exc.reference)
        text = md(":warning: {exc}", exc=str(exc))
    elif isinstance(exc, UpstreamError):
        note(reference=exc.reference)
        log.error("%s gave up: %s (reference %s)", exc.service, exc.reason, exc.reference)
        text = md(":hourglass: {exc}", exc=str(exc))
    elif isinstance(exc, BotError):
        log.info("refused: %s", exc)
        text = md(":warning: {exc}", exc=str(exc))
    else:
        reference = new_reference()
        note(reference=reference)  # the request's later log lines (its summary) carry it too
        log.error("unexpected error (reference %s)", reference, exc_info=exc)
        text = md(":x: Something went wrong on my side. Reference: `{ref}` (tell your bot admin).", ref=reference)
    return bk.fallback(text), [bk.section(text)]


def outcome_of(exc: BaseException | None) -> str:
    """A bounded word for how a command ended: ok, user_error, upstream_error, refused or error."""
    if exc is None:
        return "ok"
    if isinstance(exc, UserError):
        return "user_error"
    if isinstance(exc, UpstreamError):
        return "upstream_error"
    return "refused" if isinstance(exc, BotError) else "error"


def run_reporting(work: Callable[[], None], respond: Callable[..., Any], what: str) -> str:
    """Run slow work after the ack; any failure becomes an ephemeral reply instead of silence.

    Returns the outcome (see `outcome_of`).
    """
    try:
        work()
        return "ok"
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the user
        text, blocks = user_message(exc)
        try:
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        except Exception:
            log.exception("could not tell the user that %s failed", what)
        if not isinstance(exc, Exception):
            raise
        return outcome_of(exc)


class BoundedRespond:
    """`respond()` for one response_url: bounded by REPLY_TIMEOUT_S, and a failed reply is logged."""

    def __init__(self, response_url: str) -> None:
        self._url = response_url  # a capability: never logged

    def __call__(self, text: str = "", blocks: list[Any] | None = None, **fields: Any) -> WebhookResponse:
        """Post a reply (same arguments as Bolt's `respond`); raises when Slack cannot be reached."""
        message = {"text": text, "blocks": blocks, **fields}
        webhook = WebhookClient(self._url, timeout=REPLY_TIMEOUT_S)
        try:
            response = webhook.send_dict({k: v for k, v in message.items() if v is not None})
        except Exception as exc:
            log.error("could not post a reply to Slack (%s: %s)", type(exc).__name__, exc)
            raise
        if response.status_code >= 400:
            log.error("Slack refused a reply: HTTP %d %s", response.status_code, str(response.body)[:200])
        return response


def bounded_respond(context: BoltContext, next: Callable[[], None]) -> None:  # noqa: A002 - Bolt's name
    """Bolt middleware: every listener's `respond` is a BoundedRespond."""
    if context.response_url:
        context["respond"] = BoundedRespond(context.response_url)
    next()
