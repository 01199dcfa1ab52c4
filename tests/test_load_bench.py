"""The two-replica load test (bench/load.py), run small: real processes, one PostgreSQL database, one address."""

from __future__ import annotations

from collections import Counter

import pytest

from bench.load import NAMES, run_load
from bench.load_check import MIX

pytestmark = [pytest.mark.e2e, pytest.mark.postgres]


@pytest.mark.timeout(300)  # waits for the next whole minute, so that both schedulers see the digests due together
def test_two_replicas_answer_every_command_once_and_deliver_every_digest_once() -> None:
    run = run_load(len(MIX), 6, latency=0.0, margin=25.0, timeout=120.0)
    assert run.problems() == []
    assert [c.verdict for c in run.commands] == ["once"] * len(MIX)  # every kind of the mix, answered once
    assert Counter(c.replica for c in run.commands) == {0: 7, 1: 6}  # round robin: both replicas answered
    assert all(c.status == 200 and c.ack_ms > 0 for c in run.commands)
    assert run.ready_before_slot and run.alive_at_end == [True, True] and run.exit_codes == [0, 0]
    assert sorted(run.posted.values()) == [1] * 6  # each digest channel got exactly one digest
    assert len(run.ledger) == 6 and {d.state for d in run.ledger} == {"sent"}
    assert {d.replica for d in run.ledger} <= set(NAMES)  # claimed by one of the two, by pid
    assert sum(run.metrics[n]["sent"] for n in NAMES) == 6  # the replicas' logged ticks agree…
    assert sum(run.metrics[n]["delivered"] for n in NAMES) == 6  # …and so do their /metrics counters
    section = "\n".join(run.section())
    assert f"**{len(MIX)}/{len(MIX)}**" in section and "**6/6** once" in section and "Problems: none." in section
