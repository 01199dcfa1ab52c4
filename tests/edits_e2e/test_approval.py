"""Approved edits end to end, from the request to its outcome: approve, apply, conflict, fail and retry,
reject, expire, history and revert. Signed commands and block_actions against the sandboxes."""

from __future__ import annotations

import json

import pytest

from bot.sandbox.harness import Harness
from bot.sandbox.slack_driver import SlackDriver
from handlers.ids import EditActions, EditBlocks
from tests.conftest import Clock
from tests.edits_e2e.conftest import APPROVER, OTHER, click, current, patches, propose, request_id

pytestmark = pytest.mark.e2e


def test_edits_are_off_until_approvers_are_set(h: Harness) -> None:
    ack = h.driver.command('edit widget 34 name "x"')
    assert "APPROVERS" in ack.json["text"] and not h.cekura.requests("PATCH")


def test_propose_posts_for_approval_with_diff_preview_and_receipt(eh: Harness) -> None:
    message = propose(eh, "edit widget 34 chart line aggregation none period none")
    text = json.dumps(message.blocks)
    assert "chart_type" in text and "`bar`" in text and "`line`" in text
    assert [e["text"]["text"] for e in message.blocks[-1]["elements"]] == ["Approve", "Reject"]
    preview = [m for m in eh.slack.messages if m.thread_ts == message.ts]
    assert preview and len(preview[0].files) == 2
    receipt = eh.slack.responses[-1]
    assert "ER-" in receipt["text"] and receipt.get("response_type") == "ephemeral"
    assert not patches(eh)


def test_only_approvers_approve_and_exactly_the_changed_fields_are_sent(eh: Harness) -> None:
    message = propose(eh, 'edit widget 34 name "Average call length"')
    click(eh, EditActions.APPROVE, message, OTHER)  # the requester is not an approver (and self-approval is off)
    assert "approvers" in eh.slack.responses[-1]["text"].lower() and not patches(eh)
    click(eh, EditActions.APPROVE, message, "U_CAROL")  # approver through the user group S_APPROVERS
    (patch,) = patches(eh)
    assert patch.path.rstrip("/").endswith("/widgets/34") and patch.json() == {"name": "Average call length"}
    assert eh.cekura.widgets[34]["name"] == "Average call length"
    final = current(eh, message)
    assert "applied" in json.dumps(final.blocks) and not any(b["type"] == "actions" for b in final.blocks)
    assert any("applied" in e.text for e in eh.slack.ephemerals if e.user == OTHER)
    click(eh, EditActions.APPROVE, message, APPROVER)
    assert "already approved by <@U_CAROL>" in eh.slack.responses[-1]["text"] and len(patches(eh)) == 1


def test_changed_since_the_request_means_conflicted_and_nothing_applied(eh: Harness) -> None:
    message = propose(eh, 'edit widget 34 name "Mine"')
    eh.deps.cekura.patch_widget(34, {"name": "Someone else's"})
    before = len(patches(eh))
    click(eh, EditActions.APPROVE, message, APPROVER)
    assert len(patches(eh)) == before
    assert "not applied" in json.dumps(current(eh, message).blocks)
    assert eh.cekura.widgets[34]["name"] == "Someone else's"


def test_cekura_down_while_applying_fails_with_retry(eh: Harness) -> None:
    message = propose(eh, 'edit widget 34 name "Retry me"')
    eh.cekura.fail("/widgets/34", 503, times=5, method="PATCH")  # every attempt of one apply
    click(eh, EditActions.APPROVE, message, APPROVER)
    failed = current(eh, message)
    assert "applying failed" in json.dumps(failed.blocks)
    assert failed.blocks[-1]["elements"][0]["action_id"] == EditActions.RETRY
    click(eh, EditActions.RETRY, failed, APPROVER)
    assert eh.cekura.widgets[34]["name"] == "Retry me"


def test_cekura_400_is_shown_in_plain_words(eh: Harness) -> None:
    message = propose(eh, 'edit widget 34 name "x"')
    eh.cekura.fail(
        "/widgets/34", 400, body={"name": ["Ensure this field has no more than 255 characters."]}, method="PATCH"
    )
    click(eh, EditActions.APPROVE, message, APPROVER)
    assert "255 characters" in json.dumps(current(eh, message).blocks)


def test_reject_asks_for_a_reason(eh: Harness) -> None:
    message = propose(eh, 'edit widget 34 name "no"')
    click(eh, EditActions.REJECT, message, APPROVER)
    view = eh.slack.views[-1]
    values = SlackDriver.input_values({EditBlocks.REASON: {"value": "Not this quarter"}})
    assert eh.driver.view_submission(view, user=APPROVER, values=values).status == 200
    eh.deps.wait_idle(30)
    assert "Not this quarter" in json.dumps(current(eh, message).blocks) and not patches(eh)


def test_requests_history_and_revert(eh: Harness) -> None:
    message = propose(eh, 'edit widget 35 name "Talk time"')
    eh.driver.command("requests", user=OTHER)
    eh.slack.wait_for(lambda: "Pending edit requests" in json.dumps(eh.slack.responses[-1:]))
    click(eh, EditActions.APPROVE, message, APPROVER)
    rid = request_id(message)
    eh.driver.command("history widget 35", user=OTHER)
    eh.slack.wait_for(lambda: rid in json.dumps(eh.slack.responses[-1:]))
    eh.slack.reset()
    revert = propose(eh, f"revert {rid}")
    assert f"reverts {rid}" in json.dumps(revert.blocks)
    click(eh, EditActions.APPROVE, revert, APPROVER)
    assert eh.cekura.widgets[35]["name"] != "Talk time"


def test_requests_expire_and_their_buttons_say_so(eh: Harness, clock: Clock) -> None:
    from handlers.edits import expire_sweep

    message = propose(eh, 'edit widget 34 name "late"')
    clock.advance(hours=25)
    try:
        assert expire_sweep(eh.deps) >= 1
        assert expire_sweep(eh.deps) == 0  # each request expires once
        assert "Expired" in json.dumps(current(eh, message).blocks)
        click(eh, EditActions.APPROVE, message, APPROVER)
        assert "expired" in eh.slack.responses[-1]["text"] and not patches(eh)
    finally:
        clock.advance(hours=-25)


def test_preview_charts_get_the_range_so_partial_periods_are_marked_like_the_others(eh: Harness) -> None:
    message = propose(eh, 'edit widget 34 name "Average call length"')
    (preview,) = [m for m in eh.slack.messages if m.thread_ts == message.ts and m.files]
    now, proposed = preview.files
    assert now.alt_txt and proposed.alt_txt
    # Both are daily bars over the same range: the proposed one reads "today so far" like the current one.
    assert "today so far" in now.alt_txt and "today so far" in proposed.alt_txt
    assert preview.text and preview.text.strip()
