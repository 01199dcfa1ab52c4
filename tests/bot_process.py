"""The real bot as a child process (`python -m bot.cli serve`) on the loopback sandboxes, for kill tests.

with sandboxes() as (slack, cekura):
    bot = BotProcess(slack, cekura, database_url, approvers="U_BOB")
    bot.start(kill_at="edit.patched")   # CEKURA_BOT_KILL_AT: it SIGKILLs itself there
    bot.driver.command(...)
    bot.wait_killed()
    bot.start()                         # the restart, unarmed
    bot.stop()
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.harness import CEKURA_KEY, SIGNING_SECRET
from bot.sandbox.slack import SlackSandbox
from bot.sandbox.slack_driver import SlackDriver
from tests.conftest import SETTING_PREFIXES

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def sandboxes() -> Iterator[tuple[SlackSandbox, CekuraSandbox]]:
    """Both sandboxes on loopback, stopped afterwards."""
    slack, cekura = SlackSandbox().start(), CekuraSandbox(api_key=CEKURA_KEY).start()
    try:
        yield slack, cekura
    finally:
        slack.stop()
        cekura.stop()


def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `condition` until it holds; AssertionError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(0.05)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class BotProcess:
    """One bot process at a time on fixed settings; `start` again after it died is the restart."""

    def __init__(
        self,
        slack: SlackSandbox,
        cekura: CekuraSandbox,
        database_url: str,
        log: Path,
        *,
        port_setting: str = "PORT",
        **env: str,
    ) -> None:
        self.slack = slack
        self.log = log
        self.port_setting = port_setting  # what binds the probes: METRICS_PORT in Socket Mode
        self.env = {
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": slack.api_url,
            "CEKURA_API_KEY": CEKURA_KEY,
            "CEKURA_BASE_URL": cekura.url,
            "DATABASE_URL": database_url,
            **{name.upper(): value for name, value in env.items()},
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.driver: SlackDriver | None = None
        self.starts = 0
        self.url = ""  # the running bot's base URL (its probes and /metrics)

    def start(self, kill_at: str | None = None, *, timeout: float = 60.0) -> None:
        """Start the bot (armed at `kill_at`) and return once /readyz answers, or it died at `kill_at`."""
        assert self.proc is None or self.proc.poll() is not None, "the previous bot is still running"
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(SETTING_PREFIXES)}
        env.update(self.env, PYTHONPATH=str(ROOT))
        env[self.port_setting] = str(port)
        if kill_at:
            env["CEKURA_BOT_KILL_AT"] = kill_at
        self.starts += 1
        with self.log.open("ab") as out:
            out.write(f"\n==== start {self.starts} (kill at {kill_at}) ====\n".encode())
        # cwd: a directory without a `.env`, so only these settings count.
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot.cli", "serve"],
                cwd=self.log.parent,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        url = f"http://127.0.0.1:{port}"
        poll = httpx.Client(timeout=1.0)  # one for every poll: each httpx.get() would build a TLS context

        def healthy() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                if kill_at and self.proc.returncode == -signal.SIGKILL:
                    return True  # start-up work (the digest catch-up) reached the kill point first
                raise AssertionError(f"the bot exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                return poll.get(url + "/readyz").status_code == 200
            except httpx.TransportError:
                return False

        with poll:
            until(healthy, timeout, "the bot's /readyz")
        self.url = url
        if self.driver is not None:
            self.driver.close()
        self.driver = SlackDriver(url + "/slack/events", SIGNING_SECRET, self.slack)

    def log_text(self) -> str:
        """What the current run logged so far."""
        return self.log.read_text(errors="replace").rsplit(f"==== start {self.starts} ", 1)[-1]

    def log_has(self, *parts: str) -> bool:
        """Does a log line of the current run contain every one of `parts`?"""
        return any(all(part in line for part in parts) for line in self.log_text().splitlines())

    @property
    def pid(self) -> int:
        """The running bot's pid."""
        assert self.proc is not None
        return self.proc.pid

    def wait_killed(self, timeout: float = 30.0) -> None:
        """Wait for the armed bot to SIGKILL itself at its kill point."""
        assert self.proc is not None
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"the kill point never fired:\n{self.log.read_text()[-3000:]}") from None
        assert code == -signal.SIGKILL, (code, self.log.read_text()[-3000:])

    def stop(self) -> None:
        """SIGTERM the bot (it shuts down cleanly) and wait; SIGKILL if it hangs."""
        if self.driver is not None:
            self.driver.close()
            self.driver = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
