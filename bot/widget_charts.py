"""From Cekura's widget data to a chart spec and a one-line key figure.

Cekura's `data` shapes (cekura-api.md §4): line `[{id, timestamp, value}]`, bar
`[{time_interval, value, sample_count}]`, pie `[{label, value, percentage}]`, stat `{…}`. Entries
that cannot be read are skipped rather than failing the whole widget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from bot.cekura_models import Widget, WidgetData
from bot.reldate import parse_iso
from charts.format import human_number
from charts.spec import BarChart, Chart, EmptyChart, LineChart, Period, PieChart, StatCard, Unit

STAT_UNITS: dict[str, Unit] = {"success_rate": "percent", "avg_duration": "seconds", "p95_latency": "seconds"}
# Cekura reports latency in milliseconds; shown as durations ("850 ms", "1.2 s") it must be in seconds.
STAT_SCALE = {"p95_latency": 0.001}
PERIODS = ("hour", "day", "week", "month")
TOTALLING = ("count", "sum")


@dataclass(frozen=True)
class WidgetView:
    """What the message shows for one widget: its chart and its key figure."""

    widget_id: int
    title: str
    chart: Chart
    key_figure: str


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    if isinstance(value, str):
        try:
            parsed = float(value)
        except ValueError:
            return None
        return parsed if math.isfinite(parsed) else None
    return None


def _scaled(key: str, value: float | None) -> float | None:
    return None if value is None else value * STAT_SCALE.get(key, 1.0)


def _time(value: Any) -> datetime | None:
    return parse_iso(value) if isinstance(value, str) else None


def value_unit(widget: Widget, data: WidgetData) -> Unit:
    """How the plotted values read: seconds for durations, fractions for averaged booleans."""
    field = data.field_name or widget.field or ""
    aggregation = data.aggregation_function or widget.aggregation_function
    if aggregation == "count":
        return ""
    data_type = (data.metadata.data_type if data.metadata else None) or widget.data_type
    if field == "duration":
        return "seconds"
    if data_type == "boolean" and aggregation == "avg":
        return "fraction"
    return ""


def subject(widget: Widget, data: WidgetData) -> str:
    """The plotted field in words (`duration`, `Latency (ms)`)."""
    display = data.metadata.display_name if data.metadata else None
    return widget.metric_name or display or data.field_name or widget.field or "calls"


def to_view(widget: Widget, data: WidgetData, *, stamp: str, tz: str) -> WidgetView:
    """The chart spec and key figure for one widget's data."""
    title = widget.title
    kind = data.chart_type or widget.chart_type
    unit = value_unit(widget, data)
    rows = data.data if isinstance(data.data, list) else []
    if kind == "stat" and isinstance(data.data, dict) and data.data:
        stats = {str(k): _scaled(str(k), _number(v)) for k, v in data.data.items()}
        if any(v for v in stats.values()):  # all zero or missing: no calls in the range
            card = StatCard(title, stamp, tz, stats, STAT_UNITS)
            return WidgetView(widget.id, title, card, _stat_figure(stats))
    if kind == "line":
        points = [(t, _number(r.get("value"))) for r in rows if (t := _time(r.get("timestamp")))]
        points.sort(key=lambda p: p[0])
        values = [v for _, v in points if v is not None]
        if values:
            chart: Chart = LineChart(title, stamp, tz, points, subject(widget, data), unit)
            avg = sum(values) / len(values)
            figure = (
                f"latest {human_number(values[-1], unit)} · avg {human_number(avg, unit)} "
                f"over {human_number(len(values))} calls"
            )
            return WidgetView(widget.id, title, chart, figure)
    elif kind == "bar":
        buckets = [(t, _number(r.get("value"))) for r in rows if (t := _time(r.get("time_interval")))]
        buckets.sort(key=lambda b: b[0])
        values = [v for _, v in buckets if v is not None]
        if values:
            aggregation = data.aggregation_function or widget.aggregation_function or "count"
            raw_period = data.time_period or widget.time_period or "day"
            period = cast(Period, raw_period if raw_period in PERIODS else "day")
            label = f"{aggregation} of {subject(widget, data)}"
            chart = BarChart(title, stamp, tz, buckets, period, label, unit)
            return WidgetView(widget.id, title, chart, _bar_figure(values, aggregation, period, unit, rows))
    elif kind == "pie":
        slices = [(str(r.get("label")), v) for r in rows if (v := _number(r.get("value"))) is not None]
        slices = [s for s in slices if s[1] > 0]
        if slices:
            slices.sort(key=lambda s: -s[1])
            total = sum(v for _, v in slices)
            top_label, top_value = slices[0]
            figure = f"top: {top_label} {human_number(100 * top_value / total, 'percent')} of {human_number(total)}"
            return WidgetView(widget.id, title, PieChart(title, stamp, tz, slices), figure)
    return WidgetView(widget.id, title, EmptyChart(title, stamp, tz), "no data in this range")


def _bar_figure(values: list[float], aggregation: str, period: str, unit: Unit, rows: list[dict[str, Any]]) -> str:
    latest = f"latest {period} {human_number(values[-1], unit)}"
    if aggregation in TOTALLING:
        return f"total {human_number(sum(values), unit)} · {latest}"
    if aggregation == "avg":
        weights = [_number(r.get("sample_count")) for r in rows if _number(r.get("value")) is not None]
        if len(weights) == len(values) and all(w for w in weights):
            weighted = sum(v * (w or 0) for v, w in zip(values, weights, strict=True))
            overall = weighted / sum(w or 0 for w in weights)
            return f"avg {human_number(overall, unit)} · {latest}"
    if aggregation == "min":
        return f"lowest {human_number(min(values), unit)} · {latest}"
    if aggregation == "max":
        return f"highest {human_number(max(values), unit)} · {latest}"
    return latest


def _stat_figure(stats: dict[str, float | None]) -> str:
    parts = []
    if stats.get("total_calls") is not None:
        parts.append(f"{human_number(stats['total_calls'])} calls")
    if stats.get("success_rate") is not None:
        parts.append(f"{human_number(stats['success_rate'], 'percent')} success")
    if stats.get("avg_duration") is not None:
        parts.append(f"avg {human_number(stats['avg_duration'], 'seconds')}")
    if stats.get("p95_latency") is not None:
        parts.append(f"p95 latency {human_number(stats['p95_latency'], 'seconds')}")
    return " · ".join(parts) or "no data in this range"
