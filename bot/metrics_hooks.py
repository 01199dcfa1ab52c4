"""Hooks that feed `bot.metrics` from the Slack client and the render pool, without changing either.

slack.retry_handlers.insert(0, SlackAnswers(metrics))   # sees every answer, retries nothing
renderer = TimedRenderPool(workers, metrics)            # times each chart around the pool call
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from slack_sdk.http_retry.handler import RetryHandler
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.metrics import Metrics
from bot.render_pool import RenderPool
from charts.spec import Chart


class SlackAnswers(RetryHandler):
    """A retry handler that never retries: slack_sdk shows it every answer first, so it counts them."""

    def __init__(self, metrics: Metrics) -> None:
        super().__init__(max_retry_count=0)
        self.metrics = metrics

    def can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        """Count the answer (or its absence); always False, so the real handlers behind it decide."""
        status = response.status_code if response is not None else None
        body = response.body if response is not None else None
        self.metrics.slack_answer(request.url, status, body)
        return False


def chart_kind(chart: Chart) -> str:
    """`LineChart` → `line`, `StatCard` → `stat`: a bounded label for a chart."""
    name = type(chart).__name__
    for suffix in ("Chart", "Card"):
        name = name.removesuffix(suffix)
    return name.lower() or "other"


class TimedRenderPool(RenderPool):
    """A RenderPool whose charts are timed in this (the parent) process, from submit to PNG.

    Workers are other processes, so their clocks and counters are not ours: the time is taken here,
    around the pool call, and includes the wait for a free worker (which is what a user waits for).
    """

    def __init__(self, workers: int | None, metrics: Metrics) -> None:
        super().__init__(workers)
        self.metrics = metrics

    def render_all(
        self, charts: Sequence[Chart], on_done: Callable[[int, bytes], None] | None = None, **options: Any
    ) -> list[bytes | BaseException]:
        """As RenderPool.render_all, observing each chart's time and the pool's saturation."""
        started = time.perf_counter()
        pending = set(range(len(charts)))
        self.metrics.rendering(len(charts), self.workers)

        def done(index: int, png: bytes) -> None:
            self._observe(charts[index], started, "ok")
            pending.discard(index)
            self.metrics.rendering(-1, self.workers)
            if on_done is not None:
                on_done(index, png)

        try:
            results = super().render_all(charts, done, **options)
        finally:
            self.metrics.rendering(-len(pending), self.workers)
        for index in sorted(pending):
            self._observe(charts[index], started, "error")
        return results

    def _observe(self, chart: Chart, started: float, outcome: str) -> None:
        self.metrics.render_seconds.labels(chart_kind(chart), outcome).observe(time.perf_counter() - started)
