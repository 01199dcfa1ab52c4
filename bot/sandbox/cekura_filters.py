"""Cekura's filter grammar evaluated over sandbox call records (cekura-api.md §3).

A filter is compiled once per request into a predicate over calls:

    keep = compile_filter({"field": "metadata.region", "op": "in", "value": ["us-east"]}, now)
    [call for call in calls if keep(call)]

Fields on `metric_evaluations.*` match when ANY evaluation row matches (a SQL join), unless they
sit in a `same_row` group, where all conditions must hold on ONE row. Values are compared like a
database would: a missing value never satisfies an ordering, string matching is case-insensitive
for contains/startswith/endswith, and relative dates are resolved with `bot.reldate`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from bot.reldate import resolve
from bot.sandbox.cekura_calls import Call

Predicate = Callable[[Call], bool]
Test = Callable[[Any], bool]

OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "contains", "startswith", "endswith", "in", "isnull", "regex")
GROUP_OPERATORS = ("and", "or", "same_row")
FIELD_TYPES = {
    "id": "numeric",
    "duration": "numeric",
    "success": "boolean",
    "is_reviewed": "boolean",
    "customer_number": "string",
    "call_ended_reason": "string",
    "dropoff_point": "string",
    "topic": "string",
    "timestamp": "datetime",
    "agent.id": "numeric",
    "agent_id": "numeric",
    "agent.agent_name": "string",
    "metric_evaluations.value": "dynamic",
    "metric_evaluations.metric.id": "numeric",
    "metric_evaluations.metric.name": "string",
}
ROW_PREFIX = "metric_evaluations."


def field_type(name: str) -> str | None:
    """The filter type of a field (numeric/boolean/string/datetime/dynamic), None when unknown."""
    if name.startswith("metadata."):
        key = name[len("metadata.") :]
        # Only top-level metadata keys are filterable.
        return "string" if key and "." not in key else None
    return FIELD_TYPES.get(name)


def is_group(node: dict[str, Any]) -> bool:
    """True for `{operator, conditions}` nodes, False for `{field, op, value}` leaves."""
    return "conditions" in node or "operator" in node


def and_leaves(node: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    """Leaves that every matching call must satisfy: reachable from the root through AND groups only."""
    if not node:
        return
    if not is_group(node):
        yield node
    elif node.get("operator", "and") == "and":
        for child in node.get("conditions") or []:
            if isinstance(child, dict):
                yield from and_leaves(child)


def all_leaves(node: dict[str, Any] | None) -> Iterator[dict[str, Any]]:
    """Every leaf of a filter tree."""
    if not node:
        return
    if not is_group(node):
        yield node
        return
    for child in node.get("conditions") or []:
        if isinstance(child, dict):
            yield from all_leaves(child)


def time_window(node: dict[str, Any] | None, now: datetime) -> tuple[datetime | None, datetime | None]:
    """The loosest [start, end] the filter's AND-reachable timestamp bounds allow (for pre-selection)."""
    start: datetime | None = None
    end: datetime | None = None
    for leaf in and_leaves(node):
        op = leaf.get("op")
        if leaf.get("field") != "timestamp" or op not in ("gt", "gte", "lt", "lte", "eq"):
            continue
        moment = resolve(leaf.get("value"), now, upper=op in ("lt", "lte"))
        if moment is None:
            continue
        if op in ("gt", "gte", "eq"):
            start = moment if start is None else max(start, moment)
        if op in ("lt", "lte", "eq"):
            end = moment if end is None else min(end, moment)
    return start, end


def call_value(call: Call, name: str) -> Any:
    """The value of a (non-`metric_evaluations`) field on a call; None when absent."""
    if name in ("agent.id", "agent_id"):
        return call["agent"]["id"]
    if name == "agent.agent_name":
        return call["agent"]["agent_name"]
    if name.startswith("metadata."):
        return call["metadata"].get(name[len("metadata.") :])
    return call.get(name)


def row_value(row: dict[str, Any], name: str) -> Any:
    """The value of a `metric_evaluations.*` field on one evaluation row."""
    if name == "metric_evaluations.metric.id":
        return row["metric"]["id"]
    if name == "metric_evaluations.metric.name":
        return row["metric"]["name"]
    return row.get("value")


def compile_filter(node: dict[str, Any] | None, now: datetime) -> Predicate:
    """A predicate for a validated filter node; an empty or missing filter keeps every call."""
    if not node:
        return lambda call: True
    if is_group(node):
        children = [child for child in node.get("conditions") or [] if child]
        operator = node.get("operator", "and")
        if operator == "same_row":
            return _same_row(children, now)
        parts = [compile_filter(child, now) for child in children]
        if operator == "or" and parts:
            return lambda call: any(part(call) for part in parts)
        return lambda call: all(part(call) for part in parts)
    name = str(node["field"])
    test = compile_test(name, str(node["op"]), node.get("value"), now)
    if name.startswith(ROW_PREFIX):
        return lambda call: _any_row(call, lambda row: test(row_value(row, name)))
    return lambda call: test(call_value(call, name))


def _any_row(call: Call, row_test: Callable[[dict[str, Any]], bool]) -> bool:
    rows = call["metric_evaluations"]
    if not rows:
        # A call without evaluations behaves like one row of NULLs (a LEFT JOIN).
        return row_test({"metric": {"id": None, "name": None}, "value": None})
    return any(row_test(row) for row in rows)


def _same_row(children: list[dict[str, Any]], now: datetime) -> Predicate:
    row_tests: list[Callable[[dict[str, Any]], bool]] = []
    call_tests: list[Predicate] = []
    for child in children:
        if not is_group(child) and str(child["field"]).startswith(ROW_PREFIX):
            name = str(child["field"])
            test = compile_test(name, str(child["op"]), child.get("value"), now)
            row_tests.append(lambda row, test=test, name=name: test(row_value(row, name)))  # type: ignore[misc]
        else:
            call_tests.append(compile_filter(child, now))
    return lambda call: (
        all(part(call) for part in call_tests) and _any_row(call, lambda row: all(part(row) for part in row_tests))
    )


def compile_test(name: str, op: str, value: Any, now: datetime) -> Test:
    """A test of one field value against `op value`, with the value coerced to the field's type."""
    kind = field_type(name) or "dynamic"
    if op == "isnull":
        wanted = _boolean(value)
        return lambda actual: (actual is None) == wanted
    if op in ("contains", "startswith", "endswith"):
        needle = str(value).lower()
        method = {"contains": str.__contains__, "startswith": str.startswith, "endswith": str.endswith}[op]
        return lambda actual: actual is not None and method(_text(actual).lower(), needle)
    if op == "regex":
        pattern = re.compile(str(value))
        return lambda actual: actual is not None and pattern.search(_text(actual)) is not None
    upper = op in ("lt", "lte")
    if op == "in":
        items = [_coerce(kind, item, now, upper) for item in (value if isinstance(value, list) else [value])]
        return lambda actual: any(_equal(actual, item) for item in items)
    expected = _coerce(kind, value, now, upper)
    if op == "eq":
        return lambda actual: _equal(actual, expected)
    if op == "neq":
        return lambda actual: not _equal(actual, expected)
    compare = _ORDER[op]
    return lambda actual: _ordered(actual, expected, compare)


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "gt": lambda a, b: bool(a > b),
    "gte": lambda a, b: bool(a >= b),
    "lt": lambda a, b: bool(a < b),
    "lte": lambda a, b: bool(a <= b),
}


def _ordered(actual: Any, expected: Any, compare: Callable[[Any, Any], bool]) -> bool:
    if actual is None or expected is None or isinstance(actual, bool):
        return False
    if isinstance(actual, str) and not isinstance(expected, str):
        # "rude" >= 500 is no match, not a comparison of "rude" with "500".
        return False
    expected = _like(actual, expected)
    try:
        return compare(actual, expected)
    except TypeError:  # e.g. a numeric bound against an enum metric's text value
        return False


def _equal(actual: Any, expected: Any) -> bool:
    if actual is None or expected is None:
        return actual is expected
    return bool(actual == _like(actual, expected))


def _like(actual: Any, expected: Any) -> Any:
    """`expected` converted to the type of `actual` where that is lossless (dynamic metric values)."""
    if isinstance(actual, bool):
        return _boolean(expected) if isinstance(expected, str) else expected
    if isinstance(actual, int | float) and isinstance(expected, str):
        return _number(expected)
    if isinstance(actual, str) and isinstance(expected, bool):
        return "true" if expected else "false"
    if isinstance(actual, str) and isinstance(expected, int | float):
        return str(expected)
    return expected


def _coerce(kind: str, value: Any, now: datetime, upper: bool) -> Any:
    if value is None:
        return None
    if kind == "datetime":
        return value if isinstance(value, datetime) else resolve(value, now, upper=upper)
    if kind == "numeric":
        return _number(value)
    if kind == "boolean":
        return _boolean(value)
    if kind == "string" and not isinstance(value, str):
        return _text(value)
    return value


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def _boolean(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
