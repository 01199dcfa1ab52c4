"""Digest delivery claims on SQLite and PostgreSQL: each slot is claimed exactly once, across threads,
engines and killed processes, and failed slots are retried until their attempts run out."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from bot.db import make_engine, migrate, session_factory
from bot.digests import DeliveryLedger, DigestStore, slots_between
from bot.digests.tables import DeliveryState
from tests.digest_ledger.conftest import T0, Clock, add, race


def test_claim_then_mark_sent_is_final(store: DigestStore, ledger: DeliveryLedger) -> None:
    sub = add(store)
    slot = T0 + timedelta(hours=1)
    assert ledger.claim(sub.id, slot, "a")
    assert not ledger.claim(sub.id, slot, "b")
    assert not ledger.mark_sent(sub.id, slot, "1.1", worker="b")  # not b's claim
    assert ledger.mark_sent(sub.id, slot, "1.2", worker="a")
    row = ledger.get(sub.id, slot)
    assert row is not None and (row.state, row.message_ts, row.claimed_by) == (DeliveryState.SENT, "1.2", "a")
    assert not ledger.claim(sub.id, slot, "c")
    assert not ledger.mark_failed(sub.id, slot, "late error")  # a sent slot stays sent


def test_claim_for_a_removed_subscription_is_refused(store: DigestStore, ledger: DeliveryLedger) -> None:
    sub = add(store)
    store.remove(sub.id)
    assert not ledger.claim(sub.id, T0, "a")


def test_twenty_threads_claim_one_slot_exactly_once(store: DigestStore, ledger: DeliveryLedger) -> None:
    sub = add(store)
    for hour in range(3):
        slot = T0 + timedelta(hours=hour)
        wins = race([partial(ledger.claim, sub.id, slot, f"w{i}") for i in range(20)])
        assert wins.count(True) == 1


@pytest.mark.postgres
def test_two_engines_on_postgres_claim_exactly_once(pg_url: str) -> None:
    engines = [make_engine(pg_url), make_engine(pg_url)]  # as two bot processes would have
    try:
        migrate(engines[0])
        clock = Clock(T0)
        ledgers = [DeliveryLedger(session_factory(e), clock) for e in engines]
        sub = add(DigestStore(session_factory(engines[1]), clock), "hourly", channel="C-two-engines")
        for hour in range(5):
            slot = T0 + timedelta(hours=hour)
            wins = race([partial(ledgers[i % 2].claim, sub.id, slot, f"p{i % 2}-t{i}") for i in range(20)])
            assert wins.count(True) == 1
            assert ledgers[1].get(sub.id, slot).attempts == 1  # type: ignore[union-attr]
    finally:
        for engine in engines:
            engine.dispose()


def test_a_killed_workers_claim_is_taken_over_once_it_is_stale(
    store: DigestStore, ledger: DeliveryLedger, clock: Clock
) -> None:
    sub = add(store)
    slot = T0
    assert ledger.claim(sub.id, slot, "dead")  # …and the process is killed before mark_sent
    clock.advance(minutes=5)
    assert not ledger.claim(sub.id, slot, "alive")  # could still be working
    assert ledger.stale_claims(clock()) == []
    clock.advance(minutes=6)
    assert [d.claimed_by for d in ledger.stale_claims(clock())] == ["dead"]
    wins = race([partial(ledger.claim, sub.id, slot, f"r{i}", late=True) for i in range(20)])
    assert wins.count(True) == 1
    row = ledger.get(sub.id, slot)
    assert row is not None and (row.state, row.attempts, row.late) == (DeliveryState.CLAIMED, 2, True)
    assert not ledger.mark_sent(sub.id, slot, "1.1", worker="dead")  # the dead worker lost it
    assert ledger.mark_sent(sub.id, slot, "1.2", worker=row.claimed_by)


KILLED_WORKER = """
import sys, time
from bot.db import make_engine, session_factory
from bot.digests import DeliveryLedger
from bot.reldate import parse_iso
ledger = DeliveryLedger(session_factory(make_engine(sys.argv[1])))
print(ledger.claim(int(sys.argv[2]), parse_iso(sys.argv[3]), "doomed"), flush=True)
time.sleep(60)  # "rendering" — killed here, before mark_sent
"""


def test_a_process_killed_mid_delivery_is_retried_after_restart(
    engine: Engine, store: DigestStore, tmp_path: Path
) -> None:
    # A daily slot one minute ago: moving the clock 13 minutes on never reaches the next slot
    # (an hourly one would, when the test runs just before the hour).
    now = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    sub = add(store, f"daily {now.astimezone(ZoneInfo('Europe/Berlin')):%H:%M}")
    slot = slots_between(sub.schedule, sub.tz, now - timedelta(hours=1), now + timedelta(seconds=1))[-1]
    assert slot == now
    url = engine.url.render_as_string(hide_password=False)
    script = tmp_path / "worker.py"
    script.write_text(KILLED_WORKER)
    worker = subprocess.Popen(
        [sys.executable, str(script), url, str(sub.id), slot.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    try:
        assert worker.stdout is not None and worker.stdout.readline().strip() == "True"
    finally:
        worker.kill()
        worker.wait()
        worker.stdout.close()  # type: ignore[union-attr]
    restarted = Clock(now)
    ledger = DeliveryLedger(session_factory(engine), restarted, lease=timedelta(minutes=10))
    assert not ledger.claim(sub.id, slot, "restarted")  # too fresh to call the worker dead
    restarted.advance(minutes=13)
    [stale] = ledger.stale_claims(restarted())
    assert (stale.subscription_id, stale.claimed_by) == (sub.id, "doomed")
    [due] = ledger.due_slots([sub], restarted(), timedelta(hours=2))
    assert (due.slot, due.late) == (slot, True)
    assert ledger.claim(sub.id, due.slot, "restarted", late=due.late)
    assert ledger.mark_sent(sub.id, due.slot, "99.1", worker="restarted")


def test_failed_slots_are_retried_until_attempts_run_out(store: DigestStore, ledger: DeliveryLedger) -> None:
    sub = add(store)
    for attempt in (1, 2, 3):
        assert ledger.claim(sub.id, T0, f"w{attempt}")
        assert ledger.mark_failed(sub.id, T0, f"slack down {attempt}")
    row = ledger.get(sub.id, T0)
    assert row is not None and (row.state, row.attempts, row.error) == (
        DeliveryState.FAILED,
        3,
        "slack down 3",
    )
    assert not ledger.claim(sub.id, T0, "w4")
