"""Alert commands end to end: bad input answered clearly with nothing stored, and channel rules."""

from __future__ import annotations

import pytest

from bot.alerts import ChannelRules
from bot.sandbox.harness import Harness
from tests.alerts.conftest import Level, add, tick
from tests.conftest import Clock

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("widget 999 when latest < 90 %", "widget 999"),
        ('widget 32 when share of "error" > 5 %', "needs a pie"),
        ("widget 32 when latest <", "needs a threshold"),
        ("widget 32 when latest < 90 every 10s", "too often"),
        ("widget 32 when latest < 90", "must be a percentage"),
        ("widget 41 when latest > 3", "stat card"),
        # A threshold in the wrong unit says the widget's unit and the rule written right.
        ("widget 34 when latest > 90 %", "shows durations, so the threshold must be a duration"),
        ("widget 34 when latest > 90 %", "for example: `widget 34 when latest &gt; 2 s`"),  # escaped as Slack shows it
        ("widget 34 when latest > 5 pts", "must be a duration"),
        ("widget 70 when latest > 5 s", "for example: `widget 70 when latest &gt; 1200`"),
        ("widget 212 when avg over 1h > 2 s", "shows plain numbers"),
        ('widget 37 when share of "error" > 5 s', 'for example: `widget 37 when share of "error" &gt; 90 %`'),
    ],
)
def test_bad_rules_are_answered_clearly_and_nothing_is_stored(ah: Harness, text: str, said: str) -> None:
    delivery = ah.driver.command(f"alert add {text}")
    assert ah.deps.wait_idle(30)
    answers = [delivery.body] + [str(r.get("text")) for r in ah.slack.responses]
    assert any(said.lower() in a.lower() for a in answers), answers[-3:]
    assert ah.deps.alerts.find() == []
    assert [m for m in ah.slack.messages if "set up" in (m.text or "")] == []


def test_only_channel_members_and_admins_see_or_change_an_alert(ah: Harness) -> None:
    Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 %", channel="C_OPS")  # C_OPS: the bot and Alice
    delivery = ah.driver.command(f"alert pause {alert_id}", user="U_BOB", channel="C_GENERAL")
    assert "not in" in str(delivery.body)
    assert not ah.deps.alerts.require(alert_id).paused
    listed = ah.driver.command("alert list all", user="U_BOB")
    assert f"*{alert_id}*" not in str(listed.body)
    ah.driver.command(f"alert pause {alert_id}", user="U_ALICE", channel="C_OPS")
    assert ah.deps.alerts.require(alert_id).paused


def test_channel_rules_allow_members_and_admins_only() -> None:
    members = {"C1": {"U_A"}}
    rules = ChannelRules(lambda channel: members[channel], admins={"U_ROOT"})
    assert rules.may_use("U_A", "C1") and rules.may_use("U_ROOT", "C1")
    assert not rules.may_use("U_B", "C1")
    assert not rules.may_use("U_A", "C_GONE")  # a failed lookup is a no, never an error


def test_a_widget_that_changes_unit_says_what_no_longer_fits_not_that_it_is_gone(ah: Harness, clock: Clock) -> None:
    Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 %")
    ah.cekura.widgets[32].update(field="duration", data_type="number")  # someone re-plotted it as durations
    said = [tick(ah, clock, 11) for _ in range(3)]  # past the widget cache's ten minutes
    words = str(said[-1].readings[alert_id])
    assert "shows durations" in words and "not found" not in words and "`widget 32 when latest < 2 s`" in words
    [unknown] = [m for m in ah.slack.messages if "UNKNOWN" in (m.text or "")]
    assert "shows durations" in (unknown.text or "") and "not found" not in (unknown.text or "")
    assert ah.deps.alerts.require(alert_id).own_failures >= 1  # the alert's own fault: it counts towards pausing
