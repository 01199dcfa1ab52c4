"""What one person's Slack would show right now, built from the Slack sandbox's records, as JSON for the page.

    items = feed(slack, acks, sources, viewer="U_ALICE")

Channel messages (chat.postMessage, file shares, chat.update edits in place), ephemeral messages
(chat.postEphemeral, slash-command acks, response_url answers) only for their user, and response_url
posts with `replace_original` / `delete_original` applied to the message the click came from.
Call with the sandbox's lock held: the records change under a running bot.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from bot.sandbox.slack import Message, SlackSandbox
from bot.sandbox.slack_records import Channel


@dataclass
class Ack:
    """The bot's HTTP answer to one slash command, which Slack shows as a message (ephemeral unless in_channel)."""

    id: str
    channel: str
    user: str
    at: float  # wall-clock seconds
    command: str
    payload: dict[str, Any]


def message_id(message: Message) -> str:
    """The feed id of a channel message."""
    return f"m:{message.channel}:{message.ts}"


def _files(message: Message) -> list[dict[str, Any]]:
    """A message's files with the URL the page loads their bytes from."""
    return [
        {"id": f.id, "name": f.filename, "title": f.title or f.filename, "url": f"/files/{f.id}"}
        for f in message.files
        if f.content is not None
    ]


def _item(
    id: str,  # noqa: A002 - the feed's own field name
    channel: str | None,
    sort: float,
    *,
    text: str | None,
    blocks: list[dict[str, Any]] | None,
    ephemeral: bool,
    thread_ts: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    """One entry of the feed."""
    return {
        "id": id,
        "channel": channel,
        "sort": sort,
        "text": text or "",
        "blocks": blocks or [],
        "ephemeral": ephemeral,
        "thread_ts": thread_ts,
        "files": [],
        "edited": False,
        **extra,
    }


def can_see(channel: Channel, viewer: str) -> bool:
    """Whether `viewer` sees this conversation's messages (public channels: everyone; the rest: members)."""
    if channel.is_im or channel.is_mpim or channel.is_private:
        return viewer in channel.members
    return True


def feed(slack: SlackSandbox, acks: list[Ack], sources: dict[str, str], viewer: str) -> list[dict[str, Any]]:
    """Every message `viewer` would see, oldest first (threads by `thread_ts`)."""
    items: dict[str, dict[str, Any]] = {}
    for m in slack.messages:
        channel = slack.channels.get(m.channel)
        if channel is None or not can_see(channel, viewer):
            continue
        parent = m.thread_ts if m.thread_ts not in (None, m.ts) else None
        item = _item(message_id(m), m.channel, float(m.ts), text=m.text, blocks=m.blocks, ephemeral=False)
        item.update(thread_ts=parent, ts=m.ts, files=_files(m), edited=m.edited_at is not None)
        items[item["id"]] = item
    for e in slack.ephemerals:
        if e.user == viewer:
            parent = e.thread_ts if e.thread_ts != e.ts else None
            eid = f"e:{e.ts}"
            items[eid] = _item(eid, e.channel, float(e.ts), text=e.text, blocks=e.blocks, ephemeral=True)
            items[eid].update(thread_ts=parent, ts=e.ts)
    for ack in acks:
        public = ack.payload.get("response_type") == "in_channel"
        if public or ack.user == viewer:
            p = ack.payload
            items[ack.id] = _item(
                ack.id, ack.channel, ack.at, text=p.get("text"), blocks=p.get("blocks"), ephemeral=not public
            )
            items[ack.id].update(command=ack.command, ts=f"{ack.at:.6f}")
    wall = time.time() - time.monotonic()  # ResponsePost.at is monotonic
    for n, post in enumerate(slack.responses):
        source = sources.get(post.url)
        shown = items.get(source) if source else None
        if post.delete_original and source:
            items.pop(source, None)
        elif post.replace_original and source:
            if shown is not None:
                shown.update(text=post.text or "", blocks=post.blocks or [], edited=True)
        elif post.response_type == "in_channel" or post.user == viewer:
            rid = f"r:{n}"
            public = post.response_type == "in_channel"
            sort = post.at + wall
            items[rid] = _item(rid, post.channel, sort, text=post.text, blocks=post.blocks, ephemeral=not public)
            items[rid].update(thread_ts=post.thread_ts, ts=f"{sort:.6f}")
    return sorted(items.values(), key=lambda i: i["sort"])


def channels(slack: SlackSandbox, viewer: str) -> list[dict[str, Any]]:
    """The sidebar: channels (public ones and those `viewer` is in) and `viewer`'s DM with the bot."""
    out: list[dict[str, Any]] = []
    for c in slack.channels.values():
        if c.is_mpim or (c.is_im and c.user != viewer) or not can_see(c, viewer):
            continue
        name = slack.users[slack.bot_user_id].name if c.is_im else c.name
        out.append(
            {
                "id": c.id,
                "name": name,
                "dm": c.is_im,
                "private": c.is_private and not c.is_im,
                "archived": c.is_archived,
                "member": viewer in c.members,
                "bot_member": slack.bot_user_id in c.members,
            }
        )
    return out


def modal(slack: SlackSandbox, viewer: str) -> dict[str, Any] | None:
    """The modal on top of `viewer`'s stack, as the bot last opened or updated it."""
    stack = slack.view_stacks.get(viewer) or []
    view = slack.open_views.get(stack[-1]) if stack else None
    return dict(view) if view is not None and view.get("type") == "modal" else None
