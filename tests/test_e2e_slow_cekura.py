"""End to end with a slow Cekura: every command answers by its deadline, and slow Cekura starves nothing.

The bot runs with small deadlines (1.5 s per attempt, 4 s per command) so the tests take seconds;
the defaults (15 s / 45 s) keep the same shape within Slack's minute (see test_deadlines.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from bot.deps import CEKURA_JOBS
from bot.sandbox.harness import Harness
from bot.sandbox.slack import ResponsePost

pytestmark = pytest.mark.e2e

ATTEMPT_S = 1.5
DEADLINE_S = 4.0
# Scheduling slack on a loaded 2-core machine: the answer comes at the deadline, plus one reply.
MARGIN_S = 2.0


@pytest.fixture(scope="module")
def slow_harness() -> Iterator[Harness]:
    harness = Harness.start(render_workers=0, cekura_attempt_timeout_s=ATTEMPT_S, cekura_deadline_s=DEADLINE_S)
    yield harness
    harness.stop()


@pytest.fixture
def sh(slow_harness: Harness) -> Harness:
    assert slow_harness.deps.wait_idle(60), "jobs of an earlier test are still running"
    slow_harness.cekura.reset()
    slow_harness.slack.reset()
    return slow_harness


def answers(h: Harness, needle: str) -> list[ResponsePost]:
    return [r for r in h.slack.responses if needle in str(r.text)]


def one_answer(h: Harness, needle: str, timeout: float = 20.0) -> ResponsePost:
    h.slack.wait_for(lambda: bool(answers(h, needle)), timeout=timeout)
    (answer,) = answers(h, needle)
    return answer


def test_a_dripping_cekura_gets_the_reference_answer_by_the_deadline(sh: Harness) -> None:
    # One byte every 0.2 s: httpx's per-read timeout never fires, and the body would take minutes.
    sh.cekura.slow("/dashboards/dashboards/12/", drip=0.2, times=1000)
    ack = sh.driver.command("dashboard 12")
    acked = time.monotonic()
    assert "Fetching dashboard 12" in ack.json["text"]

    answer = one_answer(sh, "Reference")
    assert answer.at - acked < DEADLINE_S + MARGIN_S
    assert str(answer.text).startswith(":hourglass: Cekura is not answering")
    assert f"no answer within {DEADLINE_S:g} s" in str(answer.text)
    attempts = sh.cekura.requests("GET", "/dashboards/dashboards/12/")
    assert len(attempts) >= 2, "each attempt must end at its own deadline, leaving time to retry"
    assert not sh.slack.messages, "nothing may be posted after giving up"


def test_parallel_bulk_data_calls_share_the_commands_deadline(sh: Harness) -> None:
    # The dashboard arrives late but in time; then every bulk_data call (three groups, side by
    # side on I/O threads) hangs. None may start an attempt after the command's deadline.
    sh.cekura.slow("/dashboards/dashboards/12/", hang=1.0)
    sh.cekura.slow("bulk_data", hang=30, times=1000)
    before = time.monotonic()
    sh.driver.command("dashboard 12")
    acked = time.monotonic()

    answer = one_answer(sh, "Reference")
    bulk = sh.cekura.requests("POST", "bulk_data")
    assert len({r.body for r in bulk}) == 3, "the three filter groups are fetched side by side"
    assert max(r.at for r in bulk) < acked + DEADLINE_S
    assert answer.at - before < DEADLINE_S + MARGIN_S
    assert "no answer within" in str(answer.text)


def test_requests_answers_while_30_cekura_commands_hang(sh: Harness) -> None:
    sh.cekura.slow("/dashboards/dashboards/", hang=3 * DEADLINE_S, times=10_000)
    for _ in range(30):
        sh.driver.command("dashboard 12")
    sh.driver.command("requests")

    sh.slack.wait_for(lambda: bool(answers(sh, "Pending edit requests")), timeout=DEADLINE_S)
    # The database answer came while every one of the 30 Cekura commands was still waiting.
    assert not answers(sh, "Reference")

    sh.slack.wait_for(lambda: len(answers(sh, "Reference")) == 30, timeout=DEADLINE_S + 3 * MARGIN_S)
    said = [str(r.text) for r in answers(sh, "Reference")]
    # The first CEKURA_JOBS waited on Cekura; the rest spent their deadline queued behind them, and
    # are told the bot was busy rather than blamed on Cekura.
    assert sum("Cekura is not answering" in t for t in said) == CEKURA_JOBS
    assert sum("cekura-bot is very busy" in t for t in said) == 30 - CEKURA_JOBS
