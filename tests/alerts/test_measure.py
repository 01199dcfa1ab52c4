"""Measures read values in the unit their threshold is written in."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.alerts.measure import read
from bot.alerts.rule import parse_rule
from bot.cekura_models import Widget, WidgetData

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
LATENCY = Widget(id=71, name="Latency", chart_type="line", field="metric", metric_name="Response latency (ms)")


def rows(*values: float) -> WidgetData:
    return WidgetData(data=[{"timestamp": f"2025-06-02T0{i}:00:00Z", "value": v} for i, v in enumerate(values)])


def test_a_latency_in_milliseconds_is_compared_in_seconds() -> None:
    reading = read(parse_rule("widget 71 when latest > 2 s"), LATENCY, [rows(900, 1500)], NOW)
    assert (reading.value, reading.breached, reading.unit) == (1.5, False, "seconds")
    assert read(parse_rule("widget 71 when latest > 1200 ms"), LATENCY, [rows(1500)], NOW).breached is True


def test_a_change_in_points_is_in_seconds_too() -> None:
    rule = parse_rule("widget 71 when avg over 1h rises by 1 pts")
    reading = read(rule, LATENCY, [rows(3000), rows(1500)], NOW)
    assert (reading.value, reading.previous, reading.breached) == (3.0, 1.5, True)


def test_big_and_small_thresholds_keep_a_text_that_parses_back() -> None:
    for text in ("widget 34 when count over 1h > 1.2mn", "widget 34 when count over 1h > 100k",
                 "widget 32 when latest < 99.5 %", "widget 34 when avg over 1h > 0.25 s"):  # fmt: skip
        rule = parse_rule(text)
        assert parse_rule(rule.text) == rule, rule.text
    assert parse_rule("widget 34 when count over 1h > 1.2mn").text == "widget 34 when count over 1h > 1200000"


def test_a_count_widget_takes_a_plain_number() -> None:
    calls = Widget(id=31, name="Calls per hour", chart_type="bar", field="duration", aggregation_function="count")
    rows = [{"time_interval": "2025-06-02T10:00:00Z", "value": 140, "sample_count": 140}]
    reading = read(parse_rule("widget 31 when latest > 100"), calls, [WidgetData(data=rows)], NOW)
    assert (reading.value, reading.breached, reading.unit) == (140.0, True, "calls")
