"""Key figures: one line per widget saying its number, and which period that number describes.

    bar_figure(...)  → "total 397 calls · last full day 80 calls · today so far 4 calls"

Formatted with the charts' own formatter (charts.format), so a figure reads as the axis does.
A partial period is never passed off as a whole one: it is named "so far".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from charts.numbers import human_number, share
from charts.spec import Period, Unit

LAST_FULL: dict[str, str] = {
    "hour": "last full hour",
    "day": "last full day",
    "week": "last full week",
    "month": "last full month",
}
SO_FAR: dict[str, str] = {
    "hour": "this hour so far",
    "day": "today so far",
    "week": "this week so far",
    "month": "this month so far",
}


def bar_figure(
    buckets: Sequence[tuple[datetime, float | None]],
    aggregation: str,
    period: Period,
    unit: Unit,
    partial: tuple[bool, bool],
    overall: float | None,
) -> str:
    """The range's figure (total, average, extreme), the last complete bucket, and the running one."""
    last = len(buckets) - 1
    cut = {i for i, flag in ((0, partial[0]), (last, partial[1])) if flag}
    complete = [v for i, (_, v) in enumerate(buckets) if i not in cut]
    parts = []
    words = {"count": "total", "sum": "total", "avg": "avg", "min": "lowest", "max": "highest"}
    if aggregation in words and overall is not None:
        parts.append(f"{words[aggregation]} {human_number(overall, unit)}")
    if complete:
        # The last complete bucket, even when it had no calls: an older one would pass for it.
        latest = complete[-1]
        parts.append(f"{LAST_FULL[period]} {'no calls' if latest is None else human_number(latest, unit)}")
    running = buckets[last][1] if buckets and partial[1] else None
    if running is not None:
        parts.append(f"{SO_FAR[period]} {human_number(running, unit)}")
    return " · ".join(parts) or "no complete period in this range"


def overall_value(aggregation: str, pairs: Sequence[tuple[float, float | None]]) -> float | None:
    """The whole range as one number from (bucket value, sample count) pairs: sum, weighted mean, extreme."""
    values = [value for value, _ in pairs]
    if not values:
        return None
    if aggregation in ("count", "sum"):
        return sum(values)
    if aggregation == "min":
        return min(values)
    if aggregation == "max":
        return max(values)
    if aggregation == "avg":
        weights = [weight for _, weight in pairs]
        if all(w is not None and w > 0 for w in weights):
            total = sum(w or 0.0 for w in weights)
            return sum(v * (w or 0.0) for v, w in pairs) / total
    return None  # a percentile of percentiles is not the range's percentile: say nothing


def line_figure(points: Sequence[tuple[datetime, float | None]], unit: Unit) -> str:
    """The latest value and the average over every point (one per call)."""
    values = [value for _, value in points if value is not None]
    avg = sum(values) / len(values)
    return (
        f"latest {human_number(values[-1], unit)} · avg {human_number(avg, unit)} "
        f"over {human_number(len(values), 'calls')}"
    )


def pie_figure(slices: Sequence[tuple[str, float]]) -> str:
    """The largest slice's share of all calls, in the same words and style as the chart's legend."""
    total = sum(value for _, value in slices)
    label, value = slices[0]
    return f"top: {label} {share(value, total)} of {human_number(total, 'calls')}"


def stat_figure(stats: dict[str, float | None]) -> str:
    """The stat card's figures in one line, each in its unit."""
    parts = []
    if stats.get("total_calls") is not None:
        parts.append(human_number(stats["total_calls"], "calls"))
    if stats.get("success_rate") is not None:
        parts.append(f"{human_number(stats['success_rate'], 'percent')} success")
    if stats.get("avg_duration") is not None:
        parts.append(f"avg {human_number(stats['avg_duration'], 'seconds')}")
    if stats.get("p95_latency") is not None:
        parts.append(f"p95 latency {human_number(stats['p95_latency'], 'seconds')}")
    return " · ".join(parts) or "no data in this range"
