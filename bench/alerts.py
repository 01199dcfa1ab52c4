"""Benchmark: 1,000 alert rules over 50 widgets due in the same minute, 50 ms latency on every sandbox call.

    python -m bench.alerts [--rules 1000]     # prints a markdown section for bench/RESULTS.md

Goes through the real evaluator tick, ledger, outbox and Slack posting; the clock is moved by hand.
Reports the Cekura calls of one evaluation (data and widget look-ups), the time to evaluate every
rule, and the time from the tick that sees a breach to its incident message in Slack.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx

from bench.run import LATENCY, machine
from bot.alerts import parse_rule
from bot.alerts.evaluate import Evaluator, TickResult
from bot.cekura_models import WidgetData
from bot.errors import NotFound
from bot.sandbox.harness import CEKURA_KEY, Harness
from bot.widget_charts import value_unit

START = datetime(2025, 6, 2, 8, 0, 5, tzinfo=UTC)
WIDGETS = 50
MEASURES = ("avg over 1h > {high}", "max over 30m > {high}", "count over 1h > 100k", "latest > {high}")
# A threshold no value reaches, and one every value does, in each unit (rules must fit their widget).
HIGH = {"seconds": "9000 s", "fraction": "101 %", "": "1000k", "calls": "1000k"}
LOW = {"seconds": "0 s", "fraction": "0 %", "": "0", "calls": "0"}


class Clock:
    """A clock moved by hand."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def widgets(h: Harness) -> list[int]:
    """50 line/bar widgets: the seeded ones, then copies of widget 34 (bar, avg duration per day)."""
    charts = [i for i, w in sorted(h.cekura.widgets.items()) if w.get("chart_type") in ("line", "bar")]
    found = [i for i in charts if visible(h, i)][:WIDGETS]
    base = {k: h.cekura.widgets[34][k] for k in ("dashboard", "chart_type", "field", "aggregation_function")}
    base["time_period"] = h.cekura.widgets[34]["time_period"]
    with httpx.Client(base_url=h.cekura.url, headers={"X-CEKURA-API-KEY": CEKURA_KEY}) as client:
        while len(found) < WIDGETS:
            made = client.post("/dashboards/widgets/", json={**base, "name": f"copy {len(found)}"})
            made.raise_for_status()
            found.append(int(made.json()["id"]))
    return found


def visible(h: Harness, widget_id: int) -> bool:
    """Whether the bot's API key sees the widget (the sandbox seeds some of another organisation)."""
    try:
        h.deps.cekura.get_widget(widget_id)
    except NotFound:
        return False
    return True


def units(h: Harness, ids: list[int]) -> dict[int, str]:
    """The unit each widget's values read in (what its thresholds must be written in)."""
    return {i: value_unit(h.deps.cekura.get_widget(i), WidgetData()) for i in ids}


def timed_delivery(evaluator: Evaluator, spans: list[float]) -> None:
    """Record how long each delivery phase of a tick takes (the notifications' share of it)."""
    deliver = evaluator.deliver

    def timed(result: TickResult | None = None) -> None:
        started = time.perf_counter()
        deliver(result)
        spans.append(time.perf_counter() - started)

    evaluator.deliver = timed  # type: ignore[method-assign]


def main() -> None:
    """Run the benchmark and print its section."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=1000)
    args = parser.parse_args()
    clock = Clock(START)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.sqlite"
        with Harness.start(clock=clock, render_workers=0, database_url=url) as h:
            ids = widgets(h)
            unit = units(h, ids)
            for i in range(args.rules):
                widget = ids[i % WIDGETS]
                measure = MEASURES[i % len(MEASURES)].format(high=HIGH[unit[widget]])
                h.deps.alerts.add(
                    channel="C_GENERAL", owner="U_ALICE", rule=parse_rule(f"widget {widget} when {measure}")
                )
            h.cekura.latency = h.slack.latency = LATENCY
            evaluator = h.deps.alert_evaluator
            spans: list[float] = []
            timed_delivery(evaluator, spans)
            before = len(h.cekura.requests())
            started = time.perf_counter()
            first = evaluator.tick(clock.now)
            cold = time.perf_counter() - started
            cold_calls = len(h.cekura.requests()) - before
            clock.now += timedelta(minutes=5)
            before = len(h.cekura.requests())
            started = time.perf_counter()
            warm = evaluator.tick(clock.now)
            warm_s = time.perf_counter() - started
            warm_calls = len(h.cekura.requests()) - before
            # A breach: ten rules on one widget whose line now crosses; time until the messages are in Slack.
            target = ids[0]
            for _ in range(10):
                h.deps.alerts.add(
                    channel="C_GENERAL",
                    owner="U_ALICE",
                    rule=parse_rule(f"widget {target} when latest >= {LOW[unit[target]]}"),
                )
            clock.now += timedelta(minutes=5)
            posted = len(h.slack.messages)
            started = time.perf_counter()
            fired = evaluator.tick(clock.now)
            breach_s = time.perf_counter() - started
            fires = sum(1 for _, kind in fired.sent if kind == "fire")
            assert fires == 10 and len(h.slack.messages) - posted >= fires, fired.sent
            delivery_s = spans[-1]
            reasons = Counter(r for r in first.readings.values() if isinstance(r, str))
    print(f"## Alerts — {args.rules} rules over {WIDGETS} widgets, {LATENCY * 1000:.0f} ms per call ({machine()})\n")
    print("| run | rules evaluated | bulk_data calls | all Cekura calls | time |")
    print("|---|---|---|---|---|")
    cold_row = f"{len(first.evaluated)} | {first.fetches} | {cold_calls} | {cold:.2f} s"
    print(f"| first tick (widget look-ups cold) | {cold_row} |")
    print(f"| next tick (look-ups cached) | {len(warm.evaluated)} | {warm.fetches} | {warm_calls} | {warm_s:.2f} s |")
    print(
        f"| tick that sees a breach → {fires} incident messages in Slack | {len(fired.evaluated)} | {fired.fetches} "
        f"| — | {breach_s:.2f} s |"
    )
    print(
        f"| … of which posting the {fires} incident messages (charts, uploads, posts) | — | — | — "
        f"| {delivery_s:.2f} s |"
    )
    print(f"\nEvaluations of the first tick that failed: {sum(reasons.values())} {dict(reasons.most_common(2))}")


if __name__ == "__main__":
    main()
