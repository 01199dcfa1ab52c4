"""After kill -9 of the bot, nothing it started stays behind: forkserver, render workers, resource tracker."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
import pytest

from tests.bot_process import BotProcess, sandboxes, until

pytestmark = pytest.mark.e2e


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_render_processes_die_with_a_sigkilled_bot(tmp_path: Path) -> None:
    with sandboxes() as (slack, cekura):
        bot = BotProcess(slack, cekura, f"sqlite:///{tmp_path}/bot.sqlite", tmp_path / "bot.log")
        bot.start()  # /readyz answers once the render pool is warm
        try:
            descendants = psutil.Process(bot.pid).children(recursive=True)
            names = [" ".join(p.cmdline())[:80] for p in descendants]
            # the forkserver, its render workers and the resource tracker
            assert len(descendants) >= 3, names
            assert any("forkserver" in n for n in names) and any("resource_tracker" in n for n in names), names
            os.kill(bot.pid, signal.SIGKILL)
            assert bot.proc is not None and bot.proc.wait(10) == -signal.SIGKILL
            until(lambda: not any(_alive(p) for p in descendants), 10, "every child of the killed bot gone")
        finally:
            for process in descendants:  # if the test failed, leave nothing behind for the next one
                if _alive(process):
                    process.kill()
            bot.stop()
