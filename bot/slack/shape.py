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
# What Bolt's request parsing (slack_bolt.request.internals, payload_utils, the listener matchers)
# and our listeners read, with the types they assume. Checked on the body and on the nested
# objects Bolt looks into the same way (event, message, previous_message, item, assistant_thread).
STRINGS = (
    "type", "token", "trigger_id", "response_url", "callback_id", "action_id", "api_app_id", "team_id",
    "user_id", "channel_id", "enterprise_id", "thread_ts", "function_execution_id", "bot_access_token",
    "command", "text", "challenge", "ssl_check",
)  # fmt: skip
OBJECTS = ("enterprise", "organization", "view", "container", "state", "function_data", "workflow_step")
NESTED = ("event", "message", "previous_message", "item", "assistant_thread")
STRING_OR_OBJECT = ("user", "channel", "team")  # Bolt reads `id` of the object, or takes the string
LISTS_OF_OBJECTS = ("actions", "authorizations", "response_urls")
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


def _types_problem(obj: dict[str, Any], where: str) -> str | None:
    """A field of `obj` whose type is not what Bolt and our listeners assume."""
    for name, value in obj.items():
        if value is None:
            continue
        if name in STRINGS and not isinstance(value, str):
            return f"{where}{name} is not a string"
        if name in OBJECTS + NESTED and not isinstance(value, dict):
            return f"{where}{name} is not an object"
        if name in STRING_OR_OBJECT and not (
            isinstance(value, str) or (isinstance(value, dict) and isinstance(value.get("id", ""), str))
        ):
            return f"{where}{name} is neither an id nor an object with a string id"
        if name in LISTS_OF_OBJECTS and not (isinstance(value, list) and all(isinstance(v, dict) for v in value)):
            return f"{where}{name} is not a list of objects"
    for name in NESTED:
        if isinstance(obj.get(name), dict):
            problem = _types_problem(obj[name], f"{where}{name}.")
            if problem:
                return problem
    return None


def _action_problem(action: dict[str, Any]) -> str | None:
    if not isinstance(action.get("action_id"), str):
        return "an action without action_id"
    if action.get("value") is not None and not isinstance(action["value"], str):
        return "an action value that is not a string"
    option = action.get("selected_option")
    if option is not None and not (isinstance(option, dict) and isinstance(option.get("value"), str)):
        return "a selected option without a value"
    return None


def _view_problem(view: Any) -> str | None:
    if not isinstance(view, dict):
        return "view payload without a view"
    for name in ("type", "callback_id", "private_metadata", "id", "app_installed_team_id", "team_id"):
        if view.get(name) is not None and not isinstance(view[name], str):
            return f"view {name} is not a string"
    if not isinstance(view.get("type"), str):
        return "view without a type"  # Bolt compares view.type to "workflow_step" unguarded
    state = view.get("state", {})
    if not isinstance(state, dict) or not isinstance(state.get("values", {}), dict):
        return "view state is not an object"
    return None


def _interaction_problem(body: dict[str, Any]) -> str | None:
    kind = body.get("type")
    if not kind:
        return "payload has no type"
    user = body.get("user")
    if kind in USER_TYPES and not (isinstance(user, dict) and user.get("id")):
        return "payload has no user id"
    if kind == "block_actions":
        actions = body.get("actions")
        if not actions:
            return "block_actions without actions"
        return next((p for p in map(_action_problem, actions) if p), None)
    if kind in ("view_submission", "view_closed"):
        return _view_problem(body.get("view"))
    return None


def _fields_problem(body: dict[str, Any]) -> str | None:
    problem = _types_problem(body, "")
    if problem:
        return problem
    if body.get("ssl_check") == "1":
        return None
    if "command" in body:
        return None if body.get("user_id") and body.get("channel_id") is not None else "command without user_id"
    if body.get("type") == "url_verification":
        return None if body.get("challenge") else "url_verification without challenge"
    if body.get("type") == "event_callback":
        event = body.get("event")
        return None if isinstance(event, dict) and isinstance(event.get("type"), str) else "event without a type"
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
    if isinstance(body.get("channel"), str) and body["channel"]:
        return str(body["channel"])
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
