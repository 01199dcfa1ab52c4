"""Alert commands end to end: bad input answered clearly with nothing stored, and channel rules."""

from __future__ import annotations

import pytest

from bot.alerts import ChannelRules
from bot.sandbox.harness import Harness
from tests.alerts.conftest import Level, add

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
