"""Block Kit limits as Slack enforces them, so the sandbox rejects what real Slack would reject.

Each checker returns a list of messages in Slack's style: what broke, the limit, and a JSON
pointer, e.g. "section text must be at most 3000 characters (got 3001) [json-pointer:/blocks/0/text/text]".
An empty list means the payload is acceptable.
"""

from __future__ import annotations

from typing import Any

MESSAGE_BLOCKS = 50
SURFACE_BLOCKS = 100  # modals and the Home tab
MAX_TEXT = 40_000  # message `text` / `initial_comment`: Slack truncates past this; we refuse
MAX_BLOCKS_TEXT = 12_000  # all the text of a message's blocks together (msg_blocks_too_long)
_KNOWN_BLOCKS = {"divider", "markdown", "rich_text", "file", "video", "call"}


def units(text: str) -> int:
    """A string's length as Slack counts it: UTF-16 code units (an emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def blocks_text(payload: Any) -> int:
    """The UTF-16 length of the text that blocks carry, outside interactive elements (their own limits)."""
    if isinstance(payload, dict):
        if "action_id" in payload:
            return 0
        own = units(payload["text"]) if isinstance(payload.get("text"), str) else 0
        return own + sum(blocks_text(v) for k, v in payload.items() if not (k == "text" and isinstance(v, str)))
    if isinstance(payload, list):
        return sum(blocks_text(item) for item in payload)
    return 0


def size_error(text: Any, blocks: Any) -> str | None:
    """Slack's code for a message too big to post (`msg_too_long`, `msg_blocks_too_long`), or None."""
    if isinstance(text, str) and units(text) > MAX_TEXT:
        return "msg_too_long"
    if blocks is not None and blocks_text(blocks) > MAX_BLOCKS_TEXT:
        return "msg_blocks_too_long"
    return None


def _length(value: Any, limit: int, what: str, ptr: str, *, required: bool = False) -> list[str]:
    """Check a string's length (and presence when required)."""
    if value is None:
        return [f"{what} is required [json-pointer:{ptr}]"] if required else []
    if not isinstance(value, str):
        return [f"{what} must be a string [json-pointer:{ptr}]"]
    if required and not value:
        return [f"{what} must not be empty [json-pointer:{ptr}]"]
    if units(value) > limit:
        return [f"{what} must be at most {limit} characters (got {units(value)}) [json-pointer:{ptr}]"]
    return []


def _text(obj: Any, limit: int, what: str, ptr: str, *, plain: bool = False, required: bool = True) -> list[str]:
    """Check a text composition object: its type and the length of its `text`."""
    if obj is None:
        return [f"{what} is required [json-pointer:{ptr}]"] if required else []
    if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
        return [f"{what} must be a text object [json-pointer:{ptr}]"]
    if plain and obj["type"] != "plain_text":
        return [f"{what} must be plain_text [json-pointer:{ptr}/type]"]
    return _length(obj.get("text"), limit, what, f"{ptr}/text", required=True)


def _count(items: Any, limit: int, what: str, ptr: str) -> list[str]:
    """Check a list is present, non-empty and not longer than `limit`."""
    if not isinstance(items, list) or not items:
        return [f"{what} must be a non-empty array [json-pointer:{ptr}]"]
    if len(items) > limit:
        return [f"{what} must have at most {limit} items (got {len(items)}) [json-pointer:{ptr}]"]
    return []


def _option(option: Any, ptr: str) -> list[str]:
    """Check a select option: plain text of at most 75 characters, a value of at most 150."""
    if not isinstance(option, dict):
        return [f"option must be an object [json-pointer:{ptr}]"]
    errors = _text(option.get("text"), 75, "option text", f"{ptr}/text", plain=True)
    return errors + _length(option.get("value"), 150, "option value", f"{ptr}/value")


def element_errors(element: Any, ptr: str) -> list[str]:
    """Check an interactive element (button, select, …)."""
    if not isinstance(element, dict) or "type" not in element:
        return [f"element must be an object with a type [json-pointer:{ptr}]"]
    errors = _length(element.get("action_id"), 255, "action_id", f"{ptr}/action_id")
    kind = element["type"]
    if kind == "button":
        errors += _text(element.get("text"), 75, "button text", f"{ptr}/text", plain=True)
        errors += _length(element.get("value"), 2000, "button value", f"{ptr}/value")
        errors += _length(element.get("url"), 3000, "button url", f"{ptr}/url")
        if element.get("style") not in (None, "primary", "danger"):
            errors.append(f"button style must be primary or danger [json-pointer:{ptr}/style]")
    if "options" in element:
        errors += _count(element["options"], 100, f"{kind} options", f"{ptr}/options")
        for i, option in enumerate(element["options"] if isinstance(element["options"], list) else []):
            errors += _option(option, f"{ptr}/options/{i}")
    if "option_groups" in element:
        errors += _count(element["option_groups"], 100, f"{kind} option_groups", f"{ptr}/option_groups")
    if "placeholder" in element:
        errors += _text(element["placeholder"], 150, "placeholder", f"{ptr}/placeholder", plain=True)
    return errors


def _block(block: Any, ptr: str) -> list[str]:
    """Check one block by type."""
    if not isinstance(block, dict) or not isinstance(block.get("type"), str):
        return [f"block must be an object with a type [json-pointer:{ptr}]"]
    kind = block["type"]
    errors = _length(block.get("block_id"), 255, "block_id", f"{ptr}/block_id")
    if kind == "section":
        if "text" not in block and "fields" not in block:
            errors.append(f"section needs text or fields [json-pointer:{ptr}]")
        errors += _text(block.get("text"), 3000, "section text", f"{ptr}/text", required=False)
        if "fields" in block:
            errors += _count(block["fields"], 10, "section fields", f"{ptr}/fields")
            for i, item in enumerate(block["fields"] if isinstance(block["fields"], list) else []):
                errors += _text(item, 2000, "section field", f"{ptr}/fields/{i}")
        if "accessory" in block:
            errors += element_errors(block["accessory"], f"{ptr}/accessory")
    elif kind == "header":
        errors += _text(block.get("text"), 150, "header text", f"{ptr}/text", plain=True)
    elif kind == "actions":
        errors += _count(block.get("elements"), 25, "actions elements", f"{ptr}/elements")
        for i, element in enumerate(block.get("elements") or []):
            errors += element_errors(element, f"{ptr}/elements/{i}")
    elif kind == "context":
        errors += _count(block.get("elements"), 10, "context elements", f"{ptr}/elements")
        for i, item in enumerate(block.get("elements") or []):
            if isinstance(item, dict) and item.get("type") in ("mrkdwn", "plain_text"):
                errors += _text(item, 3000, "context text", f"{ptr}/elements/{i}")
    elif kind == "image":
        errors += _length(block.get("alt_text"), 2000, "image alt_text", f"{ptr}/alt_text", required=True)
        errors += _length(block.get("image_url"), 3000, "image_url", f"{ptr}/image_url")
        errors += _text(block.get("title"), 2000, "image title", f"{ptr}/title", plain=True, required=False)
        if ("image_url" in block) == ("slack_file" in block):
            errors.append(f"image needs exactly one of image_url or slack_file [json-pointer:{ptr}]")
    elif kind == "input":
        errors += _text(block.get("label"), 2000, "input label", f"{ptr}/label", plain=True)
        errors += _text(block.get("hint"), 2000, "input hint", f"{ptr}/hint", plain=True, required=False)
        if "element" not in block:
            errors.append(f"input needs an element [json-pointer:{ptr}/element]")
        else:
            errors += element_errors(block["element"], f"{ptr}/element")
    elif kind not in _KNOWN_BLOCKS:
        errors.append(f"unsupported block type {kind!r} [json-pointer:{ptr}/type]")
    if kind == "markdown":
        errors += _length(block.get("text"), 12000, "markdown text", f"{ptr}/text", required=True)
    return errors


def block_errors(blocks: Any, *, limit: int = MESSAGE_BLOCKS, ptr: str = "/blocks") -> list[str]:
    """Check a list of blocks for a surface that allows `limit` blocks."""
    if not isinstance(blocks, list):
        return [f"blocks must be an array [json-pointer:{ptr}]"]
    errors = []
    if len(blocks) > limit:
        errors.append(f"no more than {limit} blocks allowed (got {len(blocks)}) [json-pointer:{ptr}]")
    for i, block in enumerate(blocks):
        errors += _block(block, f"{ptr}/{i}")
    return errors


def view_errors(view: Any) -> list[str]:
    """Check a modal or Home tab view (views.open/push/update/publish)."""
    if not isinstance(view, dict) or view.get("type") not in ("modal", "home"):
        return ["view must be an object of type modal or home [json-pointer:/view/type]"]
    errors = block_errors(view.get("blocks"), limit=SURFACE_BLOCKS, ptr="/view/blocks")
    errors += _length(view.get("private_metadata"), 3000, "private_metadata", "/view/private_metadata")
    errors += _length(view.get("callback_id"), 255, "callback_id", "/view/callback_id")
    errors += _length(view.get("external_id"), 255, "external_id", "/view/external_id")
    if view["type"] == "modal":
        errors += _text(view.get("title"), 24, "modal title", "/view/title", plain=True)
        errors += _text(view.get("submit"), 24, "modal submit", "/view/submit", plain=True, required=False)
        errors += _text(view.get("close"), 24, "modal close", "/view/close", plain=True, required=False)
        blocks = view.get("blocks")
        blocks = blocks if isinstance(blocks, list) else []
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and "submit" not in view:
            errors.append("a modal with input blocks needs submit [json-pointer:/view/submit]")
    return errors
