"""Benchmark: cold start of `cekura-bot serve` as a real subprocess, 50 ms latency on every sandbox call.

    python -m bench.start [--runs 5]     # prints a markdown section for bench/RESULTS.md

Measured from process start: /healthz answering (the port is bound), /readyz 200 (database at head,
schedulers running, render workers warm) and the first chart posted for a command sent the moment
/readyz said ready; each run starts once on an empty database (every migration runs) and restarts on
it (the usual case: a deploy, a rescheduled pod). The reference measured in the same run: a bare
interpreter importing, one after the other, the libraries `serve` needs (Bolt, SQLAlchemy, Alembic,
pydantic-settings, waitress) and, as the render workers must, matplotlib. The bot splits that work
between its own process and the render forkserver, so on two cores it can be ready sooner.
"""

from __future__ import annotations

import argparse
import compileall
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import psutil

from bench.run import LATENCY, _free_port, machine
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.harness import CEKURA_KEY, SIGNING_SECRET
from bot.sandbox.slack import SlackSandbox
from bot.sandbox.slack_driver import SlackDriver

FLOOR = "import slack_bolt, sqlalchemy, alembic.command, pydantic_settings, waitress, matplotlib.backends.backend_agg"


@dataclass
class Start:
    """One cold start, in seconds from process start."""

    healthz: float
    readyz: float
    first_chart: float
    rss_mib: float  # the bot, its forkserver and render workers, once ready


def _port_open(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _status(client: httpx.Client, url: str) -> int:
    try:
        return client.get(url).status_code
    except httpx.TransportError:
        return 0


def one_start(slack: SlackSandbox, cekura: CekuraSandbox, database: str) -> Start:
    """Start the bot once on the SQLite file `database` (created and migrated if missing) and time it."""
    port = _free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "CEKURA_API_KEY": CEKURA_KEY,
        "CEKURA_BASE_URL": cekura.url,
        "DATABASE_URL": f"sqlite:///{database}",
        "PORT": str(port),
        "LOG_LEVEL": "WARNING",
    }
    base = f"http://127.0.0.1:{port}"
    slack.reset()
    # The clients are made before the clock starts, and one serves every poll: httpx.get() builds a
    # TLS context per call (~35 ms of CPU here), and a poller burning a core slows the start it measures.
    with httpx.Client(timeout=1) as poll, SlackDriver(base + "/slack/events", SIGNING_SECRET, slack) as driver:
        started = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "serve"], env=env)
        try:
            while not _port_open(port):
                time.sleep(0.01)
            while _status(poll, base + "/healthz") != 200:
                time.sleep(0.01)
            healthz = time.perf_counter() - started
            while _status(poll, base + "/readyz") != 200:
                time.sleep(0.01)
            readyz = time.perf_counter() - started
            tree = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
            rss = sum(p.memory_info().rss for p in tree) / 2**20
            driver.command("widget 34")
            slack.wait_for(lambda: any(m.files for m in slack.messages), timeout=60)
            first = time.perf_counter() - started
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return Start(healthz, readyz, first, rss)


def floor() -> float:
    """Seconds for a bare interpreter to import what serve and its render workers need."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", FLOOR], check=True)
    return time.perf_counter() - started


def compile_bytecode() -> None:
    """Compile the project's modules, as installing the wheel does (PYTHONDONTWRITEBYTECODE may be set here)."""
    root = Path(__file__).resolve().parent.parent
    for package in ("bot", "handlers", "charts"):
        compileall.compile_dir(root / package, quiet=1)


def bench_start(runs: int) -> list[str]:
    """The cold-start section: medians of `runs` first starts and restarts, with the import floor alongside."""
    compile_bytecode()  # else every start would compile the modules changed since the last install
    first: list[Start] = []
    again: list[Start] = []
    floors: list[float] = []
    with (
        CekuraSandbox(api_key=CEKURA_KEY, latency=LATENCY) as cekura,
        SlackSandbox(latency=LATENCY) as slack,
        tempfile.TemporaryDirectory() as folder,
    ):
        for run in range(runs):
            database = f"{folder}/bot-{run}.sqlite"
            floors.append(floor())
            first.append(one_start(slack, cekura, database))  # an empty database: every migration runs
            again.append(one_start(slack, cekura, database))  # a restart: the schema is at the head

    def cell(values: list[float], bold: bool = False) -> str:
        median = f"{statistics.median(values):.2f} s"
        return (f"**{median}**" if bold else median) + " (" + ", ".join(f"{v:.2f}" for v in values) + ")"

    def row(label: str, pick: Callable[[Start], float], bold: bool = False) -> str:
        return f"| {label} | {cell([pick(s) for s in first], bold)} | {cell([pick(s) for s in again], bold)} |"

    imports = statistics.median(floors)
    ready_first = statistics.median([s.readyz for s in first])
    ready_again = statistics.median([s.readyz for s in again])
    return [
        f"Median (and every run) of {runs} first starts on an empty SQLite database, each followed by a "
        f"restart on it ({machine()}):",
        "",
        "| process start → | first start (empty database) | restart (database at the head) |",
        "|---|---|---|",
        row("/healthz 200 (port bound)", lambda s: s.healthz),
        row("/readyz 200 (database, schedulers, render workers warm; goal < 1.5 s)", lambda s: s.readyz, True),
        row("first chart posted (`widget 34` sent when ready)", lambda s: s.first_chart),
        f"| reference: a bare interpreter importing the libraries | {cell(floors)} | |",
        "",
        f"Ready is **{ready_first / imports:.2f}×** (first start) and **{ready_again / imports:.2f}×** (restart) "
        f"the bare import time. Memory once ready (bot, forkserver and {os.cpu_count()} render workers): "
        f"{statistics.median([s.rss_mib for s in again]):.0f} MiB RSS.",
    ]


def main() -> None:
    """Print the cold-start section."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print("## Cold start, 50 ms latency\n")
    print("\n".join(bench_start(args.runs)))


if __name__ == "__main__":
    main()
