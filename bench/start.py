"""Benchmark: cold start of `cekura-bot serve` as a real subprocess, 50 ms latency on every sandbox call.

    python -m bench.start [--runs 5]     # prints a markdown section for bench/RESULTS.md

Two ways of running the bot, their runs interleaved so both see the same machine: from this checkout
(`python -m bot.cli serve` in the development venv) and installed as the Docker image installs it (the
wheel and its runtime dependencies alone in a fresh venv, `cekura-bot serve` outside the source tree).
The development venv has more to pay for at every start: setuptools' editable-install finder, imported
by every interpreter, and the test tools' Pygments, which Mako imports when it is there.

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
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psutil

from bench.run import LATENCY, _free_port, machine
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.harness import CEKURA_KEY, SIGNING_SECRET
from bot.sandbox.slack import SlackSandbox
from bot.sandbox.slack_driver import SlackDriver

FLOOR = "import slack_bolt, sqlalchemy, alembic.command, pydantic_settings, waitress, matplotlib.backends.backend_agg"


ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Interpreter:
    """One way to run the bot: `serve` starts it in `cwd`; `python` imports the libraries for the reference."""

    label: str
    serve: list[str]
    python: str
    cwd: Path


def checkout() -> Interpreter:
    """The bot from this checkout, in the development venv."""
    serve = [sys.executable, "-m", "bot.cli", "serve"]
    return Interpreter("`python -m bot.cli serve` in this checkout's development venv", serve, sys.executable, ROOT)


def installed(folder: Path) -> Interpreter:
    """The wheel and its runtime dependencies in a fresh venv under `folder`, as the Docker image has them."""
    source, wheels, venv = folder / "src", folder / "wheels", folder / "venv"
    source.mkdir()  # what the Dockerfile copies: a build in ROOT itself would leave build/ behind
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source)
    for package in ("bot", "handlers", "charts"):
        shutil.copytree(ROOT / package, source / package, ignore=shutil.ignore_patterns("__pycache__"))
    quiet = ["--quiet", "--disable-pip-version-check"]
    build = [sys.executable, "-m", "pip", "wheel", *quiet, "--no-deps", "--wheel-dir", str(wheels), str(source)]
    subprocess.run(build, check=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)  # on the same base interpreter
    subprocess.run([str(venv / "bin/pip"), "install", *quiet, *map(str, wheels.glob("*.whl"))], check=True)
    python = str(venv / "bin/python")
    subprocess.run([python, "-c", "import matplotlib.font_manager"], check=True)  # the image builds it too
    serve = [str(venv / "bin/cekura-bot"), "serve"]
    return Interpreter("`cekura-bot serve` installed as in the Docker image", serve, python, folder)


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


def one_start(slack: SlackSandbox, cekura: CekuraSandbox, database: str, bot: Interpreter) -> Start:
    """Start `bot` once on the SQLite file `database` (created and migrated if missing) and time it."""
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
        proc = subprocess.Popen(bot.serve, env=env, cwd=bot.cwd)
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


def floor(python: str) -> float:
    """Seconds for a bare interpreter to import what serve and its render workers need."""
    started = time.perf_counter()
    subprocess.run([python, "-c", FLOOR], check=True)
    return time.perf_counter() - started


def compile_bytecode() -> None:
    """Compile the project's modules, as installing the wheel does (PYTHONDONTWRITEBYTECODE may be set here)."""
    for package in ("bot", "handlers", "charts"):
        compileall.compile_dir(ROOT / package, quiet=1)


@dataclass
class Runs:
    """Every start of one interpreter, and its bare-import reference."""

    bot: Interpreter
    first: list[Start] = field(default_factory=list)  # on an empty database: every migration runs
    again: list[Start] = field(default_factory=list)  # a restart: the schema is at the head
    floors: list[float] = field(default_factory=list)


def bench_start(runs: int) -> list[str]:
    """The cold-start section: medians of `runs` first starts and restarts, with the import floor alongside."""
    compile_bytecode()  # else every start would compile the modules changed since the last install
    with (
        CekuraSandbox(api_key=CEKURA_KEY, latency=LATENCY) as cekura,
        SlackSandbox(latency=LATENCY) as slack,
        tempfile.TemporaryDirectory() as folder,
    ):
        each = [Runs(checkout()), Runs(installed(Path(folder)))]
        for _ in range(runs):
            for index, one in enumerate(each):  # interleaved, so a drift of the machine's speed touches both alike
                database = f"{folder}/{len(one.first)}-{index}.sqlite"
                one.floors.append(floor(one.bot.python))
                one.first.append(one_start(slack, cekura, database, one.bot))
                one.again.append(one_start(slack, cekura, database, one.bot))
    lines = [
        f"Median (and every run) of {runs} first starts on an empty SQLite database, each followed by a "
        f"restart on it ({machine()})."
    ]
    for one in each:
        lines += ["", *_table(one)]
    return lines


def _table(one: Runs) -> list[str]:
    def cell(values: list[float], bold: bool = False) -> str:
        median = f"{statistics.median(values):.2f} s"
        return (f"**{median}**" if bold else median) + " (" + ", ".join(f"{v:.2f}" for v in values) + ")"

    def row(label: str, pick: Callable[[Start], float], bold: bool = False) -> str:
        return f"| {label} | {cell([pick(s) for s in one.first], bold)} | {cell([pick(s) for s in one.again], bold)} |"

    imports = statistics.median(one.floors)
    ready_first = statistics.median([s.readyz for s in one.first])
    ready_again = statistics.median([s.readyz for s in one.again])
    return [
        f"{one.bot.label}:",
        "",
        "| process start → | first start (empty database) | restart (database at the head) |",
        "|---|---|---|",
        row("/healthz 200 (port bound)", lambda s: s.healthz),
        row("/readyz 200 (database, schedulers, render workers warm; goal < 1.5 s)", lambda s: s.readyz, True),
        row("first chart posted (`widget 34` sent when ready)", lambda s: s.first_chart),
        f"| reference: a bare interpreter importing the libraries | {cell(one.floors)} | |",
        "",
        f"Ready is **{ready_first / imports:.2f}×** (first start) and **{ready_again / imports:.2f}×** (restart) "
        f"the bare import time. Memory once ready (bot, forkserver and {os.cpu_count()} render workers): "
        f"{statistics.median([s.rss_mib for s in one.again]):.0f} MiB RSS.",
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
