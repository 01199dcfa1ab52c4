"""What a demo session shows: everything that appeared in the Slack sandbox since the last look, as text.

seen = Transcript(slack)
seen.heading("/cekura help", "U_ALICE", "C_GENERAL")
seen.ack(driver.command("help"))
deps.wait_idle()
seen.news()   # later response_url answers, channel messages, edits, ephemerals, DMs, forms
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.sandbox.slack import Message, SlackSandbox
from bot.sandbox.slack_driver import Delivery
from bot.sandbox.text_view import render_message

INDENT = "    "


@dataclass(frozen=True)
class ApproveButton:
    """An *Approve* button found on a channel message."""

    message: Message
    action_id: str

    @property
    def channel(self) -> str:
        """The channel the message is in."""
        return self.message.channel


def approve_buttons(messages: list[Message]) -> list[ApproveButton]:
    """The *Approve* buttons of these messages (edit requests waiting for an approver)."""
    found = []
    for message in messages:
        for block in message.blocks or []:
            for element in block.get("elements") or []:
                if not isinstance(element, dict) or element.get("type") != "button":
                    continue
                label = element.get("text")
                if isinstance(label, dict) and str(label.get("text", "")).strip().lower() == "approve":
                    found.append(ApproveButton(message, str(element.get("action_id", ""))))
    return found


class Transcript:
    """Prints what the Slack sandbox recorded, each item once, in words a Slack user would recognise."""

    def __init__(self, slack: SlackSandbox) -> None:
        self.slack = slack
        self.new_messages: list[Message] = []
        with slack.lock:
            self._counts = self._now()
            self._edits = {id(m): m.edited_at for m in slack.messages}

    def _now(self) -> tuple[int, int, int, int]:
        return (len(self.slack.messages), len(self.slack.responses), len(self.slack.ephemerals), len(self.slack.views))

    def names(self) -> dict[str, str]:
        """Channel and user ids → names, for mentions and headings."""
        with self.slack.lock:
            named = {c.id: c.name for c in self.slack.channels.values() if c.name}
            named.update({u.id: u.name for u in self.slack.users.values()})
        return named

    def where(self, channel: str | None) -> str:
        """`#general`, or `a DM with @alice` for the bot's IM with a user."""
        found = self.slack.channels.get(channel or "")
        if found is not None and found.is_im:
            return f"a DM with @{self.names().get(found.user or '', found.user)}"
        if found is not None and found.name:
            return f"#{found.name}"
        return channel or "?"

    def heading(self, what: str, user: str, channel: str) -> None:
        """`> @alice in #general: /cekura help` — what someone did."""
        print(f"\n> @{self.names().get(user, user)} in {self.where(channel)}: {what}")

    def ack(self, delivery: Delivery) -> None:
        """The bot's HTTP answer to a delivery: what Slack shows at once."""
        status, took = delivery.status, f"{delivery.elapsed_ms:.0f} ms"
        body = delivery.json if isinstance(delivery.json, dict) else {}
        if status != 200:
            print(f"  ack HTTP {status} in {took}: Slack would show the user “dispatch_failed”")
        elif body.get("text") or body.get("blocks"):
            seen_by = (
                "everyone in the channel sees" if body.get("response_type") == "in_channel" else "Only you can see this"
            )
            print(f"  ack {status} in {took} — {seen_by}:")
            self._show(body.get("text"), body.get("blocks"))
        elif body.get("response_action") == "errors":
            print(f"  ack {status} in {took} — the form shows errors:")
            for block, error in (body.get("errors") or {}).items():
                print(f"{INDENT}{block}: {error}")
        else:
            print(f"  ack {status} in {took} (nothing shown at once)")

    def news(self) -> None:
        """Print everything recorded since the last call."""
        with self.slack.lock:
            counts = self._now()
            messages, responses, ephemerals, views = (
                self.slack.messages[self._counts[0] :],
                self.slack.responses[self._counts[1] :],
                self.slack.ephemerals[self._counts[2] :],
                self.slack.views[self._counts[3] :],
            )
            edited = [
                m
                for m in self.slack.messages[: self._counts[0]]
                if m.edited_at is not None and self._edits.get(id(m)) != m.edited_at
            ]
            self._counts = counts
            self._edits = {id(m): m.edited_at for m in self.slack.messages}
        self.new_messages = list(messages)
        for post in responses:
            if post.delete_original:
                print("  later, the earlier answer is deleted")
                continue
            seen_by = "everyone in the channel sees" if post.response_type == "in_channel" else "only you can see this"
            replaces = ", replacing the earlier answer" if post.replace_original else ""
            print(f"  later{replaces} — {seen_by}:")
            self._show(post.text, post.blocks)
        for message in messages:
            thread = " (in the thread)" if message.thread_ts not in (None, message.ts) else ""
            print(f"  posted in {self.where(message.channel)}{thread}:")
            self._show(message.text, message.blocks, message)
        for message in edited:
            print(f"  the message in {self.where(message.channel)} is updated:")
            self._show(message.text, message.blocks, message)
        for eph in ephemerals:
            print(f"  in {self.where(eph.channel)}, only @{self.names().get(eph.user, eph.user)} can see this:")
            self._show(eph.text, eph.blocks)
        for record in views:
            self._view(record.method, record.view)

    def _view(self, method: str, view: dict[str, Any]) -> None:
        """A modal (or Home tab) the bot opened or changed."""
        title = (view.get("title") or {}).get("text", "")
        verb = {"views.open": "opens", "views.push": "pushes", "views.update": "updates"}.get(method, "publishes")
        print(f"  the bot {verb} a form “{title}”:")
        self._show(None, view.get("blocks"))
        buttons = [f"[{(view.get(k) or {}).get('text', '')}]" for k in ("submit", "close") if view.get(k)]
        if buttons:
            print(INDENT + " ".join(buttons))

    def _show(self, text: str | None, blocks: list[dict[str, Any]] | None, message: Message | None = None) -> None:
        files = [f.filename or f.id for f in message.files] if message is not None else []
        for line in render_message(text, blocks, files, self.names()) or ["(empty)"]:
            print(INDENT + line)
