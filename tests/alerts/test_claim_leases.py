"""Alert claims are leases: a live worker keeps its claims however slow Slack is; a draining one hands them over."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.alerts import AlertStore, parse_rule
from bot.alerts.evaluate import Evaluator
from bot.alerts.records import Alert, Incident, Notice
from bot.db import make_engine, migrate, session_factory
from tests.alerts.conftest import START
from tests.conftest import Clock


@pytest.fixture
def factory(tmp_path: Path) -> Any:
    engine = make_engine(f"sqlite:///{tmp_path}/bot.sqlite")
    migrate(engine)
    yield session_factory(engine)
    engine.dispose()


def _owed(store: AlertStore) -> Alert:
    alert = store.add(channel="C_GENERAL", owner="U_ALICE", rule=parse_rule("widget 32 when latest < 90 %"))
    alert = store.change(alert.id, paused=True, paused_reason="paused itself: channel archived")
    store.add_notice(alert.id, "paused", {"error": "channel archived", "failures": 3})  # the owner's DM
    return alert


def test_a_renewed_claim_is_not_taken_over_and_a_released_one_is_at_once(factory: Any) -> None:
    clock = Clock()
    clock.now = START
    store = AlertStore(factory, lambda: clock.now, stale_after=timedelta(minutes=2))
    _owed(store)
    [mine] = store.claim_notices("live")
    clock.advance(minutes=1.5)
    assert store.renew("live") == 1  # a beat: the live worker is still posting
    clock.advance(minutes=1.5)  # 3 minutes after the claim, 1.5 after the beat
    assert store.claim_notices("other") == []
    assert store.release("live") == 1  # SIGTERM and the grace ran out: hand it over now
    [taken] = store.claim_notices("other")
    assert (taken.id, taken.attempts, taken.worker) == (mine.id, 2, "other")
    assert not store.finish_notice(mine.id, "live", ts="1.0")  # the old owner can no longer finish it


def test_a_beat_between_a_takers_read_and_its_compare_and_set_wins(factory: Any) -> None:
    clock = Clock()
    clock.now = START
    store = AlertStore(factory, lambda: clock.now, stale_after=timedelta(minutes=2))
    _owed(store)
    assert store.claim_notices("slow")
    clock.advance(minutes=3)  # stale as far as the taker's read goes …
    engine = factory.kw["bind"]
    beat_once = threading.Event()

    def beat_first(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if statement.startswith("UPDATE alert_claims SET state") and not beat_once.is_set():
            beat_once.set()
            store.renew("slow")  # … but the owner's heartbeat lands before the taker's update

    event.listen(engine, "before_cursor_execute", beat_first)
    try:
        assert store.claim_notices("taker") == []
    finally:
        event.remove(engine, "before_cursor_execute", beat_first)
    assert beat_once.is_set()


class SlowNotifier:
    """Posts take `seconds` (a Slack answering slowly); counts the posts."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.started = threading.Event()
        self.posted: list[tuple[str, int]] = []

    def deliver(self, notice: Notice, alert: Alert, incident: Incident | None, on_uploaded: Any) -> str | None:
        self.started.set()
        time.sleep(self.seconds)
        self.posted.append((notice.worker, notice.id))
        return f"{len(self.posted)}.0"


def test_a_post_slower_than_the_stale_time_is_not_posted_again_by_another_worker(factory: Any) -> None:
    def now() -> datetime:
        return datetime.now(UTC)

    store = AlertStore(factory, now, stale_after=timedelta(seconds=0.6))
    _owed(store)
    notifier = SlowNotifier(2.0)  # more than three times the stale time
    with ThreadPoolExecutor(4) as io:
        slow = Evaluator(None, store, notifier, io, "slow")  # type: ignore[arg-type]
        other = Evaluator(None, store, notifier, io, "other")  # type: ignore[arg-type]
        posting = threading.Thread(target=slow.tick, args=(now(),))
        posting.start()
        assert notifier.started.wait(10)  # "slow" holds the claim and is posting
        deadline = time.monotonic() + 1.8
        while time.monotonic() < deadline:  # another replica's sweeps, all through the slow post
            other.tick(now())
            time.sleep(0.1)
        posting.join()
    assert [worker for worker, _ in notifier.posted] == ["slow"]
