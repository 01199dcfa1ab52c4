"""Benchmarks for the main job, each against a baseline measured in the same run.

    python -m bench.run [--quick]     # prints a report and writes bench/RESULTS.md
    python -m bench.alerts            # these two print their own sections, pasted into RESULTS.md by hand;
    python -m bench.load              # bench.load: two real replicas on PostgreSQL (127.0.0.1:5432)

Every Cekura and Slack call gets 50 ms of latency from the sandboxes, as over a real network.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import psutil

from bench.baseline import naive_post_dashboard
from bench.pyplot_baseline import render_pyplot
from bot.cekura import CekuraClient
from bot.dashboards import DashboardService
from bot.query import DataQuery
from bot.render_pool import RenderPool
from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.harness import SIGNING_SECRET, Harness
from bot.sandbox.slack_driver import SlackDriver
from charts import render, warm_up
from charts.spec import Chart

LATENCY = 0.05
RESULTS = Path(__file__).with_name("RESULTS.md")


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def sample_charts() -> dict[str, Chart]:
    """One chart of each kind, from the Cekura sandbox's realistic data (dashboard 21 has every kind)."""
    with CekuraSandbox(api_key="k") as box, CekuraClient(box.url, "k") as client, ThreadPoolExecutor(4) as io:
        report = DashboardService(client, RenderPool(0), io).dashboard_report(21, DataQuery(range=(7, "d")))
    by_kind: dict[str, Chart] = {}
    for widget in report.widgets:
        by_kind.setdefault(type(widget.view.chart).__name__, widget.view.chart)
    return by_kind


def bench_render(rounds: int) -> list[str]:
    """Median warm render time per chart type: charts.draw.render vs a naive pyplot render."""
    warm_up()
    lines = ["| chart | Figure/Agg median | pyplot median | ratio (≤ 0.7) |", "|---|---|---|---|"]
    for kind, chart in sample_charts().items():
        for fn in (render, render_pyplot):
            fn(chart)
        ours = statistics.median(_timed(partial(render, chart)) for _ in range(rounds))
        base = statistics.median(_timed(partial(render_pyplot, chart)) for _ in range(rounds))
        lines.append(f"| {kind} | {ours * 1000:.0f} ms | {base * 1000:.0f} ms | {ours / base:.2f} |")
    return lines


def _timed(fn: Callable[[], object]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bench_rss(renders: int) -> list[str]:
    """RSS growth over many renders in one process (after a warm-up)."""
    charts = list(sample_charts().values())
    process = psutil.Process()
    for chart in charts * 5:
        render(chart)
    before = process.memory_info().rss
    for i in range(renders):
        render(charts[i % len(charts)])
    grown = (process.memory_info().rss - before) / 2**20
    return [f"RSS growth over {renders} renders: {grown:.1f} MB (goal < 30 MB)"]


def bench_dashboard(runs: int) -> list[str]:
    """`/cekura dashboard 12` (12 widgets), command to every file posted: the bot vs the naive baseline."""
    with Harness.start(latency=LATENCY) as h:
        ours = []
        for _ in range(runs):
            h.deps.wait_idle()
            h.slack.reset()
            started = time.perf_counter()
            h.driver.command("dashboard 12")
            h.wait_for_files(12, timeout=60)
            ours.append(time.perf_counter() - started)
        key = h.settings.cekura_api_key
        assert key is not None
        with CekuraClient(h.cekura.url, key.get_secret_value()) as cekura:
            naive = [naive_post_dashboard(cekura, h.deps.slack, 12, "C_GENERAL") for _ in range(max(1, runs // 2))]
    best, base = statistics.median(ours), statistics.median(naive)
    return [
        f"12-widget dashboard, command → all 12 files posted (median of {runs}): **{best:.2f} s** (goal ≤ 1.5 s); "
        f"naive baseline {base:.2f} s → **{base / best:.1f}× faster** (goal ≥ 4×)",
    ]


def bench_ack(dashboards: int) -> list[str]:
    """Ack latency of slash commands while `dashboards` dashboards are rendering."""
    with Harness.start(latency=LATENCY) as h:
        acks: list[float] = []
        lock = threading.Lock()
        started = time.perf_counter()
        for _ in range(dashboards):
            acks.append(h.driver.command("dashboard 12").elapsed_ms)
        expected = 12 * dashboards

        def probe() -> None:
            with SlackDriver(h.server.url + "/slack/events", SIGNING_SECRET, h.slack) as driver:
                while sum(len(m.files) for m in h.slack.messages) < expected and time.perf_counter() - started < 120:
                    elapsed = driver.command("help").elapsed_ms
                    with lock:
                        acks.append(elapsed)
                    time.sleep(0.02)

        probes = [threading.Thread(target=probe) for _ in range(4)]
        for thread in probes:
            thread.start()
        for thread in probes:
            thread.join()
        all_posted = time.perf_counter() - started
    return [
        f"Ack latency while {dashboards} dashboards render ({len(acks)} acks): p50 {percentile(acks, 50):.0f} ms, "
        f"p99 **{percentile(acks, 99):.0f} ms** (goal ≤ 100 ms); "
        f"all {dashboards} dashboards posted in {all_posted:.1f} s",
    ]


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    """What this ran on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    return (
        f"{cpu}, {os.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.0f} GiB, "
        f"{platform.system()} {platform.release()}, Python {platform.python_version()}"
    )


def main() -> None:
    """Run every benchmark and write bench/RESULTS.md."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="fewer rounds")
    args = parser.parse_args()
    rounds, runs = (5, 3) if args.quick else (20, 7)
    sections = {
        "Render time per chart type (warm, median)": bench_render(rounds),
        "Memory": bench_rss(200 if args.quick else 1000),
        "Dashboard post, 50 ms latency on every Cekura and Slack call": bench_dashboard(runs),
        "Ack latency under load, 50 ms latency": bench_ack(20),
    }
    from bench.start import bench_start  # here: bench.start imports this module

    sections["Cold start, 50 ms latency"] = bench_start(3 if args.quick else 5)
    from bench.digests import bench_digests  # here: bench.digests imports this module

    digests = bench_digests(50 if args.quick else 200)  # a whole section, heading included
    sections[digests[0].removeprefix("## ")] = digests[2:] if len(digests) > 2 and not digests[1] else digests[1:]
    stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    header = f"# Benchmark results\n\nMachine: {machine()}.  \nRun: `make bench` on {stamp}.\n"
    text = merge_sections(RESULTS.read_text() if RESULTS.exists() else "", header, sections)
    print(text)
    RESULTS.write_text(text)


def merge_sections(old: str, header: str, sections: dict[str, list[str]]) -> str:
    """RESULTS.md with these sections replaced (or added) and the others' figures kept as they were:
    each bench (`bench.alerts`, `bench.load`, …) owns its sections."""
    kept: dict[str, str] = {}
    for chunk in old.split("\n## ")[1:]:
        title, _, body = chunk.partition("\n")
        kept[title.strip()] = body.strip("\n")
    for title, lines in sections.items():
        kept[title] = "\n".join(lines).strip("\n")
    return header + "".join(f"\n## {title}\n\n{body}\n" for title, body in kept.items())


if __name__ == "__main__":
    main()
