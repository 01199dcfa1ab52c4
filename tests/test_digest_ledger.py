"""Digest store and delivery ledger on SQLite and PostgreSQL: exactly once, catch-up, auto-pause."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db import alembic_config, make_engine, migrate, session_factory
from bot.digests import (
    DeliveryLedger,
    DigestNotFound,
    DigestStore,
    Subscription,
    parse_schedule,
    slots_between,
)
from bot.digests.tables import DeliveryState
from bot.errors import UserError
from tests.conftest import fresh_pg_schema

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
T0 = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)  # a Monday, 08:00 in Berlin


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    """A URL whose connections work in a schema of this test run's own, dropped afterwards."""
    with fresh_pg_schema("digests") as url:
        yield url


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A migrated database per backend, shared by this module's tests."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('digests')}/bot.db"
    else:
        url = request.getfixturevalue("pg_url")
    engine = make_engine(url)
    migrate(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions on an emptied digest schema."""
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM digest_deliveries"))
        conn.execute(sa.text("DELETE FROM digest_subscriptions"))
    return session_factory(engine)


@pytest.fixture
def clock() -> Clock:
    return Clock(T0)


@pytest.fixture
def store(factory: sessionmaker[Session], clock: Clock) -> DigestStore:
    return DigestStore(factory, clock)


@pytest.fixture
def ledger(factory: sessionmaker[Session], clock: Clock) -> DeliveryLedger:
    return DeliveryLedger(factory, clock, lease=timedelta(minutes=10), max_attempts=3)


def _add(store: DigestStore, schedule: str = "daily 09:00", channel: str = "C1", **kw: object) -> Subscription:
    return store.add(
        channel=channel,
        dashboard_id=12,
        schedule=parse_schedule(schedule),
        tz="Europe/Berlin",
        owner="U1",
        **kw,  # type: ignore[arg-type]
    )


def _race(claims: list[Callable[[], bool]]) -> list[bool]:
    """Run the claims at the same instant on their own threads."""
    start = threading.Barrier(len(claims))

    def run(claim: Callable[[], bool]) -> bool:
        start.wait()
        return claim()

    with ThreadPoolExecutor(len(claims)) as pool:
        return list(pool.map(run, claims))


# --- migration -------------------------------------------------------------------------------------


def test_migration_upgrade_twice_is_safe_and_downgrade_round_trips(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0006_alert_files"
    command.downgrade(alembic_config(engine), "0001_edits")
    assert not sa.inspect(engine).has_table("digest_deliveries")
    migrate(engine)
    assert {"digest_subscriptions", "digest_deliveries"} <= set(sa.inspect(engine).get_table_names())


# --- store ------------------------------------------------------------------------------------------


def test_add_get_list_edit_remove(store: DigestStore, clock: Clock) -> None:
    first = _add(store, "weekdays 09:00", since="24h", where_text="status = failed", skip_if_empty=True)
    second = _add(store, "hourly", channel="C2")
    assert store.get(first.id) == first
    assert (first.schedule.text, first.tz, first.since, first.skip_if_empty) == (
        "weekdays 09:00",
        "Europe/Berlin",
        "24h",
        True,
    )
    assert [s.id for s in store.list()] == [first.id, second.id]
    assert [s.id for s in store.list("C2")] == [second.id]
    clock.advance(hours=1)
    edited = store.update(first.id, schedule=parse_schedule("daily 07:00"), tz="america/new_york", where_text=None)
    assert (edited.schedule.text, edited.tz, edited.where_text, edited.since) == (
        "daily 07:00",
        "America/New_York",
        None,
        "24h",
    )
    assert edited.updated_at == T0 + timedelta(hours=1) and edited.created_at == T0
    assert store.remove(second.id).channel == "C2"
    assert store.get(second.id) is None
    third = _add(store)
    assert third.id > second.id  # a removed digest's id is never handed out again
    with pytest.raises(DigestNotFound):
        store.remove(second.id)


def test_bad_zone_or_since_stores_nothing(store: DigestStore) -> None:
    with pytest.raises(UserError, match="did you mean Europe/Berlin"):
        store.add(
            channel="C1",
            dashboard_id=1,
            schedule=parse_schedule("daily 09:00"),
            tz="Europe/Berln",
            owner="U1",
        )
    with pytest.raises(UserError, match="not a duration"):
        _add(store, since="yesterday")
    assert store.list() == []


def test_failures_count_and_pause_the_digest_at_the_limit(store: DigestStore, clock: Clock) -> None:
    sub = _add(store)
    assert store.record_failure(sub.id, "not_in_channel", max_failures=3) == 1
    store.record_success(sub.id, "hash-1", slot=T0)
    assert store.get(sub.id).consecutive_failures == 0  # type: ignore[union-attr]
    counts = [store.record_failure(sub.id, "is_archived", max_failures=3) for _ in range(3)]
    assert counts == [1, 2, 3]
    paused = store.get(sub.id)
    assert paused is not None and paused.paused and "is_archived" in (paused.paused_reason or "")
    assert (paused.last_digest, paused.last_slot) == ("hash-1", T0)
    assert store.active() == []
    resumed = store.resume(sub.id)
    assert (resumed.paused, resumed.paused_reason, resumed.consecutive_failures) == (False, None, 0)
    assert store.record_failure(10_000, "gone", max_failures=3) == 0


def test_period_start_defaults_to_the_previous_digest_at_most_30_days(store: DigestStore) -> None:
    slot = datetime(2025, 6, 3, 7, tzinfo=UTC)  # 09:00 Berlin
    fresh = _add(store)
    assert fresh.period_start(slot) == slot - timedelta(days=1)  # the previous scheduled slot
    store.record_success(fresh.id, None, slot=slot - timedelta(days=3))
    assert store.get(fresh.id).period_start(slot) == slot - timedelta(days=3)  # type: ignore[union-attr]
    store.record_success(fresh.id, None, slot=slot - timedelta(days=90))
    assert store.get(fresh.id).period_start(slot) == slot - timedelta(days=30)  # type: ignore[union-attr]
    assert _add(store, since="6h").period_start(slot) == slot - timedelta(hours=6)


# --- claims -----------------------------------------------------------------------------------------


def test_claim_then_mark_sent_is_final(store: DigestStore, ledger: DeliveryLedger) -> None:
    sub = _add(store)
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
    sub = _add(store)
    store.remove(sub.id)
    assert not ledger.claim(sub.id, T0, "a")


def test_twenty_threads_claim_one_slot_exactly_once(store: DigestStore, ledger: DeliveryLedger) -> None:
    sub = _add(store)
    for hour in range(3):
        slot = T0 + timedelta(hours=hour)
        wins = _race([partial(ledger.claim, sub.id, slot, f"w{i}") for i in range(20)])
        assert wins.count(True) == 1


@pytest.mark.postgres
def test_two_engines_on_postgres_claim_exactly_once(pg_url: str) -> None:
    engines = [make_engine(pg_url), make_engine(pg_url)]  # as two bot processes would have
    try:
        migrate(engines[0])
        clock = Clock(T0)
        ledgers = [DeliveryLedger(session_factory(e), clock) for e in engines]
        sub = _add(DigestStore(session_factory(engines[1]), clock), "hourly", channel="C-two-engines")
        for hour in range(5):
            slot = T0 + timedelta(hours=hour)
            wins = _race([partial(ledgers[i % 2].claim, sub.id, slot, f"p{i % 2}-t{i}") for i in range(20)])
            assert wins.count(True) == 1
            assert ledgers[1].get(sub.id, slot).attempts == 1  # type: ignore[union-attr]
    finally:
        for engine in engines:
            engine.dispose()


def test_a_killed_workers_claim_is_taken_over_once_it_is_stale(
    store: DigestStore, ledger: DeliveryLedger, clock: Clock
) -> None:
    sub = _add(store)
    slot = T0
    assert ledger.claim(sub.id, slot, "dead")  # …and the process is killed before mark_sent
    clock.advance(minutes=5)
    assert not ledger.claim(sub.id, slot, "alive")  # could still be working
    assert ledger.stale_claims(clock()) == []
    clock.advance(minutes=6)
    assert [d.claimed_by for d in ledger.stale_claims(clock())] == ["dead"]
    wins = _race([partial(ledger.claim, sub.id, slot, f"r{i}", late=True) for i in range(20)])
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
    sub = _add(store, f"daily {now.astimezone(ZoneInfo('Europe/Berlin')):%H:%M}")
    slot = slots_between(sub.schedule, sub.tz, now - timedelta(hours=1), now + timedelta(seconds=1))[-1]
    assert slot == now
    url = engine.url.render_as_string(hide_password=False)
    script = tmp_path / "worker.py"
    script.write_text(KILLED_WORKER)
    worker = subprocess.Popen(
        [sys.executable, str(script), url, str(sub.id), slot.isoformat()],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parent.parent,
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
    sub = _add(store)
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


# --- catch-up ---------------------------------------------------------------------------------------


def test_catch_up_sends_only_the_latest_missed_slot_within_grace_marked_late(
    store: DigestStore, ledger: DeliveryLedger, clock: Clock
) -> None:
    hourly = _add(store, "hourly")
    daily = _add(store, "daily 09:00")  # 07:00 UTC
    weekly = _add(store, "weekly tue 09:00")  # not due this Monday
    # The bot was down from 06:10 to 09:20 UTC: six hourly slots and the daily one were missed.
    now = clock.advance(hours=3, minutes=20)
    due = ledger.due_slots(store.active(), now, timedelta(minutes=60))
    assert sorted((d.subscription.id, d.slot, d.late) for d in due) == [
        (hourly.id, datetime(2025, 6, 2, 9, tzinfo=UTC), True),
    ]
    due = ledger.due_slots(store.active(), now, timedelta(hours=3))
    assert sorted((d.subscription.id, d.slot, d.late) for d in due) == [
        (hourly.id, datetime(2025, 6, 2, 9, tzinfo=UTC), True),
        (daily.id, datetime(2025, 6, 2, 7, tzinfo=UTC), True),
    ]
    assert weekly.id not in {d.subscription.id for d in due}
    assert ledger.due_slots(store.active(), now, timedelta(minutes=10)) == []  # beyond grace: not sent


def test_on_time_slot_is_not_late_and_settled_slots_are_not_due(
    store: DigestStore, ledger: DeliveryLedger, clock: Clock
) -> None:
    sub = _add(store, "daily 09:00")
    now = clock.advance(hours=1, seconds=20)  # 07:00:20 UTC = 09:00:20 Berlin
    [due] = ledger.due_slots([sub], now, timedelta(hours=1))
    assert (due.slot, due.late) == (datetime(2025, 6, 2, 7, tzinfo=UTC), False)
    assert ledger.claim(sub.id, due.slot, "a", late=due.late)
    assert ledger.due_slots([sub], now, timedelta(hours=1)) == []  # claimed, fresh
    assert ledger.mark_skipped(sub.id, due.slot, "every widget empty")
    assert ledger.due_slots([sub], clock.advance(minutes=30), timedelta(hours=1)) == []
    assert ledger.get(sub.id, due.slot).error == "every widget empty"  # type: ignore[union-attr]


def test_catch_up_retries_stale_claims_and_failures_but_not_paused_or_new_digests(
    store: DigestStore, ledger: DeliveryLedger, clock: Clock
) -> None:
    clock.now = T0 - timedelta(hours=1)
    killed = _add(store, "hourly")
    failed = _add(store, "hourly :05")
    paused = store.pause(_add(store, "hourly").id, "by U1")
    now = clock.now = T0 + timedelta(minutes=6)  # slots 06:00 and 06:05
    assert ledger.claim(killed.id, T0, "dead")
    assert ledger.claim(failed.id, T0 + timedelta(minutes=5), "w") and ledger.mark_failed(
        failed.id, T0 + timedelta(minutes=5), "timeout"
    )
    due = {d.subscription.id for d in ledger.due_slots(store.list(), now, timedelta(hours=1))}
    assert due == {failed.id}
    now = clock.advance(minutes=11)
    due = {d.subscription.id for d in ledger.due_slots(store.list(), now, timedelta(hours=1))}
    assert due == {killed.id, failed.id}
    assert paused.id not in due
    created_after_slot = _add(store, "daily 08:00")  # 06:00 UTC slot passed before it existed
    assert ledger.due_slots([created_after_slot], now, timedelta(hours=1)) == []


def test_catch_up_across_the_berlin_autumn_change(store: DigestStore, ledger: DeliveryLedger, clock: Clock) -> None:
    clock.now = datetime(2025, 10, 20, tzinfo=UTC)
    sub = _add(store, "daily 09:00")
    now = datetime(2025, 10, 26, 8, 30, tzinfo=UTC)  # 09:30 CET, the first day after the change
    [due] = ledger.due_slots([sub], now, timedelta(hours=1))
    assert (due.slot, due.late) == (datetime(2025, 10, 26, 8, tzinfo=UTC), True)
    before = datetime(2025, 10, 26, 7, 30, tzinfo=UTC)  # 08:30 CET: nothing due yet
    assert ledger.due_slots([sub], before, timedelta(hours=1)) == []
