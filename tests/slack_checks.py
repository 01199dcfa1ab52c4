"""Checks on what the bot hands Slack: no markup from data in mrkdwn, and Block Kit within Slack's limits.

`leaks(payload)` lists every mrkdwn string (message `text`, `initial_comment`, mrkdwn text objects)
that still holds a `<`, `>` or a bare `&` once the bot's own tokens are taken out: mentions of the
verified ids below, channel links and `<!date^…>` times. Anything else would be Slack markup that
came from data (`<!channel>`, `<@U1>`, `<https://evil|x>`).

`limit_errors(blocks)` runs slack_sdk's Block Kit models (Block.parse(...).to_dict() validates) and the
Slack sandbox's own checker (UTF-16 lengths, 50 blocks, ~12,000 characters of text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from hypothesis import strategies as st
from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.sandbox.slack_blocks import SURFACE_BLOCKS, block_errors, size_error, view_errors

REQUESTER = "U0REQ"  # ids the bot got from verified Slack requests: its mentions of them are its own
APPROVER = "U0APP"
CHANNEL = "C0CHAN"
GROUP = "S0GRP"  # a user group the bot resolved through usergroups.list (alert `notify @oncall`)
_DATE = r"<!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>"
_BARE_AMP = re.compile(r"&(?!amp;|lt;|gt;)")

PIECES = [
    "<!channel>", "<!here>", "<!everyone>", "<@U1>", "<@W2|bob>", "<#C1>", "<#C1|general>",
    "<https://evil.example|click>", "<mailto:a@b.c|mail>", "<!subteam^S1>", "<!date^1^{date}|x>",
    "&", "&amp;", "&lt;", "&gt;", "<", ">", "|", "`", "```", "*", "_", "~", "\n", ":x:",
    "😀", "é", "\u202e", "\u200b", "中文",
]  # fmt: skip
hostile = st.lists(st.sampled_from(PIECES) | st.text(max_size=6), min_size=1, max_size=8).map("".join)


def mrkdwn_strings(payload: Any, ptr: str = "") -> Iterator[tuple[str, str]]:
    """Every string of `payload` that Slack parses as mrkdwn, with its JSON pointer."""
    if isinstance(payload, dict):
        if payload.get("type") == "mrkdwn" and isinstance(payload.get("text"), str):
            yield f"{ptr}/text", payload["text"]
        for key, value in payload.items():
            if key in ("text", "initial_comment") and isinstance(value, str) and "type" not in payload:
                yield f"{ptr}/{key}", value  # a message's own `text` / `initial_comment`
            elif not isinstance(value, str):
                yield from mrkdwn_strings(value, f"{ptr}/{key}")
    elif isinstance(payload, list | tuple):
        for i, item in enumerate(payload):
            yield from mrkdwn_strings(item, f"{ptr}/{i}")


def leaks(payload: Any, users: tuple[str, ...] = (REQUESTER, APPROVER), channel: str = CHANNEL) -> list[str]:
    """The mrkdwn strings of `payload` that carry Slack markup the bot did not write itself.

    The bot's own markup is a mention of one of `users` (verified ids) or of GROUP, a link to `channel`, a date.
    """
    own = re.compile(
        "|".join([*(f"<@{re.escape(u)}>" for u in users), f"<#{re.escape(channel)}>", f"<!subteam\\^{GROUP}>", _DATE])
    )
    out = []
    for ptr, text in mrkdwn_strings(payload):
        rest = own.sub("", text)
        if "<" in rest or ">" in rest or _BARE_AMP.search(rest):
            out.append(f"{ptr}: {text!r}")
    return out


def sdk_errors(blocks: list[dict[str, Any]]) -> list[str]:
    """What slack_sdk's Block Kit models refuse in `blocks`."""
    errors = []
    for i, block in enumerate(blocks):
        try:
            Block.parse(block).to_dict()  # type: ignore[union-attr]
        except (SlackObjectFormationError, KeyError, TypeError) as exc:
            errors.append(f"/blocks/{i}: {exc}")
    return errors


def limit_errors(blocks: list[dict[str, Any]], text: str | None = None) -> list[str]:
    """Every Slack limit a message's blocks (and its `text`) break, by slack_sdk and by the sandbox."""
    errors = sdk_errors(blocks) + block_errors(blocks)
    too_big = size_error(text, blocks)
    return errors + ([too_big] if too_big else [])


def view_limit_errors(view: dict[str, Any]) -> list[str]:
    """Every Slack limit a modal breaks."""
    errors = sdk_errors(view["blocks"]) + view_errors(view)
    try:
        View(**view).to_dict()
    except (SlackObjectFormationError, TypeError) as exc:
        errors.append(f"view: {exc}")
    if len(view["blocks"]) > SURFACE_BLOCKS:
        errors.append("too many blocks")
    return errors
