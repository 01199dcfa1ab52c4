"""Helpers of the channel-access tests: a bot with an admin, a private team channel, and readers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bot.digests import Subscription
from bot.sandbox.harness import Harness
from bot.sandbox.slack_driver import Delivery
from tests.conftest import Clock
from tests.digest_helpers import at, subscribe

ADMIN = "U_CAROL"  # in ADMINS, and not a member of G_TEAM
MEMBER = "U_ALICE"  # in G_TEAM (and C_GENERAL)
STRANGER = "U_BOB"  # in C_GENERAL only
TEAM = "G_TEAM"  # private; the bot, U_ALICE and three more, so conversations.members takes 3 pages of 2
SECRET = 'metadata.region = "secret-eu"'  # a private digest's filter, which no refusal may show


@contextmanager
def access_harness(clock: Clock, url: str) -> Iterator[Harness]:
    """The digest harness with ADMINS = U_CAROL."""
    clock.now = at(2, 6)
    with Harness.start(clock=clock, render_workers=0, database_url=url, admins=[ADMIN]) as h:
        yield h
        h.driver.close()  # before the server stops, or it waits 5 s on the keep-alive connection


def add_team(h: Harness) -> None:
    """The private channel G_TEAM (bot in it) and C_BOBS (the bot and U_BOB)."""
    bot = h.slack.bot_user_id
    h.slack.add_channel(TEAM, "team", private=True, members=(bot, MEMBER, "U_X1", "U_X2", "U_X3"))
    h.slack.add_channel("C_BOBS", "bobs", members=(bot, STRANGER))


def team_digest(h: Harness, *, paused: bool = False) -> Subscription:
    """A digest of dashboard 7 to G_TEAM with the secret filter (paused when asked)."""
    sub = subscribe(h, TEAM, 7, "daily 09:00", where_text=SECRET)
    return h.deps.digests.pause(sub.id, "paused by hand") if paused else sub


def after_ack(h: Harness, ack: Delivery) -> dict[str, Any]:
    """The one answer posted to the command's response_url after its ack."""
    assert ack.status == 200, ack.body
    assert h.deps.wait_idle(30)
    answers = [dict(r) for r in h.slack.responses if r.url == ack.response_url]
    assert len(answers) == 1, answers
    return answers[0]


def dumps(value: object) -> str:
    """JSON text, unicode kept."""
    return json.dumps(value, ensure_ascii=False)


def shape(value: object, subscription_id: int) -> str:
    """An answer with its digest id blanked, to compare the answers for two ids."""
    return dumps(value).replace(f"digest {subscription_id}", "digest N")
