"""Plays Slack toward the bot: signed slash commands and interaction payloads over real HTTP.

    driver = SlackDriver("http://127.0.0.1:3000/slack/events", "signing-secret", slack)
    ack = driver.command("dashboard 12")          # form body, fresh response_url + trigger_id
    assert ack.status == 200 and ack.elapsed_ms < 3000
    slack.wait_for(lambda: slack.responses)       # what the bot posted to ack.response_url
    driver.block_action("chart_refresh", message=slack.messages[-1])

Bodies follow what Slack sends: slash commands are form-encoded fields; interactions are one
form field `payload=<JSON>`; both are signed (v0 HMAC-SHA256) with the app's signing secret.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlencode

import httpx
from slack_sdk.signature import SignatureVerifier

from bot.sandbox.slack import SlackSandbox
from bot.sandbox.slack_records import Ephemeral, Message, ResponsePost, ViewRecord
from bot.sandbox.slack_state import APP_ID, BOT_ID, TEAM_DOMAIN

FORM = "application/x-www-form-urlencoded"
VERIFICATION_TOKEN = "sandbox-verification-token"  # legacy field Slack still sends; never checked


@dataclass
class Delivery:
    """The bot's answer to one delivery, with the ack latency and the ids handed out."""

    status: int
    body: str
    json: Any | None
    elapsed_ms: float
    response_url: str = ""
    trigger_id: str = ""


def _find_element(blocks: list[dict[str, Any]] | None, action_id: str) -> tuple[str | None, dict[str, Any]]:
    """The (block_id, element) carrying `action_id` in these blocks, or (None, {})."""
    for block in blocks or []:
        candidates = [*block.get("elements", []), block.get("accessory"), block.get("element")]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                return block.get("block_id"), element
    return None, {}


class SlackDriver:
    """Sends what Slack would send to the bot's Request URL, signed with `signing_secret`."""

    def __init__(
        self,
        bot_url: str,
        signing_secret: str,
        sandbox: SlackSandbox,
        *,
        team_id: str = "T0SANDBOX",
        timeout: float = 10.0,
    ) -> None:
        self.bot_url = bot_url
        self.sandbox = sandbox
        self.team_id = team_id
        self._verifier = SignatureVerifier(signing_secret)
        self._http = httpx.Client(timeout=timeout)

    def close(self) -> None:
        """Close the HTTP client."""
        self._http.close()

    def __enter__(self) -> SlackDriver:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def command(
        self, text: str, *, user: str = "U_ALICE", channel: str = "C_GENERAL", command: str = "/cekura"
    ) -> Delivery:
        """A slash command invocation: `/cekura <text>` typed by `user` in `channel`."""
        body, response_url, trigger_id = self.command_form(text, user=user, channel=channel, command=command)
        return self._deliver(body, FORM, response_url, trigger_id)

    def command_form(
        self, text: str, *, user: str = "U_ALICE", channel: str = "C_GENERAL", command: str = "/cekura"
    ) -> tuple[bytes, str, str]:
        """The form body Slack would send for `/cekura <text>`, with the response_url and trigger_id it carries."""
        response_url = self.sandbox.response_url(channel=channel, user=user)
        trigger_id = self.sandbox.issue_trigger(user)
        found = self.sandbox.channels.get(channel)
        fields = {
            "token": VERIFICATION_TOKEN,
            "team_id": self.team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel,
            "channel_name": found.name if found and found.name else "directmessage",
            "user_id": user,
            "user_name": self._user(user)["username"],
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id,
        }
        return urlencode(fields).encode(), response_url, trigger_id

    def signed_headers(self, body: bytes, content_type: str = FORM, *, timestamp: int | None = None) -> dict[str, str]:
        """The headers Slack sends with `body`: its type and the signature, as of `timestamp` (default now)."""
        stamp = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": stamp,
            "X-Slack-Signature": self._verifier.generate_signature(timestamp=stamp, body=body) or "",
        }

    def block_action(
        self,
        action_id: str,
        value: str | None = None,
        *,
        user: str = "U_ALICE",
        channel: str | None = None,
        message: Message | Ephemeral | ResponsePost | None = None,
        block_id: str | None = None,
        container: dict[str, Any] | None = None,
        selected_option: dict[str, Any] | None = None,
    ) -> Delivery:
        """A button click on `message` (block_id/value/text default to the button found there).

        With `selected_option`, a menu choice: the action carries it instead of a `value`, as Slack's do.

        A `Message` is a channel message (the payload carries it); an `Ephemeral`, a
        `ResponsePost` or None is an ephemeral one, which Slack does not echo back.
        """
        channel = channel or (message.channel if message is not None else None) or "C_GENERAL"
        found_block, element = _find_element(message.blocks if message else None, action_id)
        action: dict[str, Any] = {
            "action_id": action_id,
            "block_id": block_id or found_block or "actions",
            "text": element.get("text", {"type": "plain_text", "text": action_id, "emoji": True}),
            "value": value if value is not None else element.get("value", ""),
            "type": element.get("type", "button"),
            "action_ts": f"{time.time():.6f}",
        }
        if "style" in element:
            action["style"] = element["style"]
        if selected_option is not None:
            action.pop("value")
            action["selected_option"] = selected_option
        is_channel_message = isinstance(message, Message)
        with self.sandbox.lock:
            message_ts = message.ts if isinstance(message, Message | Ephemeral) else self.sandbox.next_ts()
        response_url = self.sandbox.response_url(channel=channel, user=user)
        trigger_id = self.sandbox.issue_trigger(user)
        found = self.sandbox.channels.get(channel)
        payload: dict[str, Any] = {
            "type": "block_actions",
            "user": self._user(user),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "container": container
            or {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel,
                "is_ephemeral": not is_channel_message,
            },
            "trigger_id": trigger_id,
            "team": {"id": self.team_id, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel, "name": found.name if found and found.name else "directmessage"},
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [action],
        }
        if isinstance(message, Message):
            payload["message"] = message.to_json(BOT_ID)
        return self._interaction(payload, response_url, trigger_id)

    def view_submission(
        self,
        view: dict[str, Any] | ViewRecord,
        *,
        user: str = "U_ALICE",
        values: dict[str, Any] | None = None,
    ) -> Delivery:
        """The user presses Submit on `view` (as the bot opened it) with `values` as state.values."""
        opened = view.view if isinstance(view, ViewRecord) else view
        trigger_id = self.sandbox.issue_trigger(user)
        payload: dict[str, Any] = {
            "type": "view_submission",
            "team": {"id": self.team_id, "domain": TEAM_DOMAIN},
            "user": self._user(user),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "trigger_id": trigger_id,
            "view": {**opened, "state": {"values": values or {}}},
            "response_urls": [],
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return self._interaction(payload, "", trigger_id)

    def view_closed(self, view: dict[str, Any] | ViewRecord, *, user: str = "U_ALICE") -> Delivery:
        """The user closes `view` (Slack sends this only when the view has notify_on_close)."""
        opened = view.view if isinstance(view, ViewRecord) else view
        payload: dict[str, Any] = {
            "type": "view_closed",
            "team": {"id": self.team_id, "domain": TEAM_DOMAIN},
            "user": self._user(user),
            "api_app_id": APP_ID,
            "token": VERIFICATION_TOKEN,
            "view": opened,
            "is_cleared": False,
            "enterprise": None,
            "is_enterprise_install": False,
        }
        return self._interaction(payload, "", "")

    @staticmethod
    def input_values(fields: dict[str, dict[str, str]]) -> dict[str, Any]:
        """`{block_id: {action_id: text}}` → the `state.values` of plain_text_input elements."""
        return {
            block: {action: {"type": "plain_text_input", "value": text} for action, text in actions.items()}
            for block, actions in fields.items()
        }

    def send(
        self, body: bytes, content_type: str, *, timestamp: int | None = None, signature: str | None = None
    ) -> Delivery:
        """POST a raw body, signed unless `signature` is given (for bad/stale-signature tests)."""
        return self._deliver(body, content_type, "", "", timestamp=timestamp, signature=signature)

    def _user(self, user: str) -> dict[str, str]:
        """The `user` object of interaction payloads."""
        known = self.sandbox.users.get(user)
        name = known.name if known else user.lower()
        return {"id": user, "username": name, "name": name, "team_id": self.team_id}

    def _interaction(self, payload: dict[str, Any], response_url: str, trigger_id: str) -> Delivery:
        """An interaction body: one form field `payload` holding the JSON."""
        body = urlencode({"payload": json.dumps(payload)}).encode()
        return self._deliver(body, FORM, response_url, trigger_id)

    def _deliver(
        self,
        body: bytes,
        content_type: str,
        response_url: str,
        trigger_id: str,
        *,
        timestamp: int | None = None,
        signature: str | None = None,
    ) -> Delivery:
        """Sign, POST and time the round trip (the bot's ack latency)."""
        headers = self.signed_headers(body, content_type, timestamp=timestamp)
        if signature:  # a test's own (forged or replayed) signature
            headers["X-Slack-Signature"] = signature
        started = time.perf_counter()
        response = self._http.post(self.bot_url, content=body, headers=headers)
        elapsed_ms = (time.perf_counter() - started) * 1000
        text = response.text
        parsed: Any | None = None
        if text.lstrip().startswith(("{", "[")):
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
        return Delivery(response.status_code, text, parsed, elapsed_ms, response_url, trigger_id)
