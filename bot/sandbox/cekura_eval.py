"""Chart data over sandbox calls, in the shapes of cekura-api.md §4 and the §2.4 envelope.

`DataEngine` filters the calls and computes each chart, caching both: results are keyed by the
widget's plotting config, the effective filter and `now` truncated to the minute, so a dashboard
refresh within the same minute costs nothing.

    engine = DataEngine(seed=7)
    engine.widget_data(widget, effective_filter, now)   # {"widget_id": …, "data": […], …}
"""

from __future__ import annotations

import json
import math
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.sandbox.cekura_calls import METRICS, Call, calls_between
from bot.sandbox.cekura_filters import call_value, compile_filter, time_window

METRIC_FIELD = "metric_evaluations.value"
LATENCY_METRIC = 101
PLOT_FIELDS = {
    "duration": ("numeric", "Duration"),
    "success": ("boolean", "Success"),
    "is_reviewed": ("boolean", "Reviewed"),
    "call_ended_reason": ("string", "Call ended reason"),
    "dropoff_point": ("string", "Dropoff point"),
    "topic": ("string", "Topic"),
    "agent_id": ("numeric", "Agent"),
    METRIC_FIELD: ("dynamic", "Metric value"),
}
_CONFIG_KEYS = ("chart_type", "field", "metric", "time_period", "aggregation_function")


def plot_type(name: str | None) -> str | None:
    """The data type of a plottable widget field (`metadata.*` is a string); None when unknown."""
    if not name:
        return None
    if name.startswith("metadata."):
        key = name[len("metadata.") :]
        return "string" if key and "." not in key else None
    entry = PLOT_FIELDS.get(name)
    return entry[0] if entry else None


def display_name(name: str | None, metric: int | None) -> str:
    """A human-readable name for the plotted field."""
    if name == METRIC_FIELD and metric in METRICS:
        return str(METRICS[metric]["name"])
    if name and name.startswith("metadata."):
        return name[len("metadata.") :].replace("_", " ").capitalize()
    if name in PLOT_FIELDS:
        return PLOT_FIELDS[name][1]
    return name or "Overview"


def plotted_value(call: Call, name: str, metric: int | None) -> Any:
    """The value a widget plots for one call; None when the call has none (e.g. metric not run)."""
    if name == METRIC_FIELD:
        for row in call["metric_evaluations"]:
            if row["metric"]["id"] == metric:
                return row["value"]
        return None
    return call_value(call, name)


def iso(moment: datetime) -> str:
    """`2026-11-03T10:30:00Z`: how Cekura writes timestamps in chart data."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bucket_start(moment: datetime, period: str) -> datetime:
    """The UTC start of the hour/day/week (Monday)/month bucket holding `moment`."""
    moment = moment.astimezone(UTC)
    if period == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        return day - timedelta(days=day.weekday())
    if period == "month":
        return day.replace(day=1)
    return day


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear-interpolated percentile (PostgreSQL's percentile_cont) of non-empty `values`."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * fraction
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def aggregate(values: Sequence[Any], function: str) -> float | int | None:
    """One of count/sum/avg/min/max/p50/p95/p99 over non-null values (booleans count as 0/1)."""
    if function == "count":
        return len(values)
    numbers = [float(value) for value in values if isinstance(value, int | float)]
    if not numbers:
        return None
    if function == "sum":
        result = math.fsum(numbers)
    elif function == "avg":
        result = math.fsum(numbers) / len(numbers)
    elif function == "min":
        result = min(numbers)
    elif function == "max":
        result = max(numbers)
    else:
        result = percentile(numbers, int(function[1:]) / 100)
    return round(result, 4)


def line_points(calls: Sequence[Call], name: str, metric: int | None) -> list[dict[str, Any]]:
    """One point per call in time order; `value` is null when the call has no value."""
    ordered = sorted(calls, key=lambda call: (call["timestamp"], call["id"]))
    return [
        {"id": call["id"], "timestamp": iso(call["timestamp"]), "value": plotted_value(call, name, metric)}
        for call in ordered
    ]


def bar_buckets(
    calls: Sequence[Call], name: str, metric: int | None, function: str, period: str
) -> list[dict[str, Any]]:
    """One entry per non-empty time bucket, in time order."""
    buckets: dict[datetime, list[Any]] = defaultdict(list)
    for call in calls:
        value = plotted_value(call, name, metric)
        if value is not None:
            buckets[bucket_start(call["timestamp"], period)].append(value)
    return [
        {"time_interval": iso(start), "value": aggregate(values, function), "sample_count": len(values)}
        for start, values in sorted(buckets.items())
    ]


def pie_slices(calls: Sequence[Call], name: str, metric: int | None) -> list[dict[str, Any]]:
    """Count per distinct value, largest first; calls without a value are left out."""
    counts: dict[str, int] = defaultdict(int)
    for call in calls:
        value = plotted_value(call, name, metric)
        if value is not None:
            counts[_label(value)] += 1
    total = sum(counts.values())
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return [{"label": label, "value": count, "percentage": round(100 * count / total, 1)} for label, count in ordered]


def stat_summary(calls: Sequence[Call]) -> dict[str, Any]:
    """The KPI object: success rate in percent (0–100), mean duration in s, p95 latency in ms."""
    latencies = [plotted_value(call, METRIC_FIELD, LATENCY_METRIC) for call in calls]
    known = [float(value) for value in latencies if value is not None]
    count = len(calls)
    return {
        "total_calls": count,
        "success_rate": round(100 * sum(call["success"] for call in calls) / count, 1) if count else None,
        "avg_duration": round(math.fsum(call["duration"] for call in calls) / count, 1) if count else None,
        "p95_latency": round(percentile(known, 0.95), 1) if known else None,
    }


def chart_data(widget: dict[str, Any], calls: Sequence[Call]) -> list[dict[str, Any]] | dict[str, Any]:
    """The `data` member for a widget config over already-filtered calls."""
    chart = widget.get("chart_type")
    name = str(widget.get("field") or "")
    metric = widget.get("metric")
    if chart == "stat":
        return stat_summary(calls)
    if chart == "line":
        return line_points(calls, name, metric)
    if chart == "pie":
        return pie_slices(calls, name, metric)
    function = widget.get("aggregation_function") or "count"
    return bar_buckets(calls, name, metric, function, widget.get("time_period") or "day")


def envelope(widget: dict[str, Any], data: list[dict[str, Any]] | dict[str, Any]) -> dict[str, Any]:
    """The WidgetDataResponse around `data` (§2.4); `widget["id"]` is None for previews."""
    name = widget.get("field") or ""
    metric = widget.get("metric") if name == METRIC_FIELD else None
    data_type = plot_type(name) or "numeric"
    return {
        "widget_id": widget.get("id"),
        "field_name": name,
        "chart_type": widget.get("chart_type"),
        "data": data,
        "aggregation_function": widget.get("aggregation_function") or None,
        "time_period": widget.get("time_period") or None,
        "group_by": widget.get("group_by") or None,
        "can_group_by": widget.get("chart_type") in ("line", "bar"),
        "metadata": {
            "display_name": display_name(name, metric),
            "data_type": data_type,
            "filter_value": metric,
        },
    }


class DataEngine:
    """Filters calls and computes widget data, with bounded caches shared by all request threads."""

    def __init__(self, seed: int, *, max_entries: int = 256) -> None:
        self.seed = seed
        self._max = max_entries
        self._lock = threading.Lock()
        self._results: OrderedDict[str, list[dict[str, Any]] | dict[str, Any]] = OrderedDict()
        self._matches: OrderedDict[str, list[Call]] = OrderedDict()

    def widget_data(self, widget: dict[str, Any], effective: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
        """The WidgetDataResponse for `widget` under the (already validated) effective filter."""
        minute = now.astimezone(UTC).replace(second=0, microsecond=0)
        filter_key = json.dumps(effective or {}, sort_keys=True, ensure_ascii=False) + minute.isoformat()
        config = {key: widget.get(key) for key in _CONFIG_KEYS}
        key = json.dumps(config, sort_keys=True) + filter_key
        data = self._get(self._results, key)
        if data is None:
            data = chart_data(widget, self.matching(effective, minute, filter_key))
            self._put(self._results, key, data)
        return envelope(widget, data)

    def matching(self, effective: dict[str, Any] | None, now: datetime, key: str | None = None) -> list[Call]:
        """Calls up to `now` that satisfy the filter, in time order."""
        key = key or json.dumps(effective or {}, sort_keys=True, ensure_ascii=False) + now.isoformat()
        found: list[Call] | None = self._get(self._matches, key)
        if found is None:
            start, end = time_window(effective, now)
            keep = compile_filter(effective, now)
            found = [call for call in calls_between(self.seed, now, start, end) if keep(call)]
            self._put(self._matches, key, found)
        return found

    def _get(self, cache: OrderedDict[str, Any], key: str) -> Any:
        with self._lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        return None

    def _put(self, cache: OrderedDict[str, Any], key: str, value: Any) -> None:
        with self._lock:
            cache[key] = value
            while len(cache) > self._max:
                cache.popitem(last=False)


def _label(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
