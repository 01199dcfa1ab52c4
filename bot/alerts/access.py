"""Who may see and change an alert: members of its channel, and ADMINS.

    rules = ChannelRules(members=lambda channel: {...}, admins={"U_ADMIN"})
    rules.may_use("U_ALICE", "C_OPS")

`bot/deps.py` wires `AccessRules(ChannelAccess)`: the same cached membership checks as digests
(bot.access). `ChannelRules` takes any membership source, for tests. Commands only depend on `may_use`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import Protocol

from bot.access import ChannelAccess
from bot.errors import UserError


class MayUse(Protocol):
    """Anything that answers whether `user` may manage alerts of `channel`."""

    def may_use(self, user: str, channel: str) -> bool:
        """True when `user` may see and change `channel`'s alerts."""
        ...


class ChannelRules:
    """Channel members and admins may use a channel's alerts; everyone else may not."""

    def __init__(self, members: Callable[[str], Iterable[str]], admins: Collection[str] = ()) -> None:
        self._members = members
        self._admins = set(admins)

    def may_use(self, user: str, channel: str) -> bool:
        """True for ADMINS and for members of `channel` (a lookup failure means no)."""
        if user in self._admins:
            return True
        try:
            return user in set(self._members(channel))
        except Exception:  # channel gone or hidden from the bot: nobody but admins may touch it
            return False


class AccessRules:
    """The bot's channel rules (bot.access: members of the channel and ADMINS), as alerts ask for them."""

    def __init__(self, access: ChannelAccess) -> None:
        self._access = access

    def may_use(self, user: str, channel: str) -> bool:
        """True when `user` may see and change `channel`'s alerts (CannotVerify when Slack cannot tell)."""
        return self._access.may_use_channel(user, channel)


def require(rules: MayUse, user: str, channel: str, alert_id: int) -> None:
    """A UserError when `user` may not use the alert of `channel`."""
    if not rules.may_use(user, channel):
        raise UserError(
            f"Alert {alert_id} belongs to a channel you are not in ({channel}). "
            "Ask a member of that channel or an admin."
        )
