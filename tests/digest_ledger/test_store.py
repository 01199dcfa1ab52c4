"""The digest store on SQLite and PostgreSQL: its migration, adding, editing and removing digests,
failures that pause a digest, and the period a digest covers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from alembic import command
from sqlalchemy import Engine

from bot.db import alembic_config, migrate
from bot.digests import DigestNotFound, DigestStore, parse_schedule
from bot.errors import UserError
from tests.digest_ledger.conftest import T0, Clock, add


def test_migration_upgrade_twice_is_safe_and_downgrade_round_trips(engine: Engine) -> None:
    migrate(engine)
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0006_alert_files"
    command.downgrade(alembic_config(engine), "0001_edits")
    assert not sa.inspect(engine).has_table("digest_deliveries")
    migrate(engine)
    assert {"digest_subscriptions", "digest_deliveries"} <= set(sa.inspect(engine).get_table_names())


def test_add_get_list_edit_remove(store: DigestStore, clock: Clock) -> None:
    first = add(store, "weekdays 09:00", since="24h", where_text="status = failed", skip_if_empty=True)
    second = add(store, "hourly", channel="C2")
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
    third = add(store)
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
        add(store, since="yesterday")
    assert store.list() == []


def test_failures_count_and_pause_the_digest_at_the_limit(store: DigestStore, clock: Clock) -> None:
    sub = add(store)
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
    fresh = add(store)
    assert fresh.period_start(slot) == slot - timedelta(days=1)  # the previous scheduled slot
    store.record_success(fresh.id, None, slot=slot - timedelta(days=3))
    assert store.get(fresh.id).period_start(slot) == slot - timedelta(days=3)  # type: ignore[union-attr]
    store.record_success(fresh.id, None, slot=slot - timedelta(days=90))
    assert store.get(fresh.id).period_start(slot) == slot - timedelta(days=30)  # type: ignore[union-attr]
    assert add(store, since="6h").period_start(slot) == slot - timedelta(hours=6)
