"""Block Kit primitives: small pure functions that return plain dicts, within Slack's limits.

mrkdwn texts must be `Mrkdwn` (see bot/slack/text.py: data is escaped there, once); plain_text
labels take raw text, which Slack shows literally. Every length is clipped in UTF-16 units, as
Slack counts them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.slack.text import Mrkdwn, clip, clip_mrkdwn, join, units

SlackBlock = dict[str, Any]

MESSAGE_BLOCKS = 50
MODAL_BLOCKS = 100
# Slack refuses a message whose blocks carry about 12,000 characters of text (msg_blocks_too_long);
# builders stay below this budget, leaving room for the odd label.
MESSAGE_BUDGET = 11_000
FALLBACK_LIMIT = 3000  # message `text` (notifications): Slack advises at most 4,000
SECTION_LIMIT = 3000
FIELD_LIMIT = 2000
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75
BUTTON_VALUE_LIMIT = 2000
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
PLACEHOLDER_LIMIT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25


def plain(text: str, limit: int, *, emoji: bool | None = True) -> SlackBlock:
    """A plain_text object: shown literally by Slack, so not escaped, only clipped."""
    obj: SlackBlock = {"type": "plain_text", "text": clip(text, limit) or " "}
    if emoji is not None:
        obj["emoji"] = emoji
    return obj


def mrkdwn(text: Mrkdwn, limit: int = SECTION_LIMIT) -> SlackBlock:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": clip_mrkdwn(text, limit) or " "}


def header(text: str) -> SlackBlock:
    """A header block (plain text, at most 150 characters)."""
    return {"type": "header", "text": plain(text, HEADER_LIMIT)}


def section(text: Mrkdwn, *, block_id: str | None = None) -> SlackBlock:
    """A mrkdwn section (at most 3000 characters)."""
    block: SlackBlock = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id
    return block


def sections(lines: Sequence[Mrkdwn]) -> list[SlackBlock]:
    """As few sections as hold `lines`, each within Slack's 3000-character limit."""
    blocks: list[SlackBlock] = []
    current: list[Mrkdwn] = []
    size = 0
    for line in lines:
        line = clip_mrkdwn(line, SECTION_LIMIT)
        if current and size + 1 + units(line) > SECTION_LIMIT:
            blocks.append(section(join(current)))
            current, size = [], 0
        size += units(line) + (1 if current else 0)
        current.append(line)
    if current:
        blocks.append(section(join(current)))
    return blocks


def context(*texts: Mrkdwn) -> SlackBlock:
    """A context block of mrkdwn texts (at most 10)."""
    return {"type": "context", "elements": [mrkdwn(t) for t in texts[:CONTEXT_ELEMENTS]]}


def divider() -> SlackBlock:
    """A divider."""
    return {"type": "divider"}


def button(
    label: str, action_id: str, value: str | None = None, *, url: str | None = None, style: str | None = None
) -> SlackBlock:
    """A button; `value` is echoed back in the block_actions payload (callers keep it ≤ 2,000)."""
    element: SlackBlock = {"type": "button", "text": plain(label, BUTTON_TEXT_LIMIT), "action_id": action_id}
    if value is not None:
        element["value"] = value
    if url is not None:
        element["url"] = url
    if style is not None:
        element["style"] = style
    return element


def option(label: str, value: str) -> SlackBlock:
    """A select option: a plain label (≤ 75) and a value (callers keep it ≤ 150)."""
    return {"text": plain(label, OPTION_TEXT_LIMIT, emoji=None), "value": value}


def actions(elements: list[SlackBlock], *, block_id: str | None = None) -> SlackBlock:
    """An actions block (at most 25 elements)."""
    block: SlackBlock = {"type": "actions", "elements": elements[:ACTIONS_ELEMENTS]}
    if block_id:
        block["block_id"] = block_id
    return block


def fallback(text: Mrkdwn) -> Mrkdwn:
    """A message's notification `text`, within the length Slack advises."""
    return clip_mrkdwn(text, FALLBACK_LIMIT)
