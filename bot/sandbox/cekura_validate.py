"""Request validation for the Cekura sandbox, answering in Django REST Framework's shapes.

Each check returns `{"<field>": ["message", …]}` (empty when all is well), the body Cekura sends
with a 400. Widget checks run on the merged config (stored widget + patch), so a PATCH that
leaves an invalid combination behind (a pie of `duration`) is refused like on the real service.
"""

from __future__ import annotations

import re
from collections.abc import Container
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.reldate import resolve
from bot.sandbox.cekura_calls import METRICS
from bot.sandbox.cekura_eval import METRIC_FIELD, PLOT_FIELDS, plot_type
from bot.sandbox.cekura_filters import GROUP_OPERATORS, OPS, all_leaves, and_leaves, field_type, is_group

Errors = dict[str, list[str]]

CHART_TYPES = ("line", "bar", "pie", "stat")
TIME_PERIODS = ("hour", "day", "week", "month")
AGGREGATIONS = ("count", "sum", "avg", "min", "max", "p50", "p95", "p99")
DATA_TYPES = ("numeric", "boolean", "string", "datetime", "dynamic")
MAX_RANGE = timedelta(days=30)
SLACK = timedelta(seconds=60)
TIMESTAMP_REQUIRED = "A timestamp filter (gt or gte) is required on the dashboard, the widget or the override."
TOO_FAR_BACK = "Timestamp filter value is too far in the past. Maximum allowed range is 30 days."

# The guide's table of valid combinations (cekura-api.md §2.3); binary metrics behave as booleans.
_CHARTS = {
    "numeric": ("line", "bar"),
    "boolean": ("pie", "bar"),
    "string": ("pie", "bar"),
    "enum": ("pie",),
    "metric_numeric": ("line", "bar", "pie"),
}
_AGGREGATIONS = {
    "numeric": AGGREGATIONS,
    "metric_numeric": AGGREGATIONS,
    "boolean": ("count", "avg"),
    "string": ("count",),
    "enum": ("count",),
}


def choice_error(value: Any) -> str:
    """DRF's ChoiceField message."""
    return f'"{value}" is not a valid choice.'


def filter_problems(node: Any, where: str = "filters") -> list[str]:
    """What is wrong with a filter node (empty list when it is well formed); `None`/`{}` is no filter."""
    if node is None or node == {}:
        return []
    if not isinstance(node, dict):
        return [f"{where}: expected a filter object, got {type(node).__name__}."]
    if is_group(node):
        return _group_problems(node, where)
    return _leaf_problems(node, where)


def _group_problems(node: dict[str, Any], where: str) -> list[str]:
    operator, conditions = node.get("operator"), node.get("conditions")
    problems: list[str] = []
    if operator not in GROUP_OPERATORS:
        problems.append(f"{where}.operator: {choice_error(operator)} Use one of {', '.join(GROUP_OPERATORS)}.")
    if not isinstance(conditions, list):
        return [*problems, f"{where}.conditions: expected a list of conditions."]
    for index, child in enumerate(conditions):
        problems.extend(filter_problems(child, f"{where}.conditions[{index}]"))
        on_row = isinstance(child, dict) and str(child.get("field", "")).startswith("metric_evaluations.")
        if operator == "same_row" and isinstance(child, dict) and not is_group(child) and not on_row:
            problems.append(f"{where}.conditions[{index}]: same_row only combines metric_evaluations.* fields.")
    return problems


def _leaf_problems(node: dict[str, Any], where: str) -> list[str]:
    name, op = node.get("field"), node.get("op")
    if not isinstance(name, str) or field_type(name) is None:
        return [f'{where}.field: unknown field "{name}".']
    if op not in OPS:
        return [f"{where}.op: {choice_error(op)} Use one of {', '.join(OPS)}."]
    if "value" not in node:
        return [f"{where}.value: this field is required."]
    value, kind = node["value"], field_type(name)
    if op == "isnull":
        return [] if isinstance(value, bool) else [f"{where}.value: isnull takes true or false."]
    if op == "in":
        if not isinstance(value, list):
            return [f"{where}.value: in takes a list of values."]
        items = value
    else:
        items = [value]
    if op in ("contains", "startswith", "endswith", "regex") and not isinstance(value, str):
        return [f"{where}.value: {op} takes a string."]
    if op == "regex":
        try:
            re.compile(value)
        except re.error as exc:
            return [f"{where}.value: invalid regular expression ({exc})."]
        return []
    for item in items:
        if kind == "datetime" and (not isinstance(item, str) or resolve(item, datetime.now(UTC)) is None):
            return [f'{where}.value: "{item}" is not a date (use now, today, now-7d or an ISO date-time).']
        if kind == "numeric" and not _is_number(item):
            return [f'{where}.value: "{item}" is not a number.']
    return []


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def timestamp_problem(node: dict[str, Any] | None, now: datetime) -> str | None:
    """The 400 `detail` a data request gets for its effective filter, or None when it may run."""
    lowers = [leaf for leaf in and_leaves(node) if leaf.get("field") == "timestamp" and leaf.get("op") in ("gt", "gte")]
    if not lowers:
        return TIMESTAMP_REQUIRED
    for leaf in all_leaves(node):
        if leaf.get("field") == "timestamp" and leaf.get("op") in ("gt", "gte"):
            moment = resolve(leaf.get("value"), now)
            if moment is not None and moment < now - MAX_RANGE - SLACK:
                return TOO_FAR_BACK
    return None


def widget_errors(widget: dict[str, Any], dashboards: Container[int]) -> Errors:
    """Problems with a complete widget config (a new widget, or a stored one with a patch applied)."""
    errors: Errors = {}
    _check_scalars(widget, dashboards, errors)
    problems = filter_problems(widget.get("filters"))
    if problems:
        errors["filters"] = problems
    if not errors:
        _check_combination(widget, errors)
    return errors


def _check_scalars(widget: dict[str, Any], dashboards: Container[int], errors: Errors) -> None:
    name = widget.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 255):
        errors["name"] = ["Ensure this field has no more than 255 characters."]
    dashboard = widget.get("dashboard")
    if dashboard is None:
        errors["dashboard"] = ["This field is required."]
    elif not isinstance(dashboard, int) or isinstance(dashboard, bool) or dashboard not in dashboards:
        errors["dashboard"] = [f'Invalid pk "{dashboard}" - object does not exist.']
    chart = widget.get("chart_type")
    if chart is None:
        errors["chart_type"] = ["This field is required."]
    elif chart not in CHART_TYPES:
        errors["chart_type"] = [choice_error(chart)]
    choices = (
        ("time_period", TIME_PERIODS),
        ("aggregation_function", AGGREGATIONS),
        ("data_type", DATA_TYPES),
    )
    for key, allowed in choices:
        value = widget.get(key)
        if value not in (None, "") and value not in allowed:
            errors[key] = [choice_error(value)]
    field = widget.get("field")
    if field not in (None, "") and (not isinstance(field, str) or plot_type(field) is None):
        known = ", ".join([*PLOT_FIELDS, "metadata.<key>"])
        errors["field"] = [f'Unknown field "{field}". Plottable fields: {known}.']
    metric = widget.get("metric")
    if field == METRIC_FIELD and metric is None:
        errors["metric"] = ["This field is required when field is metric_evaluations.value."]
    elif metric is not None and (not isinstance(metric, int) or isinstance(metric, bool)):
        errors["metric"] = [f"Incorrect type. Expected pk value, received {type(metric).__name__}."]
    elif metric is not None and metric not in METRICS:
        errors["metric"] = [f'Invalid pk "{metric}" - object does not exist.']
    group_by = widget.get("group_by")
    if group_by and not (isinstance(group_by, dict) and group_by.get("type") in ("field", "bucket")):
        errors["group_by"] = ['Expected {"type": "field", "field": …} or {"type": "bucket", "interval": ms}.']


def _check_combination(widget: dict[str, Any], errors: Errors) -> None:
    chart, field = widget["chart_type"], widget.get("field") or ""
    if chart == "stat":
        return
    if not field:
        errors["field"] = [f"A {chart} chart needs a field to plot."]
        return
    kind = str(plot_type(field))
    if kind == "dynamic":
        eval_type = METRICS[widget["metric"]]["eval_type"]
        kind = {
            "numeric": "metric_numeric",
            "continuous_qualitative": "metric_numeric",
            "binary": "boolean",
        }.get(eval_type, "enum")
    if chart not in _CHARTS[kind]:
        shown = ", ".join(_CHARTS[kind])
        errors["chart_type"] = [f"{field} ({_kind_word(kind)}) can be shown as {shown}, not {chart}."]
        return
    if chart != "bar":
        return
    function, period = widget.get("aggregation_function"), widget.get("time_period")
    if not period:
        errors["time_period"] = ["Bar charts need a time_period: hour, day, week or month."]
    if not function:
        errors["aggregation_function"] = ["Bar charts need an aggregation_function."]
    elif function not in _AGGREGATIONS[kind]:
        allowed = ", ".join(_AGGREGATIONS[kind])
        errors["aggregation_function"] = [
            f"{function} is not available for {field} ({_kind_word(kind)}); use {allowed}."
        ]


def _kind_word(kind: str) -> str:
    return {"metric_numeric": "numeric metric", "enum": "enum metric"}.get(kind, kind)


def dashboard_errors(body: dict[str, Any]) -> Errors:
    """Problems with the writable fields of a dashboard PATCH body."""
    errors: Errors = {}
    name = body.get("name")
    if name is not None and (not isinstance(name, str) or len(name) > 255):
        errors["name"] = ["Ensure this field has no more than 255 characters."]
    project = body.get("project")
    if project is not None and (not isinstance(project, int) or isinstance(project, bool)):
        errors["project"] = [f"Incorrect type. Expected pk value, received {type(project).__name__}."]
    problems = filter_problems(body.get("filters"))
    if problems:
        errors["filters"] = problems
    return errors
