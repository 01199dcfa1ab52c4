"""The terminal rendering of Block Kit: every block kind reads as the words a Slack user would see."""

from __future__ import annotations

from bot.sandbox.text_view import DIVIDER, block_lines, plain_mrkdwn, render_blocks, render_message

NAMES = {"C_GENERAL": "general", "U_ALICE": "alice", "S_APPROVERS": "approvers"}


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _button(label: str, **extra: str) -> dict[str, object]:
    return {"type": "button", "text": {"type": "plain_text", "text": label}, "action_id": label.lower(), **extra}


def test_links_and_mentions_become_words() -> None:
    text = (
        "<@U_ALICE> posted in <#C_GENERAL> — <https://x.test/d/12|open> <https://x.test> <!here> <!subteam^S_APPROVERS>"
    )
    assert (
        plain_mrkdwn(text, NAMES)
        == "@alice posted in #general — open (https://x.test/d/12) https://x.test @here @approvers"
    )
    assert plain_mrkdwn("<#C9|ops> <@U9>") == "#ops @U9"
    assert (
        plain_mrkdwn("Expires <!date^1700000000^{date_short}|2023-11-14 22:13 UTC>.") == "Expires 2023-11-14 22:13 UTC."
    )


def test_usage_text_in_angle_brackets_and_escapes_are_kept_readable() -> None:
    assert plain_mrkdwn("`/cekura dashboard <id>` &lt;x&gt; a &amp; b") == "`/cekura dashboard <id>` <x> a & b"


def test_header_section_fields_and_accessory() -> None:
    section = {
        "type": "section",
        "text": _mrkdwn("*Title*\nsecond line"),
        "fields": [_mrkdwn("*a*: 1"), {"type": "plain_text", "text": "b: 2"}],
        "accessory": _button("Open", url="https://x.test"),
    }
    header = {"type": "header", "text": {"type": "plain_text", "text": "Dashboard"}}
    assert render_blocks([header, section]) == [
        "# Dashboard",
        "*Title*",
        "second line",
        "  *a*: 1",
        "  b: 2",
        "  [Open ↗]",
    ]


def test_context_actions_images_files_and_dividers() -> None:
    context = {"type": "context", "elements": [_mrkdwn("by <@U_ALICE>"), {"type": "image", "alt_text": "logo"}]}
    select = {
        "type": "static_select",
        "action_id": "s",
        "placeholder": {"type": "plain_text", "text": "Edit a widget…"},
    }
    actions = {"type": "actions", "elements": [_button("Approve", style="primary"), _button("Reject"), select]}
    image = {
        "type": "image",
        "image_url": "https://x.test/c.png",
        "alt_text": "chart",
        "title": {"type": "plain_text", "text": "Calls"},
    }
    blocks = [context, actions, image, {"type": "divider"}, {"type": "file", "external_id": "F1"}]
    assert render_blocks(blocks, NAMES) == [
        "by @alice · (image: logo)",
        "[Approve] [Reject] [Edit a widget… ▾]",
        "(image: Calls)",
        DIVIDER,
        "(file: F1)",
    ]


def test_form_inputs_show_their_label_and_value() -> None:
    name = {
        "type": "input",
        "optional": True,
        "label": {"type": "plain_text", "text": "Name"},
        "element": {"type": "plain_text_input", "action_id": "n", "initial_value": "Calls"},
    }
    chart = {
        "type": "input",
        "label": {"type": "plain_text", "text": "Chart type"},
        "element": {"type": "static_select", "initial_option": {"text": {"type": "plain_text", "text": "bar"}}},
    }
    assert render_blocks([name, chart]) == ["Name (optional): [Calls]", "Chart type: [bar ▾]"]


def test_rich_text_and_unknown_blocks() -> None:
    rich = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [{"type": "text", "text": "hello "}, {"type": "link", "url": "https://x.test"}],
            }
        ],
    }
    assert block_lines(rich) == ["hello https://x.test"]
    assert block_lines({"type": "video"}) == ["(video block)"]


def test_a_message_is_its_blocks_or_else_its_text_then_its_files() -> None:
    section = {"type": "section", "text": _mrkdwn("charts")}
    assert render_message("fallback", [section], ["widget-1.png"]) == ["charts", "📎 widget-1.png"]
    assert render_message("hi <@U_ALICE>\nbye", None, names=NAMES) == ["hi @alice", "bye"]
    assert render_message(None, [], ["a.png"]) == ["📎 a.png"]
