"""The load test's world: a PostgreSQL database of its own and real `python -m bot.cli serve` replicas on it.

    with load_database() as url:                       # cekura_load_<pid>, dropped afterwards
        replica = Replica("a", url, slack, cekura, log_dir).start()
        replica.wait_ready(60)
        replica.metric("cekura_bot_digest_deliveries_total", state="sent")
        replica.stop()                                 # SIGTERM, then the group's leftovers; 0 when it drained

Each replica is its own process group, so a hung one is killed with every render worker it forked.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx
import psycopg
from prometheus_client.parser import text_string_to_metric_families

from bot.config import Settings
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.harness import CEKURA_KEY, SIGNING_SECRET
from bot.sandbox.slack import SlackSandbox

PG_SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"
ROOT = Path(__file__).resolve().parent.parent
APPROVER = "U_CAROL"
APPROVALS = "C_APPROVALS"
# The scheduler's line after each tick that found slots due (bot.digests.scheduler._tick).
_TICK = re.compile(r"digests at \S+: \{'sent': (\d+), 'skipped': (\d+), 'failed': (\d+), 'taken': (\d+)\}")


@contextmanager
def load_database(server: str = PG_SERVER) -> Iterator[str]:
    """A fresh database `cekura_load_<pid>` on `server`; its SQLAlchemy URL. Dropped afterwards, whatever happens."""
    name = f"cekura_load_{os.getpid()}"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # a leftover of a killed run of this pid
        conn.execute(f"CREATE DATABASE {name}")
    try:
        base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1)
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")  # FORCE: a hung replica's sessions too


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(database_url: str, slack: SlackSandbox, cekura: CekuraSandbox, port: int) -> dict[str, str]:
    """The environment of a replica: this one without any bot setting, plus the sandboxes' settings."""
    ours = {name.upper() for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k not in ours}
    env.update(
        SLACK_BOT_TOKEN=slack.bot_token,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack.api_url,
        CEKURA_API_KEY=CEKURA_KEY,
        CEKURA_BASE_URL=cekura.url,
        DATABASE_URL=database_url,
        APPROVERS=APPROVER,
        APPROVALS_CHANNEL=APPROVALS,
        PORT=str(port),
        PYTHONPATH=str(ROOT),
    )
    return env


class Replica:
    """One bot process in HTTP mode on its own port, logging to `<log_dir>/<name>.log`."""

    def __init__(self, name: str, database_url: str, slack: SlackSandbox, cekura: CekuraSandbox, log_dir: Path):
        self.name = name
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"{name}.log"
        self.env = bot_environment(database_url, slack, cekura, self.port)
        self.cwd = log_dir  # a folder without a `.env`, so only these settings count
        self.proc: subprocess.Popen[bytes] | None = None
        self.exit_code: int | None = None

    @property
    def pid(self) -> int:
        """The replica's pid (its ledger claims carry it)."""
        assert self.proc is not None, "not started"
        return self.proc.pid

    def start(self) -> Replica:
        """Start the process (not waiting for it); returns self."""
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"],
                cwd=self.cwd,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches the render workers too
            )
        return self

    def alive(self) -> bool:
        """Is the process still running?"""
        return self.proc is not None and self.proc.poll() is None

    def wait_ready(self, timeout: float) -> None:
        """Return once /readyz answers 200 (database, schedulers and render workers ready)."""
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=1.0) as poll:  # one for every poll: each httpx.get() builds a TLS context
            while True:
                if not self.alive():
                    raise RuntimeError(f"replica {self.name} exited during start-up:\n{self.log_tail()}")
                try:
                    if poll.get(self.url + "/readyz").status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"replica {self.name} not ready within {timeout} s:\n{self.log_tail()}")
                time.sleep(0.1)

    def metric(self, name: str, **labels: str) -> float:
        """The sum of the samples of `name` on this replica's /metrics matching `labels`."""
        text = httpx.get(self.url + "/metrics", timeout=5.0).text
        return sum(
            sample.value
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items())
        )

    def ack_quantile(self, q: float) -> float:
        """The upper bound (s) of the bucket of the bot's own ack histogram holding its q-quantile (0–1)."""
        text = httpx.get(self.url + "/metrics", timeout=5.0).text
        buckets = sorted(
            (float(sample.labels["le"]), sample.value)
            for family in text_string_to_metric_families(text)
            for sample in family.samples
            if sample.name == "cekura_bot_ack_seconds_bucket"
        )
        total = buckets[-1][1] if buckets else 0.0
        return next((bound for bound, count in buckets if count >= q * total), float("inf"))

    def digest_outcomes(self) -> dict[str, int]:
        """Sent, skipped, failed and taken (claimed by the other replica) over this replica's logged ticks."""
        totals = dict.fromkeys(("sent", "skipped", "failed", "taken"), 0)
        for found in _TICK.finditer(self.log.read_text(errors="replace") if self.log.exists() else ""):
            for state, count in zip(totals, found.groups(), strict=True):
                totals[state] += int(count)
        return totals

    def log_tail(self, chars: int = 3000) -> str:
        """The end of the replica's log."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self, timeout: float = 60.0) -> int:
        """SIGTERM the bot and wait (it finishes running jobs); SIGKILL its group if it hangs. The exit code."""
        if self.proc is None:
            return 0
        if self.proc.poll() is None:
            self.proc.terminate()  # the bot alone: it stops its own render workers as it shuts down
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with _gone():
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        with _gone():  # render workers that outlived their parent
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.exit_code = self.proc.returncode
        return self.exit_code


@contextmanager
def _gone() -> Iterator[None]:
    """Ignore a process group that no longer exists."""
    with suppress(ProcessLookupError):
        yield
