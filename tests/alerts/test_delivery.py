"""Notifications when Slack fails: an archived channel pauses the alert; an outage is retried and posted once."""

from __future__ import annotations

import pytest

from bot.sandbox.harness import Harness
from tests.alerts.conftest import Level, add, tick, top
from tests.conftest import Clock

pytestmark = pytest.mark.e2e


def test_an_archived_channel_pauses_the_alert_at_once_and_dms_the_owner(ah: Harness, clock: Clock) -> None:
    level = Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 %", channel="C_OPS")
    ah.slack.channels["C_OPS"].is_archived = True
    level.value = 0.8
    assert tick(ah, clock, 5).sent == []  # the fire could not be posted
    alert = ah.deps.alerts.require(alert_id)
    assert alert.paused and "archived" in (alert.paused_reason or "")
    assert tick(ah, clock, 1).evaluated == []  # paused: not evaluated; the owner's DM goes out with this tick
    [dm] = [m for m in ah.slack.messages if m.channel.startswith("D")]
    assert "paused itself" in (dm.text or "") and "<#C_OPS>" in (dm.text or "") and "archived" in (dm.text or "")
    assert top(ah, "C_OPS") == [] and [k for k, _, _ in ah.deps.alerts.notices(alert_id)] == ["fire", "paused"]


def test_a_slack_outage_during_a_notification_is_retried_and_posted_once(ah: Harness, clock: Clock) -> None:
    level = Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 %")
    level.value = 0.8
    # More failures than the client's own retries (2): the notice stays owed for the next tick. The
    # chart was uploaded and its id recorded; the retry asks files.info, sees it never shared, posts.
    share = "files.completeUploadExternal"
    ah.slack.fail(share, error="service_unavailable", status=503, retry_after=None, times=3)
    assert tick(ah, clock, 1).sent == []
    failed = [c for c in ah.slack.calls(share) if c.error]
    assert len(failed) == 3 and top(ah) == []
    alert = ah.deps.alerts.require(alert_id)
    assert not alert.paused and alert.own_failures == 0  # Slack's outage is not the alert's fault
    assert tick(ah, clock, 1).sent == [(alert_id, "fire")]
    assert tick(ah, clock, 1).sent == []
    [message] = top(ah)
    assert [k for k, _, _ in ah.deps.alerts.notices(alert_id)] == ["fire"] and len(message.files) == 1
    assert ah.deps.alerts.require(alert_id).incident_id is not None
    incident = ah.deps.alerts.incident(ah.deps.alerts.require(alert_id).incident_id)
    assert incident is not None and incident.message_ts == message.ts


def test_alerts_breaching_together_are_posted_side_by_side(ah: Harness, clock: Clock) -> None:
    """The sandbox holds each post until three are in flight at once: only concurrent delivery passes."""
    level = Level(ah, 0.95)
    ids = [add(ah, f"widget 32 when latest < {n} %") for n in (90, 91, 92)]
    level.value = 0.8
    ah.slack.gate("files.completeUploadExternal", 3, timeout=10)
    assert sorted(tick(ah, clock, 5).sent) == [(i, "fire") for i in ids]
    assert len(top(ah)) == 3 and not [c for c in ah.slack.calls("files.completeUploadExternal") if c.error]
