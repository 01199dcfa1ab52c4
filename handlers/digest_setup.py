"""`/cekura digest add` and `/cekura digest edit`: the commands that take a digest's options.

Everything that can be checked without a network call is checked in the ack (schedule, zone,
range, filter); the dashboard (and the requester's Slack time zone, when none is given) is looked
up afterwards, and nothing is stored until every check passed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.digests import Subscription
from bot.digests.scheduler import changed
from bot.digests.store import UNSET
from bot.digests.zones import user_zone
from bot.errors import UserError
from bot.slack.text import Mention, md
from handlers import digest_messages as dm
from handlers.channel_guard import send
from handlers.digest_access import guarded
from handlers.digest_options import EDIT_USAGE, check_complete, parse_options
from handlers.router import Invocation, Reply, parse_id

if TYPE_CHECKING:
    from bot.deps import Deps


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

    return guarded(deps, inv, subscription_id, act)
