"""Edit-store fixtures: real databases, SQLite (a file) and PostgreSQL (a fresh schema), on a clock the
test moves by hand; `propose` and `states` make and read requests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine

from bot.db import make_engine, migrate, session_factory
from bot.edits import EditRequest
from bot.edits.store import EditStore
from tests.conftest import fresh_pg_schema

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TTL = timedelta(hours=24)
WIDGET = {"id": 34, "dashboard": 12, "name": "Duration", "chart_type": "line", "field": "duration",
          "filters": None, "updated_at": "2026-11-20T10:00:00Z"}  # fmt: skip


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A uniquely named, empty schema for this test, dropped afterwards."""
    with fresh_pg_schema("edits") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """The test database: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/edits.sqlite"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def engines(db_url: str) -> Iterator[Callable[[], Engine]]:
    """Makes migrated engines on the test database (one per simulated bot process)."""
    made: list[Engine] = []

    def make() -> Engine:
        engine = make_engine(db_url)
        migrate(engine)
        made.append(engine)
        return engine

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def clock() -> Clock:
    """The store's clock, at T0."""
    return Clock()


@pytest.fixture
def store(engines: Callable[[], Engine], clock: Clock) -> EditStore:
    """An edit store on a freshly migrated test database."""
    return EditStore(session_factory(engines()), clock)


def propose(store: EditStore, requester: str = "U1", **changes: object) -> EditRequest:
    """A pending request on widget 34 (its chart type becomes bar unless `changes` say otherwise)."""
    return store.create("widget", 34, 12, requester, "C1", WIDGET, changes or {"chart_type": "bar"}, TTL)


def states(store: EditStore, request_id: str) -> list[tuple[str | None, str, str]]:
    """The request's audit trail as (from, to, actor)."""
    return [(e.from_state, e.to_state, e.actor) for e in store.events(request_id)]
