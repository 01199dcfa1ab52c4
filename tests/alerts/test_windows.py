"""Window measures end to end: `rises by 20 %`, `drops by 10 pts`, `no data for 30m`, on the sandbox's clock."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from tests.alerts.conftest import add, replies, tick, top
from tests.conftest import Clock

pytestmark = pytest.mark.e2e


class Windows:
    """A widget's rows every 10 minutes over the last 3 hours: `now` in the last hour, `before` earlier.

    Served windowed (only the rows in the asked range), so the two windows of a change see different rows;
    with `quiet` the last `quiet` minutes have no rows at all.
    """

    def __init__(self, h: Harness, widget_id: int, before: float, now: float) -> None:
        self.before, self.now, self.quiet = before, now, 0
        h.cekura.set_data(widget_id, self.rows, windowed=True)

    def rows(self, now: datetime) -> list[dict[str, Any]]:
        end = now.replace(second=0, microsecond=0)
        out = []
        for step in range(18):
            at = end - timedelta(minutes=10 * step + 5)
            if at > now - timedelta(minutes=self.quiet):
                continue
            value = self.now if at >= now - timedelta(hours=1) else self.before
            out.append({"time_interval": at.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": value, "sample_count": 5})
        return out


def test_rises_by_a_percentage_of_the_previous_window(ah: Harness, clock: Clock) -> None:
    data = Windows(ah, 34, before=10.0, now=11.0)  # +10 %: below the line
    alert_id = add(ah, "widget 34 when avg over 1h rises by 20 %")
    assert tick(ah, clock, 5).sent == []
    data.now = 13.0  # +30 %
    assert tick(ah, clock, 5).sent == [(alert_id, "fire")]
    text = json.dumps(top(ah)[0].blocks)
    assert "rises by 20 %" in text and "against the 1h before" in text and "13 s" in text
    data.now = 10.5
    tick(ah, clock, 5)
    assert tick(ah, clock, 5).sent == [(alert_id, "resolve")]


def test_drops_by_points_of_a_rate(ah: Harness, clock: Clock) -> None:
    data = Windows(ah, 32, before=0.95, now=0.90)  # 5 points down
    alert_id = add(ah, "widget 32 when avg over 1h drops by 10 pts")
    assert tick(ah, clock, 5).sent == []
    data.now = 0.80  # 15 points down
    assert tick(ah, clock, 5).sent == [(alert_id, "fire")]
    assert "drops by 10 points against the 1h before" in json.dumps(top(ah)[0].blocks)
    incident = ah.deps.alerts.incidents(alert_id)[0]
    assert incident.value == pytest.approx(0.80)


def test_no_data_for_30m_fires_when_calls_stop_and_resolves_when_they_return(ah: Harness, clock: Clock) -> None:
    data = Windows(ah, 34, before=5.0, now=5.0)
    alert_id = add(ah, "widget 34 when no data for 30m")
    assert tick(ah, clock, 5).sent == []
    data.quiet = 40  # nothing in the last 40 minutes
    assert tick(ah, clock, 5).sent == [(alert_id, "fire")]
    [message] = top(ah)
    assert "has no data for 30m" in json.dumps(message.blocks)
    data.quiet = 0
    tick(ah, clock, 5)
    assert tick(ah, clock, 5).sent == [(alert_id, "resolve")]
    assert len(replies(ah, message)) == 1
