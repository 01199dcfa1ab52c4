"""From Cekura's widget data to a chart spec, a key figure and a one-sentence description.

Cekura's `data` shapes (cekura-api.md §4): line `[{id, timestamp, value}]`, bar
`[{time_interval, value, sample_count}]`, pie `[{label, value, percentage}]`, stat `{…}`. Entries
that cannot be read are skipped rather than failing the whole widget. Units come from the field:
durations in seconds, latencies (milliseconds at Cekura) turned into seconds, counts as calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from bot import filters
from bot.cekura_models import FilterJSON, Widget, WidgetData
from bot.reldate import parse_iso, resolve
from bot.widget_figures import bar_figure, line_figure, overall_value, pie_figure, stat_figure
from bot.widget_labels import MS_TO_S, category_label, category_tone, field_words, is_milliseconds, measure_name
from charts.buckets import fill_buckets, partial_ends
from charts.spec import BarChart, Chart, EmptyChart, LineChart, Period, PieChart, StatCard, Tone, Unit

STAT_UNITS: dict[str, Unit] = {
    "total_calls": "calls",
    "success_rate": "percent",
    "avg_duration": "seconds",
    "p95_latency": "seconds",
}
STAT_SCALE = {"p95_latency": MS_TO_S}
PERIODS = ("hour", "day", "week", "month")
TOTALLING = ("count", "sum")
NO_DATA = "no data in this range"
_KIND_WORDS = {"line": "Line chart", "bar": "Bar chart", "pie": "Donut chart", "stat": "Key figures"}


@dataclass(frozen=True)
class WidgetView:
    """What the message shows for one widget: its chart, its key figure and a sentence for alt text."""

    widget_id: int
    title: str
    chart: Chart
    key_figure: str
    description: str = ""
    is_empty: bool = False


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


def _time(value: Any) -> datetime | None:
    return parse_iso(value) if isinstance(value, str) else None


def data_window(node: FilterJSON | None, now: datetime) -> tuple[datetime, datetime] | None:
    """The time range a filter asks for: its latest lower bound to its earliest upper bound (else now)."""
    leaves, _ = filters.split_time_range(node)
    lows = [m for leaf in leaves if leaf.get("op") in ("gt", "gte") and (m := resolve(leaf.get("value"), now))]
    highs = [
        m for leaf in leaves if leaf.get("op") in ("lt", "lte") and (m := resolve(leaf.get("value"), now, upper=True))
    ]
    if not lows:
        return None
    return max(lows), min([*highs, now])


def _field(widget: Widget, data: WidgetData) -> str:
    return data.field_name or widget.field or ""


def _name(widget: Widget, data: WidgetData) -> str:
    display = data.metadata.display_name if data.metadata else None
    return widget.metric_name or display or ""


def _aggregation(widget: Widget, data: WidgetData) -> str:
    return (data.aggregation_function or widget.aggregation_function or "").lower()


def value_scale(widget: Widget, data: WidgetData) -> float:
    """What plotted values are multiplied by to be in their unit (latency: ms → s)."""
    if _aggregation(widget, data) == "count":
        return 1.0
    return MS_TO_S if is_milliseconds(_name(widget, data) or _field(widget, data)) else 1.0


def value_unit(widget: Widget, data: WidgetData) -> Unit:
    """How the plotted values read: calls for counts, seconds for durations and latencies, fractions for rates."""
    aggregation = _aggregation(widget, data)
    if aggregation == "count":
        return "calls"
    data_type = (data.metadata.data_type if data.metadata else None) or widget.data_type
    if _field(widget, data) == "duration" or value_scale(widget, data) != 1.0:
        return "seconds"
    if data_type == "boolean" and aggregation == "avg":
        return "fraction"
    return ""


def subject(widget: Widget, data: WidgetData) -> str:
    """The plotted field in words ('duration', 'latency'), without a unit note."""
    return field_words(_field(widget, data), _name(widget, data)) or "calls"


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def to_view(
    widget: Widget, data: WidgetData, *, stamp: str, tz: str, window: tuple[datetime, datetime] | None = None
) -> WidgetView:
    """The chart spec, key figure and description for one widget's data (`window`: the range asked for)."""
    title = widget.title
    kind = data.chart_type or widget.chart_type
    unit, scale = value_unit(widget, data), value_scale(widget, data)
    rows = data.data if isinstance(data.data, list) else []
    view: tuple[Chart, str, str] | None = None
    if kind == "stat" and isinstance(data.data, dict) and data.data:
        stats = {str(k): _scaled(_number(v), STAT_SCALE.get(str(k), 1.0)) for k, v in data.data.items()}
        if any(v for v in stats.values()):  # all zero or missing: no calls in the range
            units = {key: STAT_UNITS.get(key, "") for key in stats}
            view = StatCard(title, stamp, tz, stats, units), stat_figure(stats), "key figures"
    elif kind == "line":
        points = [(t, _scaled(_number(r.get("value")), scale)) for r in rows if (t := _time(r.get("timestamp")))]
        points.sort(key=lambda p: p[0])
        if any(v is not None for _, v in points):
            label = _capital(subject(widget, data))
            view = LineChart(title, stamp, tz, points, label, unit), line_figure(points, unit), label.lower()
    elif kind == "bar":
        view = _bar(widget, data, rows, title, stamp, tz, window)
    elif kind == "pie":
        view = _pie(widget, data, rows, title, stamp, tz)
    if view is None:
        empty = EmptyChart(title, stamp, tz)
        return WidgetView(widget.id, title, empty, NO_DATA, f"{title}: no data in this range ({stamp}).", True)
    chart, figure, shows = view
    words = _KIND_WORDS.get(kind, "Chart")
    description = f"{words} of {shows}" + (f" ({stamp})" if stamp else "") + f": {figure}."
    return WidgetView(widget.id, title, chart, figure, description)


def _scaled(value: float | None, scale: float) -> float | None:
    return None if value is None else value * scale


def _bar(
    widget: Widget,
    data: WidgetData,
    rows: list[dict[str, Any]],
    title: str,
    stamp: str,
    tz: str,
    window: tuple[datetime, datetime] | None,
) -> tuple[Chart, str, str] | None:
    unit, scale = value_unit(widget, data), value_scale(widget, data)
    raw = [(t, _scaled(_number(r.get("value")), scale)) for r in rows if (t := _time(r.get("time_interval")))]
    if not any(v is not None for _, v in raw):
        return None
    aggregation = _aggregation(widget, data) or "count"
    raw_period = data.time_period or widget.time_period or "day"
    period = cast(Period, raw_period if raw_period in PERIODS else "day")
    # No calls in a bucket: zero calls (or zero total) for counts and sums, no value for the rest.
    missing = 0.0 if aggregation in TOTALLING else None
    buckets = fill_buckets(raw, period, missing=missing, window=window)
    partial = partial_ends([start for start, _ in buckets], period, window)
    label = measure_name(aggregation, subject(widget, data), field=_field(widget, data), unit=unit)
    chart = BarChart(title, stamp, tz, buckets, period, label, unit, partial)
    pairs = [
        (value * scale, _number(r.get("sample_count"))) for r in rows if (value := _number(r.get("value"))) is not None
    ]
    figure = bar_figure(buckets, aggregation, period, unit, partial, overall_value(aggregation, pairs))
    return chart, figure, f"{label.lower()} per {period}"


def _pie(
    widget: Widget, data: WidgetData, rows: list[dict[str, Any]], title: str, stamp: str, tz: str
) -> tuple[Chart, str, str] | None:
    field = _field(widget, data)
    totals: dict[str, float] = {}
    for row in rows:
        value = _number(row.get("value"))
        if value is not None and value > 0:
            label = category_label(row.get("label"), field)
            totals[label] = totals.get(label, 0.0) + value  # "true" and "True" are one slice
    if not totals:
        return None
    slices = sorted(totals.items(), key=lambda s: -s[1])
    tones: dict[str, Tone] = {label: tone for label, _ in slices if (tone := category_tone(label, field))}
    chart = PieChart(title, stamp, tz, slices, tones)
    return chart, pie_figure(slices), f"calls by {subject(widget, data)}"
