"""Digest delivery end to end against both sandboxes, on a hand-moved clock: exactly once, whatever happens."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.app import create_app
from bot.deps import build_deps
from bot.digests.deliver import Batch
from bot.digests.scheduler import DigestScheduler
from bot.sandbox.harness import CEKURA_KEY, Harness
from tests.conftest import Clock
from tests.digest_helpers import Bots, at, bulk_filters, posted, subscribe, text_of, tick

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]


def test_daily_digest_keeps_its_wall_clock_time_across_the_spring_dst_change(
    dh: Harness, clock: Clock, bots: Bots
) -> None:
    clock.now = at(28, 12, month=3)
    sub = subscribe(dh, "C_GENERAL", 7, "daily 09:00", "Europe/Berlin")
    scheduler = bots(dh.deps)
    assert [t.strftime("%d %H:%M %Z") for t in sub.next_times(clock.now)] == [
        "29 09:00 CET",
        "30 09:00 CEST",
        "31 09:00 CEST",
    ]
    assert tick(scheduler, at(29, 7, 59, month=3)).outcomes == []
    assert tick(scheduler, at(29, 8, 0, 5, month=3)).count("sent") == 1  # 09:00 CET
    assert tick(scheduler, at(30, 6, 0, 5, month=3)).outcomes == []  # 08:00 CEST: not yet
    assert tick(scheduler, at(30, 7, 0, 5, month=3)).count("sent") == 1  # 09:00 CEST
    assert tick(scheduler, at(30, 8, 0, 5, month=3)).outcomes == []  # 09:00 CET would be 10:00 CEST
    first, second = (text_of(m) for m in posted(dh))
    assert "Fri 28 Mar 09:00 – Sat 29 Mar 09:00 (Europe/Berlin)" in first
    assert "Sat 29 Mar 09:00 – Sun 30 Mar 09:00 (Europe/Berlin)" in second and "vs the previous 23 hours" in second
    periods = [
        '"gte", "value": "2025-03-29T08:00:00Z"' in f and '"2025-03-30T07:00:00Z"' in f for f in bulk_filters(dh)
    ]
    assert periods.count(True) == 1  # the 23-hour period, fetched once (its previous period is another)
    assert all("Late" not in text for text in (first, second))


def test_restart_sends_only_the_latest_missed_slot_once_marked_late(dh: Harness, clock: Clock, bots: Bots) -> None:
    hourly = subscribe(dh, "C_GENERAL", 7, "hourly")
    daily = subscribe(dh, "C_OPS", 7, "daily 09:00")
    assert tick(bots(dh.deps), at(2, 8, 0, 10)).count("sent") == 1
    # The bot is down from 08:01 to 11:20: 09:00, 10:00 and 11:00 pass. A new process starts.
    clock.now = at(2, 11, 20)
    deps = build_deps(dh.settings, render_workers=0, clock=clock)
    create_app(dh.settings, deps)  # a whole bot: the Slack side wires the digest notifier
    try:
        restarted = bots(deps)
        batch = restarted.tick()
        assert [(o.subscription_id, o.slot, o.state) for o in batch.outcomes] == [(hourly.id, at(2, 11), "sent")]
        assert tick(restarted, at(2, 11, 21)).outcomes == []
    finally:
        deps.close()
        deps.db.kw["bind"].dispose()
    late = posted(dh, "C_GENERAL")[-1]
    assert "*Late* — due Mon 2 Jun 11:00 (UTC)" in text_of(late)
    assert "Mon 2 Jun 08:00 – Mon 2 Jun 11:00 (UTC)" in text_of(late)  # it covers the hours it stands for
    assert dh.deps.ledger.get(hourly.id, at(2, 11)).late
    assert dh.deps.ledger.get(hourly.id, at(2, 9)) is None and dh.deps.ledger.get(hourly.id, at(2, 10)) is None
    assert dh.deps.ledger.get(daily.id, at(2, 9)) is None and not posted(dh, "C_OPS")  # 2h20 old: past the grace


KILLED_WORKER = """
import json, sys
from datetime import datetime
from bot.app import create_app
from bot.config import build_settings
from bot.deps import Deps, build_deps
from bot.digests.deliver import Batch, ChannelPacer
from bot.digests.scheduler import DigestScheduler
now = datetime.fromisoformat(sys.argv[1])
settings = build_settings("serve", **json.loads(sys.argv[2]))
deps = build_deps(settings, render_workers=0, clock=lambda: now)
create_app(settings, deps)  # wires the Slack side (the digest notifier) as serve does
DigestScheduler(deps, worker="doomed").tick()
"""


def test_a_delivery_killed_midway_is_retried_once_after_the_claim_goes_stale(
    dh: Harness, clock: Clock, bots: Bots
) -> None:
    sub = subscribe(dh, "C_GENERAL", 7, "daily 09:00")
    clock.now = at(2, 9, 0, 5)
    settings = {
        "slack_bot_token": dh.slack.bot_token,
        "slack_signing_secret": "x",
        "slack_api_url": dh.settings.slack_api_url,
        "cekura_api_key": CEKURA_KEY,
        "cekura_base_url": dh.settings.cekura_base_url,
        "database_url": dh.settings.database_url,
    }
    dh.cekura.latency = 5.0  # the doomed process claims, then waits on Cekura: kill it there
    worker = subprocess.Popen(
        [sys.executable, "-c", KILLED_WORKER, clock.now.isoformat(), json.dumps(settings)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        dh.slack.wait_for(lambda: dh.deps.ledger.get(sub.id, at(2, 9)) is not None, timeout=30)
        dh.slack.wait_for(lambda: bool(dh.cekura.requests()), timeout=10)
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        dh.cekura.latency = 0.0
    row = dh.deps.ledger.get(sub.id, at(2, 9))
    assert (row.state.value, row.claimed_by, row.attempts) == ("claimed", "doomed", 1)
    restarted = bots(dh.deps)
    # The doomed worker's lease (60 s from its claim at 09:00:05) is never renewed after the kill.
    assert tick(restarted, at(2, 9, 1, 0)).outcomes == []  # the lease may still be alive: no double post
    assert tick(restarted, at(2, 9, 1, 10)).count("sent") == 1  # lapsed: presumed dead within ~a minute
    assert tick(restarted, at(2, 9, 2)).outcomes == []
    row = dh.deps.ledger.get(sub.id, at(2, 9))
    assert (row.state.value, row.attempts, row.late) == ("sent", 2, True)
    assert row.claimed_by == restarted.worker and len(posted(dh)) == 1


def tick_together(bot: DigestScheduler, barrier: threading.Barrier) -> Batch:
    barrier.wait()  # both bots tick at the same instant
    return bot.tick()


@pytest.mark.postgres
def test_two_processes_on_postgres_deliver_every_slot_exactly_once(
    pg_schema_url: str, clock: Clock, bots: Bots
) -> None:
    clock.now = at(2, 6)
    with Harness.start(clock=clock, render_workers=0, database_url=pg_schema_url) as h:
        for channel in ("C_OPS", "C_SALES"):
            h.slack.add_channel(channel, channel.lower(), members=(h.slack.bot_user_id,))
        second = build_deps(h.settings, render_workers=0, clock=clock)  # another bot: own engine and pools
        create_app(h.settings, second)
        try:
            for channel in ("C_GENERAL", "C_OPS", "C_SALES"):
                for dashboard in (7, 30):
                    subscribe(h, channel, dashboard, "hourly")
            pair = [bots(h.deps), bots(second)]
            for moment, expected in ((at(2, 9, 0, 5), 6), (at(2, 9, 0, 30), 0), (at(2, 10, 0, 5), 6)):
                clock.now = moment
                with ThreadPoolExecutor(2) as pool:
                    batches = list(pool.map(tick_together, pair, [threading.Barrier(2)] * 2))
                assert sum(batch.count("sent") for batch in batches) == expected, batches
                assert sum(batch.count("taken") for batch in batches) <= expected
            digests = Counter((m.channel, "Quiet line" in text_of(m)) for m in posted(h))
            assert len(digests) == 6 and set(digests.values()) == {2}  # each subscription once an hour
        finally:
            second.close()
            second.db.kw["bind"].dispose()
            h.deps.db.kw["bind"].dispose()


def test_digests_due_together_share_one_fetch_and_one_render(dh: Harness, bots: Bots) -> None:
    for channel in ("C_GENERAL", "C_OPS", "C_SALES"):
        subscribe(dh, channel, 7, "daily 09:00")
    subscribe(dh, "C_LEADS", 7, "daily 09:00", where_text="success = true")  # other conditions
    subscribe(dh, "C_LEADS", 7, "daily 11:00", "Europe/Berlin")  # the same instant, other time axes
    batch = tick(bots(dh.deps), at(2, 9, 0, 5))
    assert batch.count("sent") == 5 and batch.renders == 3
    # C_LEADS's second post waits its turn: at most the 1 s spacing, less whatever the first post took
    assert len(bots.waits) == 1 and 0 < bots.waits[0] <= 1.0
    assert len(dh.cekura.requests("POST", "bulk_data")) == 6  # this period and the previous, per render
    assert len(posted(dh)) == 5 and all(len(m.files) == 4 for m in posted(dh))
    dh.cekura.reset()
    alone = tick(bots(dh.deps, share=False), at(3, 9, 0, 5))
    assert alone.count("sent") == 5 and alone.renders == 5
    assert len(dh.cekura.requests("POST", "bulk_data")) == 10
