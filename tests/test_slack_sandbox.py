"""The Slack sandbox answers a real slack_sdk WebClient the way Slack does."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.web import SlackResponse

from bot.sandbox.slack import SlackSandbox


@pytest.fixture(scope="module")
def server() -> Iterator[SlackSandbox]:
    with SlackSandbox() as sandbox:
        yield sandbox


@pytest.fixture
def slack(server: SlackSandbox) -> SlackSandbox:
    server.reset()
    server.latency = 0.0
    return server


@pytest.fixture
def client(slack: SlackSandbox) -> WebClient:
    return WebClient(token="xoxb-sandbox", base_url=slack.api_url)


def api(slack: SlackSandbox, method: str, **params: str) -> dict:
    """A raw form-encoded Web API call, as slack_sdk sends some methods."""
    return httpx.post(slack.api_url + method, data={"token": slack.bot_token, **params}).json()


def code_of(call) -> str:
    return error_of(call).response["error"]


def error_of(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as caught:
        call()
    return caught.value


def test_auth_test_and_bad_tokens(slack: SlackSandbox, client: WebClient) -> None:
    me = client.auth_test()
    assert (me["user_id"], me["team_id"], me["bot_id"]) == ("UBOT", "T0SANDBOX", "B0SANDBOX")
    assert code_of(WebClient(token="xoxb-wrong", base_url=slack.api_url).auth_test) == "invalid_auth"
    assert code_of(WebClient(base_url=slack.api_url).auth_test) == "not_authed"
    assert [c.error for c in slack.calls("auth.test")] == [None, "invalid_auth", "not_authed"]


def test_only_the_app_token_opens_a_socket_and_it_opens_nothing_else(slack: SlackSandbox) -> None:
    web = WebClient(base_url=slack.api_url)

    def open_with(token: str) -> Callable[[], SlackResponse]:
        return lambda: web.apps_connections_open(app_token=token)

    assert code_of(open_with(slack.app_token)) == "not_allowed"  # no Socket Mode server is attached
    slack.socket_url = "ws://127.0.0.1:9/link"
    try:
        first, second = open_with(slack.app_token)()["url"], open_with(slack.app_token)()["url"]
    finally:
        slack.socket_url = None
    assert first.startswith("ws://127.0.0.1:9/link?ticket=") and first != second  # single-use URLs
    assert code_of(open_with(slack.bot_token)) == "not_allowed_token_type"
    assert code_of(open_with("xapp-wrong")) == "invalid_auth"
    app = WebClient(token=slack.app_token, base_url=slack.api_url)
    assert code_of(lambda: app.chat_postMessage(channel="C_GENERAL", text="hi")) == "not_allowed_token_type"


def test_form_bodies_token_param_and_unknown_method(slack: SlackSandbox) -> None:
    assert api(slack, "chat.postMessage", channel="C_GENERAL", text="from a form")["ok"] is True
    assert slack.messages[-1].text == "from a form"
    assert "token" not in slack.calls("chat.postMessage")[-1].params
    assert api(slack, "nope.nothing") == {"ok": False, "error": "unknown_method"}


def test_post_update_delete_and_threads(slack: SlackSandbox, client: WebClient) -> None:
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*hi*"}}]
    first = client.chat_postMessage(channel="C_GENERAL", text="hi", blocks=blocks)
    second = client.chat_postMessage(channel="C_GENERAL", text="again")
    assert first["message"]["blocks"] == blocks and first["channel"] == "C_GENERAL"
    secs, micros = first["ts"].split(".")
    assert len(micros) == 6 and secs.isdigit() and float(second["ts"]) > float(first["ts"])
    reply = client.chat_postMessage(channel="C_GENERAL", text="reply", thread_ts=first["ts"])
    assert slack.messages[-1].thread_ts == first["ts"]
    for bad_parent in ("1.000001", reply["ts"]):
        error = error_of(lambda p=bad_parent: client.chat_postMessage(channel="C_GENERAL", text="x", thread_ts=p))
        assert error.response["error"] == "thread_not_found"
    updated = client.chat_update(channel="C_GENERAL", ts=first["ts"], text="edited", blocks=[])
    assert updated["text"] == "edited"
    message = slack.messages[0]
    assert (message.text, message.blocks, message.via) == ("edited", None, "chat.postMessage")
    assert message.edited_at is not None
    missing = error_of(lambda: client.chat_update(channel="C_GENERAL", ts="1.1", text="x"))
    assert missing.response["error"] == "message_not_found"
    # slack_sdk warns before sending a message without text, so send this one raw
    assert api(slack, "chat.postMessage", channel="C_GENERAL")["error"] == "no_text"
    client.chat_delete(channel="C_GENERAL", ts=second["ts"])
    assert [m.text for m in slack.messages] == ["edited", "reply"]


def test_ephemeral_needs_a_user_in_the_channel(slack: SlackSandbox, client: WebClient) -> None:
    client.chat_postEphemeral(channel="C_GENERAL", user="U_BOB", text="psst")
    assert (slack.ephemerals[-1].user, slack.ephemerals[-1].text) == ("U_BOB", "psst")
    error = error_of(lambda: client.chat_postEphemeral(channel="C_APPROVALS", user="U_BOB", text="x"))
    assert error.response["error"] == "user_not_in_channel"
    assert not slack.messages


def test_upload_two_files_to_a_member_channel_is_one_message(slack: SlackSandbox, client: WebClient) -> None:
    uploads = [
        {"content": b"\x89PNG-one", "filename": "one.png", "title": "One"},
        {"content": b"\x89PNG-second", "filename": "two.png", "title": "Two"},
    ]
    result = client.files_upload_v2(file_uploads=uploads, channel="C_GENERAL", initial_comment="Charts")
    assert [f["title"] for f in result["files"]] == ["One", "Two"]
    assert all("shares" not in f for f in result["files"])
    (message,) = slack.messages
    assert (message.channel, message.text) == ("C_GENERAL", "Charts")
    assert message.via == "files.completeUploadExternal"
    assert [f.content for f in message.files] == [b"\x89PNG-one", b"\x89PNG-second"]
    assert all(f.completed and f.shares == {"C_GENERAL": [message.ts]} for f in message.files)
    info = client.files_info(file=result["files"][1]["id"])["file"]
    assert info["shares"]["public"]["C_GENERAL"][0]["ts"] == message.ts and info["size"] == 11
    again = error_of(lambda: client.files_completeUploadExternal(files=[{"id": message.files[0].id}]))
    assert again.response["error"] == "invalid_arguments"


def test_upload_to_a_public_channel_needs_a_join_first(slack: SlackSandbox, client: WebClient) -> None:
    def upload():
        return client.files_upload_v2(content=b"png", filename="c.png", channel="C_PUBLIC")

    assert code_of(upload) == "not_in_channel"
    assert not slack.messages
    joined = client.conversations_join(channel="C_PUBLIC")
    assert joined["channel"]["is_member"] is True and "UBOT" in slack.channels["C_PUBLIC"].members
    upload()
    assert slack.messages[-1].channel == "C_PUBLIC" and slack.messages[-1].files[0].content == b"png"


def test_blocks_of_an_upload_are_ignored_with_an_initial_comment(slack: SlackSandbox, client: WebClient) -> None:
    too_many = "[" + ",".join(['{"type": "divider"}'] * 60) + "]"
    client.files_upload_v2(content=b"a", filename="a.png", channel="C_GENERAL", initial_comment="hi", blocks=too_many)
    assert slack.messages[-1].blocks is None
    blocks = '[{"type": "section", "text": {"type": "mrkdwn", "text": "see"}}]'
    client.files_upload_v2(content=b"b", filename="b.png", channel="C_GENERAL", blocks=blocks)
    assert slack.messages[-1].blocks == [{"type": "section", "text": {"type": "mrkdwn", "text": "see"}}]


def test_upload_protocol_errors(slack: SlackSandbox, client: WebClient) -> None:
    with pytest.raises(SlackApiError, match="missing_argument"):
        client.files_getUploadURLExternal(filename="x.png", length=0)
    reserved = client.files_getUploadURLExternal(filename="x.png", length=3)
    assert reserved["upload_url"] == f"{slack.url}/upload/{reserved['file_id']}"
    unsent = error_of(lambda: client.files_completeUploadExternal(files=[{"id": reserved["file_id"]}]))
    assert unsent.response["error"] == "file_not_found"
    assert httpx.post(reserved["upload_url"], content=b"toolong").status_code == 400
    multipart = httpx.post(reserved["upload_url"], files={"file": ("x.png", b"abc", "image/png")})
    assert (multipart.status_code, multipart.text) == (200, "OK - 3")
    assert slack.files[reserved["file_id"]].content == b"abc"


def test_private_and_archived_channels(slack: SlackSandbox, client: WebClient) -> None:
    refused = error_of(lambda: client.conversations_join(channel="G_PRIVATE"))
    assert refused.response["error"] == "method_not_supported_for_channel_type"
    assert code_of(lambda: client.conversations_info(channel="G_PRIVATE")) == "channel_not_found"
    archived = error_of(lambda: client.chat_postMessage(channel="C_ARCHIVED", text="x"))
    assert archived.response["error"] == "is_archived"
    assert code_of(lambda: client.conversations_join(channel="C_ARCHIVED")) == "is_archived"
    assert code_of(lambda: client.chat_postMessage(channel="C_NOPE", text="x")) == ("channel_not_found")


def test_dm_users_and_groups(slack: SlackSandbox, client: WebClient) -> None:
    dm = client.conversations_open(users="U_BOB")["channel"]["id"]
    assert dm.startswith("D") and client.conversations_open(users="U_BOB")["channel"]["id"] == dm
    client.chat_postMessage(channel=dm, text="digest")
    assert slack.messages[-1].channel == dm
    zones = {u: client.users_info(user=u)["user"] for u in ("U_ALICE", "U_BOB", "U_CAROL")}
    assert {u: z["tz"] for u, z in zones.items()} == {
        "U_ALICE": "Europe/Berlin",
        "U_BOB": "America/New_York",
        "U_CAROL": "Asia/Kolkata",
    }
    assert zones["U_CAROL"]["tz_offset"] == 19800 and zones["U_ALICE"]["tz_offset"] in (3600, 7200)
    assert code_of(lambda: client.users_info(user="U_NOBODY")) == "user_not_found"
    assert client.usergroups_users_list(usergroup="S_APPROVERS")["users"] == ["U_CAROL"]


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def button(text: str = "Go", value: str = "v") -> dict:
    return {"type": "button", "text": {"type": "plain_text", "text": text}, "action_id": "a", "value": value}


@pytest.mark.parametrize(
    ("blocks", "limit"),
    [
        ([section("x")] * 51, "no more than 50 blocks"),
        ([section("x" * 3001)], "section text must be at most 3000"),
        (
            [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
            "header text must be at most 150",
        ),
        ([{"type": "actions", "elements": [button()] * 26}], "actions elements must have at most 25"),
        ([{"type": "actions", "elements": [button(value="v" * 2001)]}], "button value must be at most 2000"),
        ([{"type": "actions", "elements": [button(text="b" * 76)]}], "button text must be at most 75"),
        ([{"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11}], "at most 10 items"),
    ],
)
def test_block_kit_limits_are_enforced(client: WebClient, blocks: list, limit: str) -> None:
    error = error_of(lambda: client.chat_postMessage(channel="C_GENERAL", text="x", blocks=blocks))
    assert error.response["error"] == "invalid_blocks"
    assert limit in error.response["errors"][0]
    assert limit in error.response["response_metadata"]["messages"][0]


def modal(**changes) -> dict:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Approve"}, "blocks": [section("ok")]}
    return {**view, **changes}


@pytest.mark.parametrize(
    ("view", "limit"),
    [
        (modal(title={"type": "plain_text", "text": "t" * 25}), "modal title must be at most 24"),
        (modal(submit={"type": "plain_text", "text": "s" * 25}), "modal submit must be at most 24"),
        (modal(private_metadata="m" * 3001), "private_metadata must be at most 3000"),
        (modal(blocks=[section("x")] * 101), "no more than 100 blocks"),
    ],
)
def test_modal_limits_are_enforced(slack: SlackSandbox, client: WebClient, view: dict, limit: str) -> None:
    error = error_of(lambda: client.views_open(trigger_id=slack.issue_trigger("U_ALICE"), view=view))
    assert error.response["error"] == "invalid_arguments"
    assert limit in error.response["response_metadata"]["messages"][0]


def test_trigger_ids_are_single_use_and_expire(slack: SlackSandbox, client: WebClient) -> None:
    trigger = slack.issue_trigger("U_ALICE")
    opened = client.views_open(trigger_id=trigger, view=modal(callback_id="approve", external_id="e1"))["view"]
    assert opened["id"].startswith("V") and slack.views[-1].user == "U_ALICE"
    reused = error_of(lambda: client.views_open(trigger_id=trigger, view=modal()))
    assert reused.response["error"] == "exchanged_trigger_id"
    assert code_of(lambda: client.views_open(trigger_id="1.2.3", view=modal())) == ("invalid_trigger_id")
    slack.trigger_ttl = 0.05
    late = slack.issue_trigger("U_ALICE")
    time.sleep(0.1)
    assert code_of(lambda: client.views_open(trigger_id=late, view=modal())) == ("expired_trigger_id")
    updated = client.views_update(external_id="e1", view=modal(title={"type": "plain_text", "text": "Done"}))
    assert updated["view"]["id"] == opened["id"] and updated["view"]["title"]["text"] == "Done"
    client.views_publish(user_id="U_BOB", view={"type": "home", "blocks": [section("home")]})
    assert [v.method for v in slack.views] == ["views.open", "views.update", "views.publish"]


def test_rate_limit_is_retried_by_the_sdk_handler(slack: SlackSandbox, client: WebClient) -> None:
    slack.fail("chat.postMessage", retry_after=0)
    raw = error_of(lambda: client.chat_postMessage(channel="C_GENERAL", text="x"))
    assert raw.response.status_code == 429 and raw.response.headers["Retry-After"] == "0"
    slack.fail("chat.postMessage", retry_after=0)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    assert client.chat_postMessage(channel="C_GENERAL", text="second try")["ok"] is True
    assert [c.error for c in slack.calls("chat.postMessage")] == ["ratelimited", "ratelimited", None]
    assert [m.text for m in slack.messages] == ["second try"]


def test_response_url_takes_five_posts(slack: SlackSandbox) -> None:
    url = slack.response_url(channel="C_GENERAL", user="U_ALICE")
    for i in range(5):
        answer = httpx.post(url, json={"text": f"update {i}", "replace_original": i > 0})
        assert (answer.status_code, answer.text) == (200, "ok")
    sixth = httpx.post(url, json={"text": "sixth"})
    assert (sixth.status_code, sixth.text, slack.responses[-1].text) == (404, "used_url", "update 4")
    assert [r.replace_original for r in slack.responses] == [False, True, True, True, True]
    assert slack.responses[0]["text"] == "update 0" and slack.responses[0].channel == "C_GENERAL"
    fresh = slack.response_url()
    assert httpx.post(fresh, json={"blocks": [section("x" * 3001)]}).status_code == 400
    assert httpx.post(fresh, json={"text": "t", "response_type": "in_channel"}).status_code == 200
    assert slack.responses[-1].response_type == "in_channel"


def test_latency_is_added_to_every_request(slack: SlackSandbox, client: WebClient) -> None:
    slack.latency = 0.2
    started = time.perf_counter()
    client.auth_test()
    assert time.perf_counter() - started >= 0.2
