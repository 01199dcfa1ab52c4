"""Web API methods of the Slack sandbox for messages, conversations and people.

Each handler takes the workspace and the call's arguments and returns the body of an `ok`
answer (without `"ok"`), or raises `SlackError` with the error code Slack uses.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from typing import Any

from bot.sandbox.slack_blocks import MESSAGE_BLOCKS, block_errors, size_error
from bot.sandbox.slack_records import Channel, Ephemeral
from bot.sandbox.slack_state import BOT_ID, TEAM_DOMAIN, Params, SlackError, SlackState

Handler = Callable[[SlackState, Params], dict[str, Any]]


def message_blocks(p: Params, *, limit: int = MESSAGE_BLOCKS) -> list[dict[str, Any]] | None:
    """The `blocks` argument, parsed and checked against the Block Kit limits."""
    blocks = p.json("blocks", error="invalid_blocks_format")
    if blocks is None:
        return None
    if not isinstance(blocks, list):
        raise SlackError("invalid_blocks_format", "blocks must be a JSON array")
    errors = block_errors(blocks, limit=limit)
    if errors:
        raise SlackError("invalid_blocks", *errors, errors=errors)
    too_big = size_error(None, blocks)
    if too_big:
        raise SlackError(too_big)
    return blocks


def _message_content(p: Params) -> tuple[str | None, list[dict[str, Any]] | None]:
    """`text` and `blocks`, at least one of them (else `no_text`), within size limits."""
    text, blocks = p.text("text"), message_blocks(p)
    if text is None and not blocks:
        raise SlackError("no_text")
    too_big = size_error(text, None)
    if too_big:
        raise SlackError(too_big)
    return text, blocks


def auth_test(state: SlackState, p: Params) -> dict[str, Any]:
    """auth.test: who the token belongs to."""
    return {
        "url": f"https://{state.team_id.lower()}.slack.com/",
        "team": "Sandbox",
        "user": state.users[state.bot_user_id].name,
        "team_id": state.team_id,
        "user_id": state.bot_user_id,
        "bot_id": BOT_ID,
        "is_enterprise_install": False,
    }


def chat_post_message(state: SlackState, p: Params) -> dict[str, Any]:
    """chat.postMessage: the bot must be a member; `thread_ts` must be a parent in that channel."""
    channel = state.channel(p.text("channel"), must_be_member=True)
    text, blocks = _message_content(p)
    thread_ts = state.parent_ts(channel, p.text("thread_ts"))
    message = state.post(channel, "chat.postMessage", text=text, blocks=blocks, thread_ts=thread_ts)
    return {"channel": channel.id, "ts": message.ts, "message": message.to_json(BOT_ID)}


def chat_post_ephemeral(state: SlackState, p: Params) -> dict[str, Any]:
    """chat.postEphemeral: `user` is required and must be in the channel."""
    channel = state.channel(p.text("channel"), must_be_member=True)
    user = p.require("user")
    if user not in channel.members:
        raise SlackError("user_not_in_channel")
    text, blocks = _message_content(p)
    ts = state.next_ts()
    thread_ts = p.text("thread_ts")
    state.ephemerals.append(Ephemeral(channel.id, user, ts, text, blocks, thread_ts))
    return {"message_ts": ts}


def chat_update(state: SlackState, p: Params) -> dict[str, Any]:
    """chat.update: replace the text and/or blocks of one of the bot's messages."""
    channel = state.channel(p.text("channel"))
    if channel.is_archived:
        raise SlackError("is_archived")
    ts = p.text("ts")
    message = state.find_message(channel.id, ts) if ts else None
    if message is None:
        raise SlackError("message_not_found")
    if message.user != state.bot_user_id:
        raise SlackError("cant_update_message")
    text, blocks = _message_content(p)
    if text is not None:
        message.text = text
    if blocks is not None:
        message.blocks = blocks or None  # an empty array removes the blocks, as in Slack
    message.edited_at = time.time()
    body = message.to_json(BOT_ID)
    return {"channel": channel.id, "ts": message.ts, "text": message.text or "", "message": body}


def chat_delete(state: SlackState, p: Params) -> dict[str, Any]:
    """chat.delete: remove one of the bot's messages."""
    channel = state.channel(p.text("channel"))
    ts = p.text("ts")
    message = state.find_message(channel.id, ts) if ts else None
    if message is None:
        raise SlackError("message_not_found")
    if message.user != state.bot_user_id:
        raise SlackError("cant_delete_message")
    state.messages.remove(message)
    return {"channel": channel.id, "ts": message.ts}


def chat_get_permalink(state: SlackState, p: Params) -> dict[str, Any]:
    """chat.getPermalink: a link to one message of a channel the token can see."""
    channel = state.channel(p.text("channel"))
    ts = p.require("message_ts")
    if state.find_message(channel.id, ts) is None:
        raise SlackError("message_not_found")
    link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
    return {"channel": channel.id, "permalink": link}


def conversations_join(state: SlackState, p: Params) -> dict[str, Any]:
    """conversations.join: public channels only (private ones need an invite)."""
    channel = state.channel(p.text("channel"))
    if channel.is_private or channel.is_im or channel.is_mpim:
        raise SlackError("method_not_supported_for_channel_type")
    if channel.is_archived:
        raise SlackError("is_archived")
    already = state.bot_user_id in channel.members
    channel.members.add(state.bot_user_id)
    body: dict[str, Any] = {"channel": channel.to_json(state.bot_user_id)}
    if already:
        body["warning"] = "already_in_channel"
        body["response_metadata"] = {"warnings": ["already_in_channel"]}
    return body


def conversations_info(state: SlackState, p: Params) -> dict[str, Any]:
    """conversations.info: a private conversation the bot is not in looks nonexistent, as in Slack."""
    channel = state.channel(p.text("channel"))
    if channel.is_private and state.bot_user_id not in channel.members:
        raise SlackError("channel_not_found")
    return {"channel": channel.to_json(state.bot_user_id)}


def conversations_open(state: SlackState, p: Params) -> dict[str, Any]:
    """conversations.open: `users` (comma-separated) → the bot's IM or MPIM with them."""
    users = [u.strip() for u in (p.text("users") or "").split(",") if u.strip()]
    if not users:
        raise SlackError("users_list_not_supplied")
    if len(users) > 8:
        raise SlackError("too_many_users")
    for user in users:
        if user not in state.users:
            raise SlackError("user_not_found")
    channel = state.open_dm(users)
    full = p.text("return_im") not in (None, "0", "false", "False")
    return {"channel": channel.to_json(state.bot_user_id) if full else {"id": channel.id}}


# The scope Slack wants for reading each kind of conversation.
TYPE_SCOPES = {
    "public_channel": "channels:read",
    "private_channel": "groups:read",
    "mpim": "mpim:read",
    "im": "im:read",
}


def conversation_type(channel: Channel) -> str:
    """The `types` word of users.conversations for this channel."""
    if channel.is_im:
        return "im"
    if channel.is_mpim:
        return "mpim"
    return "private_channel" if channel.is_private else "public_channel"


def _page(state: SlackState, p: Params, items: Sequence[Any], method: str) -> tuple[list[Any], str]:
    """One page of `items` from `cursor`, at most `limit` (and at most the sandbox's page limit) long."""
    offset = 0
    cursor = p.text("cursor")
    if cursor is not None:
        try:
            name, _, number = base64.urlsafe_b64decode(cursor.encode()).decode().partition(":")
            offset = int(number)
        except ValueError:
            raise SlackError("invalid_cursor") from None
        if name != method or not 0 <= offset <= len(items):
            raise SlackError("invalid_cursor")
    try:
        limit = int(p.text("limit") or 100)
    except ValueError:
        raise SlackError("invalid_limit") from None
    size = max(1, min(limit, 1000, state.page_limit))
    end = offset + size
    following = base64.urlsafe_b64encode(f"{method}:{end}".encode()).decode() if end < len(items) else ""
    return list(items[offset:end]), following


def conversations_members(state: SlackState, p: Params) -> dict[str, Any]:
    """conversations.members: paginated; a private conversation the bot is not in is `channel_not_found`."""
    channel = state.channel(p.text("channel"))
    state.require_scope(TYPE_SCOPES[conversation_type(channel)])
    if (channel.is_private or channel.is_im or channel.is_mpim) and state.bot_user_id not in channel.members:
        raise SlackError("channel_not_found")
    members, following = _page(state, p, sorted(channel.members), "members")
    return {"members": members, "response_metadata": {"next_cursor": following}}


def users_conversations(state: SlackState, p: Params) -> dict[str, Any]:
    """users.conversations: `user`'s conversations of `types`, paginated; private ones only if the bot is in them."""
    user = p.text("user") or state.bot_user_id
    if user not in state.users:
        raise SlackError("user_not_found")
    types = [t.strip() for t in (p.text("types") or "public_channel").split(",") if t.strip()]
    for kind in types:
        if kind not in TYPE_SCOPES:
            raise SlackError("invalid_types", f"unknown type {kind}")
        state.require_scope(TYPE_SCOPES[kind])
    skip_archived = p.text("exclude_archived") in ("1", "true", "True")
    found = [
        c
        for c in state.channels.values()
        if user in c.members
        and conversation_type(c) in types
        and (conversation_type(c) == "public_channel" or state.bot_user_id in c.members)
        and not (skip_archived and c.is_archived)
    ]
    page, following = _page(state, p, sorted(found, key=lambda c: c.id), "channels")
    return {"channels": [c.to_json(user) for c in page], "response_metadata": {"next_cursor": following}}


def users_info(state: SlackState, p: Params) -> dict[str, Any]:
    """users.info: the user with tz, tz_label and tz_offset."""
    user = state.users.get(p.text("user") or "")
    if user is None:
        raise SlackError("user_not_found")
    return {"user": user.to_json(state.team_id)}


def usergroups_users_list(state: SlackState, p: Params) -> dict[str, Any]:
    """usergroups.users.list: the member ids of a user group."""
    group = p.require("usergroup")
    if group not in state.usergroups:
        raise SlackError("no_such_subteam")
    return {"users": list(state.usergroups[group])}


def users_list(state: SlackState, p: Params) -> dict[str, Any]:
    """users.list: every member of the workspace, cursor-paginated."""
    state.require_scope("users:read")
    users = [state.users[key].to_json(state.team_id) for key in sorted(state.users)]
    members, following = _page(state, p, users, "users")
    return {"members": members, "response_metadata": {"next_cursor": following}}


def usergroups_list(state: SlackState, p: Params) -> dict[str, Any]:
    """usergroups.list: the workspace's user groups with their handles (Slack does not paginate it)."""
    state.require_scope("usergroups:read")
    groups = [
        {"id": key, "team_id": state.team_id, "handle": state.usergroup_handles.get(key, key.lower()),
         "name": state.usergroup_handles.get(key, key).title(), "user_count": len(members)}
        for key, members in sorted(state.usergroups.items())
    ]  # fmt: skip
    return {"usergroups": groups}


CHAT_METHODS: dict[str, Handler] = {
    "auth.test": auth_test,
    "chat.postMessage": chat_post_message,
    "chat.postEphemeral": chat_post_ephemeral,
    "chat.update": chat_update,
    "chat.delete": chat_delete,
    "chat.getPermalink": chat_get_permalink,
    "conversations.join": conversations_join,
    "conversations.info": conversations_info,
    "conversations.open": conversations_open,
    "conversations.members": conversations_members,
    "users.conversations": users_conversations,
    "users.info": users_info,
    "usergroups.users.list": usergroups_users_list,
    "usergroups.list": usergroups_list,
    "users.list": users_list,
}
