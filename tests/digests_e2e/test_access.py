"""Who may see and change a digest, end to end: signed commands and clicks as a member, a stranger, an admin."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from bot.digests import Subscription
from bot.sandbox.harness import Harness
from handlers.digest_access import hidden
from handlers.digest_messages import DigestActions
from tests.access_helpers import (
    ADMIN,
    MEMBER,
    SECRET,
    STRANGER,
    TEAM,
    access_harness,
    add_team,
    after_ack,
    dumps,
    shape,
    team_digest,
)
from tests.conftest import Clock
from tests.digest_helpers import posted, subscribe

pytestmark = pytest.mark.e2e

Check = Callable[[Subscription | None, Harness], bool]
VERBS: list[tuple[str, bool, Check]] = [
    ("edit {id} daily 10:00", False, lambda s, h: s is not None and s.schedule.text == "daily 10:00"),
    ("run {id}", False, lambda s, h: len(posted(h, TEAM)) == 1),
    ("pause {id}", False, lambda s, h: s is not None and s.paused),
    ("resume {id}", True, lambda s, h: s is not None and not s.paused),
    ("remove {id}", False, lambda s, h: s is None),
]
BUTTONS: list[tuple[DigestActions, bool, Check]] = [
    (DigestActions.RUN, False, VERBS[1][2]),
    (DigestActions.PAUSE, False, VERBS[2][2]),
    (DigestActions.RESUME, True, VERBS[3][2]),
    (DigestActions.REMOVE, False, VERBS[4][2]),
]


@pytest.fixture(scope="module")
def module_harness(clock: Clock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    with access_harness(clock, f"sqlite:///{tmp_path_factory.mktemp('access')}/bot.sqlite") as h:
        yield h


@pytest.fixture
def th(dh: Harness) -> Harness:
    """The clean harness plus G_TEAM and C_BOBS."""
    add_team(dh)
    return dh


def refused_without_a_trace(h: Harness, sub: Subscription, answer: dict[str, object]) -> None:
    """The refusal is the 'no such digest' answer, ephemeral, says nothing of the digest, and nothing changed."""
    assert answer["text"] == hidden(sub.id) and answer["response_type"] == "ephemeral"
    for leak in (SECRET, "secret-eu", TEAM, "dashboard 7"):
        assert leak not in dumps(answer)
    assert h.deps.digests.get(sub.id) == sub
    assert not h.slack.messages and not h.slack.ephemerals


@pytest.mark.parametrize(("verb", "paused", "check"), VERBS, ids=[v[0].split()[0] for v in VERBS])
def test_a_stranger_gets_the_unknown_id_answer_and_nothing_changes(
    th: Harness, verb: str, paused: bool, check: Check
) -> None:
    sub = team_digest(th, paused=paused)
    ack = th.driver.command(f"digest {verb.format(id=sub.id)}", user=STRANGER)
    answer = after_ack(th, ack)
    refused_without_a_trace(th, sub, answer)
    ghost_id = sub.id + 1000
    ghost_ack = th.driver.command(f"digest {verb.format(id=ghost_id)}", user=STRANGER)
    ghost = after_ack(th, ghost_ack)
    # A digest of a channel you are not in and one that does not exist: the same answers, the same way.
    assert shape(ghost_ack.json, ghost_id) == shape(ack.json, sub.id)
    assert shape(ghost, ghost_id) == shape(answer, sub.id)
    again = after_ack(th, th.driver.command(f"digest {verb.format(id=sub.id)}", user=STRANGER))
    assert again == answer  # a cached "no" is answered exactly like the first one
    refused_without_a_trace(th, sub, again)


@pytest.mark.parametrize(("verb", "paused", "check"), VERBS, ids=[v[0].split()[0] for v in VERBS])
def test_a_member_elsewhere_is_checked_after_the_ack_through_every_page(
    th: Harness, verb: str, paused: bool, check: Check
) -> None:
    sub = team_digest(th, paused=paused)
    ack = th.driver.command(f"digest {verb.format(id=sub.id)}", user=MEMBER, channel="C_GENERAL")
    assert ack.json["text"] == f":hourglass_flowing_sand: Checking that you may use digest {sub.id}…"
    assert th.deps.wait_idle(30)
    pages = th.slack.calls("conversations.members")
    assert [c.params.get("cursor") is None for c in pages] == [True, False, False]  # 5 members, 2 a page
    assert check(th.deps.digests.get(sub.id), th), th.slack.responses
    assert all(":warning:" not in dumps(r) for r in th.slack.responses)


def test_a_cached_member_is_answered_in_the_ack(th: Harness) -> None:
    sub = team_digest(th)
    after_ack(th, th.driver.command(f"digest pause {sub.id}", user=MEMBER))
    calls = len(th.slack.calls())
    ack = th.driver.command(f"digest resume {sub.id}", user=MEMBER)
    assert "is running again (resumed by <@U_ALICE>)" in ack.json["text"] and ack.json["response_type"] == "ephemeral"
    assert not th.deps.digests.get(sub.id).paused and len(th.slack.calls()) == calls


def test_typing_in_the_digests_channel_needs_no_slack_call(th: Harness) -> None:
    sub = team_digest(th)
    ack = th.driver.command(f"digest pause {sub.id}", user=MEMBER, channel=TEAM)
    assert ack.json["response_type"] == "in_channel" and "is paused by <@U_ALICE>" in ack.json["text"]
    listing = th.driver.command("digest list", user=MEMBER, channel=TEAM)
    assert f"*{sub.id}* · dashboard 7 to <#G_TEAM>" in dumps(listing.json)
    assert not th.slack.calls("conversations.members") and not th.slack.calls("users.conversations")
    elsewhere = th.driver.command(f"digest resume {sub.id}", user=MEMBER, channel="C_GENERAL")
    assert elsewhere.json["text"].startswith(":hourglass_flowing_sand: Checking that you may use")


@pytest.mark.parametrize(("verb", "paused", "check"), VERBS, ids=[v[0].split()[0] for v in VERBS])
def test_an_admin_may_do_everything_without_a_membership_check(
    th: Harness, verb: str, paused: bool, check: Check
) -> None:
    sub = team_digest(th, paused=paused)
    command = f"digest {verb.format(id=sub.id)}"
    refused_without_a_trace(th, sub, after_ack(th, th.driver.command(command, user=STRANGER)))
    asked = len(th.slack.calls())
    ack = th.driver.command(command, user=ADMIN, channel="C_GENERAL")
    assert "Checking that you may" not in ack.json["text"]  # known at once: answered in the ack
    assert th.deps.wait_idle(30)
    assert check(th.deps.digests.get(sub.id), th)
    membership = [c for c in th.slack.calls()[asked:] if c.method in ("conversations.members", "users.conversations")]
    assert not membership


@pytest.mark.parametrize(("action", "paused", "check"), BUTTONS, ids=[b[0].value for b in BUTTONS])
def test_buttons_follow_the_same_rule(th: Harness, action: DigestActions, paused: bool, check: Check) -> None:
    sub = team_digest(th, paused=paused)
    th.driver.block_action(action, str(sub.id), user=STRANGER, channel="C_GENERAL")
    assert th.deps.wait_idle(30)
    (answer,) = th.slack.responses
    refused_without_a_trace(th, sub, dict(answer))
    for user in (MEMBER, ADMIN):
        th.slack.reset()
        add_team(th)
        if th.deps.digests.get(sub.id) is not None:
            th.deps.digests.remove(sub.id)
        sub = team_digest(th, paused=paused)
        th.driver.block_action(action, str(sub.id), user=user, channel="C_GENERAL")
        assert th.deps.wait_idle(30)
        assert check(th.deps.digests.get(sub.id), th), (user, th.slack.responses)


def test_list_all_shows_only_the_channels_you_are_in(th: Harness) -> None:
    team = team_digest(th)
    general = subscribe(th, "C_GENERAL", 12, "daily 08:00")
    bobs = subscribe(th, "C_BOBS", 30, "hourly")
    private = subscribe(th, "G_PRIVATE", 21, "hourly")  # U_ALICE is in it, the bot is not

    def shown(user: str) -> set[int]:
        ack = th.driver.command("digest list all", user=user)
        text = dumps(ack.json) if "blocks" in ack.json else dumps(after_ack(th, ack))
        return {s.id for s in (team, general, bobs, private) if f"*{s.id}* · dashboard" in text}

    assert shown(STRANGER) == {general.id, bobs.id}
    assert SECRET not in dumps(th.slack.responses)
    assert shown(MEMBER) == {general.id, team.id}  # G_PRIVATE: Slack hides it, the bot could not post there
    assert len(th.slack.calls("users.conversations")) >= 4  # U_ALICE's 9 conversations, 2 a page
    assert shown(ADMIN) == {team.id, general.id, bobs.id, private.id}
    calls = len(th.slack.calls())
    assert shown(MEMBER) == {general.id, team.id} and len(th.slack.calls()) == calls  # cached: in the ack


def test_listing_a_direct_message_is_checked(th: Harness) -> None:
    im = th.slack.open_dm([MEMBER])
    sub = subscribe(th, im.id, 7, "daily 09:00", where_text=SECRET)
    mine = after_ack(th, th.driver.command("digest list", user=MEMBER, channel=im.id))
    assert f"*{sub.id}* · dashboard 7" in dumps(mine)
    theirs = after_ack(th, th.driver.command("digest list", user=STRANGER, channel=im.id))
    assert "you are not in it" in theirs["text"] and SECRET not in dumps(theirs)
