"""The top-level shape of a verified Slack body, checked once at the HTTP boundary.

Bolt and our listeners index fields (`body["actions"][0]`, `body["user"]["id"]`, `view["state"]`);
a signed-but-malformed body must be refused here with a reason rather than crash a listener.
We parse with Bolt's own `parse_body`, so we check exactly what the listeners will receive.

    problem = shape_problem(body_text, content_type)   # None when fine, else why not
    user = user_id(body)                               # safe accessors for listeners
"""

from __future__ import annotations

from typing import Any

from slack_bolt.request.internals import parse_body

MAX_DEPTH = 64  # real payloads (views with rich text) nest about 15 deep
# Interactivity payload members that Bolt or our listeners read as objects when present.
OBJECT_FIELDS = ("channel", "container", "message", "team", "state", "view", "enterprise")
USER_TYPES = ("block_actions", "view_submission", "view_closed", "block_suggestion", "shortcut", "message_action")


def _too_deep(value: Any) -> bool:
    """Whether `value` nests deeper than MAX_DEPTH (iterative: no recursion on hostile input)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def _interaction_problem(body: dict[str, Any]) -> str | None:
    kind = body.get("type")
    if not isinstance(kind, str) or not kind:
        return "payload has no type"
    user = body.get("user")
    if kind in USER_TYPES and not (isinstance(user, dict) and isinstance(user.get("id"), str) and user["id"]):
        return "payload has no user id"
    for name in OBJECT_FIELDS:
        if body.get(name) is not None and not isinstance(body.get(name), dict):
            return f"payload field {name} is not an object"
    if kind == "block_actions":
        actions = body.get("actions")
        if not isinstance(actions, list) or not actions:
            return "block_actions without actions"
        for action in actions:
            if not isinstance(action, dict) or not isinstance(action.get("action_id"), str):
                return "an action without action_id"
            if action.get("value") is not None and not isinstance(action["value"], str):
                return "an action value that is not a string"
            option = action.get("selected_option")
            if option is not None and not (isinstance(option, dict) and isinstance(option.get("value"), str)):
                return "a selected option without a value"
    if kind in ("view_submission", "view_closed"):
        view = body.get("view")
        if not isinstance(view, dict) or not isinstance(view.get("callback_id", ""), str):
            return "view payload without a view"
        state = view.get("state", {})
        if not isinstance(state, dict) or not isinstance(state.get("values", {}), dict):
            return "view state is not an object"
        if not isinstance(view.get("private_metadata", ""), str):
            return "private_metadata is not a string"
    return None


def _is_obj(body: dict[str, Any], name: str) -> bool:
    return isinstance(body.get(name), dict)


def _fields_problem(body: dict[str, Any]) -> str | None:
    if body.get("ssl_check") == "1":
        return None
    if "command" in body:
        return None if body.get("user_id") and body.get("channel_id") is not None else "command without user_id"
    if body.get("type") == "url_verification":
        return None if isinstance(body.get("challenge"), str) else "url_verification without challenge"
    if body.get("type") == "event_callback":
        return None if _is_obj(body, "event") else "event_callback without event"
    return _interaction_problem(body)


def shape_problem(text: str, content_type: str | None) -> str | None:
    """Why this verified body is not one Slack sends (None when its shape is fine)."""
    try:
        body = parse_body(text, content_type)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError; 5,000 nested [ recurse
        return "body is not valid JSON"
    if not isinstance(body, dict):
        return "body is not a JSON object"
    if not body:
        return "empty body"
    if _too_deep(body):
        return f"body nests deeper than {MAX_DEPTH}"
    return _fields_problem(body)


def user_id(body: dict[str, Any]) -> str:
    """The acting user of an interaction payload ('' if absent)."""
    user = body.get("user")
    return str(user.get("id") or "") if isinstance(user, dict) else ""


def channel_id(body: dict[str, Any]) -> str:
    """The channel an interaction happened in, from `channel` or the message `container` ('' if none)."""
    for name, key in (("channel", "id"), ("container", "channel_id")):
        holder = body.get(name)
        if isinstance(holder, dict) and holder.get(key):
            return str(holder[key])
    return ""


def first_action(body: dict[str, Any]) -> dict[str, Any]:
    """The first action of a block_actions payload ({} if none)."""
    actions = body.get("actions")
    if isinstance(actions, list) and actions and isinstance(actions[0], dict):
        return actions[0]
    return {}
