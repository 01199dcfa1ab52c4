"""`/cekura digest log <id>`: a digest's last deliveries from the ledger, with links to the messages.

The answer to "why didn't it arrive?": each slot's state (sent, skipped, failed, being delivered),
whether it was late, attempts, how long it took, the error in words, and a link to the message.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from slack_sdk.errors import SlackApiError

from bot.digests import Delivery, Subscription
from bot.digests.history import recent_deliveries
from bot.digests.tables import DeliveryState
from handlers import digest_messages as dm
from handlers.channel_guard import send
from handlers.router import Invocation, Reply

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)


def _permalinks(deps: Deps, channel: str, rows: list[Delivery]) -> dict[int, str]:
    """Links to the posted messages by row id ("" when Slack could not say; absent when it is gone)."""
    links: dict[int, str] = {}
    for row in rows:
        if row.state is not DeliveryState.SENT or not row.message_ts:
            continue
        try:
            links[row.id] = str(deps.slack.chat_getPermalink(channel=channel, message_ts=row.message_ts)["permalink"])
        except SlackApiError as exc:
            code = exc.response.get("error") if exc.response is not None else None
            if code != "message_not_found":
                log.warning("no permalink for digest message %s: %s", row.message_ts, code)
                links[row.id] = ""
    return links


def delivery_log(deps: Deps, inv: Invocation, sub: Subscription) -> Reply:
    """The answer to `digest log`, once the user may see `sub`: at once, or after the ack when links are needed."""
    rows = recent_deliveries(deps.db, sub.id)

    def reply(links: dict[int, str]) -> Reply:
        blocks = dm.log_blocks(sub, rows, links, deps.clock(), deps.ledger.max_attempts)
        return Reply(dm.log_text(sub, rows), blocks=blocks)

    if not any(row.state is DeliveryState.SENT and row.message_ts for row in rows):
        return reply({})
    # The links are Slack calls: after the ack.
    return Reply(
        f":hourglass_flowing_sand: Reading the deliveries of digest {sub.id}…",
        work=lambda: send(inv, reply(_permalinks(deps, sub.channel, rows))),
    )
