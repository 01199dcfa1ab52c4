"""Benchmark: two bot replicas on one PostgreSQL database behind one address (issue 10, "More than one replica").

    python -m bench.load [--commands 200] [--digests 100]     # prints a markdown section for bench/RESULTS.md

Starts the Slack and Cekura sandboxes, a database of its own (`cekura_load_<pid>`, dropped at the end),
two real `python -m bot.cli serve` processes on it and a round-robin proxy in front of them. The digests
are subscribed through the bot's own store before the replicas start, all due at the same minute, so
both schedulers see them due at once; at that second every command goes through the proxy at once.
Then: every command answered once, every digest in its channel once, and which replica did what.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import text

from bench.digests import CONDITIONS, DASHBOARDS
from bench.load_check import (
    MIX,
    Command,
    answered_once,
    digests_posted,
    fire,
    mix,
    prepare_channels,
    settled,
    warm_up,
)
from bench.load_proxy import ProxyProcess
from bench.load_replicas import Replica, load_database
from bench.run import LATENCY, machine, percentile
from bot import filters
from bot.db import open_database, session_factory
from bot.digests import parse_schedule
from bot.digests.store import DigestStore
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.harness import CEKURA_KEY
from bot.sandbox.slack import SlackSandbox

NAMES = ("A", "B")


@dataclass
class LedgerRow:
    """One ledger row of the due slot."""

    subscription_id: int
    state: str
    replica: str  # a NAMES entry, or the unknown `claimed_by` as it is
    attempts: int
    finished_at: datetime | None


@dataclass
class LoadRun:
    """What one run measured; `problems()` is empty when every promise held."""

    commands: list[Command]
    digests: int
    posted: dict[str, int]  # digest channel → top-level digest messages in it
    ledger: list[LedgerRow]
    slot: datetime
    ready_before_slot: bool
    alive_at_end: list[bool]
    exit_codes: list[int]
    metrics: dict[str, dict[str, float]]  # replica → a few /metrics sums
    wall_s: float
    latency: float

    def problems(self) -> list[str]:
        """Every promise broken: an unanswered or doubled command, a digest missing or doubled, a replica down."""
        found = [f"command {c.text!r} in {c.channel}: {c.verdict}" for c in self.commands if c.verdict != "once"]
        found += [f"{channel}: {n} digests" for channel, n in self.posted.items() if n != 1]
        found += [f"digest {d.subscription_id}: {d.state} after {d.attempts}" for d in self.ledger if d.state != "sent"]
        if len(self.ledger) != self.digests:
            found.append(f"{len(self.ledger)} ledger rows for {self.digests} digests")
        found += [f"replica {n} had died" for n, alive in zip(NAMES, self.alive_at_end, strict=True) if not alive]
        found += [f"replica {n} exited {code}" for n, code in zip(NAMES, self.exit_codes, strict=True) if code != 0]
        if not self.ready_before_slot:
            found.append("a replica was not ready before the slot: they did not see the digests due together")
        return found

    def section(self) -> list[str]:
        """The markdown section for bench/RESULTS.md."""
        acks = [c.ack_ms for c in self.commands]
        once = sum(1 for c in self.commands if c.verdict == "once")
        single = sum(1 for c in self.commands if c.verdict in ("once", "gave up"))
        delivered_once = sum(1 for n in self.posted.values() if n == 1)

        def per(name_index: int) -> list[Command]:
            return [c for c in self.commands if c.replica == name_index]

        def pace(rows: list[LedgerRow]) -> str:
            ends = [d.finished_at for d in rows if d.finished_at is not None]
            if not ends:
                return "—"
            return f"{len(rows) / max(0.001, (max(ends) - self.slot).total_seconds()):.1f}/s"

        by_replica = {name: [d for d in self.ledger if d.replica == name] for name in NAMES}
        rows = [
            ("commands routed to it", *(str(len(per(i))) for i in range(2)), str(len(self.commands))),
            (
                "commands answered exactly once",
                *(str(sum(c.verdict in ("once", "gave up") for c in per(i))) for i in range(2)),
                f"**{single}/{len(self.commands)}**",
            ),
            (
                "… with the answer asked for",
                *(str(sum(c.verdict == "once" for c in per(i))) for i in range(2)),
                f"**{once}/{len(self.commands)}**",
            ),
            (
                "… with the bot's deadline reply (:hourglass:, 45 s from the ack)",
                *(str(sum(c.verdict == "gave up" for c in per(i))) for i in range(2)),
                str(single - once),
            ),
            (
                "ack p50 / p99 (client, through the proxy)",
                *(_p50_p99([c.ack_ms for c in per(i)]) for i in range(2)),
                f"**{_p50_p99(acks)}**",
            ),
            (
                "… of which the replica's answer, timed at the proxy",
                *(_p50_p99([c.backend_ms for c in per(i)]) for i in range(2)),
                _p50_p99([c.backend_ms for c in self.commands]),
            ),
            (
                "… of which inside the bot (its ack histogram: bucket bounds)",
                *(
                    f"≤ {self.metrics[n]['bot_p50'] * 1000:.0f} / ≤ {self.metrics[n]['bot_p99'] * 1000:.0f} ms"
                    for n in NAMES
                ),
                "",
            ),
            (
                "digests delivered (ledger `claimed_by`)",
                *(str(len(by_replica[n])) for n in NAMES),
                f"**{delivered_once}/{self.digests}** once",
            ),
            (
                "deliveries per second (slot → last post)",
                *(pace(by_replica[n]) for n in NAMES),
                f"**{pace(self.ledger)}**",
            ),
            (
                "its ticks (log): slots it sent / found taken by the other",
                *(f"{self.metrics[n]['sent']:.0f} / {self.metrics[n]['taken']:.0f}" for n in NAMES),
                "",
            ),
            (
                "its /metrics: digests sent, commands counted",
                *(f"{self.metrics[n]['delivered']:.0f}, {self.metrics[n]['commands']:.0f}" for n in NAMES),
                "",
            ),
            ("exit code on SIGTERM afterwards", *(str(code) for code in self.exit_codes), ""),
        ]
        return [
            f"## Two replicas on PostgreSQL behind one address: {len(self.commands)} commands and {self.digests} "
            f"digests at once, {self.latency * 1000:.0f} ms latency",
            "",
            f"Machine: {machine()}. Run: `python -m bench.load` on {time.strftime('%Y-%m-%d', time.gmtime())}. "
            "Two `python -m bot.cli serve` processes share one PostgreSQL database; a round-robin TCP proxy on "
            "loopback (each connection to the next replica, as a Kubernetes Service spreads them), in a process "
            "of its own (bench/load_proxy.py), is the one address the signed slash commands go to, each on a "
            "connection of its own from a client process on one event loop (bench/load_client.py). The digests "
            f"(each to its own channel, over {len(DASHBOARDS) * len(CONDITIONS)} dashboard × condition groups) were "
            f"subscribed before the replicas started, due at {self.slot:%H:%M} UTC, and every command was sent at "
            "that second, each from its own channel so each answer is counted where it belongs (ack body, "
            f"response_url post or channel message with charts). The mix, in turn: "
            + ", ".join(f"`{text.format(i='N')}`" for text, *_ in MIX)
            + ". Before the slot each replica answered one uncounted `help` (warm-up).",
            "",
            "| | replica A | replica B | both |",
            "|---|---|---|---|",
            *[f"| {' | '.join(row)} |" for row in rows],
            "",
            f"Wall time, slot → last answer or digest: **{self.wall_s:.1f} s**. Problems: "
            + ("none." if not self.problems() else "; ".join(self.problems()[:5])),
        ]


def _p50_p99(values: list[float]) -> str:
    return f"{percentile(values, 50):.0f} / {percentile(values, 99):.0f} ms" if values else "—"


def subscribe(database_url: str, slack: SlackSandbox, count: int, slot: datetime) -> None:
    """`count` daily digests at `slot`'s time of day, each to its own channel, through the bot's own store."""
    engine = open_database(database_url)  # migrates the fresh database, as the first replica would
    try:
        store = DigestStore(session_factory(engine))
        variants = [(d, filters.to_text(filters.parse(c)) if c else None) for d in DASHBOARDS for c in CONDITIONS]
        for i in range(count):
            channel = f"C_DIGEST{i:03d}"
            slack.add_channel(channel, f"digest-{i:03d}", members=(slack.bot_user_id, "U_ALICE"))
            dashboard, where = variants[i % len(variants)]
            schedule = parse_schedule(f"daily {slot:%H:%M}")
            store.add(channel=channel, dashboard_id=dashboard, schedule=schedule, tz="UTC", owner="U_ALICE",
                      where_text=where)  # fmt: skip
    finally:
        engine.dispose()


def read_ledger(database_url: str, slot: datetime, replicas: list[Replica]) -> list[LedgerRow]:
    """The ledger rows of `slot`, each with the replica that claimed it (by the pid in `claimed_by`)."""
    names = {str(r.pid): name for r, name in zip(replicas, NAMES, strict=True)}
    engine = open_database(database_url)
    try:
        with engine.connect() as conn:
            query = "SELECT subscription_id, state, claimed_by, attempts, finished_at, slot FROM digest_deliveries"
            rows = conn.execute(text(query)).all()
    finally:
        engine.dispose()
    return [
        LedgerRow(r[0], r[1], names.get(r[2].split(":")[1], str(r[2])), r[3], _utc(r[4]))
        for r in rows
        if _utc(r[5]) == slot
    ]


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.replace(tzinfo=moment.tzinfo or UTC)


def run_load(commands: int, digests: int, *, latency: float = LATENCY, margin: float = 20.0,
             timeout: float = 300.0, logs: Path | None = None) -> LoadRun:  # fmt: skip
    """The whole load test (replica logs in `logs`, if given); every process stopped and the database
    dropped, whatever happens."""
    with ExitStack() as stack:
        folder = logs or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="cekura-load-")))
        folder.mkdir(parents=True, exist_ok=True)
        slack = stack.enter_context(SlackSandbox(latency=latency))
        cekura = stack.enter_context(CekuraSandbox(api_key=CEKURA_KEY, latency=latency))
        url = stack.enter_context(load_database())
        sent = mix(commands)
        prepare_channels(slack, sent)
        # The next whole minute at least `margin` seconds away: both replicas are up by then.
        slot = (datetime.now(UTC) + timedelta(seconds=margin + 60)).replace(second=0, microsecond=0)
        subscribe(url, slack, digests, slot)
        replicas = [Replica(name, url, slack, cekura, folder) for name in NAMES]
        try:
            for replica in replicas:
                replica.start()
            for replica in replicas:
                replica.wait_ready(max(30.0, margin * 3))
            ready = datetime.now(UTC) < slot
            with ProxyProcess([r.url for r in replicas]) as proxy:
                warm_up(proxy, slack, len(replicas))
                fire(proxy, slack, sent, slot)
                finished = settled(slack, sent, digests, replicas, timeout)
            alive = [r.alive() for r in replicas]
            metrics = {name: _figures(r) for name, r in zip(NAMES, replicas, strict=True)}
            posted = digests_posted(slack, digests)
            for command in sent:
                command.verdict = answered_once(slack, command)
            ledger = read_ledger(url, slot, replicas)
        finally:
            codes = [r.stop() for r in replicas]
        for name, replica in zip(NAMES, replicas, strict=True):
            metrics[name].update(replica.digest_outcomes())  # its log is complete once it stopped
    wall = (finished - slot).total_seconds()
    return LoadRun(sent, digests, posted, ledger, slot, ready, alive, codes, metrics, wall, latency)


def _figures(replica: Replica) -> dict[str, float]:
    return {
        "delivered": replica.metric("cekura_bot_digest_deliveries_total", state="sent"),
        "commands": replica.metric("cekura_bot_commands_total"),
        "bot_p50": replica.ack_quantile(0.5),
        "bot_p99": replica.ack_quantile(0.99),
    }


def main() -> None:
    """Run the load test and print its markdown section (exit 1 when a promise broke)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commands", type=int, default=200)
    parser.add_argument("--digests", type=int, default=100)
    parser.add_argument("--latency", type=float, default=LATENCY, help="seconds added to every sandbox call")
    parser.add_argument("--logs", type=Path, help="keep the replicas' logs in this folder")
    args = parser.parse_args()
    result = run_load(args.commands, args.digests, latency=args.latency, logs=args.logs)
    print("\n".join(result.section()))
    raise SystemExit(1 if result.problems() else 0)


if __name__ == "__main__":
    main()
