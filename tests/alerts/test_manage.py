"""`alert edit`, `alert test`, `alert history` and `notify` handles, end to end through the slash command."""

from __future__ import annotations

import json

import pytest

from bot.sandbox.harness import Harness
from handlers.alert_messages import AlertActions
from tests.alerts.conftest import Level, add, tick, top
from tests.conftest import Clock
from tests.slack_checks import leaks

pytestmark = pytest.mark.e2e


def said(h: Harness) -> str:
    """Every response_url post so far, as one string."""
    return json.dumps([dict(r) for r in h.slack.responses])


def test_edit_replaces_the_rule_starts_from_ok_and_says_so_in_the_channel(ah: Harness, clock: Clock) -> None:
    level = Level(ah, 0.8)
    alert_id = add(ah, "widget 32 when latest < 90 %")
    tick(ah, clock, 5)
    assert ah.deps.alerts.require(alert_id).track.status == "firing"
    ah.driver.command(f"alert edit {alert_id} widget 32 when latest < 75 % for 10m", channel="C_GENERAL")
    assert ah.deps.wait_idle(30)
    edited = ah.deps.alerts.require(alert_id)
    assert edited.rule.text == "widget 32 when latest < 75 % for 10m" and edited.track.status == "ok"
    [answer] = [r for r in ah.slack.responses if "was changed by" in str(r.get("text"))]
    assert (
        answer.response_type == "in_channel"
        and "<@U_ALICE>" in answer["text"]
        and "would not fire now" in answer["text"]
    )
    level.value = 0.95
    assert tick(ah, clock, 5).sent == []  # the old incident is not resolved by the new rule's good value


def test_edit_with_a_bad_rule_or_unknown_widget_changes_nothing(ah: Harness) -> None:
    Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 %")
    bad = ah.driver.command(f"alert edit {alert_id} widget 32 when latest <")
    assert "needs a threshold" in bad.body
    ah.driver.command(f"alert edit {alert_id} widget 999 when latest < 90 %")
    assert ah.deps.wait_idle(30)
    assert "999" in said(ah) and ah.deps.alerts.require(alert_id).rule.text == "widget 32 when latest < 90 %"
    assert "Give the new rule" in ah.driver.command(f"alert edit {alert_id}").body


def test_test_evaluates_now_and_stores_and_notifies_nothing(ah: Harness) -> None:
    Level(ah, 0.8)
    alert_id = add(ah, "widget 32 when latest < 90 % notify @oncall")
    before = len(ah.slack.messages)
    ah.driver.command(f"alert test {alert_id}")
    assert ah.deps.wait_idle(30)
    [answer] = [r for r in ah.slack.responses if "A test" in json.dumps(r.get("blocks"))]
    text = json.dumps(answer["blocks"])
    assert answer.response_type == "ephemeral" and "Now: 80 %" in text and "would fire now" in text
    alert = ah.deps.alerts.require(alert_id)
    assert len(ah.slack.messages) == before and alert.last_slot is None and ah.deps.alerts.incidents(alert_id) == []


def test_history_lists_incidents_with_start_end_peak_and_who_acknowledged(ah: Harness, clock: Clock) -> None:
    level = Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 %")
    assert "has not fired yet" in ah.driver.command(f"alert history {alert_id}").body
    for value in (0.8, 0.7, 0.95, 0.95, 0.6, 0.95, 0.95):  # two incidents; the second one acknowledged
        level.value = value
        tick(ah, clock, 5)
        if value == 0.6:
            ah.driver.block_action(AlertActions.ACK, message=top(ah)[-1], user="U_BOB")
            assert ah.deps.wait_idle(30)
    level.value = 0.5
    tick(ah, clock, 5)  # a third, still firing
    answer = ah.driver.command(f"alert history {alert_id}")
    blocks = answer.json["blocks"]
    lines = [line for b in blocks for line in b["text"]["text"].split("\n") if line.startswith("•")]
    assert len(lines) == 3
    assert "still firing" in lines[0] and "peak 50 %" in lines[0] and "not acknowledged" in lines[0]
    assert "→ Mon 2 Jun" in lines[1] and "peak 60 %" in lines[1] and "acknowledged by <@U_BOB>" in lines[1]
    assert "peak 70 %" in lines[2] and "not acknowledged" in lines[2]
    assert leaks(answer.json, users=("U_BOB",)) == []


def test_notify_handles_are_resolved_to_ids_when_the_alert_is_added(ah: Harness) -> None:
    Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 % notify @oncall @alice <@U_BOB|bob>")
    rule = ah.deps.alerts.require(alert_id).rule
    assert rule.notify == ("<!subteam^S_ONCALL>", "<@U_ALICE>", "<@U_BOB>")
    assert len(ah.slack.calls("users.list")) >= 2  # the sandbox pages two users at a time: every page was read
    [announced] = [m for m in ah.slack.messages if "set up" in (m.text or "")]
    assert "notifying <!subteam^S_ONCALL> <@U_ALICE> <@U_BOB>" in json.dumps(announced.blocks)


@pytest.mark.parametrize("who", ["@nobody", "<@U_GHOST>", "<!subteam^S_GONE>"])
def test_an_unknown_handle_is_refused_and_nothing_is_stored(ah: Harness, who: str) -> None:
    Level(ah, 0.95)
    ah.driver.command(f"alert add widget 32 when latest < 90 % notify @alice {who}")
    assert ah.deps.wait_idle(30)
    assert "nothing was stored" in said(ah) and who.strip("<>").split("|")[0].lstrip("@") in said(ah)
    assert ah.deps.alerts.find() == [] and [m for m in ah.slack.messages if "set up" in (m.text or "")] == []


def test_edit_resolves_handles_too_and_refuses_unknown_ones(ah: Harness) -> None:
    Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 %")
    ah.driver.command(f"alert edit {alert_id} widget 32 when latest < 90 % notify @bob")
    assert ah.deps.wait_idle(30)
    assert ah.deps.alerts.require(alert_id).rule.notify == ("<@U_BOB>",)
    ah.driver.command(f"alert edit {alert_id} widget 32 when latest < 80 % notify @nobody")
    assert ah.deps.wait_idle(30)
    assert ah.deps.alerts.require(alert_id).rule.text == "widget 32 when latest < 90 % notify <@U_BOB>"
