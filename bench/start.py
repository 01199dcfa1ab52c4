"""Benchmark: cold start of `cekura-bot serve` as a real subprocess, 50 ms latency on every sandbox call.

    python -m bench.start [--runs 5]     # prints a markdown section for bench/RESULTS.md

Measured from process start: /healthz answering (the port is bound), /readyz 200 (database at head,
schedulers running, render workers warm) and the first chart posted for a command sent the moment
/readyz said ready. The reference measured in the same run is the floor no start-up order can beat:
a bare interpreter importing the libraries `serve` needs (Bolt, SQLAlchemy, Alembic, pydantic-settings,
waitress) plus, as the render workers must, matplotlib.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass

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


def _status(client: httpx.Client, url: str) -> int:
    try:
        return client.get(url).status_code
    except httpx.TransportError:
        return 0


def one_start(slack: SlackSandbox, cekura: CekuraSandbox, folder: str) -> Start:
    """Start the bot once on a fresh SQLite file and time it."""
    port = _free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "CEKURA_API_KEY": CEKURA_KEY,
        "CEKURA_BASE_URL": cekura.url,
        "DATABASE_URL": f"sqlite:///{folder}/bot-{port}.sqlite",
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


def bench_start(runs: int) -> list[str]:
    """The cold-start section: medians of `runs` starts, with the import floor measured alongside."""
    starts: list[Start] = []
    floors: list[float] = []
    with (
        CekuraSandbox(api_key=CEKURA_KEY, latency=LATENCY) as cekura,
        SlackSandbox(latency=LATENCY) as slack,
        tempfile.TemporaryDirectory() as folder,
    ):
        for _ in range(runs):
            floors.append(floor())
            starts.append(one_start(slack, cekura, folder))

    def median(values: list[float]) -> float:
        return statistics.median(values)

    ready = median([s.readyz for s in starts])
    imports = median(floors)
    return [
        f"Median of {runs} starts on a fresh SQLite database ({machine()}):",
        "",
        "| process start → | median | runs |",
        "|---|---|---|",
        f"| /healthz 200 (port bound) | **{median([s.healthz for s in starts]):.2f} s** | "
        + ", ".join(f"{s.healthz:.2f}" for s in starts)
        + " |",
        f"| /readyz 200 (database, schedulers, render workers warm) | **{ready:.2f} s** (goal < 1.5 s) | "
        + ", ".join(f"{s.readyz:.2f}" for s in starts)
        + " |",
        f"| first chart posted (`widget 34` sent when ready) | {median([s.first_chart for s in starts]):.2f} s | "
        + ", ".join(f"{s.first_chart:.2f}" for s in starts)
        + " |",
        f"| reference: a bare interpreter importing the libraries | {imports:.2f} s | "
        + ", ".join(f"{f:.2f}" for f in floors)
        + " |",
        "",
        f"Ready is **{ready / imports:.2f}×** the bare import time. Memory once ready (bot, forkserver and "
        f"{os.cpu_count()} render workers): {median([s.rss_mib for s in starts]):.0f} MiB RSS.",
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
