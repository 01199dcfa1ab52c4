"""While draining (after SIGTERM) every new command, click and form gets "restarting, try again", and no work starts."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.sandbox.harness import Harness
from handlers.draining import restarting_text, restarting_view_errors
from handlers.ids import EditBlocks
from tests.conftest import Clock
from tests.edits_e2e.test_forms import form_state

pytestmark = pytest.mark.e2e
APPROVER, PROPOSER = "U_BOB", "U_ALICE"


@pytest.fixture
def dh() -> Iterator[Harness]:
    with Harness.start(clock=Clock(), approvers=[APPROVER], approvals_channel="C_APPROVALS") as h:
        yield h
        h.deps.lifecycle.draining.clear()  # let the harness stop as usual


def test_a_command_while_draining_is_answered_and_not_run(dh: Harness) -> None:
    dh.deps.lifecycle.draining.set()
    ack = dh.driver.command("dashboard 12")
    assert ack.status == 200 and ack.elapsed_ms < 3000
    assert ack.json == {"response_type": "ephemeral", "text": restarting_text()}
    assert dh.deps.wait_idle(5)
    assert not dh.cekura.requests() and not dh.slack.messages  # nothing fetched, nothing posted


def test_a_button_while_draining_tells_the_clicker_and_does_nothing(dh: Harness) -> None:
    dh.driver.command("widget 34")
    (message,) = dh.wait_for_files(1)
    assert dh.deps.wait_idle(30)
    fetched = len(dh.cekura.requests())
    dh.deps.lifecycle.draining.set()
    actions = next(b for b in message.blocks if b["type"] == "actions")
    button = next(e for e in actions["elements"] if e["text"]["text"] == "Last 30d")
    ack = dh.driver.block_action(button["action_id"], button["value"], message=message, block_id=actions["block_id"])
    assert ack.status == 200
    dh.slack.wait_for(lambda: any("restarting" in str(r.get("text")) for r in dh.slack.responses), timeout=10)
    notice = next(r for r in dh.slack.responses if "restarting" in str(r.get("text")))
    assert notice["response_type"] == "ephemeral" and notice.get("replace_original") is False
    assert len(dh.slack.messages) == 1 and len(dh.cekura.requests()) == fetched  # no re-post, no fetch


def test_a_form_submitted_while_draining_stays_open_with_the_notice(dh: Harness) -> None:
    dh.driver.command("edit widget 34", user=PROPOSER)
    dh.slack.wait_for(lambda: any(v.method == "views.update" for v in dh.slack.views), timeout=15)
    form = next(v for v in dh.slack.views if v.method == "views.update").view
    dh.deps.lifecycle.draining.set()
    ack = dh.driver.view_submission(form, user=PROPOSER, values=form_state(form, **{EditBlocks.NAME: "Renamed"}))
    assert ack.json is not None and ack.json["response_action"] == "errors"
    assert list(ack.json["errors"].values()) == [restarting_text()]
    assert dh.deps.wait_idle(5)
    assert not any(m.channel == "C_APPROVALS" for m in dh.slack.messages)  # no request was filed
    assert "Renamed" not in json.dumps([m.blocks for m in dh.slack.messages])


def test_a_form_without_inputs_is_simply_acknowledged() -> None:
    assert restarting_view_errors({"blocks": [{"type": "section", "block_id": "b"}]}) is None
    assert restarting_view_errors({"blocks": [{"type": "input", "block_id": "name"}]}) == {
        "response_action": "errors",
        "errors": {"name": restarting_text()},
    }
