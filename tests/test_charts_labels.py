"""Numbers with units and labels in words: what a widget's chart, key figure and digest delta say.

Widgets and data are Cekura-shaped (cekura-api.md §4) and go through `to_view`, the bot's real path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.cekura_models import Widget, WidgetData, WidgetDataMeta
from bot.digests.compare import compare_periods
from bot.widget_charts import data_window, to_view
from bot.widget_labels import category_label, category_tone, humanise, measure_name
from charts import BarChart, LineChart, PieChart, StatCard
from charts.common import BAD, GOOD, PALETTE
from charts.format import axis_formatter
from charts.numbers import human_number, share, short_number
from charts.pie import slice_colours

NOW = datetime(2026, 12, 1, 10, 27, tzinfo=UTC)
WEEK = (NOW - timedelta(days=7), NOW)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def widget_data(kind: str, field: str, rows: Any, **extra: Any) -> tuple[Widget, WidgetData]:
    meta = WidgetDataMeta(display_name=extra.pop("display_name", None), data_type=extra.pop("data_type", None))
    widget = Widget(id=7, name="A widget", chart_type=kind, field=field, **extra)
    shared = {k: extra[k] for k in ("aggregation_function", "time_period") if k in extra}
    return widget, WidgetData(widget_id=7, field_name=field, chart_type=kind, data=rows, metadata=meta, **shared)


def test_one_formatter_for_axes_labels_and_figures() -> None:
    assert human_number(252, "seconds") == "4m 12s"
    assert human_number(1.2, "seconds") == short_number(1.2, "seconds") == "1.2 s"
    assert human_number(0.92, "fraction") == "92 %"
    assert human_number(1234, "calls") == "1.2k calls" and human_number(1, "calls") == "1 call"
    assert short_number(1234, "calls") == "1.2k"
    assert axis_formatter("seconds").format_ticks([0, 0.5, 1, 1.5]) == ["0", "0.5 s", "1 s", "1.5 s"]
    assert share(5, 100) == "5 %" and share(1, 300) == "0.3 %" and share(299, 300) == "99.7 %"


def test_latency_in_ms_reads_as_seconds_on_axis_figure_and_card() -> None:
    rows = [{"id": i, "timestamp": iso(NOW - timedelta(hours=i)), "value": 1200.0} for i in range(5)]
    widget, data = widget_data("line", "metric_evaluations.value", rows, metric=101, metric_name="Latency (ms)")
    view = to_view(widget, data, stamp="Last 7 days", tz="UTC", window=WEEK)
    assert isinstance(view.chart, LineChart) and view.chart.unit == "seconds"
    assert view.chart.y_label == "Latency"  # the unit is on the ticks, not in the label
    assert {v for _, v in view.chart.points} == {1.2}
    assert view.key_figure == "latest 1.2 s · avg 1.2 s over 5 calls"
    card, _ = widget_data("stat", "", {"total_calls": 1234, "p95_latency": 1200, "success_rate": 92})
    stat = to_view(card, _, stamp="", tz="UTC")
    assert isinstance(stat.chart, StatCard) and stat.chart.units["p95_latency"] == "seconds"
    assert stat.key_figure == "1.2k calls · 92 % success · p95 latency 1.2 s"


def test_hourly_counts_fill_empty_hours_and_name_the_running_period() -> None:
    rows = [
        {"time_interval": iso(datetime(2026, 11, 30, d, tzinfo=UTC)), "value": 397, "sample_count": 397} for d in (0,)
    ] + [{"time_interval": "2026-12-01T00:00:00Z", "value": 4, "sample_count": 4}]
    widget, data = widget_data("bar", "duration", rows, aggregation_function="count", time_period="day")
    view = to_view(widget, data, stamp="Last 7 days", tz="UTC", window=WEEK)
    assert isinstance(view.chart, BarChart) and view.chart.y_label == "Calls" and view.chart.unit == "calls"
    assert len(view.chart.buckets) == 8 and view.chart.partial == (True, True)
    assert [v for _, v in view.chart.buckets] == [0, 0, 0, 0, 0, 0, 397, 4]
    assert view.key_figure == "total 401 calls · last full day 397 calls · today so far 4 calls"
    assert view.description.startswith("Bar chart of calls per day (Last 7 days): total 401 calls")
    assert not view.is_empty


def test_averages_leave_empty_buckets_as_gaps_and_say_average() -> None:
    rows = [{"time_interval": "2026-11-25T00:00:00Z", "value": 252, "sample_count": 3}]
    widget, data = widget_data("bar", "duration", rows, aggregation_function="avg", time_period="day")
    view = to_view(widget, data, stamp="", tz="UTC", window=WEEK)
    assert isinstance(view.chart, BarChart) and view.chart.y_label == "Average duration"
    assert [v for _, v in view.chart.buckets].count(None) == 7
    assert view.key_figure == "avg 4m 12s · last full day no calls"


@pytest.mark.parametrize(
    ("aggregation", "field", "unit", "expected"),
    [
        ("count", "duration", "calls", "Calls"),
        ("avg", "duration", "seconds", "Average duration"),
        ("max", "duration", "seconds", "Longest duration"),
        ("p95", "latency", "seconds", "95th-percentile latency"),
        ("avg", "success", "fraction", "Success rate"),
    ],
)
def test_measures_are_written_as_a_person_would(aggregation: str, field: str, unit: Any, expected: str) -> None:
    assert measure_name(aggregation, field, field=field, unit=unit) == expected


def test_raw_values_become_words() -> None:
    assert humanise("customer_ended_call") == "Customer ended call"
    assert humanise("us-east") == "us-east" and humanise("agent2") == "agent2"  # codes, as typed in `where`
    assert humanise("polite") == "Polite"
    assert category_label("true", "success") == "Succeeded" and category_label(False, "success") == "Failed"
    assert category_label("true", "is_reviewed") == "Reviewed"
    assert category_label("1", "metadata.vip") == "Yes"
    assert category_label("Agent ended call", "call_ended_reason") == "Agent ended call"


def test_pie_labels_colours_and_figure_follow_meaning() -> None:
    rows = [{"label": "true", "value": 79}, {"label": "false", "value": 21}, {"label": "True", "value": 1}]
    widget, data = widget_data("pie", "success", rows, data_type="boolean")
    view = to_view(widget, data, stamp="", tz="UTC")
    assert isinstance(view.chart, PieChart)
    assert list(view.chart.slices) == [("Succeeded", 80.0), ("Failed", 21.0)]
    assert view.chart.tones == {"Succeeded": "good", "Failed": "bad"}
    assert view.key_figure == "top: Succeeded 79 % of 101 calls"
    assert slice_colours(["Succeeded", "Failed"], view.chart.tones) == [GOOD, BAD]


def test_rude_is_never_green_and_unknown_labels_get_no_good_or_bad_colour() -> None:
    labels = ["Polite", "Neutral", "Rude"]
    tones = {label: tone for label in labels if (tone := category_tone(label, "metric_evaluations.value"))}
    colours = slice_colours(labels, tones)
    assert colours[2] == BAD and colours[0] == GOOD
    plain = slice_colours([f"Topic {i}" for i in range(7)], {})
    assert GOOD not in plain and BAD not in plain and plain == list(PALETTE)


def test_empty_widgets_say_so() -> None:
    widget, data = widget_data("pie", "topic", [])
    view = to_view(widget, data, stamp="Last 7 days", tz="UTC")
    assert view.is_empty and view.key_figure == "no data in this range"
    assert view.description == "A widget: no data in this range (Last 7 days)."


def test_the_range_asked_for_is_read_from_the_filter() -> None:
    node = {
        "operator": "and",
        "conditions": [
            {"field": "timestamp", "op": "gte", "value": "now-7d"},
            {"field": "success", "op": "eq", "value": True},
        ],
    }
    assert data_window(node, NOW) == (NOW - timedelta(days=7), NOW)
    assert data_window({"field": "success", "op": "eq", "value": True}, NOW) is None


def test_digest_delta_compares_the_pies_own_measure_in_points() -> None:
    widget, now = widget_data("pie", "success", [{"label": "true", "value": 1}], data_type="boolean")
    _, before = widget_data("pie", "success", [{"label": "true", "value": 1}, {"label": "false", "value": 1}])
    changes = compare_periods({7: widget}, {7: now}, {7: before})
    # Success rose from 50 % to 100 % even though the number of calls fell from 2 to 1.
    assert changes == {7: "▲ 50 pts (was 50 %)"}


def test_digest_delta_of_a_count_names_calls() -> None:
    rows = [{"time_interval": "2026-11-30T00:00:00Z", "value": 4}]
    widget, now = widget_data("bar", "duration", rows, aggregation_function="count", time_period="day")
    _, before = widget_data("bar", "duration", [{"time_interval": "2026-11-23T00:00:00Z", "value": 8}])
    assert compare_periods({7: widget}, {7: now}, {7: before}) == {7: "▼ 50 % (was 8 calls)"}
