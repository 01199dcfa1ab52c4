"""How errors reach the user: one place that turns any exception into a safe, helpful reply.

A BotError's message is written for users and never carries a secret. Anything else is a bug: the
user gets a short reference id and the log gets the traceback under the same id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.errors import BotError, UpstreamError, UserError, new_reference
from bot.logs import note
from handlers import messages

log = logging.getLogger(__name__)


def user_message(exc: BaseException) -> tuple[str, list[dict[str, Any]]]:
    """Text and blocks that tell the user what went wrong (logging the unexpected with a reference)."""
    if isinstance(exc, UserError):
        return str(exc), messages.user_error(exc)
    if isinstance(exc, UpstreamError):
        note(reference=exc.reference)
        log.error("%s gave up: %s (reference %s)", exc.service, exc.reason, exc.reference)
        text = f":hourglass: {exc}"
    elif isinstance(exc, BotError):
        log.info("refused: %s", exc)
        text = f":warning: {exc}"
    else:
        reference = new_reference()
        note(reference=reference)  # the request's later log lines (its summary) carry it too
        log.error("unexpected error (reference %s)", reference, exc_info=exc)
        text = f":x: Something went wrong on my side. Reference: `{reference}` (tell your bot admin)."
    return text, [{"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}]


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
