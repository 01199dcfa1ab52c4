"""Fixtures of the digest store and ledger tests: one migrated database per backend (SQLite, PostgreSQL)
for each module, emptied for every test, on a hand-moved clock; `add` and `race` helpers."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from bot.db import make_engine, migrate, session_factory
from bot.digests import DeliveryLedger, DigestStore, Subscription, parse_schedule
from tests.conftest import fresh_pg_schema

T0 = datetime(2025, 6, 2, 6, 0, tzinfo=UTC)  # a Monday, 08:00 in Berlin


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        """Move on by `delta` (timedelta keywords); returns the new now."""
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
    """The store's and ledger's clock, at T0."""
    return Clock(T0)


@pytest.fixture
def store(factory: sessionmaker[Session], clock: Clock) -> DigestStore:
    """The digest store on the emptied database."""
    return DigestStore(factory, clock)


@pytest.fixture
def ledger(factory: sessionmaker[Session], clock: Clock) -> DeliveryLedger:
    """The delivery ledger on the emptied database: 10-minute leases, 3 attempts."""
    return DeliveryLedger(factory, clock, lease=timedelta(minutes=10), max_attempts=3)


def add(store: DigestStore, schedule: str = "daily 09:00", channel: str = "C1", **kw: object) -> Subscription:
    """A digest of dashboard 12 in Berlin time, owned by U1."""
    return store.add(
        channel=channel,
        dashboard_id=12,
        schedule=parse_schedule(schedule),
        tz="Europe/Berlin",
        owner="U1",
        **kw,  # type: ignore[arg-type]
    )


def race(claims: list[Callable[[], bool]]) -> list[bool]:
    """Run the claims at the same instant on their own threads."""
    start = threading.Barrier(len(claims))

    def run(claim: Callable[[], bool]) -> bool:
        start.wait()
        return claim()

    with ThreadPoolExecutor(len(claims)) as pool:
        return list(pool.map(run, claims))
