"""Commands on things that belong to a channel (digests now, alerts later): members and ADMINS only.

The membership check may be a Slack call, so it stays off the 3 s ack path: a command is answered in
the ack only when the answer is already known (an admin, the channel the command was typed in, or a
cached membership); otherwise the ack says "checking" and the command runs after it. A refusal and
an unknown id take the same path and get the same words, so nobody learns that a private channel has
something of the kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

from bot.access import CannotVerify
from bot.errors import UserError
from handlers.router import Invocation, Reply

if TYPE_CHECKING:
    from bot.deps import Deps

T = TypeVar("T")


def check_channel(deps: Deps, user: str, channel: str, subject: str, *, typed_in: str | None = None) -> bool:
    """Whether `user` may use `channel`'s things (Slack I/O on a cache miss); a UserError when Slack can't tell."""
    try:
        return deps.access.may_use_channel(user, channel, typed_in=typed_in)
    except CannotVerify as exc:
        raise UserError(
            f"I could not check that you are in the channel of {subject}: {exc}. Nothing was changed. "
            "Bot admins (`ADMINS`) can still see and change it."
        ) from exc


def send(inv: Invocation, reply: Reply) -> None:
    """Say a Reply after the ack (through the response_url), then run its own slow work."""
    kind = "in_channel" if reply.in_channel else "ephemeral"
    inv.respond(text=reply.text, blocks=reply.blocks, response_type=kind, replace_original=False)
    if reply.work is not None:
        reply.work()


def owned_by_channel(
    deps: Deps,
    inv: Invocation,
    find: Callable[[], tuple[T, str] | None],
    act: Callable[[T], Reply],
    *,
    subject: str,
    hidden: str,
) -> Reply:
    """Run `act` on what `find` returns (the thing and its channel) if `inv.user_id` may use that channel.

    In the ack when the answer is known without Slack; otherwise after it. Nothing found and not
    allowed both answer `hidden`, by the same path.
    """
    found = find()
    if found is not None and deps.access.known(inv.user_id, found[1], typed_in=inv.channel_id) is True:
        return act(found[0])

    def work() -> None:
        again = find()  # read again: it may have changed while the ack went out
        if again is None or not check_channel(deps, inv.user_id, again[1], subject, typed_in=inv.channel_id):
            raise UserError(hidden)
        send(inv, act(again[0]))

    return Reply(f":hourglass_flowing_sand: Checking that you may use {subject}…", work=work)
