"""The Slack driver sends signed, Slack-shaped bodies: checked by a receiver that verifies like Bolt."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import parse_qs

import httpx
import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.server import LoopbackServer, Request, Response
from bot.sandbox.slack import SlackSandbox
from bot.sandbox.slack_driver import FORM, SlackDriver

SECRET = "driver-test-secret"
COMMAND_FIELDS = {
    "token",
    "team_id",
    "team_domain",
    "channel_id",
    "channel_name",
    "user_id",
    "user_name",
    "command",
    "text",
    "api_app_id",
    "is_enterprise_install",
    "response_url",
    "trigger_id",
}


class Receiver:
    """Stands in for the bot: verifies the signature with slack_sdk and records what was accepted."""

    def __init__(self) -> None:
        self.verifier = SignatureVerifier(SECRET)
        self.accepted: list[Request] = []
        self.server = LoopbackServer(self.route).start()

    def route(self, request: Request) -> Response:
        if not self.verifier.is_valid_request(request.body, request.headers):
            return Response.json({"error": "invalid request"}, 401)
        self.accepted.append(request)
        return Response.json({"response_type": "ephemeral", "text": "on it"})

    def form(self) -> dict[str, str]:
        return {k: v[-1] for k, v in parse_qs(self.accepted[-1].body.decode(), keep_blank_values=True).items()}

    def payload(self) -> dict:
        return json.loads(self.form()["payload"])


@pytest.fixture(scope="module")
def peers() -> Iterator[tuple[SlackSandbox, Receiver]]:
    receiver = Receiver()
    with SlackSandbox() as slack:
        yield slack, receiver
    receiver.server.stop()


@pytest.fixture
def slack(peers: tuple[SlackSandbox, Receiver]) -> SlackSandbox:
    peers[0].reset()
    return peers[0]


@pytest.fixture
def receiver(peers: tuple[SlackSandbox, Receiver]) -> Receiver:
    peers[1].accepted.clear()
    peers[1].server.latency = 0.0
    return peers[1]


@pytest.fixture
def driver(slack: SlackSandbox, receiver: Receiver) -> Iterator[SlackDriver]:
    with SlackDriver(receiver.server.url + "/slack/events", SECRET, slack) as made:
        yield made


@pytest.fixture
def client(slack: SlackSandbox) -> WebClient:
    return WebClient(token=slack.bot_token, base_url=slack.api_url)


def test_slash_command_is_a_signed_form_with_fresh_urls(slack: SlackSandbox, receiver: Receiver, driver) -> None:
    receiver.server.latency = 0.05
    ack = driver.command("dashboard 12", user="U_BOB", channel="C_PUBLIC")
    assert (ack.status, ack.json) == (200, {"response_type": "ephemeral", "text": "on it"})
    assert ack.elapsed_ms >= 50
    assert receiver.accepted[-1].header("content-type") == FORM
    form = receiver.form()
    assert set(form) == COMMAND_FIELDS
    expected = {
        "command": "/cekura",
        "text": "dashboard 12",
        "user_id": "U_BOB",
        "user_name": "bob",
        "channel_id": "C_PUBLIC",
        "channel_name": "support-metrics",
        "team_id": "T0SANDBOX",
        "is_enterprise_install": "false",
        "response_url": ack.response_url,
        "trigger_id": ack.trigger_id,
    }
    assert {k: form[k] for k in expected} == expected
    assert ack.response_url.startswith(f"{slack.url}/response/")
    assert httpx.post(ack.response_url, json={"text": "done"}).status_code == 200
    posted = slack.responses[-1]
    assert (posted.text, posted.channel, posted.user) == ("done", "C_PUBLIC", "U_BOB")
    second = driver.command("dashboard 12")
    assert second.response_url != ack.response_url and second.trigger_id != ack.trigger_id


def test_trigger_from_a_command_opens_one_modal(slack: SlackSandbox, driver, client: WebClient) -> None:
    ack = driver.command("approve 5")
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Approve"}, "blocks": []}
    client.views_open(trigger_id=ack.trigger_id, view=view)
    assert slack.views[-1].trigger_id == ack.trigger_id and slack.views[-1].user == "U_ALICE"
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        client.views_open(trigger_id=ack.trigger_id, view=view)


def test_block_action_on_a_channel_message(slack: SlackSandbox, receiver: Receiver, driver, client) -> None:
    button = {
        "type": "button",
        "action_id": "chart_refresh",
        "value": "widget:34",
        "text": {"type": "plain_text", "text": "Refresh"},
        "style": "primary",
    }
    blocks = [{"type": "actions", "block_id": "chart_actions", "elements": [button]}]
    client.chat_postMessage(channel="C_APPROVALS", text="chart", blocks=blocks)
    message = slack.messages[-1]
    ack = driver.block_action("chart_refresh", message=message, user="U_CAROL")
    assert ack.status == 200
    payload = receiver.payload()
    assert set(receiver.form()) == {"payload"}
    assert payload["type"] == "block_actions" and payload["trigger_id"] == ack.trigger_id
    assert payload["user"] == {"id": "U_CAROL", "username": "carol", "name": "carol", "team_id": "T0SANDBOX"}
    assert payload["container"] == {
        "type": "message",
        "message_ts": message.ts,
        "channel_id": "C_APPROVALS",
        "is_ephemeral": False,
    }
    assert payload["channel"] == {"id": "C_APPROVALS", "name": "cekura-approvals"}
    assert (payload["message"]["ts"], payload["message"]["blocks"]) == (message.ts, blocks)
    (action,) = payload["actions"]
    assert {k: action[k] for k in ("action_id", "block_id", "value", "type", "style")} == {
        "action_id": "chart_refresh",
        "block_id": "chart_actions",
        "value": "widget:34",
        "type": "button",
        "style": "primary",
    }
    assert action["text"]["text"] == "Refresh" and float(action["action_ts"]) > 0
    assert payload["response_url"] == ack.response_url and payload["team"]["id"] == "T0SANDBOX"


def test_block_action_on_an_ephemeral_message(receiver: Receiver, driver) -> None:
    driver.block_action("approve", "edit-7", block_id="approval")
    payload = receiver.payload()
    assert payload["container"]["is_ephemeral"] is True and "message" not in payload
    assert (payload["actions"][0]["value"], payload["actions"][0]["block_id"]) == ("edit-7", "approval")


def test_view_submission_carries_the_opened_view_and_values(slack, receiver: Receiver, driver, client) -> None:
    ack = driver.command("approve 5")
    view = {
        "type": "modal",
        "callback_id": "approve_edit",
        "private_metadata": '{"edit": 5}',
        "title": {"type": "plain_text", "text": "Approve"},
        "submit": {"type": "plain_text", "text": "Approve"},
        "blocks": [
            {
                "type": "input",
                "block_id": "reason",
                "label": {"type": "plain_text", "text": "Why?"},
                "element": {"type": "plain_text_input", "action_id": "text"},
            }
        ],
    }
    client.views_open(trigger_id=ack.trigger_id, view=view)
    values = SlackDriver.input_values({"reason": {"text": "looks right"}})
    submitted = driver.view_submission(slack.views[-1], user="U_ALICE", values=values)
    payload = receiver.payload()
    assert payload["type"] == "view_submission" and payload["trigger_id"] == submitted.trigger_id
    sent = payload["view"]
    assert sent["id"] == slack.views[-1].view["id"]
    assert (sent["callback_id"], sent["private_metadata"]) == ("approve_edit", '{"edit": 5}')
    assert sent["state"]["values"] == {"reason": {"text": {"type": "plain_text_input", "value": "looks right"}}}
    driver.view_closed(slack.views[-1])
    assert receiver.payload()["type"] == "view_closed" and receiver.payload()["view"]["id"] == sent["id"]


def test_tampered_bad_and_stale_bodies_fail_verification(receiver: Receiver, driver) -> None:
    body = b"command=%2Fcekura&text=dashboard+12&user_id=U_ALICE"
    now = int(time.time())
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=str(now), body=body)
    assert driver.send(body, FORM, timestamp=now, signature=signature).status == 200
    tampered = body.replace(b"12", b"13")
    assert driver.send(tampered, FORM, timestamp=now, signature=signature).status == 401
    assert driver.send(body, FORM, signature="v0=deadbeef").status == 401
    assert driver.send(body, FORM, timestamp=now - 301).status == 401  # signed, but too old
    assert driver.send(body, FORM).status == 200
    assert [r.body for r in receiver.accepted] == [body, body]
