"""While the bot drains after SIGTERM: new commands, clicks and form submissions are answered
"restarting, try again" instead of starting work that the grace period could cut off.

Behind a load balancer /readyz has already turned 503, so these are only the requests that were on
their way; the user's next try reaches a replica that is not stopping.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltResponse

from bot.lifecycle import Lifecycle
from bot.slack.text import md

log = logging.getLogger(__name__)


def restarting_text() -> str:
    """What a user is told when their request reached a bot that is shutting down."""
    return md(":hourglass_flowing_sand: cekura-bot is restarting, so nothing was done. Try again in a few seconds.")


def restarting_view_errors(view: dict[str, Any]) -> dict[str, Any] | None:
    """A `response_action: errors` answer that keeps the form open with the notice under its first input."""
    block_id = next(
        (b.get("block_id") for b in view.get("blocks") or [] if isinstance(b, dict) and b.get("type") == "input"),
        None,
    )
    if not isinstance(block_id, str):
        return None
    return {"response_action": "errors", "errors": {block_id: restarting_text()}}


def refuse_while_draining(life: Lifecycle) -> Callable[..., BoltResponse | None]:
    """Bolt middleware: pass requests on, except while `life` drains (then answer 'restarting')."""

    def middleware(body: dict[str, Any], respond: Any, next: Callable[[], None]) -> BoltResponse | None:  # noqa: A002
        if not life.draining.is_set():
            next()
            return None
        kind = body.get("type") or ("slash_command" if body.get("command") else "unknown")
        log.info("draining: refused a %s", kind)
        if body.get("command"):
            return BoltResponse(status=200, body={"response_type": "ephemeral", "text": restarting_text()})
        if kind == "view_submission":
            errors = restarting_view_errors(body.get("view") or {})
            if errors is not None:
                return BoltResponse(status=200, body=errors)
        elif kind == "block_actions" and respond is not None:
            # After the ack (a thread), so a slow response_url cannot push the ack past Slack's 3 s.
            notice = {"text": restarting_text(), "response_type": "ephemeral", "replace_original": False}
            threading.Thread(target=lambda: respond(**notice), name="restarting-notice", daemon=True).start()
        return BoltResponse(status=200, body="")

    return middleware
