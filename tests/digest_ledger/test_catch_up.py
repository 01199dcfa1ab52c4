"""Catching up on missed digest slots: only the latest within grace, marked late; stale claims and
failures retried; paused and new digests left alone; the Berlin autumn clock change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.digests import DeliveryLedger, DigestStore
from tests.digest_ledger.conftest import T0, Clock, add


def test_catch_up_sends_only_the_latest_missed_slot_within_grace_marked_late(
    store: DigestStore, ledger: DeliveryLedger, clock: Clock
) -> None:
    hourly = add(store, "hourly")
    daily = add(store, "daily 09:00")  # 07:00 UTC
    weekly = add(store, "weekly tue 09:00")  # not due this Monday
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
    sub = add(store, "daily 09:00")
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
    killed = add(store, "hourly")
    failed = add(store, "hourly :05")
    paused = store.pause(add(store, "hourly").id, "by U1")
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
    created_after_slot = add(store, "daily 08:00")  # 06:00 UTC slot passed before it existed
    assert ledger.due_slots([created_after_slot], now, timedelta(hours=1)) == []


def test_catch_up_across_the_berlin_autumn_change(store: DigestStore, ledger: DeliveryLedger, clock: Clock) -> None:
    clock.now = datetime(2025, 10, 20, tzinfo=UTC)
    sub = add(store, "daily 09:00")
    now = datetime(2025, 10, 26, 8, 30, tzinfo=UTC)  # 09:30 CET, the first day after the change
    [due] = ledger.due_slots([sub], now, timedelta(hours=1))
    assert (due.slot, due.late) == (datetime(2025, 10, 26, 8, tzinfo=UTC), True)
    before = datetime(2025, 10, 26, 7, 30, tzinfo=UTC)  # 08:30 CET: nothing due yet
    assert ledger.due_slots([sub], before, timedelta(hours=1)) == []
