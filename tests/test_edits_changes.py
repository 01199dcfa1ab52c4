"""Proposals: the chat quick form, Cekura's widget rules, diff, inverse and conflict checks."""

from __future__ import annotations

from typing import Any

import pytest

from bot.cekura_models import Dashboard, Widget
from bot.edits import FieldChange
from bot.edits.changes import (
    USAGE,
    apply_changes,
    bulk_widgets_body,
    changed_fields,
    complete_widget_changes,
    diff,
    has_changed,
    inverse,
    patch_body,
    touched_fields,
    validate_dashboard,
    validate_widget,
)
from bot.edits.quick import parse_quick_edit
from bot.errors import FilterSyntaxError, UserError

LONG_CALLS = {"operator": "and", "conditions": [{"field": "duration", "op": "gte", "value": 60},
                                                {"field": "success", "op": "eq", "value": True}]}  # fmt: skip
WIDGET = {"id": 34, "dashboard": 12, "name": "Duration", "chart_type": "line", "field": "duration",
          "data_type": "numeric", "metric": None, "time_period": None, "aggregation_function": None,
          "filters": None, "metadata": {"w": 6}, "updated_at": "2026-11-20T10:00:00Z"}  # fmt: skip
DASHBOARD = {"id": 12, "name": "Support", "project": 3, "filters": None, "updated_at": "2026-11-20T10:00:00Z",
             "widgets": [WIDGET, {**WIDGET, "id": 35, "name": "Outcome", "chart_type": "pie",
                                  "field": "success", "data_type": "boolean"}]}  # fmt: skip
PIE_OF_SUCCESS = {"field": "success", "chart_type": "pie", "data_type": "boolean"}
BAR_DAY = {"chart_type": "bar", "time_period": "day"}


def widget(**fields: Any) -> Widget:
    return Widget.model_validate({**WIDGET, **fields})


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("widget", 'filters "duration >= 60 and success = true"', {"filters": LONG_CALLS}),
        ("widget", "filters duration >= 60 and success = true", {"filters": LONG_CALLS}),
        ("widget", "filters “duration >= 60 and success = true”", {"filters": LONG_CALLS}),
        ("widget", "filters none", {"filters": {}}),
        ("widget", 'filters ""', {"filters": {}}),
        ("widget", "chart bar", {"chart_type": "bar"}),
        ("widget", "Chart PIE", {"chart_type": "pie"}),
        ("widget", "period day", {"time_period": "day"}),
        ("widget", "period weekly", {"time_period": "week"}),
        ("widget", "period none", {"time_period": None}),
        ("widget", "aggregation avg", {"aggregation_function": "avg"}),
        ("widget", "aggregation average", {"aggregation_function": "avg"}),
        ("widget", 'name "Avg duration"', {"name": "Avg duration"}),
        ("widget", "name ‘Avg duration’", {"name": "Avg duration"}),
        ("widget", 'name "Say \\"hi\\""', {"name": 'Say "hi"'}),
        ("widget", "field duration", {"field": "duration"}),
        ("widget", "field metadata.region", {"field": "metadata.region"}),
        ("widget", "metric 101", {"metric": 101}),
        ("widget", "metric none", {"metric": None}),
        ("widget", "dashboard #7", {"dashboard": 7}),
        ("widget", "data_type boolean", {"data_type": "boolean"}),
        ("widget", 'metadata {"w": 12, "h": 4}', {"metadata": {"w": 12, "h": 4}}),
        (
            "widget",
            "chart bar period day aggregation avg",
            {"chart_type": "bar", "time_period": "day", "aggregation_function": "avg"},
        ),
        ("dashboard", 'name "Support calls"', {"name": "Support calls"}),
        ("dashboard", "project 3", {"project": 3}),
        (
            "dashboard",
            'filters "timestamp >= now-7d"',
            {"filters": {"field": "timestamp", "op": "gte", "value": "now-7d"}},
        ),
        ("dashboard", "remove widget 34", {"remove_widgets": [34]}),
        ("dashboard", "remove widgets 34, 35 name Ops", {"remove_widgets": [34, 35], "name": "Ops"}),
    ],
)
def test_quick_edit_parses_to_cekura_json(kind: Any, text: str, expected: dict[str, Any]) -> None:
    assert parse_quick_edit(kind, text) == expected


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (
            "widget",
            "colour red",
            "`colour` is not something I can edit on a widget. You can edit: name, filters, chart, field",
        ),
        ("widget", "chart scatter", "`scatter` is not a chart type: use line, bar, pie or stat."),
        ("widget", "period fortnight", "`fortnight` is not a period: use hour, day, week or month."),
        ("widget", "chart", "`chart` needs a value, e.g. `chart line, bar, pie or stat`."),
        ("widget", "metric latency", "`metric` takes a number (an id), not `latency`."),
        ("widget", "chart bar chart line", "`chart` is given twice: say it once."),
        ("widget", "name Avg duration", 'Put a name with spaces in quotes: `name "Avg duration"`.'),
        ("widget", 'name "Avg', "A quote is not closed"),
        ("widget", "metadata {w: 6}", "`metadata` takes JSON"),
        ("widget", "remove widget 34", "`remove` is not something I can edit on a widget."),
        ("widget", "", "Say what to change. You can edit a widget's name, filters"),
        (
            "dashboard",
            "chart bar",
            "`chart` is not something I can edit on a dashboard. "
            "You can edit: name, filters, project, remove widget <id>.",
        ),
        ("dashboard", "remove 34", "Say which widget to remove, e.g. `remove widget 34`."),
        ("dashboard", "remove widget name x", "Say which widget to remove by its number"),
    ],
)
def test_quick_edit_errors_name_the_word_and_what_is_editable(kind: Any, text: str, message: str) -> None:
    with pytest.raises(UserError) as caught:
        parse_quick_edit(kind, text)
    assert message in str(caught.value)
    assert caught.value.usage in (USAGE[kind], None)


def test_bad_filter_text_is_a_filter_syntax_error() -> None:
    with pytest.raises(FilterSyntaxError):
        parse_quick_edit("widget", 'filters "duration >>= 60"')


@pytest.mark.parametrize(
    ("current", "changes", "message"),
    [
        ({}, {"chart_type": "pie"}, "A pie chart can't show `duration` (numeric): use line or bar."),
        ({}, {"chart_type": "bar"}, "A bar chart needs an aggregation and a period, e.g. `aggregation count"),
        ({}, {"chart_type": "bar", "time_period": "day"}, "A bar chart needs an aggregation, e.g."),
        (PIE_OF_SUCCESS, {"chart_type": "line"}, "A line chart can't show `success` (boolean): use pie or"),
        (
            PIE_OF_SUCCESS,
            {**BAR_DAY, "aggregation_function": "sum"},
            "`sum` can't aggregate `success` (boolean): use count or",
        ),
        (
            {"field": "topic"},
            {**BAR_DAY, "aggregation_function": "avg"},
            "`avg` can't aggregate `topic` (string): use count.",
        ),
        ({}, {"field": "metadata.region"}, "A line chart can't show `metadata.region` (string): use pie or"),
        (
            {},
            {"field": "metric_evaluations.value"},
            "`metric_evaluations.value` needs a metric: add `metric <id>`",
        ),
        ({}, {"field": "agent"}, "`agent` is not a field a widget can plot. Plottable: duration, success"),
        ({}, {"chart_type": "line", "field": ""}, "A line chart needs a field to plot"),
        ({}, {"group_by": {"type": "field"}}, "`group_by` can't be edited on a widget."),
        ({}, {"aggregation_function": "median"}, "`median` is not an aggregation: use count, sum"),
        ({}, {"data_type": "boolean"}, "`duration` holds numeric data, not boolean."),
    ],
)
def test_invalid_widgets_are_refused_in_plain_words(current: dict, changes: dict, message: str) -> None:
    with pytest.raises(UserError) as caught:
        validate_widget(widget(**current), changes)
    assert message in str(caught.value)


def test_metric_widgets_follow_the_metric_eval_type() -> None:
    metric = widget(field="metric_evaluations.value", metric=102, data_type="dynamic")
    validate_widget(metric, {"chart_type": "pie"}, metric_eval_type="enum")
    with pytest.raises(UserError, match=r"A line chart can't show `metric_evaluations.value` \(enum metric\): use pie"):
        validate_widget(metric, {"name": "Politeness", "chart_type": "line"}, metric_eval_type="enum")
    validate_widget(metric, {"chart_type": "bar", "time_period": "day", "aggregation_function": "avg"},
                    metric_eval_type="binary")  # fmt: skip
    validate_widget(metric, {"chart_type": "pie"})  # eval type unknown: the broadest metric rules


@pytest.mark.parametrize(
    ("current", "changes"),
    [
        ({}, {**BAR_DAY, "aggregation_function": "p95"}),
        ({}, {"name": "Avg duration", "filters": LONG_CALLS, "metadata": None, "dashboard": 7}),
        ({"field": "talk_ratio", "chart_type": "pie"}, {"name": "A field Cekura added after us"}),
        ({"field": "talk_ratio"}, {"time_period": "day"}),
        ({}, {"chart_type": "stat", "field": ""}),
        (PIE_OF_SUCCESS, {**BAR_DAY, "aggregation_function": "avg"}),
        ({}, {"field": "metadata.region", "chart_type": "pie", "data_type": "string"}),
    ],
)  # fmt: skip
def test_valid_widget_changes_pass(current: dict, changes: dict) -> None:
    validate_widget(widget(**current), changes)


def test_dashboard_validation() -> None:
    board = Dashboard.model_validate(DASHBOARD)
    validate_dashboard(board, {"name": "Ops", "remove_widgets": [35]})
    with pytest.raises(UserError, match=r"Widget 99 is not on dashboard 12 \(its widgets are 34, 35\)\."):
        validate_dashboard(board, {"remove_widgets": [99]})
    with pytest.raises(UserError, match="`chart_type` can't be edited on a dashboard"):
        validate_dashboard(board, {"chart_type": "bar"})


def test_a_new_field_brings_its_data_type() -> None:
    assert complete_widget_changes(widget(), {"field": "success"}) == {
        "field": "success",
        "data_type": "boolean",
    }
    assert complete_widget_changes(widget(), {"field": "agent_id"}) == {"field": "agent_id"}
    assert complete_widget_changes(widget(data_type=None), {"field": "success"}) == {"field": "success"}


def test_diff_shows_only_real_changes_with_filters_as_text() -> None:
    changes = {"name": "Duration", "filters": LONG_CALLS, "chart_type": "bar", "time_period": "day",
               "aggregation_function": "avg", "metric": None}  # fmt: skip
    assert diff(WIDGET, changes) == [
        FieldChange("filters", None, "duration >= 60 and success = true"),
        FieldChange("chart_type", "line", "bar"),
        FieldChange("time_period", None, "day"),
        FieldChange("aggregation_function", None, "avg"),
    ]
    assert diff({**WIDGET, "filters": LONG_CALLS}, {"filters": {}}) == [
        FieldChange("filters", "duration >= 60 and success = true", None)
    ]
    assert diff(WIDGET, {"filters": {}, "time_period": ""}) == []
    assert diff(DASHBOARD, {"name": "Ops", "remove_widgets": [35]}) == [
        FieldChange("name", "Support", "Ops"),
        FieldChange("widget 35", "Outcome", "removed"),
    ]


def test_inverse_undoes_the_change() -> None:
    changes = {
        "chart_type": "bar",
        "time_period": "day",
        "aggregation_function": "avg",
        "filters": LONG_CALLS,
    }
    undo = inverse(WIDGET, changes)
    assert undo == {"filters": {}, "chart_type": "line", "time_period": None, "aggregation_function": None}
    assert diff(apply_changes(WIDGET, changes), undo) != []
    assert diff(WIDGET, undo) == []
    assert inverse(WIDGET, {"name": "Duration"}) == {}


def test_inverse_of_a_widget_removal_restores_it() -> None:
    undo = inverse(DASHBOARD, {"name": "Ops", "remove_widgets": [35]})
    dropped = ("updated_at", "metric", "time_period", "aggregation_function", "filters")
    restored = {key: value for key, value in DASHBOARD["widgets"][1].items() if key not in dropped}
    assert undo == {"name": "Support", "restore_widgets": [restored]}
    assert patch_body(undo) == {"name": "Support"}
    assert bulk_widgets_body(undo) == {"create": [{k: v for k, v in restored.items() if k != "id"}]}
    assert bulk_widgets_body({"remove_widgets": [35]}) == {"delete": [35]}
    assert bulk_widgets_body({"name": "x"}) is None
    assert diff(DASHBOARD, undo)[-1] == FieldChange("widget 35", "removed", "restored (with a new id)")
    with pytest.raises(UserError, match="remove it with `remove widget <id>`"):
        inverse(DASHBOARD, undo)


def test_conflicts_compare_touched_fields_and_updated_at() -> None:
    fields = touched_fields({"chart_type": "bar", "time_period": "day"})
    assert fields == ["chart_type", "time_period"]
    assert not has_changed(WIDGET, dict(WIDGET), fields)
    assert not has_changed(WIDGET, {**WIDGET, "updated_at": "2026-11-20T10:00:00+00:00", "filters": {}}, fields)
    assert changed_fields(WIDGET, {**WIDGET, "chart_type": "pie"}, fields) == ["chart_type"]
    assert changed_fields(WIDGET, {**WIDGET, "updated_at": "2026-11-21T08:00:00Z"}, fields) == ["updated_at"]
    no_stamp = {k: v for k, v in WIDGET.items() if k != "updated_at"}
    assert not has_changed(no_stamp, {**no_stamp, "name": "Renamed"}, fields)
    removal = touched_fields({"remove_widgets": [35]})
    assert removal == ["widgets.35"]
    assert not has_changed(DASHBOARD, DASHBOARD, removal)
    gone = {**DASHBOARD, "widgets": DASHBOARD["widgets"][:1]}
    assert changed_fields(DASHBOARD, gone, removal) == ["widgets.35"]
    edited = {
        **DASHBOARD,
        "widgets": [WIDGET, {**DASHBOARD["widgets"][1], "updated_at": "2026-11-22T00:00:00Z"}],
    }
    assert has_changed(DASHBOARD, edited, removal)
