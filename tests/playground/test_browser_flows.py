"""The playground in a real Chromium: type commands, click, switch people, fill the form, jump the clock.

Each test drives the page only (keyboard, mouse, the user switcher) and waits on DOM conditions with
deadlines; the bot behind it is the real one, reached by signed requests over loopback.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from bot.playground.session import Playground
from bot.playground.web import PlaygroundServer
from tests.playground.conftest import shot

pytestmark = pytest.mark.e2e
README_SHOT = Path(__file__).resolve().parents[2] / "docs" / "playground.png"
ALL_IMAGES_LOADED = """(n) => {
  const imgs = [...document.querySelectorAll('#feed img.file-image')];
  return imgs.length >= n && imgs.every((i) => i.complete && i.naturalWidth > 0);
}"""


def type_command(page: Any, text: str) -> None:
    """Type into the composer and press Enter, as a person would."""
    page.fill("#composer", text)
    page.press("#composer", "Enter")


def switch_to(page: Any, user: str, channel: str | None = None) -> None:
    """Pick another person in the switcher (and open a channel from the sidebar)."""
    page.select_option("#user", user)
    if channel:
        page.click(f'#channels li[data-channel="{channel}"]')
        expect(page.locator(f'#channels li.current[data-channel="{channel}"]')).to_be_visible()


def messages(page: Any) -> Any:
    """The channel messages (not ephemeral) shown in the open channel."""
    return page.locator("#feed .msg:not(.ephemeral)")


def test_dashboard_command_shows_the_ack_then_every_chart_loaded(
    page: Any, playground: tuple[Playground, PlaygroundServer]
) -> None:
    pg, _ = playground
    charts = pg.h.widget_count(12)
    type_command(page, "/cekura dashboard 12 since 24h")
    ack = page.locator("#feed .msg.ephemeral").first
    expect(ack.locator(".only-you")).to_have_text("Only visible to you")
    expect(ack.locator(".command")).to_have_text("/cekura dashboard 12 since 24h")
    page.wait_for_function(ALL_IMAGES_LOADED, arg=charts)
    first = messages(page).first
    expect(first.locator(".bk-header")).to_contain_text("📊 Support line")
    expect(first.locator('.bk-button[data-action-id="chart_range_24h"]')).to_have_text("Last 24h")
    sizes = page.eval_on_selector_all("#feed img.file-image", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(sizes) == charts and min(sizes) > 0
    if charts > 10:  # the rest go to the thread, as in Slack
        expect(page.locator("#feed .thread img.file-image")).to_have_count(charts - 10)
    first.evaluate("node => node.scrollIntoView()")
    taken = shot(page, "dashboard")
    assert taken.stat().st_size > 10_000  # a real screenshot, not a blank page
    if os.environ.get("UPDATE_DOCS_SHOTS"):  # `UPDATE_DOCS_SHOTS=1 make test` refreshes the README's picture
        README_SHOT.parent.mkdir(exist_ok=True)
        shutil.copyfile(taken, README_SHOT)


def test_last_24h_button_posts_the_charts_again(page: Any) -> None:
    type_command(page, "/cekura widget 34")
    page.wait_for_function(ALL_IMAGES_LOADED, arg=1)
    expect(messages(page)).to_have_count(1)
    messages(page).first.locator('.bk-button[data-action-id="chart_range_24h"]').click()
    expect(messages(page)).to_have_count(2)
    expect(messages(page).nth(1)).to_contain_text("24 hours")
    page.wait_for_function(ALL_IMAGES_LOADED, arg=2)
    shot(page, "last-24h")


def test_propose_then_approve_as_the_approver_updates_the_request_in_place(page: Any) -> None:
    type_command(page, '/cekura edit widget 34 name "Call length"')
    expect(page.locator("#feed .msg.ephemeral").last).to_contain_text("ER-")  # the receipt with the request id
    switch_to(page, "U_BOB", "C_APPROVALS")
    request = messages(page).filter(has_text="Edit request").first
    request.locator('.bk-button.primary[data-action-id="edit_approve"]').click()
    refusal = page.locator("#feed .msg.ephemeral").last
    expect(refusal.locator(".only-you")).to_be_visible()
    expect(refusal).to_contain_text("approve")  # bob is not an approver: told so, only he sees it
    item_id = request.get_attribute("data-item-id")
    switch_to(page, "U_CAROL")
    same = page.locator(f'#feed .msg[data-item-id="{item_id}"]')
    same.locator('[data-action-id="edit_approve"]').click()
    expect(same).to_contain_text("Approved by")
    expect(same.locator(".edited")).to_have_text("(edited)")
    expect(page.locator(f'#feed .msg[data-item-id="{item_id}"]')).to_have_count(1)  # replaced, not re-posted
    shot(page, "approved")


def test_the_edit_form_shows_the_bots_error_on_the_field(page: Any) -> None:
    type_command(page, "/cekura edit widget 34")
    dialog = page.locator("dialog.modal[open]")
    expect(dialog.locator(".modal-title")).to_contain_text("Edit widget 34")
    field = dialog.locator('.bk-input[data-block-id="edit_filters"]')
    field.locator(".bk-field-input").fill("durration > 5")
    dialog.locator(".modal-submit").click()
    expect(field).to_have_class("bk-block bk-input has-error")
    expect(field.locator(".bk-error")).to_contain_text("durration")
    shot(page, "form-error")
    dialog.locator(".modal-close").click()
    expect(page.locator("dialog.modal")).to_have_count(0)


def test_a_digest_is_delivered_when_the_clock_jumps_to_its_slot(page: Any) -> None:
    expect(page.locator("#jump")).to_be_disabled()
    type_command(page, "/cekura digest add dashboard 12 daily 09:00")
    expect(page.locator("#feed")).to_contain_text("Next")
    expect(page.locator("#jump")).to_be_enabled()
    before = page.locator("#clock").text_content()
    page.click("#jump")
    expect(page.locator("#status")).to_contain_text("1 digest(s) sent")
    expect(page.locator("#clock")).not_to_have_text(before or "")
    digest = messages(page).filter(has_text="digest").last
    expect(digest).to_be_visible()
    page.wait_for_function(ALL_IMAGES_LOADED, arg=1)
    shot(page, "digest")


def test_hostile_text_is_shown_as_text_never_as_markup(page: Any) -> None:
    hostile = '<img src=x onerror="document.title=1"><script>document.title=2</script>'
    type_command(page, f"/cekura edit widget 34 name '{hostile}'")
    switch_to(page, "U_CAROL", "C_APPROVALS")
    request = messages(page).filter(has_text="Edit request").first
    expect(request).to_contain_text("<img src=x")
    assert page.locator("#feed img:not(.file-image)").count() == 0
    assert page.locator("#feed script").count() == 0
    assert page.title() == "cekura-bot playground"
