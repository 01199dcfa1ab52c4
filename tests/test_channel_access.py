"""ChannelAccess against the Slack sandbox: the rule, the cache (fake clock), and the sandbox's paging."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.access import ChannelAccess
from bot.sandbox.slack import SlackSandbox


class FakeTimer:
    """A monotonic clock moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SlackSandbox]:
    with SlackSandbox() as slack:
        yield slack


@pytest.fixture
def slack(sandbox: SlackSandbox) -> SlackSandbox:
    sandbox.reset()
    sandbox.add_channel("G_TEAM", "team", private=True, members=(sandbox.bot_user_id, "U_ALICE", "U_X1", "U_X2"))
    return sandbox


def client(slack: SlackSandbox) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.api_url)


def test_members_are_cached_for_the_ttl_then_asked_again(slack: SlackSandbox) -> None:
    timer = FakeTimer()
    access = ChannelAccess(client(slack), admins=["U_CAROL"], ttl=60, timer=timer)
    assert access.known("U_ALICE", "G_TEAM") is None
    assert access.may_use_channel("U_ALICE", "G_TEAM") and not access.may_use_channel("U_BOB", "G_TEAM")
    assert len(slack.calls("conversations.members")) == 2  # 4 members, 2 a page: once for both questions
    slack.channels["G_TEAM"].members.discard("U_ALICE")
    timer.now += 59.9
    assert access.known("U_ALICE", "G_TEAM") is True and access.known("U_BOB", "G_TEAM") is False
    timer.now += 0.2
    assert access.known("U_ALICE", "G_TEAM") is None
    assert not access.may_use_channel("U_ALICE", "G_TEAM")  # removed from the channel: refused from now on
    assert len(slack.calls("conversations.members")) == 4


def test_admins_and_the_channel_typed_in_need_no_call(slack: SlackSandbox) -> None:
    access = ChannelAccess(client(slack), admins=["U_CAROL"])
    assert access.may_use_channel("U_CAROL", "G_TEAM") and access.visible_channels("U_CAROL") is None
    assert access.known("U_BOB", "C_GENERAL", typed_in="C_GENERAL") is True
    assert access.known("U_BOB", "D0SBX00001", typed_in="D0SBX00001") is None  # DMs are still checked
    assert access.known("U_BOB", "G_TEAM", typed_in="C_GENERAL") is None
    assert not slack.calls()


def test_the_cache_is_bounded(slack: SlackSandbox) -> None:
    access = ChannelAccess(client(slack), admins=[], maxsize=2, timer=FakeTimer())
    for channel in ("C_GENERAL", "C_APPROVALS", "G_TEAM"):
        access.may_use_channel("U_ALICE", channel)
    assert access.known("U_ALICE", "C_GENERAL") is None  # the least recently used went first
    assert access.known("U_ALICE", "G_TEAM") is True


def test_users_conversations_answers_for_every_channel_of_a_user(slack: SlackSandbox) -> None:
    access = ChannelAccess(client(slack), admins=[], timer=FakeTimer())
    mine = access.visible_channels("U_ALICE")
    # Public channels, and private ones only where the bot is too (G_PRIVATE is not listed).
    assert mine == {"C_GENERAL", "C_PUBLIC", "C_ARCHIVED", "C_APPROVALS", "G_TEAM"}
    assert len(slack.calls("users.conversations")) == 3
    assert access.known("U_ALICE", "C_PUBLIC") is True and access.known_channels("U_ALICE") == mine
    assert access.known("U_ALICE", "C_ELSEWHERE") is None  # absence from that list proves nothing


def test_concurrent_checks_agree(slack: SlackSandbox) -> None:
    access = ChannelAccess(client(slack), admins=[])
    users = ["U_ALICE", "U_BOB", "U_X1", "U_CAROL"] * 25
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda user: access.may_use_channel(user, "G_TEAM"), users))
    assert answers == [user in ("U_ALICE", "U_X1") for user in users]


def test_sandbox_pages_with_cursors_and_checks_scopes(slack: SlackSandbox) -> None:
    web = client(slack)
    first = web.conversations_members(channel="G_TEAM", limit=100)
    assert first["members"] == ["UBOT", "U_ALICE"] and first["response_metadata"]["next_cursor"]
    pages = [page["members"] for page in web.conversations_members(channel="G_TEAM")]
    assert pages == [["UBOT", "U_ALICE"], ["U_X1", "U_X2"]]
    with pytest.raises(SlackApiError) as bad:
        web.conversations_members(channel="G_TEAM", cursor="bm9wZTo5OQ==")
    assert bad.value.response["error"] == "invalid_cursor"
    with pytest.raises(SlackApiError) as hidden:
        web.conversations_members(channel="G_PRIVATE")  # private, and the bot is not in it
    assert hidden.value.response["error"] == "channel_not_found"
    slack.scopes.discard("groups:read")
    with pytest.raises(SlackApiError) as scope:
        web.users_conversations(user="U_ALICE", types="public_channel,private_channel")
    assert scope.value.response["error"] == "missing_scope" and scope.value.response["needed"] == "groups:read"
    assert web.conversations_members(channel="C_GENERAL")["ok"]  # public channels need channels:read only
