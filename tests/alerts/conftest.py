"""Alert end-to-end fixtures: one sandboxed bot per module on a hand-moved clock, and data controls."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.alerts.evaluate import TickResult
from bot.sandbox.harness import Harness
from bot.sandbox.slack import Message
from tests.conftest import Clock

START = datetime(2025, 6, 2, 6, 0, 5, tzinfo=UTC)


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def module_harness(clock: Clock, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    clock.now = START
    url = f"sqlite:///{tmp_path_factory.mktemp('alerts')}/bot.sqlite"
    with Harness.start(clock=clock, render_workers=0, database_url=url, alert_max_failures=3) as h:
        yield h
        h.driver.close()


@pytest.fixture
def ah(module_harness: Harness, clock: Clock) -> Harness:
    h = module_harness
    assert h.deps.wait_idle(30)
    for alert in h.deps.alerts.find():
        h.deps.alerts.remove(alert.id)
    h.cekura.reset()
    h.slack.reset()
    h.slack.add_channel("C_OPS", "ops", members=(h.slack.bot_user_id, "U_ALICE"))
    clock.now = START
    return h


class Level:
    """Widget 32 (bar, avg success by day): the last complete day's value, set by the test."""

    def __init__(self, h: Harness, value: float) -> None:
        self.value = value
        h.cekura.set_data(32, self.rows)

    def rows(self, now: datetime) -> list[dict[str, Any]]:
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        days = [today - timedelta(days=2), today - timedelta(days=1), today]
        values = [0.97, self.value, 0.5]  # today is incomplete: never the `latest`
        return [
            {"time_interval": d.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": v, "sample_count": 40}
            for d, v in zip(days, values, strict=True)
        ]


def tick(h: Harness, clock: Clock, minutes: float) -> TickResult:
    """Move the clock `minutes` on and evaluate."""
    clock.advance(minutes=minutes)
    result: TickResult = h.deps.alert_evaluator.tick(clock.now)
    return result


def add(h: Harness, text: str, *, user: str = "U_ALICE", channel: str = "C_GENERAL") -> int:
    """Add an alert through the slash command; its id."""
    before = {a.id for a in h.deps.alerts.find()}
    h.driver.command(f"alert add {text}", user=user, channel=channel)
    assert h.deps.wait_idle(30)
    added = [a.id for a in h.deps.alerts.find() if a.id not in before]
    assert len(added) == 1, h.slack.responses
    return added[0]


def top(h: Harness, channel: str = "C_GENERAL") -> list[Message]:
    """Top-level bot messages in `channel`, set-up announcements left out."""
    return [
        m for m in h.slack.messages if m.channel == channel and m.thread_ts is None and "set up" not in (m.text or "")
    ]


def replies(h: Harness, parent: Message) -> list[Message]:
    """Thread replies under `parent`."""
    return [m for m in h.slack.messages if m.thread_ts == parent.ts]
