"""Digest claims as leases: renewed by a live worker, taken over once lapsed, file ids kept for the successor."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from bot.db import make_engine, migrate, session_factory
from bot.digests import Delivery, DeliveryLedger, DigestStore, Subscription, parse_schedule
from bot.digests.tables import DeliveryState
from tests.conftest import fresh_pg_schema

T0 = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)
LEASE = timedelta(seconds=60)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[Engine]:
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path}/ledger.sqlite")
        migrate(made)
        yield made
        made.dispose()
        return
    with fresh_pg_schema("leases") as url:
        made = make_engine(url)
        migrate(made)
        yield made
        made.dispose()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def ledger(engine: Engine, clock: Clock) -> DeliveryLedger:
    return DeliveryLedger(session_factory(engine), clock, lease=LEASE)


@pytest.fixture
def sub(engine: Engine, clock: Clock) -> Subscription:
    store = DigestStore(session_factory(engine), clock)
    return store.add(channel="C1", dashboard_id=12, schedule=parse_schedule("daily 09:00"), tz="UTC", owner="U1")


def test_a_renewed_lease_is_never_taken_over_a_lapsed_one_is_within_a_lease(
    ledger: DeliveryLedger, clock: Clock, sub: Subscription
) -> None:
    assert ledger.claim(sub.id, T0, "alive")
    for _ in range(10):  # ten minutes of rendering, renewed every 20 s: nobody may take it
        clock.advance(20)
        assert ledger.renew("alive") == 1
        assert not ledger.claim(sub.id, T0, "other")
    assert ledger.holds(sub.id, T0, "alive")
    clock.advance(61)  # "alive" died: no renewal for a whole lease
    assert [d.claimed_by for d in ledger.stale_claims(clock())] == ["alive"]
    assert not ledger.holds(sub.id, T0, "alive")
    assert ledger.claim(sub.id, T0, "successor")
    assert ledger.renew("alive") == 0  # a late heartbeat of the old owner does not steal it back
    assert not ledger.mark_sent(sub.id, T0, "1.1", worker="alive")
    row = ledger.get(sub.id, T0)
    assert row is not None and (row.claimed_by, row.attempts) == ("successor", 2)


def test_a_renewal_between_read_and_takeover_wins(
    ledger: DeliveryLedger, clock: Clock, sub: Subscription, engine: Engine
) -> None:
    assert ledger.claim(sub.id, T0, "slow")
    clock.advance(61)

    class Rival(DeliveryLedger):
        """A rival whose read of the lapsed row is followed, at once, by the slow owner's renewal."""

        def get(self, subscription_id: int, slot: datetime) -> Delivery | None:
            row = super().get(subscription_id, slot)
            ledger.renew("slow")
            return row

    assert not Rival(session_factory(engine), clock, lease=LEASE).claim(sub.id, T0, "rival")
    row = ledger.get(sub.id, T0)
    assert row is not None and (row.claimed_by, row.attempts) == ("slow", 1)


def test_file_ids_are_recorded_by_the_owner_only_and_survive_a_takeover(
    ledger: DeliveryLedger, clock: Clock, sub: Subscription
) -> None:
    assert ledger.claim(sub.id, T0, "first")
    assert not ledger.record_files(sub.id, T0, "intruder", ["F9"])
    assert ledger.record_files(sub.id, T0, "first", ["F1", "F2"])
    clock.advance(61)
    assert ledger.claim(sub.id, T0, "second")
    row = ledger.get(sub.id, T0)
    assert row is not None and row.file_ids == ("F1", "F2")  # the successor can ask Slack about them


def test_claims_from_before_leases_lapse_one_lease_after_their_claim(
    ledger: DeliveryLedger, clock: Clock, sub: Subscription, engine: Engine
) -> None:
    assert ledger.claim(sub.id, T0, "old-version")
    with engine.begin() as conn:  # a row written before 0003_hardening: no lease
        conn.execute(sa.text("UPDATE digest_deliveries SET lease_until = NULL"))
    clock.advance(59)
    assert not ledger.claim(sub.id, T0, "new")
    clock.advance(2)
    assert ledger.claim(sub.id, T0, "new")


def test_the_heartbeat_renews_while_a_delivery_runs_and_stops_after(engine: Engine, sub: Subscription) -> None:
    ledger = DeliveryLedger(session_factory(engine), lease=timedelta(seconds=0.3))
    slot = datetime.now(UTC).replace(microsecond=0)
    assert ledger.claim(sub.id, slot, "beating")
    first = ledger.get(sub.id, slot)
    assert first is not None and first.lease_until is not None
    with ledger.heartbeat("beating"):
        deadline = time.monotonic() + 10
        while (row := ledger.get(sub.id, slot)) is not None and row.lease_until == first.lease_until:
            assert time.monotonic() < deadline, "the heartbeat never renewed the lease"
            time.sleep(0.02)
    assert row is not None and row.lease_until is not None and row.lease_until > first.lease_until
    assert row.state is DeliveryState.CLAIMED
