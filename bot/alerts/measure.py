"""From a rule and a widget's data to one number, and whether it breaches.

    spans = fetch_spans(rule, widget, now)          # the time ranges to fetch (two for `rises by`)
    node = span_filter(widget, dashboard_filters, rule, span)
    reading = read(rule, widget, [data_of_each_span], now)

Values stay in Cekura's scale (success rates are fractions, durations seconds); thresholds are
converted into that scale once (`threshold_value`), and `charts.format.human_number` shows both.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import filters
from bot.alerts.rule import Rule, Threshold
from bot.cekura_models import FilterJSON, Widget, WidgetData
from bot.errors import UserError
from bot.widget_charts import value_scale, value_unit
from charts.numbers import human_number
from charts.spec import Unit

PERIOD_LENGTH = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
PERIOD_LENGTH["month"] = timedelta(days=31)
LINE_LATEST_SPAN = timedelta(hours=24)
SHARE_SPAN = timedelta(hours=24)
MAX_SPAN = timedelta(days=30)
Span = tuple[datetime, datetime]


class Misfit(UserError):
    """The rule does not fit the widget (chart type, or the threshold's unit against the plotted values).

    At `alert add` / `edit` / `test` it is the user's answer; in a scheduled evaluation (the widget
    changed since) it is the alert's own fault: it counts towards pausing, in these same words.
    """


@dataclass(frozen=True)
class Reading:
    """One evaluation's value; `breached` is None when there was nothing to compare."""

    value: float | None
    breached: bool | None
    unit: Unit
    previous: float | None = None  # the previous window, for `rises by` / `drops by`
    points: int = 0

    def shown(self) -> str:
        """The value as the chart would print it (`87.5%`, `1.2 s`, `–`)."""
        return human_number(self.value, self.unit)


def iso(moment: datetime) -> str:
    """`2025-06-02T09:00:00Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _kind(widget: Widget, data: WidgetData | None = None) -> str:
    return (data.chart_type if data is not None else None) or widget.chart_type


def check_fits(rule: Rule, widget: Widget, data: WidgetData) -> None:
    """A UserError when the measure does not fit the chart type or the threshold's unit the values."""
    kind = _kind(widget, data)
    name = f"Widget {widget.id} ({widget.title})"
    if kind == "stat":
        raise Misfit(f"{name} is a stat card; alerts watch line, bar and pie widgets.")
    if rule.kind == "share" and kind != "pie":
        raise Misfit(f'{name} is a {kind} chart: `share of "…"` needs a pie. Try `latest` or `avg over 1h`.')
    if rule.kind in ("latest", "window", "change") and kind == "pie":
        raise Misfit(f'{name} is a pie: watch one slice, e.g. `share of "error" > 5 %`.')
    if rule.kind == "nodata":
        return
    threshold_value(rule, unit_of(rule, widget, data), name)


def unit_of(rule: Rule, widget: Widget, data: WidgetData) -> Unit:
    """How the measured values read: a share is a fraction, a count a plain number."""
    if rule.kind == "share":
        return "fraction"
    if rule.aggregation == "count":
        return ""
    return value_unit(widget, data)


def threshold_value(rule: Rule, unit: Unit, name: str = "This widget") -> float:
    """The threshold in the data's own scale; a Misfit saying how to write it when its unit cannot apply."""
    value, given = rule.threshold.value, rule.threshold.unit
    if rule.kind == "change" and given == "%":
        return value  # a relative change, in percent of the previous window
    if given in ("%", "pts") and unit == "fraction":
        return value / 100
    if given in ("s", "ms") and unit == "seconds":
        return value / 1000 if given == "ms" else value
    if given in ("", "pts") and unit in ("", "calls"):  # counts of calls are plain numbers too
        return value
    if given == "pts" and unit == "seconds" and rule.kind == "change":
        return value  # `rises by 5 pts` on durations: five seconds more than the window before
    raise Misfit(
        f"{name} shows {_unit_words(unit)}, so the threshold must be {_EXPECTED[_kind_of(unit)]}, "
        f"not `{rule.threshold.text}`. For example: `{_example(rule, unit)}`."
    )


_EXPECTED = {
    "fraction": "a percentage such as `90 %`",
    "seconds": "a duration such as `2 s` or `1500 ms`",
    "": "a plain number such as `1200` or `1.2k`",
}
_EXAMPLE = {"fraction": Threshold(90, "%"), "seconds": Threshold(2, "s"), "": Threshold(1200)}


def _kind_of(unit: Unit) -> str:
    return unit if unit in ("fraction", "seconds") else ""


def _example(rule: Rule, unit: Unit) -> str:
    """The user's rule with a threshold in the widget's unit (a change keeps `%` or takes `pts`)."""
    if rule.kind == "change":
        return replace(rule, threshold=Threshold(10, "pts")).text
    return replace(rule, threshold=_EXAMPLE[_kind_of(unit)]).text


def chart_threshold(rule: Rule, unit: Unit) -> float | None:
    """The threshold in the chart's values, for the line drawn on it; None when the rule's number is not one.

    A change (`rises by`), a count of calls over a window, a share of a pie and `no data` measure
    something the chart does not plot, so they get no line.
    """
    if rule.kind not in ("latest", "window") or rule.aggregation == "count":
        return None
    return threshold_value(rule, unit)


def _unit_words(unit: Unit) -> str:
    return {"fraction": "percentages", "seconds": "durations"}.get(unit, "plain numbers")


def fetch_spans(rule: Rule, widget: Widget, now: datetime) -> list[Span]:
    """The time ranges whose data the rule needs: the current one, and the previous for a change."""
    if rule.kind in ("window", "nodata", "change"):
        assert rule.window is not None
        spans = [(now - rule.window, now)]
        if rule.kind == "change":
            spans.append((now - 2 * rule.window, now - rule.window))
        return spans
    if rule.kind == "share":
        return [(now - (rule.window or SHARE_SPAN), now)]
    if _kind(widget) == "bar":
        # Enough for the last complete period and the one in progress.
        length = PERIOD_LENGTH.get(widget.time_period or "day", PERIOD_LENGTH["day"])
        return [(now - min(3 * length, MAX_SPAN), now)]
    return [(now - LINE_LATEST_SPAN, now)]


def span_filter(
    widget: Widget, dashboard_filters: FilterJSON | None, where: FilterJSON | None, span: Span
) -> FilterJSON:
    """The complete filter for one span: dashboard AND widget conditions (their ranges dropped) AND `where`."""
    _, dashboard_rest = filters.split_time_range(dashboard_filters)
    _, widget_rest = filters.split_time_range(widget.filters)
    start = {"field": "timestamp", "op": "gte", "value": iso(span[0])}
    end = {"field": "timestamp", "op": "lt", "value": iso(span[1])}
    combined = filters.and_all(dashboard_rest, widget_rest, where, start, end)
    assert combined is not None
    return combined


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _rows(data: WidgetData) -> list[dict[str, Any]]:
    return data.data if isinstance(data.data, list) else []


def _series(data: WidgetData) -> list[tuple[str, float, float]]:
    """(time, value, weight) of a line or bar, in time order; weight is the sample count (1 for points)."""
    out = []
    for row in _rows(data):
        moment = row.get("timestamp") or row.get("time_interval")
        value = _number(row.get("value"))
        if isinstance(moment, str) and value is not None:
            weight = _number(row.get("sample_count"))
            out.append((moment, value, 1.0 if weight is None else weight))
    return sorted(out)


def aggregate(rule: Rule, widget: Widget, data: WidgetData) -> tuple[float | None, int]:
    """The window's aggregate, and how many calls it covers."""
    series = _series(data)
    is_bar = _kind(widget, data) == "bar"
    calls = int(sum(w for _, _, w in series)) if is_bar else len(series)
    if rule.aggregation == "count":
        counted = (data.aggregation_function or widget.aggregation_function) == "count"
        return (float(sum(v for _, v, _ in series)) if is_bar and counted else float(calls)), calls
    if not series:
        return None, 0
    values = [v for _, v, _ in series]
    if rule.aggregation == "sum":
        return sum(values), calls
    if rule.aggregation == "min":
        return min(values), calls
    if rule.aggregation == "max":
        return max(values), calls
    weights = [w for _, _, w in series] if is_bar else [1.0] * len(values)
    total = sum(weights)
    return (sum(v * w for v, w in zip(values, weights, strict=True)) / total if total else None), calls


def latest(widget: Widget, data: WidgetData, now: datetime) -> float | None:
    """The last point of a line; the last complete period of a bar chart."""
    series = _series(data)
    if _kind(widget, data) != "bar":
        return series[-1][1] if series else None
    length = PERIOD_LENGTH.get(data.time_period or widget.time_period or "day", PERIOD_LENGTH["day"])
    complete = [v for moment, v, _ in series if _parse(moment) + length <= now]
    return complete[-1] if complete else None


def share(label: str, data: WidgetData) -> tuple[float | None, int]:
    """A slice's share of the pie (a fraction), and the pie's total."""
    slices = [(str(r.get("label")), _number(r.get("value")) or 0.0) for r in _rows(data)]
    total = sum(v for _, v in slices)
    if total <= 0:
        return None, 0
    mine = sum(v for name, v in slices if name.lower() == label.lower())
    return mine / total, int(total)


def _parse(moment: str) -> datetime:
    return datetime.fromisoformat(moment.replace("Z", "+00:00"))


def _compare(value: float, op: str, threshold: float) -> bool:
    return {
        "lt": value < threshold,
        "lte": value <= threshold,
        "gt": value > threshold,
        "gte": value >= threshold,
        "eq": math.isclose(value, threshold, rel_tol=1e-9, abs_tol=1e-12),
        "ne": not math.isclose(value, threshold, rel_tol=1e-9, abs_tol=1e-12),
    }[op]


def read(rule: Rule, widget: Widget, data: list[WidgetData], now: datetime) -> Reading:
    """Evaluate the rule on the fetched data (one entry per span of `fetch_spans`)."""
    unit = unit_of(rule, widget, data[0])
    if rule.kind == "nodata":
        _, calls = aggregate(Rule(rule.widget_id, "window", aggregation="count"), widget, data[0])
        return Reading(float(calls), calls == 0, "", points=calls)
    if rule.kind == "share":
        value, calls = share(rule.label or "", data[0])
    elif rule.kind == "latest":
        value, calls = latest(widget, data[0], now), len(_series(data[0]))
    else:
        value, calls = aggregate(rule, widget, data[0])
    if value is None:
        return Reading(None, None, unit, points=calls)
    # Cekura sends latencies in ms while their unit (and the threshold, `2 s`) is seconds.
    scale = 1.0 if rule.kind == "share" or rule.aggregation == "count" else value_scale(widget, data[0])
    value *= scale
    threshold = threshold_value(rule, unit)
    if rule.kind != "change":
        return Reading(value, _compare(value, rule.op, threshold), unit, points=calls)
    previous, _ = aggregate(rule, widget, data[1])
    if previous is None:
        return Reading(value, None, unit, points=calls)
    previous *= scale
    if rule.threshold.unit == "%":
        if previous == 0:
            return Reading(value, None, unit, previous, calls)  # no relative change from nothing
        change = (value - previous) / abs(previous) * 100
    else:
        change = value - previous
    moved = change if rule.direction == "rises" else -change
    return Reading(value, moved >= threshold, unit, previous, calls)
