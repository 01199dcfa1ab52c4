"""The page's Block Kit renderer (static/blocks.js) on the real builders' output, asserted on the DOM in Chromium."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from playwright.sync_api import expect

from bot.edits import EditRequest, State
from handlers.edit_messages import request_message
from handlers.messages import chart_message, user_error
from tests.test_messages import report

pytestmark = pytest.mark.e2e
NAMES = {"U_ALICE": "alice", "C_GENERAL": "general"}
RENDER = """async ([blocks, names]) => {
  const { renderBlocks } = await import('/static/blocks.js');
  window.actions = [];
  const node = renderBlocks(blocks, { names, onAction: (a) => window.actions.push(a) });
  document.getElementById('under-test')?.remove();
  const host = document.createElement('div');
  host.id = 'under-test';
  host.append(node);
  document.body.prepend(host);
}"""


def render(page: Any, blocks: list[dict[str, Any]]) -> Any:
    """Render `blocks` with the page's own module; the container's locator."""
    page.evaluate(RENDER, [blocks, NAMES])
    return page.locator("#under-test")


def test_chart_message_header_context_section_buttons_and_menu(page: Any) -> None:
    shown = render(page, chart_message(report(), "U_ALICE", "https://app.cekura.ai/", editable=True))
    expect(shown.locator(".bk-header")).to_have_text("📊 Support line")
    expect(shown.locator(".bk-context .mention")).to_have_text("@alice")
    expect(shown.locator(".bk-section b").first).to_have_text("Avg <duration>")  # &lt; &gt; back to text
    expect(shown.locator(".bk-section .emoji").first).to_have_attribute("data-name", "warning")
    labels = shown.locator(".bk-actions .bk-button").all_text_contents()
    assert labels == ["Refresh", "Last 24h", "Last 7d", "Last 30d", "Open in Cekura"]
    expect(shown.locator('[data-action-id="chart_open_in_cekura"]')).to_have_attribute(
        "title", "https://app.cekura.ai/dashboards/12"
    )
    menu = shown.locator('select[data-action-id="edit_widget_pick"]')
    assert menu.locator("option").all_text_contents() == ["Edit a widget…", "Avg <duration>"]
    shown.locator('[data-action-id="chart_range_24h"]').click()
    menu.select_option(label="Avg <duration>")
    actions = page.evaluate("window.actions")
    assert actions[0] == {
        "action_id": "chart_range_24h",
        "block_id": "chart_actions",
        "value": '{"d":12,"s":"24h"}',
        "type": "button",
    }
    assert actions[1]["selected_option"]["value"] == "34" and actions[1]["type"] == "static_select"


def test_edit_request_styles_dates_and_code(page: Any) -> None:
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    request = EditRequest(
        id="ER-7F3K2", kind="widget", object_id=34, dashboard_id=12, requester="U_ALICE", channel="C_GENERAL",
        base_snapshot={"id": 34, "name": "Avg", "chart_type": "bar"}, changes={"chart_type": "line"},
        state=State.PENDING, state_version=1, created_at=at, expires_at=at,
    )  # fmt: skip
    shown = render(page, request_message(request))
    expect(shown.locator(".bk-button.primary")).to_have_text("Approve")
    expect(shown.locator(".bk-button.danger")).to_have_text("Reject")
    assert shown.locator(".bk-section code").all_text_contents() == ["bar", "line"]
    expect(shown.locator(".bk-context .date")).to_have_text("2026-11-23 09:00 UTC")
    expect(shown.locator(".bk-section").first).to_have_text("@alice asks to change widget 34 “Avg”:")


def test_user_error_reads_as_text(page: Any) -> None:
    from bot.errors import UserError

    shown = render(page, user_error(UserError("Unknown field <b>durration</b>")))
    assert "<b>durration</b>" in shown.inner_text()
    assert shown.locator("b:text('durration')").count() == 0


def test_fields_accessory_images_links_and_unknown_blocks(page: Any) -> None:
    blocks = [
        {
            "type": "section",
            "block_id": "s1",
            "text": {"type": "mrkdwn", "text": "See <https://example.com/x|the docs> or <javascript:alert(1)|this>"},
            "fields": [{"type": "mrkdwn", "text": "*Calls*\n246"}, {"type": "plain_text", "text": "<i>raw</i>"}],
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "action_id": "go"},
        },
        {"type": "image", "slack_file": {"id": "F_NOPE"}, "alt_text": "a chart"},
        {"type": "divider"},
        {"type": "video", "title": {"type": "plain_text", "text": "clip"}},
        {"type": "context", "elements": [{"type": "datepicker", "action_id": "d"}, {"type": "sparkline"}]},
    ]
    shown = render(page, blocks)
    link = shown.locator("a.link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "https://example.com/x")
    expect(shown.locator(".bk-section .bk-text").first).to_contain_text("<javascript:alert(1)|this>")
    expect(shown.locator(".bk-field")).to_have_count(2)
    expect(shown.locator(".bk-field").nth(1)).to_have_text("<i>raw</i>")
    expect(shown.locator(".bk-accessory .bk-button")).to_have_text("Go")
    expect(shown.locator("img.bk-image")).to_have_attribute("src", "/files/F_NOPE")
    expect(shown.locator("hr.bk-divider")).to_have_count(1)
    expect(shown.locator('.bk-unknown[data-type="video"]')).to_contain_text("video")
    expect(shown.locator('.bk-unknown[data-type="sparkline"]')).to_have_count(1)
    expect(shown.locator(".bk-widget")).to_have_text("[datepicker]")
    assert shown.locator("i").count() == 0
