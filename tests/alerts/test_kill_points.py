"""kill -9 at every step of the alert notice path, then a restart: nothing lost, doubled or stranded.

Each test runs the real bot (`python -m bot.cli serve`) on the loopback sandboxes; its start-up
sweep evaluates the alert and delivers the notice, SIGKILLing itself at the armed point. The
restart (unarmed, same database) takes the dead worker's claim over once it is stale and must leave
exactly one message: found through its chart's `files.info` shares when the post had landed.
Text-only notices (UNKNOWN) have no such marker: a kill right after Slack took one posts it again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.alerts import AlertStore, parse_rule
from bot.alerts.tables import ClaimRow
from bot.db import make_engine, migrate, session_factory
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.slack import Message, SlackSandbox
from tests.bot_process import BotProcess, sandboxes, until

pytestmark = pytest.mark.e2e
STALE_S = 2.0
CHANNEL = "C_GENERAL"


@dataclass
class World:
    slack: SlackSandbox
    cekura: CekuraSandbox
    factory: sessionmaker[Session]
    store: AlertStore
    bot: BotProcess
    level: float = 0.8  # widget 32's last complete day (success rate); the rule is `< 90 %`

    def rows(self, now: datetime) -> list[dict[str, Any]]:
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        days = [today - timedelta(days=2), today - timedelta(days=1), today]
        return [
            {"time_interval": d.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": v, "sample_count": 40}
            for d, v in zip(days, [0.97, self.level, 0.5], strict=True)
        ]

    def outbox(self, alert_id: int) -> list[ClaimRow]:
        query = select(ClaimRow).where(ClaimRow.alert_id == alert_id, ClaimRow.kind != "eval").order_by(ClaimRow.id)
        with self.factory() as session:
            rows = list(session.scalars(query))
            session.expunge_all()
            return rows

    def settled(self, alert_id: int, kind: str) -> ClaimRow:
        """Wait until the `kind` notice is done, and return its row."""
        done = lambda: [r for r in self.outbox(alert_id) if r.kind == kind and r.state == "done"]  # noqa: E731
        until(lambda: bool(done()), 30, f"the {kind} notice delivered")
        return done()[0]

    def top(self) -> list[Message]:
        return [m for m in self.slack.messages if m.channel == CHANNEL and m.thread_ts is None]

    def replies(self, parent: Message) -> list[Message]:
        return [m for m in self.slack.messages if m.thread_ts == parent.ts and m.ts != parent.ts]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    url = f"sqlite:///{tmp_path}/bot.sqlite"
    factory = session_factory(make_engine(url))
    migrate(factory.kw["bind"])
    with sandboxes() as (slack, cekura):
        env = {"alert_claim_stale_seconds": str(STALE_S), "alert_unknown_after": "1"}
        bot = BotProcess(slack, cekura, url, tmp_path / "bot.log", **env)
        w = World(slack, cekura, factory, AlertStore(factory, lambda: datetime.now(UTC)), bot)
        cekura.set_data(32, w.rows)
        try:
            yield w
        finally:
            bot.stop()


def _killed_then_restarted(w: World, alert_id: int, kind: str, point: str) -> ClaimRow:
    """Start armed at `point`, check the claim is left as the dead worker left it, restart once stale."""
    w.bot.start(kill_at=point)
    w.bot.wait_killed()
    [row] = [r for r in w.outbox(alert_id) if r.kind == kind]
    assert row.state == ("done" if point == "alert.sent" else "claimed"), (row.state, row.error)
    if point in ("alert.uploaded", "alert.posted") and kind != "unknown":  # UNKNOWN: text only, no chart
        assert row.file_ids  # recorded before Slack shared the chart
    claimed_at = row.claimed_at
    assert claimed_at is not None
    until(lambda: datetime.now(UTC) > claimed_at + timedelta(seconds=STALE_S), 3 * STALE_S, "the claim gone stale")
    w.bot.start()
    done = w.settled(alert_id, kind)
    until(lambda: w.bot.log_has("AlertScheduler.sweep", "executed successfully"), 30, "the first sweep")
    assert all(r.state == "done" for r in w.outbox(alert_id))  # nothing stranded
    return done


def _attempts(point: str) -> int:
    return 1 if point == "alert.sent" else 2


FIRE_POINTS = ("alert.claimed", "alert.uploaded", "alert.posted", "alert.sent")


@pytest.mark.parametrize("point", FIRE_POINTS)
def test_a_fire_killed_midway_is_posted_exactly_once(point: str, world: World) -> None:
    alert = world.store.add(channel=CHANNEL, owner="U_ALICE", rule=parse_rule("widget 32 when latest < 90 %"))
    done = _killed_then_restarted(world, alert.id, "fire", point)
    [message] = world.top()  # exactly one incident message, with its chart
    assert "is firing" in str(message.blocks) and len(message.files) == 1
    assert done.attempts == _attempts(point) and done.message_ts == message.ts
    incident = world.store.incident(world.store.require(alert.id).incident_id)
    assert incident is not None and incident.message_ts == message.ts  # the buttons and the resolve find it


def _firing(w: World, rule: str, *, good_for: timedelta = timedelta(0)) -> tuple[int, Message]:
    """An alert already FIRING (fired two hours ago, its message in the channel); good for `good_for`."""
    alert = w.store.add(channel=CHANNEL, owner="U_ALICE", rule=parse_rule(rule))
    now = datetime.now(UTC)
    fired = now - timedelta(hours=2)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": f"Alert {alert.id} is firing"}}]
    message = w.slack.post(w.slack.channels[CHANNEL], "chat.postMessage", text="firing", blocks=blocks)
    changes: dict[str, Any] = {"status": "firing", "breach_since": fired, "peak": 0.8}
    changes["good_since"] = now - good_for if good_for else None
    opened = {"started_at": fired, "fired_at": fired, "value": 0.8, "peak": 0.8}
    assert w.store.commit(alert, fired, changes, [], open_incident=opened)  # an old slot: the next one is due
    incident_id = w.store.require(alert.id).incident_id
    assert incident_id is not None
    w.store.set_incident(incident_id, message_ts=message.ts)
    return alert.id, message


@pytest.mark.parametrize("point", ("alert.claimed", "alert.updated", "alert.uploaded", "alert.posted", "alert.sent"))
def test_a_resolve_killed_midway_updates_once_and_replies_once(point: str, world: World) -> None:
    world.level = 0.95
    # Good for ten minutes already: the next evaluation resolves.
    alert_id, message = _firing(world, "widget 32 when latest < 90 % every 1m", good_for=timedelta(minutes=10))
    done = _killed_then_restarted(world, alert_id, "resolve", point)
    assert world.top() == [message] and message.edited_at is not None and "resolved" in str(message.blocks)
    [reply] = world.replies(message)  # one reply, never two
    assert "Resolved" in (reply.text or "") and len(reply.files) == 1 and done.message_ts == reply.ts
    assert done.attempts == _attempts(point)


@pytest.mark.parametrize("point", ["alert.posted"])  # the other steps are the fire's, proven above
def test_a_reminder_killed_midway_is_posted_once_in_the_thread(point: str, world: World) -> None:
    alert_id, message = _firing(world, "widget 32 when latest < 90 % every 1m renotify 1h")  # a reminder is due
    done = _killed_then_restarted(world, alert_id, "remind", point)
    assert world.top() == [message]
    [reminder] = world.replies(message)
    assert "Still firing" in (reminder.text or "") and done.message_ts == reminder.ts
    assert done.attempts == _attempts(point)


TEXT_POINTS = {
    # point: UNKNOWN messages after the restart
    "alert.claimed": 1,
    "alert.posted": 2,  # text only: no file to ask Slack about, so posted again (never lost)
}


@pytest.mark.parametrize("point", list(TEXT_POINTS))
def test_a_text_only_notice_killed_midway_is_never_lost(point: str, world: World) -> None:
    alert = world.store.add(channel=CHANNEL, owner="U_ALICE", rule=parse_rule("widget 32 when latest < 90 %"))
    world.cekura.fail("bulk_data", 400, times=1000, body={"detail": "query refused"})
    _killed_then_restarted(world, alert.id, "unknown", point)
    unknown = [m for m in world.top() if "UNKNOWN" in (m.text or "")]
    assert len(unknown) == TEXT_POINTS[point]


ALERT_POINTS = {*FIRE_POINTS, "alert.updated"}
