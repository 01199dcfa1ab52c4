"""Helpers shared by the digest end-to-end tests: a sandboxed bot on a file database, schedulers that
never really wait, and readers for what reached Slack and Cekura."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from bot.deps import Deps
from bot.digests import Subscription, parse_schedule
from bot.digests.deliver import Batch, ChannelPacer
from bot.digests.scheduler import DigestScheduler
from bot.sandbox.harness import Harness
from bot.sandbox.slack import Message
from tests.conftest import Clock

EXTRA_CHANNELS = ("C_OPS", "C_SALES", "C_LEADS")


def at(day: int, hour: int, minute: int = 0, second: int = 0, month: int = 6) -> datetime:
    """A moment of 2025 in UTC (June unless told)."""
    return datetime(2025, month, day, hour, minute, second, tzinfo=UTC)


@contextmanager
def digest_harness(clock: Clock, url: str) -> Iterator[Harness]:
    """The bot and both sandboxes on database `url`, starting Monday 2 June 2025, 06:00 UTC."""
    clock.now = at(2, 6)
    with Harness.start(clock=clock, render_workers=0, database_url=url) as h:
        yield h
        h.driver.close()  # before the server stops, or it waits 5 s on the keep-alive connection


def clean(h: Harness, clock: Clock) -> Harness:
    """No digests, sandboxes as seeded plus three channels the bot is in, the clock back at the start."""
    assert h.deps.wait_idle(30)
    for sub in h.deps.digests.list():
        h.deps.digests.remove(sub.id)
    h.cekura.reset()
    h.slack.reset()
    h.deps.access.clear()  # memberships cached by an earlier test describe a workspace that is gone
    for channel in EXTRA_CHANNELS:
        h.slack.add_channel(channel, channel.lower(), members=(h.slack.bot_user_id, "U_ALICE"))
    clock.now = at(2, 6)
    return h


class Bots:
    """Makes schedulers whose channel pacing records its waits instead of sleeping; `stop` ends them."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.made: list[DigestScheduler] = []

    def __call__(self, deps: Deps, **options: object) -> DigestScheduler:
        scheduler = DigestScheduler(deps, pacer=ChannelPacer(sleep=self.waits.append), **options)  # type: ignore[arg-type]
        self.made.append(scheduler)
        return scheduler

    def stop(self) -> None:
        for scheduler in self.made:
            scheduler.shutdown()


def subscribe(
    h: Harness, channel: str, dashboard: int, schedule: str, tz: str = "UTC", **options: object
) -> Subscription:
    """A subscription stored directly (the commands are tested elsewhere)."""
    return h.deps.digests.add(
        channel=channel,
        dashboard_id=dashboard,
        schedule=parse_schedule(schedule),
        tz=tz,
        owner=str(options.pop("owner", "U_ALICE")),
        **options,  # type: ignore[arg-type]
    )


def tick(scheduler: DigestScheduler, moment: datetime) -> Batch:
    """Move the clock (which the ledger, Cekura and the bot all read) to `moment` and tick."""
    clock = scheduler.clock
    clock.now = moment
    return scheduler.tick()


def posted(h: Harness, channel: str | None = None) -> list[Message]:
    """Digest messages (top level: with charts, or the one message saying every widget is empty)."""
    return [
        m
        for m in h.slack.messages
        if m.thread_ts is None and channel in (None, m.channel) and (m.files or ":newspaper:" in text_of(m))
    ]


def text_of(message: Message) -> str:
    """A message's blocks as JSON text, unicode kept."""
    return json.dumps(message.blocks, ensure_ascii=False)


def bulk_filters(h: Harness) -> list[str]:
    """The filters of every bulk_data request so far, as JSON text."""
    return [json.dumps(r.json()["filters"]) for r in h.cekura.requests("POST", "bulk_data")]
