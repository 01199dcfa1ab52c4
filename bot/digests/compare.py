"""A digest's numbers: one headline figure per widget, its change against the previous period, a data hash.

    changes = compare_periods(widgets, current, previous)   # {widget_id: "▲ 12 % (was 1.1k)"}

The headline is what the widget is about as one number: a count or sum is totalled, an average (or
percentile) is averaged over the samples, a min or max stays one, a pie is its total, a stat card
its number of calls. Rates (fractions, percentages) change in points, everything else in per cent.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.cekura_models import Widget, WidgetData
from bot.widget_charts import TOTALLING, value_unit
from charts.format import human_number
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


def headline(widget: Widget, data: WidgetData) -> Headline:
    """The headline figure of one widget's data."""
    kind = data.chart_type or widget.chart_type
    if kind == "stat":
        stats = data.data if isinstance(data.data, dict) else {}
        return Headline(_number(stats.get("total_calls")) or 0.0, "")
    rows = data.data if isinstance(data.data, list) else []
    pairs = _values(rows)
    if kind == "pie":
        return Headline(sum(value for value, _ in pairs if value > 0), "")
    unit = value_unit(widget, data)
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
        words = change(headline(widget, now_data), headline(widget, before))
        if words is not None:
            changes[widget_id] = words
    return changes


def data_hash(data: Mapping[int, WidgetData]) -> str:
    """A stable fingerprint of a digest's data, for `only-if-changed`."""
    payload = {str(key): value.model_dump(mode="json") for key, value in sorted(data.items())}
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()
