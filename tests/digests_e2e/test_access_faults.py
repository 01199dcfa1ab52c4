"""When Slack cannot say who is in a channel: refused with a reason, nothing changed, admins still allowed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.harness import Harness
from bot.slack.retry import RETRIES
from tests.access_helpers import ADMIN, MEMBER, SECRET, TEAM, access_harness, add_team, after_ack, dumps, team_digest
from tests.conftest import Clock

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def module_harness(clock: Clock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with access_harness(clock, f"sqlite:///{tmp_path_factory.mktemp('access-faults')}/bot.sqlite") as h:
        yield h


@pytest.fixture
def th(dh: Harness) -> Harness:
    add_team(dh)
    return dh


def refused(h: Harness, text: str, needle: str) -> None:
    """`text` as the member, from C_GENERAL: a clear refusal saying `needle`; the digest untouched."""
    before = h.deps.digests.list()
    answer = after_ack(h, h.driver.command(text, user=MEMBER))
    assert answer["response_type"] == "ephemeral" and "Nothing was changed" in answer["text"], answer
    assert needle in answer["text"] and SECRET not in dumps(answer), answer["text"]
    assert h.deps.digests.list() == before and not h.slack.messages


def test_a_channel_the_bot_left_cannot_be_verified_but_admins_still_manage_it(th: Harness) -> None:
    sub = team_digest(th)
    th.slack.channels[TEAM].members.discard(th.slack.bot_user_id)
    refused(th, f"digest pause {sub.id}", "I am not in that channel (any more)")
    assert [c.error for c in th.slack.calls("conversations.members")] == ["channel_not_found"]
    ack = th.driver.command(f"digest pause {sub.id}", user=ADMIN)
    assert "is paused by <@U_CAROL>" in ack.json["text"] and th.deps.digests.get(sub.id).paused


def test_rate_limits_are_retried_then_refused(th: Harness) -> None:
    sub = team_digest(th)
    th.slack.fail("conversations.members", retry_after=0, times=1)
    after_ack(th, th.driver.command(f"digest pause {sub.id}", user=MEMBER))
    assert th.deps.digests.get(sub.id).paused  # one 429, then the client's retry got through
    th.deps.access.clear()
    th.slack.reset()
    add_team(th)
    th.slack.fail("conversations.members", retry_after=0, times=50)
    refused(th, f"digest resume {sub.id}", "Slack did not answer my membership check (ratelimited)")
    # The call and the client's bounded retries (bot.slack.retry keeps every Slack call under a deadline).
    assert len(th.slack.calls("conversations.members")) == 1 + RETRIES
    assert th.deps.digests.get(sub.id).paused


def test_server_errors_are_refused_and_not_cached(th: Harness) -> None:
    sub = team_digest(th)
    th.slack.fail("conversations.members", error="internal_error", status=500, retry_after=None, times=3)
    refused(th, f"digest remove {sub.id}", "internal_error")
    after_ack(th, th.driver.command(f"digest remove {sub.id}", user=MEMBER))  # Slack is back: asked again
    assert th.deps.digests.get(sub.id) is None


def test_a_missing_scope_says_which(th: Harness) -> None:
    sub = team_digest(th)
    th.slack.scopes.discard("groups:read")
    refused(th, f"digest run {sub.id}", "`groups:read` scope")
    th.slack.scopes.add("groups:read")
    th.slack.scopes.discard("im:read")
    answer = after_ack(th, th.driver.command("digest list all", user=MEMBER))
    assert "could not check which channels you are in" in answer["text"] and "`im:read`" in answer["text"]
