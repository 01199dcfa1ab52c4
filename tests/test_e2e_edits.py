"""Approved edits end to end: signed commands, block_actions and view_submissions against the sandboxes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from bot.app import create_app
from bot.deps import build_deps
from bot.sandbox.harness import SIGNING_SECRET, Harness
from bot.sandbox.slack import Message
from bot.sandbox.slack_driver import SlackDriver
from bot.server import BotServer
from handlers.ids import EditActions, EditBlocks
from tests.conftest import Clock

pytestmark = pytest.mark.e2e
APPROVER, OTHER = "U_BOB", "U_ALICE"


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def module_harness(clock: Clock) -> Iterator[Harness]:
    with Harness.start(clock=clock, approvers=[APPROVER, "S_APPROVERS"], approvals_channel="C_APPROVALS") as h:
        yield h


@pytest.fixture
def eh(module_harness: Harness, clock: Clock) -> Harness:
    assert module_harness.deps.wait_idle(60)
    module_harness.cekura.reset()
    module_harness.slack.reset()
    return module_harness


def patches(h: Harness) -> list[Any]:
    return [r for r in h.cekura.requests("PATCH") if "/widgets/" in r.path or "/dashboards/" in r.path]


def propose(h: Harness, text: str, user: str = OTHER) -> Message:
    """Send an edit command and return the approval message it produced."""
    ack = h.driver.command(text, user=user, channel="C_GENERAL")
    assert ack.status == 200 and ack.json["response_type"] == "ephemeral"
    h.slack.wait_for(lambda: any(m.channel == "C_APPROVALS" and m.blocks for m in h.slack.messages))
    h.deps.wait_idle(30)
    return next(m for m in h.slack.messages if m.channel == "C_APPROVALS" and m.thread_ts is None)


def request_id(message: Message) -> str:
    return str(message.blocks[0]["text"]["text"].split()[3])


def click(h: Harness, action: str, message: Message, user: str) -> None:
    """Press a button of the request message (as a user whose Slack still shows it)."""
    ack = h.driver.block_action(action, request_id(message), message=message, user=user, block_id=EditBlocks.ACTIONS)
    assert ack.status == 200
    assert h.deps.wait_idle(30)


def current(h: Harness, message: Message) -> Message:
    return next(m for m in h.slack.messages if m.ts == message.ts)


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


def form_state(view: dict[str, Any], **changes: str) -> dict[str, Any]:
    """state.values as Slack would send them: every input as shown, with `changes` typed in."""
    state: dict[str, Any] = {}
    for block in view["blocks"]:
        if block["type"] != "input":
            continue
        element, block_id = block["element"], block["block_id"]
        typed = changes.get(block_id)
        if element["type"] == "static_select":
            option = (
                {"text": {"type": "plain_text", "text": typed}, "value": typed}
                if typed
                else element.get("initial_option")
            )
            state[block_id] = {"value": {"type": "static_select", "selected_option": option}}
        else:
            state[block_id] = {
                "value": {
                    "type": "plain_text_input",
                    "value": typed if typed is not None else element.get("initial_value"),
                }
            }
    return state


def test_modal_is_prefilled_and_errors_show_on_the_field(eh: Harness) -> None:
    eh.driver.command("edit widget 34", user=OTHER)
    eh.slack.wait_for(lambda: any(v.method == "views.update" for v in eh.slack.views))
    form = next(v for v in eh.slack.views if v.method == "views.update").view
    shown = json.dumps(form)
    assert '"initial_value": "Average call duration"' in shown or "initial_value" in shown
    bad = eh.driver.view_submission(form, user=OTHER, values=form_state(form, **{EditBlocks.FILTERS: "durration > 5"}))
    assert bad.json["response_action"] == "errors" and EditBlocks.FILTERS in bad.json["errors"]
    invalid = eh.driver.view_submission(form, user=OTHER, values=form_state(form, **{EditBlocks.CHART: "pie"}))
    assert invalid.json["response_action"] == "errors"
    ok = eh.driver.view_submission(form, user=OTHER, values=form_state(form, **{EditBlocks.NAME: "From the form"}))
    assert ok.status == 200 and not ok.body.strip().startswith('{"response_action"')
    eh.slack.wait_for(lambda: any(m.channel == "C_APPROVALS" for m in eh.slack.messages))
    assert "From the form" in json.dumps([m.blocks for m in eh.slack.messages])


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("edit widget 34 colour red", "colour"),
        ("edit widget abc name x", '"abc"'),
        ('edit widget 34 filters "durration > 1"', "durration"),
        ("edit dashboard 12", "Say what to change"),
    ],
)
def test_bad_edits_are_refused_at_once(eh: Harness, text: str, needle: str) -> None:
    before = len(eh.deps.edits.pending())
    ack = eh.driver.command(text, user=OTHER)
    assert needle in ack.json["text"]
    assert len(eh.deps.edits.pending()) == before


@pytest.mark.parametrize(("text", "needle"), [("edit widget 34 chart pie", "pie"), ("edit widget 9999 name x", "9999")])
def test_invalid_or_unknown_objects_are_refused_and_nothing_stored(eh: Harness, text: str, needle: str) -> None:
    before = len(eh.deps.edits.pending())
    eh.driver.command(text, user=OTHER)
    eh.slack.wait_for(lambda: bool(eh.slack.responses))
    assert needle in eh.slack.responses[-1]["text"]
    assert len(eh.deps.edits.pending()) == before and not any(m.channel == "C_APPROVALS" for m in eh.slack.messages)


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


def test_pending_requests_survive_a_restart(tmp_path: Any, clock: Clock) -> None:
    url = f"sqlite:///{tmp_path}/bot.sqlite"
    with Harness.start(
        clock=clock, approvers=[APPROVER], approvals_channel="C_APPROVALS", database_url=url, render_workers=0
    ) as h:
        message = propose(h, 'edit widget 34 name "after restart"')
        h.server.stop()  # the bot goes down; Slack and Cekura stay
        h.driver.close()
        h.deps.close()
        h.deps = build_deps(h.settings, render_workers=0, clock=clock)
        h.server = BotServer(create_app(h.settings, h.deps), host="127.0.0.1", port=0).start()
        h.server.ready.set()
        h.driver = SlackDriver(h.server.url + "/slack/events", SIGNING_SECRET, h.slack)
        assert len(h.deps.edits.pending()) == 1
        ack = h.driver.block_action(
            EditActions.APPROVE, request_id(message), message=message, user=APPROVER, block_id=EditBlocks.ACTIONS
        )
        assert ack.status == 200, ack
        # `approved` comes before the apply: wait for where the apply ends (applied, failed, conflicted).
        settled = ("applied", "failed", "conflicted")
        h.slack.wait_for(lambda: h.deps.edits.require(request_id(message)).state.value in settled, timeout=15)
        assert h.deps.wait_idle(30)
        state = h.deps.edits.require(request_id(message)).state
        assert state.value == "applied", (state, [r.get("text") for r in h.slack.responses][1:])
        assert h.cekura.widgets[34]["name"] == "after restart"


@pytest.mark.postgres
def test_twenty_clicks_over_two_bots_on_postgres_send_one_patch(pg_schema_url: str, clock: Clock) -> None:
    with Harness.start(
        clock=clock,
        approvers=[APPROVER, "U_CAROL"],
        approvals_channel="C_APPROVALS",
        database_url=pg_schema_url,
        render_workers=0,
    ) as h:
        second_deps = build_deps(h.settings, render_workers=0, clock=clock)  # a second bot: own engine and pools
        second = BotServer(create_app(h.settings, second_deps), host="127.0.0.1", port=0).start()
        try:
            message = propose(h, 'edit widget 34 name "once"')
            drivers = [h.driver, SlackDriver(second.url + "/slack/events", SIGNING_SECRET, h.slack)]
            users = [APPROVER, "U_CAROL"]
            with ThreadPoolExecutor(20) as pool:
                codes = list(
                    pool.map(
                        lambda i: (
                            drivers[i % 2]
                            .block_action(EditActions.APPROVE, request_id(message), message=message, user=users[i % 2])
                            .status
                        ),
                        range(20),
                    )
                )
            assert codes == [200] * 20
            h.deps.wait_idle(30)
            second_deps.wait_idle(30)
            assert len(patches(h)) == 1
            losers = [r for r in h.slack.responses if "already approved by" in str(r.get("text"))]
            assert len(losers) == 19
            drivers[1].close()
        finally:
            second.stop()
            second_deps.close()


def test_preview_charts_get_the_range_so_partial_periods_are_marked_like_the_others(eh: Harness) -> None:
    message = propose(eh, 'edit widget 34 name "Average call length"')
    (preview,) = [m for m in eh.slack.messages if m.thread_ts == message.ts and m.files]
    now, proposed = preview.files
    assert now.alt_txt and proposed.alt_txt
    # Both are daily bars over the same range: the proposed one reads "today so far" like the current one.
    assert "today so far" in now.alt_txt and "today so far" in proposed.alt_txt
    assert preview.text and preview.text.strip()
