"""The `/cekura` listener: ack within Slack's 3 s with an answer or a receipt, then do the slow work."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.errors import UserError
from bot.slack_text import escape
from handlers import alerts, dashboard, digests, edits, messages
from handlers.errors import run_reporting, user_message
from handlers.router import COMMAND, Invocation, Reply, Router, Subcommand

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)


def unescape_slack(text: str) -> str:
    """Slack escapes `&`, `<` and `>` in slash-command text; the filter language wants them back."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def help_command(deps: Deps, inv: Invocation) -> Reply:
    """`/cekura help`: usage built from the command table."""
    text = ROUTER.help_text()
    return Reply(escape(text), blocks=messages.text_blocks(text))


HELP = Subcommand("help", "", "show this help", help_command, aliases=("?", "usage"))
ROUTER = Router([*dashboard.COMMANDS, *edits.COMMANDS, *digests.COMMANDS, *alerts.COMMANDS, HELP])


def answer(deps: Deps, text: str, inv: Invocation) -> Reply:
    """The immediate reply to a slash command's text (help for empty text, an error for bad input)."""
    if not text.strip():
        return help_command(deps, inv)
    try:
        match = ROUTER.match(text)
        return match.command.handle(
            deps, Invocation(inv.user_id, inv.channel_id, match.args, inv.respond, inv.trigger_id)
        )
    except UserError as exc:
        return Reply(messages.error_text(exc), blocks=messages.user_error(exc))


def register(app: App, deps: Deps) -> None:
    """Listen for `/cekura`."""

    @app.command(COMMAND)
    def on_command(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        inv = Invocation(
            user_id=str(body.get("user_id", "")),
            channel_id=str(body.get("channel_id", "")),
            args=unescape_slack(str(body.get("text") or "")),
            respond=respond,
            trigger_id=str(body.get("trigger_id", "")),
        )
        try:
            reply = answer(deps, inv.args, inv)
        except Exception as exc:  # never leave Slack without an answer
            text, blocks = user_message(exc)
            ack(text=text, blocks=blocks, response_type="ephemeral")
            return
        # Hand the slow work over before acking (it is queued in microseconds), so that anything
        # waiting for the bot to be idle after this request's HTTP answer sees it.
        if reply.work is not None:
            what = inv.args.split(" ", 1)[0] or "command"
            deps.submit(run_reporting, reply.work, respond, what, kind=reply.kind)
        ack(text=reply.text, blocks=reply.blocks, response_type="in_channel" if reply.in_channel else "ephemeral")
