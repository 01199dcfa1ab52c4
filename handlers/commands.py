"""The `/cekura` listener: ack within Slack's 3 s with an answer or a receipt, then do the slow work."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.errors import UserError
from bot.logs import new_request_id, request_context
from bot.slack.text import escape
from handlers import alerts, dashboard, digests, edits, messages
from handlers.errors import outcome_of, run_reporting, user_message
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


def subcommand_of(text: str) -> str:
    """The table's words for the sub-command `text` names (`help` when empty, `unknown` when none)."""
    if not text.strip():
        return HELP.words
    try:
        return ROUTER.match(text).command.words
    except UserError:
        return "unknown"


def answer(deps: Deps, text: str, inv: Invocation) -> Reply:
    """The immediate reply to a slash command's text (help for empty text, an error for bad input)."""
    return _answer(deps, text, inv)[0]


def _answer(deps: Deps, text: str, inv: Invocation) -> tuple[Reply, str]:
    """The reply and its outcome so far (`user_error` when the text was refused at once)."""
    if not text.strip():
        return help_command(deps, inv), "ok"
    try:
        match = ROUTER.match(text)
        invocation = Invocation(inv.user_id, inv.channel_id, match.args, inv.respond, inv.trigger_id)
        return match.command.handle(deps, invocation), "ok"
    except UserError as exc:
        return Reply(messages.error_text(exc), blocks=messages.user_error(exc)), "user_error"


def finished(deps: Deps, name: str, outcome: str, started: float) -> None:
    """Count a finished command and write its one summary line (after the slow work, if any)."""
    deps.metrics.commands.labels(name, outcome).inc()
    duration_ms = round((time.perf_counter() - started) * 1000)
    extra = {"outcome": outcome, "duration_ms": duration_ms}
    log.info("/cekura %s finished: %s in %d ms", name, outcome, duration_ms, extra=extra)


def _after_ack(deps: Deps, name: str, started: float, work: Callable[[], None], respond: Respond) -> None:
    finished(deps, name, run_reporting(work, respond, name), started)


def register(app: App, deps: Deps) -> None:
    """Listen for `/cekura`."""

    @app.command(COMMAND)
    def on_command(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        started = time.perf_counter()
        inv = Invocation(
            user_id=str(body.get("user_id", "")),
            channel_id=str(body.get("channel_id", "")),
            args=unescape_slack(str(body.get("text") or "")),
            respond=respond,
            trigger_id=str(body.get("trigger_id", "")),
        )
        name = subcommand_of(inv.args)
        context = {"command": name, "team_id": str(body.get("team_id", "")), "request_id": new_request_id()}
        with request_context(**context, channel_id=inv.channel_id, user_id=inv.user_id):
            try:
                reply, outcome = _answer(deps, inv.args, inv)
            except Exception as exc:  # never leave Slack without an answer
                text, blocks = user_message(exc)
                ack(text=text, blocks=blocks, response_type="ephemeral")
                finished(deps, name, outcome_of(exc), started)
                return
            # Hand the slow work over before acking (it is queued in microseconds), so that anything
            # waiting for the bot to be idle after this request's HTTP answer sees it.
            if reply.work is not None:
                deps.submit(_after_ack, deps, name, started, reply.work, respond, kind=reply.kind, what=name)
            kind = "in_channel" if reply.in_channel else "ephemeral"
            ack(text=reply.text, blocks=reply.blocks, response_type=kind)
            if reply.work is None:
                finished(deps, name, outcome, started)
