"""EDITORS end to end: who may propose edits, checked after the ack (user groups cost a Slack call)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from bot.sandbox.harness import Harness
from handlers.ids import EditActions
from tests.conftest import Clock

pytestmark = pytest.mark.e2e
REFUSAL = "not on the list of people who may propose edits"


@pytest.fixture(scope="module")
def module_harness() -> Iterator[Harness]:
    # U_CAROL may propose as a member of the sandbox's user group S_APPROVERS; U_ALICE may not.
    settings = {"approvers": ["U_BOB"], "editors": ["S_APPROVERS"], "approvals_channel": "C_APPROVALS"}
    with Harness.start(clock=Clock(), render_workers=0, **settings) as h:
        yield h


@pytest.fixture
def gh(module_harness: Harness) -> Harness:
    assert module_harness.deps.wait_idle(30)
    module_harness.cekura.reset()
    module_harness.slack.reset()
    return module_harness


def group_lookups(h: Harness) -> int:
    return len(h.slack.calls("usergroups.users.list"))


def alices_requests(h: Harness) -> list[object]:
    return [r for r in h.deps.edits.pending() if r.requester == "U_ALICE"]


def test_a_member_of_an_editors_group_may_propose(gh: Harness) -> None:
    ack = gh.driver.command('edit widget 34 name "Carol was here"', user="U_CAROL")
    assert ack.status == 200 and "Checking your change" in ack.json["text"]
    gh.slack.wait_for(lambda: any(m.channel == "C_APPROVALS" for m in gh.slack.messages))
    assert gh.deps.wait_idle(30)
    assert "Carol was here" in json.dumps([m.blocks for m in gh.slack.messages])
    assert group_lookups(gh) >= 1 and gh.deps.edits.pending()


@pytest.mark.parametrize("text", ['edit widget 34 name "Alice was here"', "revert ER-NOPE1"])
def test_others_are_refused_after_the_ack_and_nothing_is_stored(gh: Harness, text: str) -> None:
    ack = gh.driver.command(text, user="U_ALICE")
    assert ack.status == 200 and ack.json["response_type"] == "ephemeral"
    assert REFUSAL not in json.dumps(ack.json)  # the group lookup is not on the ack path
    gh.slack.wait_for(lambda: any(REFUSAL in (r.get("text") or "") for r in gh.slack.responses))
    assert gh.deps.wait_idle(30)
    assert group_lookups(gh) >= 1
    assert not alices_requests(gh) and not [m for m in gh.slack.messages if m.channel == "C_APPROVALS"]
    assert not gh.cekura.requests("PATCH")


@pytest.mark.parametrize("via", ["command", "menu"])
def test_the_form_tells_a_non_editor_why_instead_of_opening(gh: Harness, via: str) -> None:
    if via == "command":
        gh.driver.command("edit widget 34", user="U_ALICE")
    else:
        gh.driver.block_action(EditActions.EDIT_WIDGET, "34", user="U_ALICE")
    gh.slack.wait_for(lambda: any(v.method == "views.update" for v in gh.slack.views))
    assert gh.deps.wait_idle(30)
    shown = json.dumps(next(v for v in gh.slack.views if v.method == "views.update").view)
    assert REFUSAL in shown and "initial_value" not in shown
    assert not alices_requests(gh)
