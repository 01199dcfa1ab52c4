"""Settling approved edits a crash cut off: the real Cekura sandbox, a real database, a hand-moved clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import text

from bot.cekura import CekuraClient
from bot.config import build_settings
from bot.db import make_engine, migrate, session_factory
from bot.edits import EditRequest, State
from bot.edits.reconcile import _ADVISORY_KEY, landed
from bot.edits.service import EditService
from bot.edits.store import EditStore
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.harness import CEKURA_KEY
from tests.conftest import Clock, fresh_pg_schema

AFTER = timedelta(minutes=10)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[CekuraSandbox]:
    cekura = CekuraSandbox(api_key=CEKURA_KEY).start()
    yield cekura
    cekura.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: object) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/edits.sqlite"
        return
    with fresh_pg_schema("reconcile") as url:
        yield url


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(sandbox: CekuraSandbox, db_url: str, clock: Clock) -> Iterator[EditService]:
    sandbox.reset()
    engine = make_engine(db_url)
    migrate(engine)
    settings = build_settings(
        "render", approvers=["U_BOB"], edit_reconcile_after_seconds=AFTER.total_seconds(), cekura_api_key=CEKURA_KEY
    )
    with CekuraClient(sandbox.url, CEKURA_KEY, max_attempts=1) as cekura:
        yield EditService(cekura, EditStore(session_factory(engine), clock), settings, lambda group: [])
    engine.dispose()


def approved_then_killed(service: EditService, name: str) -> EditRequest:
    """A request approved in the database whose process died before (or during) the apply."""
    request, _ = service.propose("widget", 34, {"name": name}, requester="U_ALICE", channel="C1")
    outcome = service.store.approve(request.id, "U_BOB")  # the CAS only: no _apply follows
    assert outcome.ok
    return outcome.request


def test_a_young_approval_is_left_alone_it_may_be_applying_right_now(service: EditService, clock: Clock) -> None:
    request = approved_then_killed(service, "in flight")
    clock.advance(minutes=9)
    assert service.reconcile() == []
    assert service.store.require(request.id).state is State.APPROVED


def test_landed_patch_is_confirmed_applied_and_shows_in_history(
    service: EditService, sandbox: CekuraSandbox, clock: Clock
) -> None:
    request = approved_then_killed(service, "landed")
    service.cekura.patch_widget(34, {"name": "landed"})  # the PATCH reached Cekura, then kill -9
    clock.advance(minutes=11)
    [settled] = service.reconcile()
    assert (settled.id, settled.state) == (request.id, State.APPLIED)
    last = service.store.events(request.id)[-1]
    assert (last.to_state, last.actor) == (State.APPLIED, "system")
    assert "confirmed after restart" in str(last.detail["result"])
    assert [h.request.id for h in service.store.history("widget", 34)] == [request.id]
    assert service.reconcile() == []  # settled once
    # …and, being applied, it can be reverted
    revert, _ = service.revert(request.id, requester="U_ALICE", channel="C1")
    assert revert.revert_of == request.id and sandbox.widgets[34]["name"] == "landed"


def test_unsent_patch_fails_with_retry_and_the_retry_applies_it(
    service: EditService, sandbox: CekuraSandbox, clock: Clock
) -> None:
    request = approved_then_killed(service, "never sent")
    clock.advance(minutes=11)
    [settled] = service.reconcile()
    assert settled.state is State.FAILED and "Retry" in (settled.reason or "")
    assert service.retry(request.id, "U_BOB").request.state is State.APPLIED
    assert sandbox.widgets[34]["name"] == "never sent"


def test_an_object_that_moved_on_is_conflicted_and_nothing_is_sent(
    service: EditService, sandbox: CekuraSandbox, clock: Clock
) -> None:
    request = approved_then_killed(service, "mine")
    service.cekura.patch_widget(34, {"name": "someone else's"})
    clock.advance(minutes=11)
    patches = len(sandbox.requests("PATCH"))
    [settled] = service.reconcile()
    assert (settled.id, settled.state) == (request.id, State.CONFLICTED)
    assert len(sandbox.requests("PATCH")) == patches


def test_a_live_apply_past_half_the_reconcile_age_gives_up_before_sending(
    service: EditService, sandbox: CekuraSandbox, clock: Clock
) -> None:
    request = approved_then_killed(service, "too late")
    clock.advance(minutes=6)  # e.g. the re-read hung on Cekura for six minutes
    outcome = service._apply(service.store.require(request.id))
    assert outcome.request.state is State.FAILED and not sandbox.requests("PATCH")


@pytest.mark.postgres
def test_one_process_sweeps_at_a_time_on_postgres(sandbox: CekuraSandbox) -> None:
    with fresh_pg_schema("reconcile_lock") as url:
        engine = make_engine(url)
        migrate(engine)
        settings = build_settings("render", approvers=["U_BOB"], cekura_api_key=CEKURA_KEY)
        sandbox.reset()
        with CekuraClient(sandbox.url, CEKURA_KEY, max_attempts=1) as cekura:
            clock = Clock()
            service = EditService(cekura, EditStore(session_factory(engine), clock), settings, lambda g: [])
            request = approved_then_killed(service, "locked")
            clock.advance(minutes=11)
            with engine.connect() as other:  # another bot process is sweeping
                assert other.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": _ADVISORY_KEY}).scalar()
                assert service.reconcile() == []
                other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _ADVISORY_KEY})
                other.commit()
            assert [r.id for r in service.reconcile()] == [request.id]
        engine.dispose()


def test_landed_reads_removals_restores_and_partial_applies() -> None:
    base = {"name": "a", "filters": {}, "widgets": [{"id": 1, "name": "w1"}, {"id": 2, "name": "w2"}]}
    assert landed(base, {"name": "b"}, {**base, "name": "b"}) == "proposed"
    assert landed(base, {"name": "b"}, base) == "base"
    assert landed(base, {"name": "b"}, {**base, "name": "c"}) == "other"
    assert landed(base, {"name": "b", "filters": {"x": 1}}, {**base, "name": "b"}) == "other"  # half applied
    removed = {**base, "widgets": [{"id": 2, "name": "w2"}]}
    assert landed(base, {"remove_widgets": [1]}, removed) == "proposed"
    assert landed(base, {"remove_widgets": [1]}, base) == "base"
    restored = {**removed, "widgets": [*removed["widgets"], {"id": 9, "name": "w1"}]}
    assert landed(removed, {"restore_widgets": [{"name": "w1"}]}, restored) == "proposed"
    assert landed(removed, {"restore_widgets": [{"name": "w1"}]}, removed) == "base"


def test_an_outcome_slack_never_showed_is_returned_once_to_be_shown(service: EditService, clock: Clock) -> None:
    shown = approved_then_killed(service, "shown")
    assert service._apply(shown).ok  # applied, and its message updated as after_decision does:
    assert service.store.mark_shown(shown.id, service.store.require(shown.id).state_version)
    hidden = approved_then_killed(service, "hidden")
    assert service._apply(hidden).ok  # applied, then killed before Slack heard of it
    clock.advance(minutes=11)
    assert [(r.id, r.state) for r in service.reconcile()] == [(hidden.id, State.APPLIED)]
    assert service.reconcile() == []
