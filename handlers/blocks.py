"""Block Kit primitives: small pure functions that return plain dicts."""

from __future__ import annotations

from typing import Any

SlackBlock = dict[str, Any]

SECTION_LIMIT = 3000
HEADER_LIMIT = 150
BUTTON_TEXT_LIMIT = 75


def escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn treats as control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def clip(text: str, limit: int) -> str:
    """Cut `text` to `limit` characters, ending with an ellipsis when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> SlackBlock:
    """A header block (plain text, at most 150 characters)."""
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_LIMIT), "emoji": True}}


def section(text: str, *, block_id: str | None = None) -> SlackBlock:
    """A mrkdwn section (at most 3000 characters)."""
    block: SlackBlock = {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}
    if block_id:
        block["block_id"] = block_id
    return block


def sections(lines: list[str]) -> list[SlackBlock]:
    """As few sections as hold `lines`, each within Slack's 3000-character limit."""
    blocks: list[SlackBlock] = []
    current: list[str] = []
    for line in lines:
        line = clip(line, SECTION_LIMIT)
        if current and len("\n".join([*current, line])) > SECTION_LIMIT:
            blocks.append(section("\n".join(current)))
            current = []
        current.append(line)
    if current:
        blocks.append(section("\n".join(current)))
    return blocks


def context(*texts: str) -> SlackBlock:
    """A context block of mrkdwn texts (at most 10)."""
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(t, SECTION_LIMIT)} for t in texts[:10]]}


def divider() -> SlackBlock:
    """A divider."""
    return {"type": "divider"}


def button(
    label: str, action_id: str, value: str | None = None, *, url: str | None = None, style: str | None = None
) -> SlackBlock:
    """A button; `value` is echoed back in the block_actions payload."""
    element: SlackBlock = {
        "type": "button",
        "text": {"type": "plain_text", "text": clip(label, BUTTON_TEXT_LIMIT), "emoji": True},
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value
    if url is not None:
        element["url"] = url
    if style is not None:
        element["style"] = style
    return element


def actions(elements: list[SlackBlock], *, block_id: str | None = None) -> SlackBlock:
    """An actions block (at most 25 elements)."""
    block: SlackBlock = {"type": "actions", "elements": elements[:25]}
    if block_id:
        block["block_id"] = block_id
    return block
