"""Who may see or change a digest: the members of its channel and bot admins (`ADMINS`).

    return guarded(deps, inv, subscription_id, act)  # `act` runs only for those; everyone else hears `hidden`

A digest that does not exist and one the user may not see get the same words, so ids reveal nothing;
`digest list` shows each user only the digests of the channels they are in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from bot.access import TYPED_MEANS_MEMBER, CannotVerify
from bot.digests import Subscription
from bot.errors import UserError
from handlers import digest_messages as dm
from handlers import messages
from handlers.channel_guard import check_channel, owned_by_channel, send
from handlers.router import Invocation, Reply, parse_id

if TYPE_CHECKING:
    from bot.deps import Deps


def hidden(subscription_id: int) -> str:
    """The answer for a digest that does not exist and for one the user may not see: the same words."""
    return (
        f"There is no digest {subscription_id} that you can see. A digest belongs to its channel: only members "
        "of that channel and bot admins (`ADMINS`) may see or change it, so if it is in a channel you are not "
        "in, ask a member of that channel or a bot admin. `/cekura digest list all` lists the ones you can see."
    )


def guarded(deps: Deps, inv: Invocation, subscription_id: int, act: Callable[[Subscription], Reply]) -> Reply:
    """`act` on the digest, for members of its channel and admins only (see handlers.channel_guard)."""

    def find() -> tuple[Subscription, str] | None:
        sub = deps.digests.get(subscription_id)
        return None if sub is None else (sub, sub.channel)

    return owned_by_channel(deps, inv, find, act, subject=f"digest {subscription_id}", hidden=hidden(subscription_id))


def check_click(deps: Deps, inv: Invocation) -> None:
    """A click proves no membership (lists and DMs carry other channels' buttons): check before acting."""
    subscription_id, _ = parse_id(inv.args, "digest", "/cekura digest list")
    sub = deps.digests.get(subscription_id)
    if sub is None or not check_channel(deps, inv.user_id, sub.channel, f"digest {subscription_id}"):
        raise UserError(hidden(subscription_id))


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
