"""What delivery needs from the Slack side, as a protocol: the posting itself lives in handlers/.

`handlers/digest_notify.py: SlackDigestNotifier` implements `DigestNotifier`; `handlers.digests.register`
puts that class in `deps.digest_notifier`, and the deliverer builds one from it. bot/ never imports handlers/.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from bot.digests.build import Digest
from bot.digests.store import Subscription

if TYPE_CHECKING:
    from bot.deps import Deps


class DigestNotifier(Protocol):
    """Posts digests, finds a post that already landed, and tells people when one cannot be delivered."""

    def post_digest(
        self,
        sub: Subscription,
        digest: Digest,
        *,
        slot: datetime,
        late: bool,
        requester: str | None,
        on_uploaded: Callable[[list[str]], None] | None = None,
    ) -> str | None:
        """Post `digest` to the subscription's channel; the message ts (None when Slack gave none)."""
        ...

    def already_posted(self, channel: str, file_id: str) -> str | None:
        """The ts of the message that shared `file_id` in `channel`, if it landed."""
        ...

    def paused(self, sub: Subscription, reason: str) -> None:
        """Tell the owner the digest paused itself."""
        ...

    def gave_up(self, sub: Subscription, slot: datetime, reason: str) -> None:
        """Tell the channel a slot could not be delivered."""
        ...


NotifierFactory = Callable[["Deps", Callable[[int], None]], DigestNotifier]


def notifier_for(deps: Deps, on_pause: Callable[[int], None]) -> DigestNotifier:
    """The Slack notifier the handlers wired into `deps` (create_app does it before any delivery)."""
    if deps.digest_notifier is None:
        raise RuntimeError("no digest notifier wired: build the app with bot.app.create_app(settings, deps) first")
    factory: NotifierFactory = deps.digest_notifier
    return factory(deps, on_pause)
