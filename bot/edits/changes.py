"""Proposed changes: the chat quick form, Cekura's widget rules, diff, inverse and conflict checks.

A change set maps Cekura PATCH fields to their new JSON values, e.g. `{"chart_type": "bar",
"time_period": "day", "aggregation_function": "avg"}`; `filters: {}` clears the filters. A
dashboard's may also hold `remove_widgets: [34]` (one bulk_widgets `delete`) and, only as the revert
of a removal, `restore_widgets: [<widget config>]` (a bulk_widgets `create`: the widget comes back
with a new id). Editable widget fields are the seed PATCH body's except read-only ones and
`group_by`, which that body does not list. Everything here is pure.

    changes = parse_quick_edit("widget", 'chart bar period day aggregation avg')   # bot/edits/quick.py
    validate_widget(widget, changes)       # UserError in plain words when the result is invalid
    diff(widget.model_dump(mode="json"), changes)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from bot import filters
from bot.cekura_models import AGGREGATIONS, CHART_TYPES, DATA_TYPES, TIME_PERIODS, Dashboard, Widget
from bot.edits import FieldChange, Kind
from bot.errors import UserError

EDITABLE_WIDGET_FIELDS = (
    "name", "filters", "chart_type", "field", "metric", "time_period", "aggregation_function",
    "data_type", "dashboard", "metadata",
)  # fmt: skip
EDITABLE_DASHBOARD_FIELDS = ("name", "filters", "project")
REMOVE_WIDGETS = "remove_widgets"
RESTORE_WIDGETS = "restore_widgets"
PLOTTING = ("chart_type", "field", "metric", "time_period", "aggregation_function", "data_type")

# The words people type → the Cekura field they mean.
EDITABLE_WORDS: dict[Kind, str] = {
    "widget": "name, filters, chart, field, metric, period, aggregation, data_type, dashboard, metadata",
    "dashboard": "name, filters, project, remove widget <id>",
}
USAGE: dict[Kind, str] = {
    "widget": '/cekura edit widget <id> chart bar period day aggregation avg  ·  filters "success = true"',
    "dashboard": '/cekura edit dashboard <id> name "Support calls"  ·  remove widget <id>',
}
_CHOICES = {
    "chart_type": CHART_TYPES, "time_period": TIME_PERIODS, "aggregation_function": AGGREGATIONS,
    "data_type": DATA_TYPES,
}  # fmt: skip
_WHAT = {
    "chart_type": "a chart type", "time_period": "a period", "aggregation_function": "an aggregation",
    "data_type": "a data type",
}  # fmt: skip
# Cekura's Dashboards guide (cekura-api.md §2.3): what each data type can be drawn and aggregated as.
# Percentiles are numeric-only (§6.8); binary metrics act as booleans, rating metrics as numbers (§6.9).
PLOT_FIELDS = {
    "duration": "numeric", "success": "boolean", "is_reviewed": "boolean", "call_ended_reason": "string",
    "dropoff_point": "string", "topic": "string", "agent_id": "numeric",
    "metric_evaluations.value": "dynamic",
}  # fmt: skip
_NUMERIC_AGGS = AGGREGATIONS
_RULES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "numeric": (("line", "bar"), _NUMERIC_AGGS),
    "boolean": (("pie", "bar"), ("count", "avg")),
    "string": (("pie", "bar"), ("count",)),
    "datetime": (("line", "bar"), ("count", "min", "max")),
    "enum metric": (("pie",), ("count",)),
    "numeric metric": (("line", "bar", "pie"), _NUMERIC_AGGS),
    "metric": (("line", "bar", "pie"), _NUMERIC_AGGS),  # eval type unknown: the broadest metric rules
}
_METRIC_KINDS = {
    "enum": "enum metric", "numeric": "numeric metric", "continuous_qualitative": "numeric metric",
    "binary": "boolean",
}  # fmt: skip


def _or(options: Iterable[str]) -> str:
    items = list(options)
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


def field_type(field: str) -> str | None:
    """The data type of a plottable widget field (`metadata.<key>` is a string); None if unknown."""
    if field.startswith("metadata."):
        key = field.removeprefix("metadata.")
        return "string" if key and "." not in key else None
    return PLOT_FIELDS.get(field)


def apply_changes(before: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The object as it would be after `changes` (e.g. the body of a preview_data call)."""
    after = {**before, **{k: v for k, v in changes.items() if k not in (REMOVE_WIDGETS, RESTORE_WIDGETS)}}
    if REMOVE_WIDGETS in changes or RESTORE_WIDGETS in changes:
        gone = set(changes.get(REMOVE_WIDGETS, []))
        kept = [w for w in before.get("widgets") or [] if w.get("id") not in gone]
        after["widgets"] = kept + list(changes.get(RESTORE_WIDGETS, []))
    return after


def complete_widget_changes(current: Widget, changes: dict[str, Any]) -> dict[str, Any]:
    """`changes` plus the `data_type` a new `field` implies, so a stale stored data_type isn't kept."""
    if "field" not in changes or "data_type" in changes or not current.data_type:
        return dict(changes)
    implied = field_type(changes["field"] or "")
    return dict(changes) if implied == current.data_type else {**changes, "data_type": implied}


def validate_widget(current: Widget, changes: dict[str, Any], *, metric_eval_type: str | None = None) -> None:
    """Refuse, in plain words, changes that leave the widget invalid per Cekura's rules.

    The chart/field/aggregation rules are checked only when a plotting field changes, so renaming a
    widget whose field is newer than our table still works. Pass the metric's `eval_type` for the
    exact rules of a `metric_evaluations.value` widget.
    """
    usage = USAGE["widget"]
    unknown = [key for key in changes if key not in EDITABLE_WIDGET_FIELDS]
    if unknown:
        raise UserError(f"`{unknown[0]}` can't be edited on a widget. You can edit: {EDITABLE_WORDS['widget']}.")
    for key, choices in _CHOICES.items():
        value = changes.get(key)
        if key in changes and value not in choices and not (value in (None, "") and key != "chart_type"):
            raise UserError(f"`{value}` is not {_WHAT[key]}: use {_or(choices)}.", usage)
    if not any(key in changes for key in PLOTTING):
        return
    after = apply_changes(current.model_dump(mode="json"), changes)
    chart, field = after.get("chart_type") or "line", after.get("field") or ""
    if chart == "stat":
        return  # a stat widget plots no field: Cekura ignores the rest
    if not field:
        raise UserError(f"A {chart} chart needs a field to plot, e.g. `field duration`.", usage)
    kind = field_type(field)
    if kind is None:
        if "field" not in changes:
            return  # a field Cekura knows and we don't: let Cekura judge the combination
        known = ", ".join([*PLOT_FIELDS, "metadata.<key>"])
        raise UserError(f"`{field}` is not a field a widget can plot. Plottable: {known}.", usage)
    if kind == "dynamic":
        if after.get("metric") is None:
            raise UserError(f"`{field}` needs a metric: add `metric <id>`.", usage)
        kind = _METRIC_KINDS.get(metric_eval_type or "", "metric")
    stated = changes.get("data_type")
    if stated and stated != field_type(field):
        raise UserError(f"`{field}` holds {field_type(field)} data, not {stated}.", usage)
    charts, aggregations = _RULES[kind]
    if chart not in charts:
        raise UserError(f"A {chart} chart can't show `{field}` ({kind}): use {_or(charts)}.", usage)
    if chart == "bar":
        function, period = after.get("aggregation_function"), after.get("time_period")
        missing = [what for what, value in (("an aggregation", function), ("a period", period)) if not value]
        if missing:
            raise UserError(
                f"A bar chart needs {' and '.join(missing)}, e.g. `aggregation {aggregations[0]} period day`.",
                usage,
            )
        if function not in aggregations:
            raise UserError(f"`{function}` can't aggregate `{field}` ({kind}): use {_or(aggregations)}.", usage)


def validate_dashboard(current: Dashboard, changes: dict[str, Any]) -> None:
    """Refuse unknown fields and removals of widgets that are not on the dashboard."""
    allowed = (*EDITABLE_DASHBOARD_FIELDS, REMOVE_WIDGETS, RESTORE_WIDGETS)
    unknown = [key for key in changes if key not in allowed]
    if unknown:
        raise UserError(f"`{unknown[0]}` can't be edited on a dashboard. You can edit: {EDITABLE_WORDS['dashboard']}.")
    present = [widget.id for widget in current.widgets]
    for widget_id in changes.get(REMOVE_WIDGETS, []):
        if widget_id not in present:
            on = f"its widgets are {', '.join(map(str, present))}" if present else "it has no widgets"
            raise UserError(f"Widget {widget_id} is not on dashboard {current.id} ({on}).", USAGE["dashboard"])


def _blank(value: Any) -> Any:
    return value if value not in ("", {}, []) else None


def _show(field: str, value: Any) -> Any:
    if field == "filters":
        return filters.show(value) or None
    return _blank(value)


def diff(before: dict[str, Any], changes: dict[str, Any]) -> list[FieldChange]:
    """The fields that really change, before → after, in a stable order; filters as text."""
    order = [*dict.fromkeys((*EDITABLE_WIDGET_FIELDS, *EDITABLE_DASHBOARD_FIELDS, *changes))]
    out = [
        FieldChange(key, _show(key, before.get(key)), _show(key, changes[key]))
        for key in order
        if key in changes and key not in (REMOVE_WIDGETS, RESTORE_WIDGETS)
        and _blank(before.get(key)) != _blank(changes[key])
    ]  # fmt: skip
    widgets = {w.get("id"): w for w in before.get("widgets") or []}
    for widget_id in changes.get(REMOVE_WIDGETS, []):
        title = (widgets.get(widget_id) or {}).get("name") or f"widget {widget_id}"
        out.append(FieldChange(f"widget {widget_id}", title, "removed"))
    for config in changes.get(RESTORE_WIDGETS, []):
        out.append(FieldChange(f"widget {config.get('id')}", "removed", "restored (with a new id)"))
    return out


def inverse(before: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """The changes that undo `changes` on an object that looked like `before` (for revert)."""
    if RESTORE_WIDGETS in changes:
        raise UserError("A restored widget has a new id: remove it with `remove widget <id>` instead.")
    undo = {c.field: before.get(c.field) for c in diff(before, changes) if not c.field.startswith("widget ")}
    if "filters" in undo and not undo["filters"]:
        undo["filters"] = {}
    removed = set(changes.get(REMOVE_WIDGETS, []))
    restore = [_restorable(w) for w in before.get("widgets") or [] if w.get("id") in removed]
    return {**undo, RESTORE_WIDGETS: restore} if restore else undo


def _restorable(widget: dict[str, Any]) -> dict[str, Any]:
    """A removed widget's writable config (its old id kept only for display)."""
    keep = (*EDITABLE_WIDGET_FIELDS, "group_by", "id")
    return {key: value for key, value in widget.items() if key in keep and value is not None}


def patch_body(changes: dict[str, Any]) -> dict[str, Any]:
    """The PATCH body for `changes` (everything but widget removals and restores)."""
    return {k: v for k, v in changes.items() if k not in (REMOVE_WIDGETS, RESTORE_WIDGETS)}


def bulk_widgets_body(changes: dict[str, Any]) -> dict[str, Any] | None:
    """The bulk_widgets body for a dashboard's removals and restores, or None when there are none."""
    body = {
        "delete": list(changes.get(REMOVE_WIDGETS, [])),
        "create": [{k: v for k, v in c.items() if k != "id"} for c in changes.get(RESTORE_WIDGETS, [])],
    }
    return {key: value for key, value in body.items() if value} or None


def touched_fields(changes: dict[str, Any]) -> list[str]:
    """What a conflict check must compare: changed fields, `widgets.<id>` for each removal."""
    plain = [key for key in changes if key not in (REMOVE_WIDGETS, RESTORE_WIDGETS)]
    return plain + [f"widgets.{widget_id}" for widget_id in changes.get(REMOVE_WIDGETS, [])]


def changed_fields(base: dict[str, Any], current: dict[str, Any], fields: Iterable[str]) -> list[str]:
    """Which of `fields` (plus `updated_at`, when present) differ between the snapshot and now."""
    differ = []
    for field in [*fields, "updated_at"]:
        if field == "updated_at":
            same = _instant(base.get(field)) == _instant(current.get(field))
        elif field.startswith("widgets."):
            same = _widget_stamp(base, field) == _widget_stamp(current, field)
        else:
            same = _blank(base.get(field)) == _blank(current.get(field))
        if not same:
            differ.append(field)
    return differ


def has_changed(base: dict[str, Any], current: dict[str, Any], fields: Iterable[str]) -> bool:
    """True when the object changed since the request was made, in the fields the change touches."""
    return bool(changed_fields(base, current, fields))


def _widget_stamp(dashboard: dict[str, Any], field: str) -> Any:
    """A widget's presence and last update, keyed `widgets.<id>` (missing → None)."""
    wanted = int(field.removeprefix("widgets."))
    found = [w for w in dashboard.get("widgets") or [] if w.get("id") == wanted]
    return ("present", _instant(found[0].get("updated_at"))) if found else None


def _instant(value: Any) -> Any:
    """Timestamps compared as instants, so `…Z` and `…+00:00` are the same moment."""
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            return value
    return value
