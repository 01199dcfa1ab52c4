"""How errors reach the user: one place that turns any exception into a safe, helpful reply.

A BotError's message is written for users and never carries a secret. Anything else is a bug: the
user gets a short reference id and the log gets the traceback under the same id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from bot.errors import BotError, UpstreamError, UserError, new_reference
from bot.slack_text import Mrkdwn, md
from handlers import blocks as bk
from handlers import messages

log = logging.getLogger(__name__)


def user_message(exc: BaseException) -> tuple[Mrkdwn, list[dict[str, Any]]]:
    """Text and blocks that tell the user what went wrong (logging the unexpected with a reference).

    A BotError's message quotes what the user typed and what Cekura said, so it is escaped here
    (and in messages.user_error), the one place errors are rendered.
    """
    if isinstance(exc, UserError):
        return messages.error_text(exc), messages.user_error(exc)
    if isinstance(exc, UpstreamError):
        log.error("%s gave up: %s (reference %s)", exc.service, exc.reason, exc.reference)
        text = md(":hourglass: {exc}", exc=str(exc))
    elif isinstance(exc, BotError):
        log.info("refused: %s", exc)
        text = md(":warning: {exc}", exc=str(exc))
    else:
        reference = new_reference()
        log.error("unexpected error (reference %s)", reference, exc_info=exc)
        text = md(":x: Something went wrong on my side. Reference: `{ref}` (tell your bot admin).", ref=reference)
    return bk.fallback(text), [bk.section(text)]


def run_reporting(work: Callable[[], None], respond: Callable[..., Any], what: str) -> None:
    """Run slow work after the ack; any failure becomes an ephemeral reply instead of silence."""
    try:
        work()
    except BaseException as exc:  # noqa: BLE001 - every failure must reach the user
        text, blocks = user_message(exc)
        try:
            respond(text=text, blocks=blocks, response_type="ephemeral", replace_original=False)
        except Exception:
            log.exception("could not tell the user that %s failed", what)
        if not isinstance(exc, Exception):
            raise
