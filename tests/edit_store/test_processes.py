"""Several bot processes on one edit store: racing clicks, restarts, migrations at every start, and an
audit trail the database keeps append-only. SQLite (a file) and PostgreSQL (a fresh schema)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from bot.db import alembic_config, make_engine, migrate, session_factory
from bot.edits import Outcome, State
from bot.edits.store import EditStore
from tests.edit_store.conftest import Clock, propose, states


def test_twenty_simultaneous_approvals_exactly_one_wins(store: EditStore) -> None:
    made = propose(store)
    assert _race(made.id, [store] * 20) == 1


@pytest.mark.postgres
def test_twenty_approvals_from_two_processes_exactly_one_wins(pg_url: str, clock: Clock) -> None:
    engines = [make_engine(pg_url) for _ in range(2)]
    try:
        for engine in engines:
            migrate(engine)
        stores = [EditStore(session_factory(engine), clock) for engine in engines]
        made = propose(stores[0])
        assert _race(made.id, [stores[i % 2] for i in range(20)]) == 1
    finally:
        for engine in engines:
            engine.dispose()


def _race(request_id: str, stores: list[EditStore]) -> int:
    """Everyone clicks Approve at once; checks the losers' messages; returns the number of winners."""
    barrier = threading.Barrier(len(stores))
    outcomes: dict[str, Outcome] = {}

    def click(index: int, store: EditStore) -> None:
        barrier.wait()
        outcomes[f"U{index + 10}"] = store.approve(request_id, f"U{index + 10}")

    threads = [threading.Thread(target=click, args=(i, s)) for i, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    winners = [user for user, outcome in outcomes.items() if outcome.ok]
    assert len(outcomes) == len(stores) and len(winners) == 1
    losers = [o.message for u, o in outcomes.items() if u != winners[0]]
    assert losers == [f"{request_id} was already approved by <@{winners[0]}>; it is being applied."] * 19
    approvals = [e for e in stores[0].events(request_id) if e.to_state is State.APPROVED]
    assert [e.actor for e in approvals] == winners
    return len(winners)


def test_a_restarted_bot_sees_pending_requests_and_can_act(engines: Callable[[], Engine], clock: Clock) -> None:
    first = engines()
    made = propose(EditStore(session_factory(first), clock))
    first.dispose()
    store = EditStore(session_factory(engines()), clock)
    assert store.pending() == [made]
    assert store.approve(made.id, "U2").ok


def test_audit_rows_cannot_be_updated_or_deleted(store: EditStore, engines: Callable[[], Engine]) -> None:
    made = propose(store)
    engine = engines()
    for statement in ("UPDATE edit_events SET actor = 'U9'", "DELETE FROM edit_events"):
        with pytest.raises(DBAPIError, match="edit_events is append-only"), engine.begin() as conn:
            conn.execute(text(statement))
    with pytest.raises(DBAPIError), engine.begin() as conn:  # the trail also pins its request
        conn.execute(text("DELETE FROM edit_requests"))
    assert states(store, made.id) == [(None, "pending", "U1")]


def test_migrations_are_safe_to_run_at_every_start(engines: Callable[[], Engine]) -> None:
    engine = engines()
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
        assert conn.execute(text("SELECT count(*) FROM edit_requests")).scalar() == 0
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    assert versions == [scripts.get_current_head()]
    assert "0001_edits" in {script.revision for script in scripts.walk_revisions()}


@pytest.mark.postgres
def test_two_processes_migrating_at_once_on_an_empty_database(pg_url: str) -> None:
    engines = [make_engine(pg_url), make_engine(pg_url)]  # as two bot processes starting together
    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(migrate, engines))
        with engines[0].connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM edit_requests")).scalar() == 0
    finally:
        for engine in engines:
            engine.dispose()
