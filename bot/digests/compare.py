"""A digest's numbers: one headline figure per widget, its change against the previous period, a data hash.

    changes = compare_periods(widgets, current, previous)   # {widget_id: "▲ 12 % (was 1.1k)"}

The headline is the widget's own measure, the one its key figure names: a count or sum is
totalled, an average (or percentile) is averaged over the samples, a min or max stays one, a pie is
the share of its top slice (compared with that same slice's share before: "Succeeded 50 % ·
▼ 50 pts", not the number of calls), a stat card its number of calls. Rates (fractions,
percentages, shares) change in points, everything else in per cent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.cekura_models import Widget, WidgetData
from bot.widget_charts import TOTALLING, value_scale, value_unit
from bot.widget_labels import category_label
from charts.numbers import human_number
from charts.spec import Unit

UP, DOWN = "▲", "▼"
NO_CHANGE = "no change"
_POINTS: dict[Unit, float] = {"fraction": 100.0, "percent": 1.0}  # how many points one unit is


@dataclass(frozen=True)
class Headline:
    """One widget's period as a single number (None when the period has no data to say it with)."""

    value: float | None
    unit: Unit


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _values(rows: list[dict[str, Any]]) -> list[tuple[float, float]]:
    """(value, weight) per readable row; the weight is the sample count when Cekura gives one."""
    pairs = []
    for row in rows:
        value = _number(row.get("value"))
        if value is not None:
            weight = _number(row.get("sample_count"))
            pairs.append((value, weight if weight and weight > 0 else 1.0))
    return pairs


def _shares(widget: Widget, data: WidgetData) -> dict[str, float]:
    """A pie's slices as labelled (as the chart labels them) shares in per cent of the total."""
    rows = data.data if isinstance(data.data, list) else []
    field = data.field_name or widget.field or ""
    totals: dict[str, float] = {}
    for row in rows:
        value = _number(row.get("value"))
        if value is not None and value > 0:
            label = category_label(row.get("label"), field)
            totals[label] = totals.get(label, 0.0) + value
    total = sum(totals.values())
    return {label: 100 * value / total for label, value in totals.items()} if total else {}


def top_label(widget: Widget, data: WidgetData) -> str | None:
    """The label of a pie's largest slice (the one its key figure names), None when it has none."""
    shares = _shares(widget, data)
    return max(shares, key=lambda label: shares[label]) if shares else None


def headline(widget: Widget, data: WidgetData, *, label: str | None = None) -> Headline:
    """The headline figure of one widget's data; for a pie, the share of `label` (default: its top slice)."""
    kind = data.chart_type or widget.chart_type
    if kind == "stat":
        stats = data.data if isinstance(data.data, dict) else {}
        return Headline(_number(stats.get("total_calls")) or 0.0, "calls")
    rows = data.data if isinstance(data.data, list) else []
    pairs = _values(rows)
    if kind == "pie":
        shares = _shares(widget, data)
        if not shares:
            return Headline(None, "percent")
        return Headline(shares.get(label or max(shares, key=lambda key: shares[key]), 0.0), "percent")
    unit, scale = value_unit(widget, data), value_scale(widget, data)
    pairs = [(value * scale, weight) for value, weight in pairs]
    aggregation = (data.aggregation_function or widget.aggregation_function or "").lower()
    if kind == "bar" and aggregation in TOTALLING:
        return Headline(sum(value for value, _ in pairs), unit)
    if not pairs:
        return Headline(None, unit)
    values = [value for value, _ in pairs]
    if kind == "bar" and aggregation == "min":
        return Headline(min(values), unit)
    if kind == "bar" and aggregation == "max":
        return Headline(max(values), unit)
    total_weight = sum(weight for _, weight in pairs)
    return Headline(sum(value * weight for value, weight in pairs) / total_weight, unit)


def change(current: Headline, previous: Headline) -> str | None:
    """'▲ 12 % (was 1.1k)', '▼ 3 pts (was 92 %)', 'no change', or None when there is nothing to compare."""
    if current.value is None:
        return None
    if previous.value is None:
        return "no data in the previous period"
    was = f"(was {human_number(previous.value, previous.unit)})"
    points = _POINTS.get(current.unit)
    if points is not None:
        delta = (current.value - previous.value) * points
        if abs(delta) < 0.05:
            return NO_CHANGE
        return f"{UP if delta > 0 else DOWN} {_amount(abs(delta))} pts {was}"
    if previous.value == 0:
        return NO_CHANGE if current.value == 0 else f"{UP} from 0"
    percent = (current.value - previous.value) / abs(previous.value) * 100
    if abs(percent) < 0.5:
        return NO_CHANGE
    return f"{UP if percent > 0 else DOWN} {_amount(abs(percent))} % {was}"


def _amount(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value < 10 else f"{value:,.0f}"


def compare_periods(
    widgets: Mapping[int, Widget], current: Mapping[int, WidgetData], previous: Mapping[int, WidgetData]
) -> dict[int, str]:
    """Per widget id found in both periods, the change of its headline figure in words."""
    changes: dict[int, str] = {}
    for widget_id, now_data in current.items():
        widget, before = widgets.get(widget_id), previous.get(widget_id)
        if widget is None or before is None:
            continue
        # A pie compares its top slice now with that same slice before, whatever led then.
        label = top_label(widget, now_data) if (now_data.chart_type or widget.chart_type) == "pie" else None
        words = change(headline(widget, now_data, label=label), headline(widget, before, label=label))
        if words is not None:
            changes[widget_id] = words
    return changes


def data_hash(data: Mapping[int, WidgetData]) -> str:
    """A stable fingerprint of a digest's data, for `only-if-changed`."""
    payload = {str(key): value.model_dump(mode="json") for key, value in sorted(data.items())}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
