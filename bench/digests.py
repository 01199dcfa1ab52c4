"""Benchmark: 200 digests over 20 dashboards due in the same minute, 50 ms latency on every sandbox call.

    python -m bench.digests [--subscriptions 200]     # prints a markdown section for bench/RESULTS.md

The bot's way (subscriptions due together for the same dashboard, period, conditions and zone share
one Cekura fetch and one render) side by side with rendering per subscription. Both runs go through
the real scheduler tick, ledger and Slack uploads; the clock is moved by hand, nothing waits for 09:00.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bench.run import LATENCY, machine
from bot import filters
from bot.digests import parse_schedule
from bot.digests.scheduler import DigestScheduler
from bot.sandbox.harness import Harness

DASHBOARDS = (7, 12, 21, 30, 40)  # the sandbox's seeded dashboards…
CONDITIONS = (None, "duration >= 60", "success = true", 'metadata.region = "us-east"')  # …× 4 = 20 renders
START = datetime(2025, 6, 2, 8, 0, tzinfo=UTC)


class Clock:
    """A clock moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Run:
    """One delivery of every subscription."""

    seconds: float
    delivered: int
    renders: int
    bulk_data: int
    channels_with_one: int


def subscribe(h: Harness, count: int) -> list[str]:
    """`count` daily 09:00 UTC digests, each to its own channel, spread over the 20 dashboard variants."""
    variants = [(d, filters.to_text(filters.parse(c)) if c else None) for d in DASHBOARDS for c in CONDITIONS]
    channels = []
    for i in range(count):
        channel = f"C_DIGEST{i:03d}"
        h.slack.add_channel(channel, f"digest-{i:03d}", members=(h.slack.bot_user_id,))
        dashboard, where = variants[i % len(variants)]
        h.deps.digests.add(
            channel=channel,
            dashboard_id=dashboard,
            schedule=parse_schedule("daily 09:00"),
            tz="UTC",
            owner="U_ALICE",
            where_text=where,
        )
        channels.append(channel)
    return channels


def deliver(h: Harness, clock: Clock, channels: list[str], moment: datetime, *, share: bool) -> Run:
    """Tick once at `moment` and measure until every digest is posted."""
    scheduler = DigestScheduler(h.deps, share=share)
    h.cekura.reset()
    before = len(h.slack.messages)
    clock.now = moment
    started = time.perf_counter()
    batch = scheduler.tick()
    seconds = time.perf_counter() - started
    scheduler.shutdown()
    top = [m for m in h.slack.messages[before:] if m.files and m.thread_ts is None]
    per_channel = {channel: sum(1 for m in top if m.channel == channel) for channel in channels}
    return Run(
        seconds,
        batch.count("sent"),
        batch.renders,
        len(h.cekura.requests("POST", "bulk_data")),
        sum(1 for n in per_channel.values() if n == 1),
    )


def bench_digests(count: int) -> list[str]:
    """Shared fan-out vs a render per subscription; markdown lines."""
    clock = Clock(START)
    # A database file as in production: an in-memory SQLite is one connection, unsafe for parallel claims.
    with (
        tempfile.TemporaryDirectory() as tmp,
        Harness.start(latency=LATENCY, clock=clock, database_url=f"sqlite:///{tmp}/digests.sqlite") as h,
    ):
        channels = subscribe(h, count)
        shared = deliver(h, clock, channels, START.replace(hour=9, second=1), share=True)
        alone = deliver(h, clock, channels, START.replace(hour=9, second=1) + timedelta(days=1), share=False)
    variants = len(DASHBOARDS) * len(CONDITIONS)
    rows = [
        ("digests delivered", f"{shared.delivered}/{count}", f"{alone.delivered}/{count}"),
        (
            "channels with exactly one digest",
            f"{shared.channels_with_one}/{count}",
            f"{alone.channels_with_one}/{count}",
        ),
        ("dashboard renders", f"**{shared.renders}**", str(alone.renders)),
        ("Cekura bulk_data calls", str(shared.bulk_data), str(alone.bulk_data)),
        ("time to deliver all", f"**{shared.seconds:.1f} s**", f"{alone.seconds:.1f} s"),
    ]
    return [
        f"## Scheduled digests: {count} subscriptions over {variants} dashboards due in the same minute, "
        f"{LATENCY * 1000:.0f} ms latency",
        "",
        f"Machine: {machine()}. Each dashboard variant is one of the sandbox's dashboards {DASHBOARDS} with one of "
        f"{len(CONDITIONS)} `where` conditions; every digest goes to its own channel and fetches the previous "
        "period too (for the ▲/▼ figures).",
        "",
        "| | shared fan-out (the bot) | render per subscription |",
        "|---|---|---|",
        *[f"| {name} | {ours} | {theirs} |" for name, ours, theirs in rows],
        "",
        f"Sharing is **{alone.seconds / shared.seconds:.1f}× faster** and draws "
        f"{alone.renders / max(1, shared.renders):.0f}× fewer dashboards.",
    ]


def main() -> None:
    """Run the digest benchmark and print its markdown section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=200)
    args = parser.parse_args()
    print("\n".join(bench_digests(args.subscriptions)))


if __name__ == "__main__":
    main()
