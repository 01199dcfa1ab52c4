"""The edit-request state machine on real databases: SQLite (a file) and PostgreSQL (a fresh schema)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from bot.db import alembic_config, make_engine, migrate, session_factory
from bot.edits import EditRequest, Outcome, State
from bot.edits.store import EditStore
from bot.errors import UserError
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
    return Clock()


@pytest.fixture
def store(engines: Callable[[], Engine], clock: Clock) -> EditStore:
    return EditStore(session_factory(engines()), clock)


def propose(store: EditStore, requester: str = "U1", **changes: object) -> EditRequest:
    return store.create("widget", 34, 12, requester, "C1", WIDGET, changes or {"chart_type": "bar"}, TTL)


def states(store: EditStore, request_id: str) -> list[tuple[str | None, str, str]]:
    return [(e.from_state, e.to_state, e.actor) for e in store.events(request_id)]


def test_create_stores_a_pending_request_with_its_first_audit_row(store: EditStore) -> None:
    made = propose(store, name="Avg duration")
    assert made.id.startswith("ER-") and len(made.id) == 8
    assert made.state is State.PENDING and made.state_version == 1
    assert made.created_at == T0 and made.expires_at == T0 + TTL
    assert store.get(made.id.lower()) == made
    assert made.base_snapshot == WIDGET and made.changes == {"name": "Avg duration"}
    assert states(store, made.id) == [(None, "pending", "U1")]
    assert store.get("ER-NOPE1") is None
    with pytest.raises(UserError, match="no edit request `ER-NOPE1`"):
        store.approve("ER-NOPE1", "U2")


def test_create_refuses_an_empty_change_and_a_snapshot_that_is_not_json(store: EditStore) -> None:
    with pytest.raises(UserError, match="Nothing to change"):
        store.create("widget", 34, 12, "U1", "C1", WIDGET, {}, TTL)
    with pytest.raises(TypeError):
        store.create("widget", 34, 12, "U1", "C1", {"updated_at": T0}, {"name": "x"}, TTL)
    assert store.pending() == []


def test_approved_then_applied(store: EditStore, clock: Clock) -> None:
    made = propose(store)
    clock.advance(timedelta(minutes=5))
    approved = store.approve(made.id, "U2")
    assert approved.ok and approved.message == "Approved by <@U2>."
    assert approved.request.state is State.APPROVED and approved.request.decided_by == "U2"
    assert approved.request.decided_at == T0 + timedelta(minutes=5)
    applied = store.mark_applied(made.id, "PATCH widget 34: chart_type")
    assert applied.ok and applied.request.state is State.APPLIED and applied.request.state_version == 3
    assert applied.request.result == "PATCH widget 34: chart_type"
    assert states(store, made.id) == [(None, "pending", "U1"), ("pending", "approved", "U2"),
                                      ("approved", "applied", "system")]  # fmt: skip
    again = store.approve(made.id, "U3")
    assert not again.ok and again.message == f"{made.id} was already approved by <@U2> and applied."


def test_failed_then_retried_then_applied(store: EditStore) -> None:
    made = propose(store)
    store.approve(made.id, "U2")
    failed = store.mark_failed(made.id, "Cekura is not answering (HTTP 503)")
    assert failed.ok and failed.request.reason == "Cekura is not answering (HTTP 503)"
    retried = store.retry(made.id, "U3")
    assert retried.ok and retried.request.state is State.APPROVED
    assert retried.request.decided_by == "U3" and retried.request.reason is None
    assert store.mark_applied(made.id, "done").ok
    assert [to for _, to, _ in states(store, made.id)] == [
        "pending",
        "approved",
        "failed",
        "approved",
        "applied",
    ]
    assert store.events(made.id)[2].detail == {"reason": "Cekura is not answering (HTTP 503)"}


def test_conflicted_and_rejected_are_final(store: EditStore) -> None:
    conflicted = propose(store)
    store.approve(conflicted.id, "U2")
    outcome = store.mark_conflicted(conflicted.id, "widget 34 changed since (chart_type)")
    assert outcome.ok and outcome.request.state is State.CONFLICTED
    assert not store.retry(conflicted.id, "U2").ok
    rejected = propose(store)
    outcome = store.reject(rejected.id, "U2", "  not during the launch  ")
    assert outcome.ok and outcome.message == "Rejected by <@U2>."
    assert outcome.request.reason == "not during the launch"
    refused = store.approve(rejected.id, "U3")
    assert refused.message == f"{rejected.id} was rejected by <@U2>: not during the launch"


ILLEGAL: list[tuple[list[str], Callable[[EditStore, str], Outcome]]] = [
    ([], lambda s, i: s.mark_applied(i, "x")),
    ([], lambda s, i: s.mark_failed(i, "x")),
    ([], lambda s, i: s.mark_conflicted(i, "x")),
    ([], lambda s, i: s.retry(i, "U2")),
    (["approve"], lambda s, i: s.approve(i, "U3")),
    (["approve"], lambda s, i: s.reject(i, "U3", None)),
    (["approve"], lambda s, i: s.retry(i, "U3")),
    (["approve", "applied"], lambda s, i: s.mark_failed(i, "x")),
    (["approve", "applied"], lambda s, i: s.retry(i, "U3")),
    (["reject"], lambda s, i: s.mark_applied(i, "x")),
    (["reject"], lambda s, i: s.retry(i, "U3")),
    (["approve", "failed"], lambda s, i: s.mark_applied(i, "x")),
    (["approve", "failed"], lambda s, i: s.approve(i, "U3")),
    (["approve", "conflicted"], lambda s, i: s.mark_applied(i, "x")),
]


STEPS: dict[str, Callable[[EditStore, str], Outcome]] = {
    "approve": lambda s, i: s.approve(i, "U2"),
    "reject": lambda s, i: s.reject(i, "U2"),
    "applied": lambda s, i: s.mark_applied(i, "ok"),
    "failed": lambda s, i: s.mark_failed(i, "x"),
    "conflicted": lambda s, i: s.mark_conflicted(i, "x"),
}


def test_illegal_transitions_are_refused_and_change_nothing(store: EditStore) -> None:
    for setup, action in ILLEGAL:
        made = propose(store)
        for step in setup:
            assert STEPS[step](store, made.id).ok
        before, trail = store.get(made.id), store.events(made.id)
        outcome = action(store, made.id)
        assert not outcome.ok and outcome.request == before, setup
        assert store.get(made.id) == before and store.events(made.id) == trail
        assert made.id in outcome.message


def test_self_approval_is_refused_unless_allowed(store: EditStore) -> None:
    made = propose(store, requester="U1")
    refused = store.approve(made.id, "U1")
    assert not refused.ok and refused.message == "You can't approve your own request: another approver has to."
    assert store.get(made.id).state is State.PENDING
    assert store.approve(made.id, "U1", allow_self=True).ok


def test_expiry_on_click_and_by_sweep(store: EditStore, clock: Clock) -> None:
    early, late = propose(store), None
    clock.advance(timedelta(hours=2))
    late = propose(store)
    assert [r.id for r in store.pending()] == [early.id, late.id]
    clock.advance(timedelta(hours=22))  # exactly early's expiry: no longer actionable
    assert [r.id for r in store.pending()] == [late.id]
    clicked = store.approve(early.id, "U2")
    assert not clicked.ok and clicked.request.state is State.EXPIRED
    assert clicked.message.startswith(f"{early.id} expired <!date^") and "propose it again" in clicked.message
    assert store.reject(early.id, "U2").request.state is State.EXPIRED
    assert store.expire_due() == []
    assert [r.id for r in store.expire_due(T0 + timedelta(days=2))] == [late.id]
    assert store.expire_due(T0 + timedelta(days=3)) == []
    assert store.pending(T0) == []
    assert states(store, late.id)[-1] == ("pending", "expired", "system")


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


def test_history_lists_applied_changes_newest_first(store: EditStore, clock: Clock) -> None:
    first = propose(store, name="One")
    store.approve(first.id, "U2")
    clock.advance(timedelta(minutes=1))
    store.mark_applied(first.id, "ok")
    second = propose(store, name="Two")
    store.approve(second.id, "U3")
    clock.advance(timedelta(minutes=1))
    store.mark_applied(second.id, "ok")
    store.reject(propose(store, name="Three").id, "U2")
    other = store.create("widget", 35, 12, "U1", "C1", {"id": 35}, {"name": "x"}, TTL)
    dash = store.create("dashboard", 12, 12, "U1", "C1", {"id": 12}, {"name": "Ops"}, TTL)
    for request in (other, dash):
        store.approve(request.id, "U2")
        store.mark_applied(request.id, "ok")
    history = store.history("widget", 34)
    assert [(h.request.id, h.applied_at) for h in history] == [
        (second.id, T0 + timedelta(minutes=2)), (first.id, T0 + timedelta(minutes=1))]  # fmt: skip
    assert [e.to_state for e in history[0].events] == ["pending", "approved", "applied"]
    assert {h.request.id for h in store.history("dashboard", 12)} == {first.id, second.id, other.id, dash.id}


def test_message_location_and_open_requests(store: EditStore) -> None:
    made = propose(store)
    store.set_message(made.id, "C9", "1700000000.000100")
    stored = store.get(made.id)
    assert (stored.message_channel, stored.message_ts) == ("C9", "1700000000.000100")
    assert store.open_requests("widget", 34) == [stored]
    with pytest.raises(UserError):
        store.set_message("ER-NOPE1", "C9", "1")


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
