"""Who `notify` pings: the handles typed in `alert add` / `alert edit`, resolved to Slack ids once.

    rule = resolve_notify(rule, client)     # `notify @oncall @alice` → ("<!subteam^S1>", "<@U1>")

The stored rule keeps ids, never handles: a renamed person or group is still pinged, and the
message builders only turn ids into mentions. A handle nobody has is a UserError, so nothing is
stored. Handles are looked up in usergroups.list and users.list (paginated) only when some are given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.alerts.rule import USAGE, Rule
from bot.errors import UpstreamError, UserError

_USER = re.compile(r"^<@([UW][A-Z0-9_]+)(?:\|[^>]*)?>$|^([UW][A-Z0-9_]{6,})$")
_GROUP = re.compile(r"^<!subteam\^(S[A-Z0-9_]+)(?:\|[^>]*)?>$|^(S[A-Z0-9_]{6,})$")
PAGE = 200


def unknown_handles(handles: Iterable[str]) -> UserError:
    """The refusal when `notify` names handles nobody in the workspace has."""
    names = ", ".join(h if h.startswith("<") else f"@{h.lstrip('@')}" for h in handles)
    return UserError(
        f"Nobody in this workspace is {names}, so nothing was stored. `notify` takes the @handle "
        "of a person or a user group, e.g. `notify @alice @oncall`.",
        usage=USAGE,
    )


def resolve_notify(rule: Rule, client: WebClient) -> Rule:
    """`rule` with every `notify` entry as a stored id token (`<@U…>`, `<!subteam^S…>`) of someone who exists."""
    if not rule.notify:
        return rule
    known = _directory(client)
    tokens = [_token(entry, known) for entry in rule.notify]
    missing = [entry for entry, token in zip(rule.notify, tokens, strict=True) if token is None]
    if missing:
        raise unknown_handles(missing)
    return replace(rule, notify=tuple(dict.fromkeys(t for t in tokens if t)))


def _token(entry: str, known: dict[str, str]) -> str | None:
    """The stored token of one `notify` entry; None when no person or group in the workspace has it.

    Ids typed (or sent by Slack as `<@U1|alice>`) are checked too: only a resolved id is ever
    stored, so the builders may render every stored token as a mention.
    """
    user, group = _USER.match(entry), _GROUP.match(entry)
    if user:
        token = f"<@{user.group(1) or user.group(2)}>"
    elif group:
        token = f"<!subteam^{group.group(1) or group.group(2)}>"
    else:
        return known.get(entry.lstrip("@").lower())
    return token if token in known.values() else None


def _directory(client: WebClient) -> dict[str, str]:
    """handle → token for every user group and (active) person; a group wins over a person of the same name."""
    found: dict[str, str] = {}
    try:
        for page in client.users_list(limit=PAGE):  # SlackResponse iterates the cursor's pages
            for member in page.get("members") or []:
                if not member.get("deleted"):
                    for name in _names(member):
                        found.setdefault(name, f"<@{member['id']}>")
        groups = client.usergroups_list().get("usergroups") or []
    except SlackApiError as exc:
        raise UpstreamError("Slack", str(exc.response.get("error", "error"))) from exc
    for group in groups:
        if group.get("handle"):
            found[str(group["handle"]).lower()] = f"<!subteam^{group['id']}>"
    return found


def _names(member: dict[str, Any]) -> set[str]:
    profile = member.get("profile") or {}
    names = (member.get("name"), profile.get("display_name"))
    return {str(n).lower() for n in names if n}
