"""What the digest machinery says in Slack: the digest itself, the owner's DM when a digest pauses
itself, and the channel's notice when a slot could not be built after every retry.

The Slack side of `bot.digests.notify.DigestNotifier`; `handlers.digests.register` hands this class to
the deliverer (`deps.digest_notifier`), so bot/ never imports handlers/.

    notifier = SlackDigestNotifier(deps, on_pause=scheduler.changed)
    ts = notifier.post_digest(sub, digest, slot=slot, late=False, requester=None)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.digests.build import Digest
from bot.digests.store import Subscription
from handlers import digest_notices as dn
from handlers.dashboard import chart_file

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)


def _slack_error(exc: Exception) -> object:
    return exc.response.get("error") if isinstance(exc, SlackApiError) else exc


class SlackDigestNotifier:
    """Posts digests and tells people when one cannot be delivered."""

    def __init__(self, deps: Deps, on_pause: Callable[[int], None]) -> None:
        self.deps = deps
        self.on_pause = on_pause

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
        """Post `digest` to the subscription's channel: one message with the charts (more in its thread).

        `on_uploaded(file_ids)` runs after the first message's charts are uploaded, before Slack
        shares them: the ledger records them there, so a successor can tell whether the post landed.
        """
        shown = dn.digest_layout(
            digest, sub, slot=slot, late=late, requester=requester, app_url=self.deps.settings.cekura_app_url
        )
        return self.deps.poster.post_charts(
            sub.channel,
            text=dn.digest_text(digest, sub, late=late),
            blocks=shown.blocks,
            files=[chart_file(w.view, w.png) for w in shown.widgets],  # widgets with no data are named, not drawn
            more_text=lambda first, last: dn.digest_comment(digest, shown, first, last),
            on_uploaded=on_uploaded,
            want_ts=True,  # the ledger keeps it: `digest log` links to the message
        )

    def already_posted(self, channel: str, file_id: str) -> str | None:
        """The ts of the message that shared `file_id` in `channel`, or None when it was never shared."""
        share = self.deps.poster.shared_in(channel, file_id)
        return share[0] if share else None

    def paused(self, sub: Subscription, reason: str) -> None:
        """The digest just paused itself: drop its job and DM its owner why and how to resume."""
        self.on_pause(sub.id)
        limit = self.deps.settings.digest_max_failures
        try:
            opened = self.deps.slack.conversations_open(users=sub.owner)
            channel = str(opened["channel"]["id"])
            self.deps.slack.chat_postMessage(
                channel=channel, text=dn.paused_text(sub), blocks=dn.paused_blocks(sub, reason, limit)
            )
        except Exception as exc:  # best effort: the pause itself is what matters
            log.warning("could not tell %s that digest %s paused: %s", sub.owner, sub.id, _slack_error(exc))

    def gave_up(self, sub: Subscription, slot: datetime, reason: str) -> None:
        """Every attempt at a slot failed for a reason outside the subscription: say so in its channel."""
        try:
            self.deps.poster.post_message(
                sub.channel, text=dn.gave_up_text(sub), blocks=dn.gave_up_blocks(sub, slot, reason)
            )
        except Exception as exc:  # best effort: Slack may be the outage
            log.warning("could not post the failure notice of digest %s: %s", sub.id, _slack_error(exc))
