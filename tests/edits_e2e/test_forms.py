"""Proposing edits end to end: the prefilled modal and its field errors, and edits refused before
anything is stored. Signed commands and view_submissions against the sandboxes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from handlers.ids import EditBlocks
from tests.edits_e2e.conftest import OTHER

pytestmark = pytest.mark.e2e


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
