"""`/cekura digest …`: subscribe a channel to a dashboard on a schedule, and manage those digests.

Everything that can be checked without a network call is checked in the ack (schedule, zone,
range, filter); the dashboard (and the requester's Slack time zone, when none is given) is looked
up afterwards, and nothing is stored until every check passed. Changes are announced in the
digest's channel when made there, and the process's scheduler is told at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.access import TYPED_MEANS_MEMBER, CannotVerify
from bot.digests import Subscription
from bot.digests.scheduler import changed, run_now
from bot.digests.store import UNSET
from bot.digests.zones import user_zone
from bot.errors import UserError
from bot.slack_text import Mention, Mrkdwn, escape, md
from handlers import digest_messages as dm
from handlers import messages
from handlers.channel_guard import check_channel, owned_by_channel, send
from handlers.digest_log import delivery_log
from handlers.digest_notify import SlackDigestNotifier
from handlers.digest_options import EDIT_USAGE, check_complete, parse_options
from handlers.errors import run_reporting
from handlers.router import Invocation, Reply, Subcommand, group_help, parse_id

if TYPE_CHECKING:
    from bot.deps import Deps

BUTTONS = re.compile("^(" + "|".join(re.escape(action) for action in dm.DigestActions) + ")$")


def hidden(subscription_id: int) -> str:
    """The answer for a digest that does not exist and for one the user may not see: the same words."""
    return (
        f"There is no digest {subscription_id} that you can see. A digest belongs to its channel: only members "
        "of that channel and bot admins (`ADMINS`) may see or change it, so if it is in a channel you are not "
        "in, ask a member of that channel or a bot admin. `/cekura digest list all` lists the ones you can see."
    )


def _guarded(deps: Deps, inv: Invocation, subscription_id: int, act: Callable[[Subscription], Reply]) -> Reply:
    """`act` on the digest, for members of its channel and admins only (see handlers.channel_guard)."""

    def find() -> tuple[Subscription, str] | None:
        sub = deps.digests.get(subscription_id)
        return None if sub is None else (sub, sub.channel)

    return owned_by_channel(deps, inv, find, act, subject=f"digest {subscription_id}", hidden=hidden(subscription_id))


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


def add_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest add dashboard 12 daily 09:00 [zone] [since 24h] [where …] [skip-if-empty] [only-if-changed]`."""
    options = parse_options(inv.args, deps.clock())
    dashboard_id, schedule = check_complete(options)

    def work() -> None:
        tz = options.tz or user_zone(deps.slack, inv.user_id, deps.settings.timezone)
        dashboard = deps.cekura.get_dashboard(dashboard_id)  # unknown → the error, and nothing stored
        sub = deps.digests.add(
            channel=inv.channel_id,
            dashboard_id=dashboard_id,
            schedule=schedule,
            tz=tz,
            owner=inv.user_id,
            since=None if options.since is UNSET else options.since,
            where_text=None if options.where_text is UNSET else options.where_text,
            skip_if_empty=options.skip_if_empty is True,
            only_if_changed=options.only_if_changed is True,
        )
        blocks = dm.added_blocks(sub, dashboard.title, inv.user_id, sub.next_times(deps.clock()))
        try:
            # The announcement doubles as the check that the bot can post here (it joins public channels).
            deps.poster.post_message(inv.channel_id, text=dm.added_text(sub, dashboard.title), blocks=blocks)
        except Exception:
            deps.digests.remove(sub.id)  # nothing stays stored when the channel cannot get it
            raise
        changed(deps, sub.id)

    zone = f" {options.tz}" if options.tz else ""
    return Reply(
        f":hourglass_flowing_sand: Setting up a digest of dashboard {dashboard_id} ({schedule.text}{zone})…", work=work
    )


def list_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest list [all]`: this channel's digests, or those of every channel the user is in (admins: all)."""
    scope = inv.args.strip().lower()
    if scope not in ("", "all"):
        raise UserError(
            f"`digest list` takes `all` or nothing, not `{inv.args.strip()}`.", usage="/cekura digest list [all]"
        )
    if scope == "all":
        return _list_all(deps, inv)

    def here(_: None) -> Reply:
        subs = deps.digests.list(inv.channel_id)
        count = messages.plural(len(subs), "digest").capitalize()
        return Reply(f"{count} in this channel.", blocks=dm.list_blocks(subs, deps.clock(), "in this channel"))

    hidden_here = "I cannot show this conversation's digests: you are not in it."
    return owned_by_channel(
        deps, inv, lambda: (None, inv.channel_id), here, subject="this conversation's digests", hidden=hidden_here
    )


def _list_all(deps: Deps, inv: Invocation) -> Reply:
    """Every digest for admins; for anyone else those of the channels they are in (users.conversations)."""

    def listing(channels: frozenset[str] | None) -> Reply:
        subs = [s for s in deps.digests.list() if channels is None or s.channel in channels]
        where = "in every channel" if channels is None else "in the channels you are in"
        count = messages.plural(len(subs), "digest").capitalize()
        return Reply(f"{count} {where}.", blocks=dm.list_blocks(subs, deps.clock(), where))

    # Where the command was typed counts at once: Slack lets only members type there.
    typed = frozenset({inv.channel_id}) if inv.channel_id.startswith(TYPED_MEANS_MEMBER) else frozenset()
    if deps.access.is_admin(inv.user_id):
        return listing(None)
    cached = deps.access.known_channels(inv.user_id)
    if cached is not None:
        return listing(cached | typed)

    def work() -> None:
        try:
            mine = deps.access.visible_channels(inv.user_id)
        except CannotVerify as exc:
            raise UserError(f"I could not check which channels you are in: {exc}.") from exc
        send(inv, listing((mine or frozenset()) | typed))

    return Reply(":hourglass_flowing_sand: Looking up the digests of the channels you are in…", work=work)


def remove_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest remove <id>`."""

    def act(sub: Subscription) -> Reply:
        removed = deps.digests.remove(sub.id)
        changed(deps, removed.id)
        return _said(removed, inv, md("was removed by {who}", who=Mention(inv.user_id)))

    return _guarded(deps, inv, _only_id(inv, "remove"), act)


def pause_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest pause <id>`."""

    def act(sub: Subscription) -> Reply:
        paused = deps.digests.pause(sub.id, dm.pause_reason(inv.user_id))
        changed(deps, paused.id)
        what = md(
            "is paused by {who}; `/cekura digest resume {id}` starts it again", who=Mention(inv.user_id), id=paused.id
        )
        return _said(paused, inv, what)

    return _guarded(deps, inv, _only_id(inv, "pause"), act)


def resume_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest resume <id>`."""

    def act(sub: Subscription) -> Reply:
        resumed = deps.digests.resume(sub.id)
        changed(deps, resumed.id)
        text = md("is running again (resumed by {who})", who=Mention(inv.user_id))
        blocks = dm.changed_blocks(resumed, text, resumed.next_times(deps.clock()))
        return Reply(f"Digest {resumed.id} {text}.", blocks=blocks, in_channel=inv.channel_id == resumed.channel)

    return _guarded(deps, inv, _only_id(inv, "resume"), act)


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

    return _guarded(deps, inv, _only_id(inv, "run"), act)


def edit_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest edit <id> …`: the same options as `add`; what is not mentioned stays as it is."""
    subscription_id, rest = parse_id(inv.args, "digest", EDIT_USAGE)
    options = parse_options(rest, deps.clock(), usage=EDIT_USAGE)  # before the lookup: says nothing about it
    if options.is_empty:
        raise UserError(f"What should change in digest {subscription_id}?", usage=EDIT_USAGE)

    def apply(sub: Subscription) -> Reply:
        if options.dashboard_id is not None:
            deps.cekura.get_dashboard(options.dashboard_id)  # unknown → the error, and nothing changed
        edited = deps.digests.update(
            sub.id,
            dashboard_id=UNSET if options.dashboard_id is None else options.dashboard_id,
            schedule=options.schedule or UNSET,
            tz=options.tz or UNSET,
            since=options.since,
            where_text=options.where_text,
            skip_if_empty=options.skip_if_empty,
            only_if_changed=options.only_if_changed,
        )
        changed(deps, edited.id)
        what = md("was changed by {who}", who=Mention(inv.user_id))
        blocks = dm.changed_blocks(edited, what, edited.next_times(deps.clock()))
        return Reply(f"Digest {edited.id} {what}.", blocks=blocks, in_channel=inv.channel_id == edited.channel)

    def act(sub: Subscription) -> Reply:
        if options.dashboard_id is None:
            return apply(sub)
        # The new dashboard is a Cekura call: after the ack.
        return Reply(
            f":hourglass_flowing_sand: Checking dashboard {options.dashboard_id}…", work=lambda: send(inv, apply(sub))
        )

    return _guarded(deps, inv, subscription_id, act)


def log_command(deps: Deps, inv: Invocation) -> Reply:
    """`digest log <id>`: its last deliveries (slot, state, late, attempts, duration, error, link)."""
    return _guarded(deps, inv, _only_id(inv, "log"), lambda sub: delivery_log(deps, inv, sub))


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


def _check_click(deps: Deps, inv: Invocation) -> None:
    """A click proves no membership (lists and DMs carry other channels' buttons): check before acting."""
    subscription_id, _ = parse_id(inv.args, "digest", "/cekura digest list")
    sub = deps.digests.get(subscription_id)
    if sub is None or not check_channel(deps, inv.user_id, sub.channel, f"digest {subscription_id}"):
        raise UserError(hidden(subscription_id))


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
            _check_click(deps, inv)
            reply = handle(deps, inv)
            respond(text=reply.text, blocks=reply.blocks, response_type="ephemeral", replace_original=False)
            if reply.work is not None:
                reply.work()

        deps.submit(run_reporting, work, respond, "digest button", what="digest button")
        ack()
