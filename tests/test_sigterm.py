"""SIGTERM to the real bot (`python -m bot.cli serve`) mid-way: it drains, nothing is lost or doubled.

Kubernetes and Compose stop a container with SIGTERM, then SIGKILL after the grace period. The bot
turns /readyz 503, answers new requests "restarting", lets work in flight finish within
SHUTDOWN_GRACE_SECONDS and exits 0; what cannot finish in time has its digest claim released, so
another replica delivers it at once rather than after the lease runs out.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.db import make_engine, migrate, session_factory
from bot.digests import DeliveryLedger, DigestStore, parse_schedule
from bot.digests.store import Subscription
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.slack import Message, SlackSandbox
from tests.bot_process import BotProcess, sandboxes, until

pytestmark = pytest.mark.e2e
World = tuple[SlackSandbox, CekuraSandbox, str]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with sandboxes() as (slack, cekura):
        yield slack, cekura, f"sqlite:///{tmp_path}/bot.sqlite"


def _bot(world: World, tmp_path: Path, name: str = "bot", **env: str) -> BotProcess:
    slack, cekura, url = world
    return BotProcess(slack, cekura, url, tmp_path / f"{name}.log", **env)


def _terminate(bot: BotProcess, timeout: float) -> int:
    """SIGTERM the bot and wait for it to exit; its exit code."""
    assert bot.proc is not None
    bot.proc.send_signal(signal.SIGTERM)
    return bot.proc.wait(timeout)


def _posts(slack: SlackSandbox, channel: str = "C_GENERAL") -> list[Message]:
    return [m for m in slack.messages if m.channel == channel and m.files and m.thread_ts is None]


def test_sigterm_mid_dashboard_post_still_posts_it_once_and_refuses_new_work(world: World, tmp_path: Path) -> None:
    slack, cekura, _ = world
    bot = _bot(world, tmp_path, shutdown_grace_seconds="20")
    bot.start()
    url = bot.url
    try:
        assert httpx.get(url + "/readyz").text == "ready"
        assert len(slack.calls("auth.test")) == 1  # the start-up check's answer serves Bolt too
        cekura.latency = 0.4  # each widget's data takes a while: the post is in flight for seconds
        assert bot.driver is not None
        ack = bot.driver.command("dashboard 12")
        assert ack.status == 200 and "Fetching dashboard 12" in ack.json["text"]
        assert bot.proc is not None
        bot.proc.send_signal(signal.SIGTERM)
        until(lambda: httpx.get(url + "/readyz").status_code == 503, 5, "/readyz to turn 503")
        assert "draining" in httpx.get(url + "/readyz").text
        assert httpx.get(url + "/healthz").status_code == 200  # still alive: liveness must not kill it
        late = bot.driver.command("dashboard 7")
        assert late.status == 200 and late.json["response_type"] == "ephemeral"
        assert "restarting" in late.json["text"] and "nothing was done" in late.json["text"]
        assert bot.proc.wait(25) == 0
        posts = _posts(slack)
        assert len(posts) == 1, [m.text for m in posts]  # the dashboard in flight, once; nothing for the late one
        continuation = [m for m in slack.messages if m.thread_ts == posts[0].ts and m.files]
        assert len(posts[0].files) + sum(len(m.files) for m in continuation) == 12
        assert bot.log_has("drained: every job finished")
    finally:
        bot.stop()


def _due_digest(url: str) -> tuple[Subscription, datetime, DeliveryLedger]:
    """A daily digest whose slot was a minute ago (so the bot's start-up sweep delivers it)."""
    factory = session_factory(make_engine(url))
    migrate(factory.kw["bind"])
    slot = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1)
    earlier = slot - timedelta(minutes=10)
    sub = DigestStore(factory, lambda: earlier).add(
        channel="C_GENERAL", dashboard_id=7, schedule=parse_schedule(f"daily {slot:%H:%M}"), tz="UTC", owner="U_ALICE"
    )
    return sub, slot, DeliveryLedger(factory)


def _state(ledger: DeliveryLedger, sub: Subscription, slot: datetime) -> str | None:
    row = ledger.get(sub.id, slot)
    return None if row is None else row.state.value


def test_sigterm_mid_delivery_finishes_the_digest_within_the_grace(world: World, tmp_path: Path) -> None:
    slack, cekura, url = world
    sub, slot, ledger = _due_digest(url)
    cekura.latency = 0.5  # the delivery fetches for a few seconds
    bot = _bot(world, tmp_path, shutdown_grace_seconds="20")
    try:
        bot.start()
        until(lambda: _state(ledger, sub, slot) == "claimed", 20, "the delivery to start")
        assert _terminate(bot, 25) == 0
        row = ledger.get(sub.id, slot)
        assert row is not None and row.state.value == "sent" and row.attempts == 1
        [post] = _posts(slack)
        assert row.message_ts == post.ts
    finally:
        bot.stop()


def test_a_delivery_cut_off_by_the_grace_is_released_and_taken_over_at_once(world: World, tmp_path: Path) -> None:
    slack, cekura, url = world
    sub, slot, ledger = _due_digest(url)
    cekura.latency = 4.0  # slower than the grace: the first replica cannot finish
    first = _bot(world, tmp_path, "first", shutdown_grace_seconds="1", digest_lease_seconds="120")
    second = _bot(world, tmp_path, "second", digest_lease_seconds="120")
    try:
        first.start()
        until(lambda: _state(ledger, sub, slot) == "claimed", 20, "the delivery to start")
        stopped = time.monotonic()
        assert _terminate(first, 15) == 0
        assert time.monotonic() - stopped < 10  # the grace (1 s) plus the exit, not the 4 s fetch per call
        assert first.log_has("1 digest and 0 alert claim(s) released")
        row = ledger.get(sub.id, slot)
        assert row is not None and row.state.value == "claimed" and row.lease_until is not None
        assert row.lease_until < datetime.now(UTC)  # released: free now, not in 120 s
        assert _posts(slack) == []
        cekura.latency = 0.0
        second.start()  # another replica: its start-up sweep takes the released claim over
        until(lambda: _state(ledger, sub, slot) == "sent", 30, "the second replica to deliver")
        done = ledger.get(sub.id, slot)
        assert done is not None and done.attempts == 2 and done.claimed_by != row.claimed_by
        [post] = _posts(slack)
        assert done.message_ts == post.ts
    finally:
        first.stop()
        second.stop()


def test_a_quiet_start_and_stop_log_no_warning(world: World, tmp_path: Path) -> None:
    # An operator pages on WARNING; a start and a stop with nothing wrong must not give one. Bolt reads
    # SLACK_BOT_TOKEN itself and warned at every start that our client's token (the same one) wins.
    bot = _bot(world, tmp_path)
    bot.start()
    assert _terminate(bot, 25) == 0
    noisy = [line for line in bot.log_text().splitlines() if " WARNING " in line or " ERROR " in line]
    assert noisy == []
