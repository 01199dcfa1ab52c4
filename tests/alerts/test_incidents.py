"""Alerts end to end against both sandboxes, on a hand-moved clock: one incident, one message."""

from __future__ import annotations

import json

import pytest

from bot.sandbox.harness import Harness
from handlers.alert_messages import AlertActions
from tests.alerts.conftest import Level, add, replies, tick, top
from tests.alerts.test_chart_threshold import RED, near, pixels
from tests.conftest import Clock

pytestmark = pytest.mark.e2e


def test_fires_once_with_chart_and_buttons_then_resolves_in_place_with_one_reply(ah: Harness, clock: Clock) -> None:
    level = Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 % notify @oncall")
    assert tick(ah, clock, 0).sent == [] and top(ah) == []
    level.value = 0.8
    assert tick(ah, clock, 5).sent == [(alert_id, "fire")]
    [message] = top(ah)
    text = json.dumps(message.blocks)
    assert f"Alert {alert_id} is firing" in text and "80 %" in text and "90 %" in text and "<!subteam^S_ONCALL>" in text
    [chart] = message.files  # attached as a file share: after a crash, files.info finds this message
    png = chart.content
    assert png is not None and near(pixels(png), RED).sum(axis=1).max() > 400  # the threshold drawn across it
    actions = [e["action_id"] for b in message.blocks if b["type"] == "actions" for e in b["elements"]]
    assert actions == ["alert_ack", "alert_snooze_1h", "alert_snooze_1d", "alert_open"]
    assert tick(ah, clock, 5).sent == [] and len(top(ah)) == 1  # still firing: nothing new
    level.value = 0.7
    tick(ah, clock, 5)
    level.value = 0.96
    assert tick(ah, clock, 5).sent == []  # one good evaluation is not enough (anti-flapping)
    assert tick(ah, clock, 5).sent == [(alert_id, "resolve")]
    [message] = top(ah)
    assert message.edited_at is not None and "resolved" in json.dumps(message.blocks)
    assert "*Peak:* 70 %" in json.dumps(message.blocks)
    [reply] = replies(ah, message)
    assert "Resolved" in (reply.text or "") and len(reply.files) == 1  # with the chart of the recovery
    assert len(message.files) == 1  # the firing chart stays attached to the updated message
    [incident] = ah.deps.alerts.incidents(alert_id)
    assert incident.peak == 0.7 and incident.resolved_at == clock.now


def test_a_breach_shorter_than_for_tells_nobody_and_a_hovering_value_never_flaps(ah: Harness, clock: Clock) -> None:
    level = Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 % for 10m")
    for value in (0.85, 0.95, 0.85, 0.95, 0.89, 0.91):  # hovering at the line, 5 minutes apart
        level.value = value
        assert tick(ah, clock, 5).sent == []
    assert top(ah) == [] and ah.deps.alerts.incidents(alert_id) == []
    level.value = 0.8
    tick(ah, clock, 5)
    assert tick(ah, clock, 5).sent == []  # 5 minutes into the breach
    assert tick(ah, clock, 5).sent == [(alert_id, "fire")]  # 10 minutes: fires


def test_acknowledge_stops_reminders_and_a_snoozed_refire_goes_in_the_thread(ah: Harness, clock: Clock) -> None:
    level = Level(ah, 0.8)
    alert_id = add(ah, "widget 32 when latest < 90 % renotify 10m")
    tick(ah, clock, 5)
    [message] = top(ah)
    assert tick(ah, clock, 5).sent == []
    assert tick(ah, clock, 5).sent == [(alert_id, "remind")]
    ah.driver.block_action(AlertActions.ACK, message=message, user="U_BOB")
    assert ah.deps.wait_idle(30)
    assert "Acknowledged by <@U_BOB>" in json.dumps(message.blocks)
    assert len(message.files) == 1  # the chart stays attached after the update
    [reminder] = [m for m in replies(ah, message) if "Still firing" in (m.text or "")]
    assert len(reminder.files) == 1  # a reminder shows the chart as it is now
    for _ in range(4):
        assert tick(ah, clock, 5).sent == []  # acknowledged: no more reminders
    ah.driver.block_action(AlertActions.SNOOZE_HOUR, message=message, user="U_ALICE")
    assert ah.deps.wait_idle(30)
    level.value = 0.95
    tick(ah, clock, 5)
    assert tick(ah, clock, 5).sent == [(alert_id, "resolve")]
    level.value = 0.8
    assert tick(ah, clock, 5).sent == [(alert_id, "fire")]  # fires again, within the snooze
    assert len(top(ah)) == 1  # … but never as a new channel message
    assert any("Firing again while snoozed" in (m.text or "") for m in replies(ah, message))


def test_unknown_once_after_three_refusals_then_recovered_once(ah: Harness, clock: Clock) -> None:
    Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 %")
    ah.cekura.fail("bulk_data", 400, times=5, body={"detail": "query refused"})
    sent = [tick(ah, clock, 5).sent for _ in range(5)]
    assert sent == [[], [], [(alert_id, "unknown")], [], []]
    assert tick(ah, clock, 5).sent == [(alert_id, "recovered")]
    assert tick(ah, clock, 5).sent == []
    texts = [m.text or "" for m in ah.slack.messages]
    assert sum("UNKNOWN" in t for t in texts) == 1 and sum("can be evaluated again" in t for t in texts) == 1


def test_a_deleted_widget_pauses_the_alert_and_dms_the_owner(ah: Harness, clock: Clock) -> None:
    alert_id = add(ah, "widget 34 when avg over 1h > 2 s", user="U_ALICE")
    ah.cekura.widgets.pop(34)
    for _ in range(6):
        tick(ah, clock, 5)
    alert = ah.deps.alerts.get(alert_id)
    assert alert is not None and alert.paused and "widget 34" in (alert.paused_reason or "").lower()
    dms = [m for m in ah.slack.messages if m.channel.startswith("D")]
    assert len(dms) == 1 and "paused itself" in (dms[0].text or "")
    assert tick(ah, clock, 5).evaluated == []  # paused: not evaluated any more
