"""Exactly once across processes: two bots on one PostgreSQL, and a bot killed mid-notification."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.alerts.evaluate import Evaluator, TickResult, WidgetCatalog
from bot.deps import Deps, build_deps
from bot.sandbox.harness import CEKURA_KEY, Harness
from handlers.alert_notify import SlackAlertNotifier
from tests.alerts.conftest import START, Level, add, replies, top
from tests.conftest import Clock

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def evaluator(deps: Deps, worker: str) -> Evaluator:
    catalog = WidgetCatalog(deps.cekura, deps.clock)
    return Evaluator(deps.cekura, deps.alerts, SlackAlertNotifier(deps, catalog), deps.io, worker, catalog=catalog)


def tick_together(bot: Evaluator, barrier: threading.Barrier, clock: Clock) -> TickResult:
    barrier.wait()
    return bot.tick(clock.now)


@pytest.mark.postgres
def test_two_processes_on_postgres_fire_and_resolve_exactly_once(pg_schema_url: str) -> None:
    clock = Clock()
    clock.now = START
    with Harness.start(clock=clock, render_workers=0, database_url=pg_schema_url) as h:
        second = build_deps(h.settings, render_workers=0, clock=clock)
        try:
            level = Level(h, 0.95)
            ids = [add(h, f"widget 32 when latest < {n} %") for n in (90, 91, 92)]
            pair = [evaluator(h.deps, "first"), evaluator(second, "second")]
            for value in (0.95, 0.8, 0.8, 0.95, 0.95, 0.95):
                level.value = value
                clock.advance(minutes=5)
                with ThreadPoolExecutor(2) as pool:
                    results = list(pool.map(tick_together, pair, [threading.Barrier(2)] * 2, [clock] * 2))
                evaluated = sorted(i for r in results for i in r.evaluated)
                assert evaluated == ids  # each alert evaluated once per slot, by one of the two
            assert len(top(h)) == 3  # one message per incident
            assert all(len(replies(h, m)) == 1 and m.edited_at is not None for m in top(h))
            for alert_id in ids:
                assert [kind for kind, _, _ in h.deps.alerts.notices(alert_id)] == ["fire", "resolve"]
        finally:
            second.close()
            h.deps.db.kw["bind"].dispose()


KILLED_WORKER = """
import json, sys
from datetime import datetime
from bot.config import build_settings
from bot.deps import build_deps
from tests.alerts.test_exactly_once import evaluator
now = datetime.fromisoformat(sys.argv[1])
deps = build_deps(build_settings("serve", **json.loads(sys.argv[2])), render_workers=0, clock=lambda: now)
evaluator(deps, "doomed").tick(now)
"""


def test_a_bot_killed_mid_notification_neither_loses_nor_doubles_the_message(ah: Harness, clock: Clock) -> None:
    level = Level(ah, 0.95)
    alert_id = add(ah, "widget 32 when latest < 90 %")
    level.value = 0.8
    clock.advance(minutes=5)
    settings = {
        "slack_bot_token": ah.slack.bot_token,
        "slack_signing_secret": "x",
        "slack_api_url": ah.settings.slack_api_url,
        "cekura_api_key": CEKURA_KEY,
        "cekura_base_url": ah.settings.cekura_base_url,
        "database_url": ah.settings.database_url,
    }
    ah.slack.latency = 5.0  # the doomed process has evaluated and claimed the notice: kill it while it posts
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER, clock.now.isoformat(), json.dumps(settings)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        ah.slack.wait_for(lambda: ("fire", "claimed", None) in ah.deps.alerts.notices(alert_id), timeout=30)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        ah.slack.latency = 0.0
    assert top(ah) == []
    bot = ah.deps.alert_evaluator
    clock.advance(minutes=1)
    assert bot.tick(clock.now).sent == []  # the claim may still be alive: no double post
    clock.advance(minutes=2)
    assert bot.tick(clock.now).sent == [(alert_id, "fire")]  # presumed dead: taken over once
    clock.advance(minutes=5)
    assert bot.tick(clock.now).sent == []
    assert len(top(ah)) == 1 and [k for k, _, _ in ah.deps.alerts.notices(alert_id)] == ["fire"]


def test_a_slot_claimed_by_a_worker_killed_mid_evaluation_is_taken_over_once_stale(tmp_path: Path) -> None:
    from datetime import timedelta

    from bot.alerts import AlertStore, parse_rule
    from bot.db import make_engine, migrate, session_factory

    factory = session_factory(make_engine(f"sqlite:///{tmp_path}/bot.sqlite"))
    migrate(factory.kw["bind"])
    clock = Clock()
    clock.now = START
    store = AlertStore(factory, lambda: clock.now, stale_after=timedelta(minutes=2))
    alert = store.add(channel="C_GENERAL", owner="U_ALICE", rule=parse_rule("widget 32 when latest < 90 %"))
    assert store.claim_slot(alert.id, START, "dead")  # … and then killed before it committed
    assert not store.claim_slot(alert.id, START, "other")  # still fresh: it may be alive
    clock.advance(minutes=3)
    assert store.claim_slot(alert.id, START, "successor")  # stale: taken over, the slot is not skipped
    assert not store.claim_slot(alert.id, START, "third")  # the successor's claim is fresh again
