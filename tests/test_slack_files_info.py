"""The Slack sandbox's files.info `shares`, which digest recovery trusts to tell whether a post landed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox.slack import SlackSandbox


@pytest.fixture(scope="module")
def slack() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sandbox:
        sandbox.add_channel("G_BOTS", "bots-private", private=True, members=(sandbox.bot_user_id, "U_ALICE"))
        yield sandbox


@pytest.fixture
def client(slack: SlackSandbox) -> WebClient:
    return WebClient(token="xoxb-sandbox", base_url=slack.api_url)


def test_shares_name_the_channel_kind_and_the_message_ts(slack: SlackSandbox, client: WebClient) -> None:
    top = client.files_upload_v2(content=b"\x89PNG-top", filename="top.png", channel="C_GENERAL")["file"]
    [message] = [m for m in slack.messages if m.files and m.files[0].id == top["id"]]
    client.chat_postMessage(channel="C_GENERAL", text="a reply", thread_ts=message.ts)
    reply = client.files_upload_v2(content=b"\x89PNG-r", filename="r.png", channel="C_GENERAL", thread_ts=message.ts)
    private = client.files_upload_v2(content=b"\x89PNG-p", filename="p.png", channel="G_BOTS")["file"]

    info = client.files_info(file=top["id"])["file"]
    [entry] = info["shares"]["public"]["C_GENERAL"]
    assert (entry["ts"], entry["channel_name"], entry["reply_count"]) == (message.ts, "general", 2)
    assert "thread_ts" not in entry and entry["latest_reply"] > message.ts and info["channels"] == ["C_GENERAL"]

    [threaded] = client.files_info(file=reply["file"]["id"])["file"]["shares"]["public"]["C_GENERAL"]
    assert threaded["thread_ts"] == message.ts and threaded["ts"] != message.ts

    shown = client.files_info(file=private["id"])["file"]
    assert list(shown["shares"]) == ["private"] and shown["groups"] == ["G_BOTS"] and not shown["is_public"]


def test_an_upload_never_completed_is_not_found(client: WebClient) -> None:
    ticket = client.files_getUploadURLExternal(filename="x.png", length=3)
    with pytest.raises(SlackApiError) as caught:
        client.files_info(file=ticket["file_id"])
    assert caught.value.response["error"] == "file_not_found"
