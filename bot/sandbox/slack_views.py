"""Modals and the Home tab in the Slack sandbox, with Slack's trigger_id rules.

A trigger_id is issued by the driver with each interaction; it is valid for `trigger_ttl`
seconds (3 in Slack) and can be exchanged once. A modal stack holds at most 3 views.
"""

from __future__ import annotations

import secrets
import time
from typing import Any

from bot.sandbox.slack_blocks import view_errors
from bot.sandbox.slack_chat import Handler
from bot.sandbox.slack_records import ViewRecord
from bot.sandbox.slack_state import APP_ID, BOT_ID, Params, SlackError, SlackState

MAX_STACK = 3


def issue_trigger(state: SlackState, user: str) -> str:
    """A fresh trigger_id for an interaction by `user`, shaped like Slack's."""
    trigger_id = f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
    state.triggers[trigger_id] = (user, time.monotonic(), False)
    return trigger_id


def _exchange(state: SlackState, p: Params) -> tuple[str, str]:
    """Use up the call's trigger_id; returns (trigger_id, user)."""
    trigger_id = p.require("trigger_id")
    entry = state.triggers.get(trigger_id)
    if entry is None:
        raise SlackError("invalid_trigger_id")
    user, issued, used = entry
    if used:
        raise SlackError("exchanged_trigger_id")
    if time.monotonic() - issued > state.trigger_ttl:
        raise SlackError("expired_trigger_id")
    state.triggers[trigger_id] = (user, issued, True)
    return trigger_id, user


def _view_arg(state: SlackState, p: Params, *, keep: str | None = None) -> dict[str, Any]:
    """The `view` argument, checked against the Block Kit limits (Slack answers invalid_arguments)."""
    view = p.json("view")
    if view is None:
        raise SlackError("invalid_arguments", "missing required field: view")
    errors = view_errors(view)
    if errors:
        raise SlackError("invalid_arguments", *errors)
    external_id = view.get("external_id")
    for vid, other in state.open_views.items():
        if external_id and vid != keep and other.get("external_id") == external_id:
            raise SlackError("duplicate_external_id")
    return dict(view)


def _store(state: SlackState, view: dict[str, Any], user: str, *, vid: str | None = None) -> dict[str, Any]:
    """Give the view Slack's server-side fields and remember it."""
    old = state.open_views.get(vid or "", {})
    vid = vid or state.new_id("V")
    stored = {
        "id": vid,
        "team_id": state.team_id,
        "type": view["type"],
        "blocks": view.get("blocks", []),
        "private_metadata": view.get("private_metadata", ""),
        "callback_id": view.get("callback_id", ""),
        "state": {"values": {}},
        "hash": f"{time.time():.6f}.{secrets.token_hex(4)}",
        "title": view.get("title"),
        "clear_on_close": bool(view.get("clear_on_close", False)),
        "notify_on_close": bool(view.get("notify_on_close", False)),
        "close": view.get("close"),
        "submit": view.get("submit"),
        "previous_view_id": old.get("previous_view_id"),
        "root_view_id": old.get("root_view_id", vid),
        "app_id": APP_ID,
        "external_id": view.get("external_id", ""),
        "app_installed_team_id": state.team_id,
        "bot_id": BOT_ID,
    }
    state.open_views[vid] = stored
    state.view_users[vid] = user
    return stored


def _record(state: SlackState, method: str, stored: dict[str, Any], user: str, trigger: str | None) -> None:
    """Append to `views` for the tests."""
    state.views.append(ViewRecord(method, stored, user=user, trigger_id=trigger))


def views_open(state: SlackState, p: Params) -> dict[str, Any]:
    """views.open: a new modal stack for the trigger's user."""
    view = _view_arg(state, p)
    if view["type"] != "modal":
        raise SlackError("invalid_arguments", "views.open takes a modal")
    trigger_id, user = _exchange(state, p)
    stored = _store(state, view, user)
    state.view_stacks[user] = [stored["id"]]
    _record(state, "views.open", stored, user, trigger_id)
    return {"view": stored}


def views_push(state: SlackState, p: Params) -> dict[str, Any]:
    """views.push: add a modal on top of the user's stack (3 views at most)."""
    view = _view_arg(state, p)
    trigger_id, user = _exchange(state, p)
    stack = state.view_stacks.setdefault(user, [])
    if len(stack) >= MAX_STACK:
        raise SlackError("push_limit_reached")
    stored = _store(state, view, user)
    if stack:
        stored["previous_view_id"], stored["root_view_id"] = stack[-1], stack[0]
    stack.append(stored["id"])
    _record(state, "views.push", stored, user, trigger_id)
    return {"view": stored}


def views_update(state: SlackState, p: Params) -> dict[str, Any]:
    """views.update: replace an open view found by view_id or external_id (`hash` guards races)."""
    vid, external_id = p.text("view_id"), p.text("external_id")
    if vid is None and external_id is None:
        raise SlackError("invalid_arguments", "view_id or external_id is required")
    if vid is None:
        vid = next((k for k, v in state.open_views.items() if v.get("external_id") == external_id), None)
    if vid is None or vid not in state.open_views:
        raise SlackError("not_found")
    expected = p.text("hash")
    if expected is not None and expected != state.open_views[vid]["hash"]:
        raise SlackError("hash_conflict")
    view = _view_arg(state, p, keep=vid)
    user = state.view_users[vid]
    stored = _store(state, view, user, vid=vid)
    _record(state, "views.update", stored, user, None)
    return {"view": stored}


def views_publish(state: SlackState, p: Params) -> dict[str, Any]:
    """views.publish: set a user's Home tab."""
    user = p.require("user_id")
    if user not in state.users:
        raise SlackError("user_not_found")
    view = _view_arg(state, p)
    if view["type"] != "home":
        raise SlackError("invalid_arguments", "views.publish takes a home view")
    home = next((k for k, v in state.open_views.items() if v["type"] == "home" and state.view_users[k] == user), None)
    stored = _store(state, view, user, vid=home)
    _record(state, "views.publish", stored, user, None)
    return {"view": stored}


VIEW_METHODS: dict[str, Handler] = {
    "views.open": views_open,
    "views.push": views_push,
    "views.update": views_update,
    "views.publish": views_publish,
}
