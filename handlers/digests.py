"""`/cekura digest …`: subscribe a channel to a dashboard on a schedule, and manage those digests.

This module holds the command table, the commands that take only a digest id (run, log, pause,
resume, remove) and the digest buttons; `add` and `edit` are in handlers/digest_setup.py, `list` and
the access checks in handlers/digest_access.py. Changes are announced in the digest's channel when
made there, and the process's scheduler is told at once.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.digests import Subscription
from bot.digests.scheduler import changed, run_now
from bot.errors import UserError
from bot.slack.text import Mention, Mrkdwn, escape, md
from handlers import digest_messages as dm
from handlers import messages
from handlers.digest_access import check_click, guarded, list_command
from handlers.digest_log import delivery_log
from handlers.digest_notify import SlackDigestNotifier
from handlers.digest_setup import add_command, edit_command
from handlers.errors import run_reporting
from handlers.router import Invocation, Reply, Subcommand, group_help, parse_id

if TYPE_CHECKING:
    from bot.deps import Deps

BUTTONS = re.compile("^(" + "|".join(re.escape(action) for action in dm.DigestActions) + ")$")


def _only_id(inv: Invocation, verb: str) -> int:
    usage = f"/cekura digest {verb} <id>"
    subscription_id, rest = parse_id(inv.args, "digest", usage)
    if rest.strip():
        raise UserError(f"`digest {verb}` takes only the digest id; `{rest.strip()}` is extra.", usage=usage)
    return subscription_id


def _said(sub: Subscription, inv: Invocation, what: Mrkdwn) -> Reply:
    """The confirmation: in the channel when the digest is this channel's, else only to the requester."""
    return Reply(
        f"Digest {sub.id} {what}.", blocks=dm.changed_blocks(sub, what), in_channel=inv.channel_id == sub.channel
    )


def remove_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest remove <id>`."""

    def act(sub: Subscription) -> Reply:
        removed = deps.digests.remove(sub.id)
        changed(deps, removed.id)
        return _said(removed, inv, md("was removed by {who}", who=Mention(inv.user_id)))

    return guarded(deps, inv, _only_id(inv, "remove"), act)


def pause_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest pause <id>`."""

    def act(sub: Subscription) -> Reply:
        paused = deps.digests.pause(sub.id, dm.pause_reason(inv.user_id))
        changed(deps, paused.id)
        what = md(
            "is paused by {who}; `/cekura digest resume {id}` starts it again", who=Mention(inv.user_id), id=paused.id
        )
        return _said(paused, inv, what)

    return guarded(deps, inv, _only_id(inv, "pause"), act)


def resume_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest resume <id>`."""

    def act(sub: Subscription) -> Reply:
        resumed = deps.digests.resume(sub.id)
        changed(deps, resumed.id)
        text = md("is running again (resumed by {who})", who=Mention(inv.user_id))
        blocks = dm.changed_blocks(resumed, text, resumed.next_times(deps.clock()))
        return Reply(f"Digest {resumed.id} {text}.", blocks=blocks, in_channel=inv.channel_id == resumed.channel)

    return guarded(deps, inv, _only_id(inv, "resume"), act)


def run_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest run <id>`: send it now, outside the schedule."""

    def act(sub: Subscription) -> Reply:
        def work() -> None:
            outcome = run_now(deps, sub, inv.user_id)
            if outcome.state == "failed":
                raise UserError(f"Digest {sub.id} could not be sent: {outcome.detail}")
            if outcome.state == "taken":
                inv.respond(text=f"Digest {sub.id} is being sent right now.", response_type="ephemeral")
            elif inv.channel_id != sub.channel:
                inv.respond(text=f"Sent digest {sub.id} to <#{sub.channel}>.", response_type="ephemeral")

        return Reply(f":hourglass_flowing_sand: Sending digest {sub.id} now…", work=work)

    return guarded(deps, inv, _only_id(inv, "run"), act)


def log_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest log <id>`: its last deliveries (slot, state, late, attempts, duration, error, link)."""
    return guarded(deps, inv, _only_id(inv, "log"), lambda sub: delivery_log(deps, inv, sub))


def digest_help(deps: Deps, inv: Invocation) -> Reply:
    """`digest` alone (or with an unknown word): the digest commands."""
    text = group_help("Scheduled digests", "digest", COMMANDS, inv.args)
    return Reply(escape(text), blocks=messages.text_blocks(text))


COMMANDS: list[Subcommand] = [
    Subcommand(
        "digest add",
        "dashboard <id> <schedule> [zone] [since 24h] [where …] [skip-if-empty] [only-if-changed]",
        "send a dashboard to this channel on a schedule (daily 09:00, weekdays 09:00, weekly mon 09:00, hourly, "
        'cron "0 9 * * 1-5")',
        add_command,
        examples=("digest add dashboard 12 weekdays 09:00 Europe/Berlin skip-if-empty",),
    ),
    Subcommand(
        "digest list",
        "[all]",
        "this channel's digests (or those of every channel you are in)",
        list_command,
        aliases=("digests",),
    ),
    Subcommand("digest edit", "<id> <options as for add>", "change a digest", edit_command),
    Subcommand("digest run", "<id>", "send a digest now", run_command),
    Subcommand("digest log", "<id>", "its last deliveries: sent, skipped or failed, and why", log_command),
    Subcommand("digest pause", "<id>", "pause a digest", pause_command),
    Subcommand("digest resume", "<id>", "resume a digest", resume_command),
    Subcommand("digest remove", "<id>", "delete a digest", remove_command, aliases=("digest delete",)),
    Subcommand("digest", "", "help on digests", digest_help),
]
_BUTTON_HANDLERS = {
    dm.DigestActions.RUN: run_command,
    dm.DigestActions.PAUSE: pause_command,
    dm.DigestActions.RESUME: resume_command,
    dm.DigestActions.REMOVE: remove_command,
}


def register(app: App, deps: Deps) -> None:
    """Give deliveries their Slack notifier, and listen for the digest buttons (Send now, Pause, Resume, Remove)."""
    deps.digest_notifier = SlackDigestNotifier

    @app.action(BUTTONS)
    def on_button(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        action = body["actions"][0]
        channel = str((body.get("channel") or {}).get("id") or body.get("container", {}).get("channel_id", ""))
        inv = Invocation(str(body["user"]["id"]), channel, str(action.get("value", "")), respond)
        handle = _BUTTON_HANDLERS[dm.DigestActions(action["action_id"])]

        def work() -> None:
            check_click(deps, inv)
            reply = handle(deps, inv)
            respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False)
            if reply.work is not None:
                reply.work()

        deps.submit(run_reporting, work, respond, "digest button", what="digest button")
        ack()
