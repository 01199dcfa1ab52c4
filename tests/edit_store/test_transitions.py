"""The edit-request state machine on real databases: SQLite (a file) and PostgreSQL (a fresh schema).

Several processes on one store (races, restarts, migrations): tests/edit_store/test_processes.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from bot.edits import Outcome, State
from bot.edits.store import EditStore
from bot.errors import UserError
from tests.edit_store.conftest import T0, TTL, WIDGET, Clock, propose, states


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
