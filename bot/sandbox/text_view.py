"""Block Kit as plain text for a terminal: what a person would read in Slack, without the JSON.

    lines = render_message("fallback", blocks, files=["widget-34.png"], names={"C_GENERAL": "general"})
    print("\\n".join(lines))

Pure functions only: headers, section text and fields, context, buttons and menus as `[Label]`,
images and files by name, dividers. Slack's mrkdwn links and mentions are turned into readable words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

DIVIDER = "─" * 40
# Slack's markup: <https://x|label>, <#C123|name>, <#C123>, <@U123>, <!subteam^S123>, <!here>, <!date^…|fallback>.
# Anything else in angle brackets (a literal `<id>` in usage text) is left as it was written.
_ANGLE = re.compile(r"<((?:[#@!]|https?:|mailto:|tel:|slack:)[^<>|]*)(?:\|([^<>]*))?>")


def plain_mrkdwn(text: str, names: Mapping[str, str] | None = None) -> str:
    """Slack mrkdwn with links and mentions made readable (`<#C1>` → `#general`, `<url|x>` → `x (url)`)."""
    known = names or {}

    def one(match: re.Match[str]) -> str:
        target, label = match.group(1), match.group(2)
        if target[0] in "#@":
            return target[0] + (label or known.get(target[1:], target[1:]))
        if target.startswith("!subteam^"):
            group = target.removeprefix("!subteam^")
            return label or "@" + known.get(group, group)
        if target.startswith("!date^"):
            return label or target
        if target.startswith("!"):
            return label or "@" + target[1:]
        return f"{label} ({target})" if label and label != target else target

    words = _ANGLE.sub(one, text)
    return words.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: Any, names: Mapping[str, str] | None) -> str:
    """The words of a text object (plain_text or mrkdwn), or '' for anything else."""
    if isinstance(obj, str):
        return obj
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    return plain_mrkdwn(text, names) if obj.get("type") == "mrkdwn" else text


def element_text(element: Any, names: Mapping[str, str] | None = None) -> str:
    """One interactive or context element: `[Label]` for buttons and menus, words for text, images by name."""
    if not isinstance(element, dict):
        return ""
    kind = element.get("type")
    if kind in ("plain_text", "mrkdwn"):
        return _text(element, names)
    if kind == "image":
        return f"(image: {element.get('alt_text') or element.get('image_url', '')})"
    if kind == "button":
        link = " ↗" if element.get("url") else ""
        return f"[{_text(element.get('text'), names)}{link}]"
    if kind == "overflow":
        return "[⋯]"
    label = _text(element.get("placeholder"), names) or _text(element.get("initial_option", {}).get("text"), names)
    if kind and kind.endswith(("select", "datepicker", "timepicker")):
        return f"[{label or kind} ▾]"
    if kind == "plain_text_input":
        initial = element.get("initial_value")
        return f"[{initial or label or '…'}]"
    return f"[{kind}]"


def _rich_text(node: Any) -> str:
    """The words of a rich_text block's nested elements."""
    if isinstance(node, list):
        return "".join(_rich_text(n) for n in node)
    if not isinstance(node, dict):
        return ""
    if "text" in node and isinstance(node["text"], str):
        return node["text"]
    if node.get("type") == "link":
        return str(node.get("url", ""))
    inner = _rich_text(node.get("elements", []))
    return inner + "\n" if node.get("type") in ("rich_text_section", "rich_text_preformatted") else inner


def block_lines(block: dict[str, Any], names: Mapping[str, str] | None = None) -> list[str]:
    """The lines one block reads as."""
    kind = block.get("type")
    if kind == "header":
        return [f"# {_text(block.get('text'), names)}"]
    if kind == "divider":
        return [DIVIDER]
    if kind == "section":
        lines = _text(block.get("text"), names).splitlines()
        for field in block.get("fields") or []:
            lines.extend("  " + line for line in _text(field, names).splitlines())
        accessory = block.get("accessory")
        if accessory is not None:
            lines.append(f"  {element_text(accessory, names)}")
        return lines
    if kind == "context":
        return [" · ".join(element_text(e, names) for e in block.get("elements") or [])]
    if kind == "actions":
        return [" ".join(element_text(e, names) for e in block.get("elements") or [])]
    if kind == "image":
        title = _text(block.get("title"), names)
        return [f"(image: {title or block.get('alt_text') or block.get('image_url', '')})"]
    if kind == "file":
        return [f"(file: {block.get('external_id', '')})"]
    if kind == "input":
        optional = " (optional)" if block.get("optional") else ""
        return [f"{_text(block.get('label'), names)}{optional}: {element_text(block.get('element'), names)}"]
    if kind == "rich_text":
        return _rich_text(block.get("elements", [])).rstrip("\n").splitlines()
    if kind == "markdown":
        return str(block.get("text", "")).splitlines()
    return [f"({kind} block)"]


def render_blocks(blocks: Iterable[dict[str, Any]], names: Mapping[str, str] | None = None) -> list[str]:
    """Every block's lines, in order."""
    return [line for block in blocks for line in block_lines(block, names)]


def render_message(
    text: str | None,
    blocks: Iterable[dict[str, Any]] | None,
    files: Iterable[str] = (),
    names: Mapping[str, str] | None = None,
) -> list[str]:
    """A message as Slack shows it: its blocks (or, without blocks, its text), then its files by name."""
    block_list = list(blocks or [])
    lines = render_blocks(block_list, names) if block_list else plain_mrkdwn(text or "", names).splitlines()
    lines.extend(f"📎 {name}" for name in files)
    return lines
