"""The fields a filter can test, the value type each holds and the operators each takes.

Types and operators follow Cekura's Dashboards guide (cekura-api.md §3.2). Where the guide lists no
operators for a field (`agent.*`, `metadata.*`, `metric_evaluations.*`), they are inferred from the
field's type so that `agent.id contains 5` is still refused.
"""

from __future__ import annotations

import difflib
import math
import re
from dataclasses import dataclass
from typing import Any, Literal

from bot import reldate

FilterJSON = dict[str, Any]
"""A filter node as Cekura stores it: a leaf {field, op, value} or a group {operator, conditions}."""

Kind = Literal["integer", "number", "boolean", "string", "datetime", "dynamic"]

OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "contains", "startswith", "endswith", "in", "isnull", "regex")
TEXT_OPS = frozenset({"contains", "startswith", "endswith", "regex"})
OP_SYNTAX = {
    "eq": "=",
    "neq": "!=",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
    "contains": "contains",
    "startswith": "startswith",
    "endswith": "endswith",
    "in": "in (…)",
    "isnull": "is null",
    "regex": "matches",
}
_ORDER = ("eq", "neq", "gt", "gte", "lt", "lte")
_INFERRED: dict[Kind, tuple[str, ...]] = {
    "integer": (*_ORDER, "in", "isnull"),
    "string": ("eq", "neq", "contains", "startswith", "endswith", "in", "isnull", "regex"),
    "dynamic": OPS,
}
_EXAMPLE_VALUES: dict[Kind, str] = {
    "integer": "123",
    "number": "60",
    "boolean": "true",
    "string": "billing",
    "datetime": "now-7d",
    "dynamic": "us-east",
}
METADATA_KEY = re.compile(r"^[A-Za-z0-9_\-]+$")


@dataclass(frozen=True)
class Field:
    """One filterable field: its name, the type of its values, its operators and its plain-word label."""

    name: str
    kind: Kind
    ops: tuple[str, ...]
    label: str

    def allows(self, op: str) -> bool:
        """True when Cekura accepts `op` on this field."""
        return op in self.ops

    def ops_text(self) -> str:
        """The operators this field takes, as the user types them."""
        return ", ".join(OP_SYNTAX[op] for op in self.ops)

    def example(self) -> str:
        """A condition on this field that parses, for error messages."""
        op = ">=" if self.kind in ("number", "datetime") else "="
        return f"{self.name} {op} {_EXAMPLE_VALUES[self.kind]}"


FIELDS: dict[str, Field] = {
    f.name: f
    for f in (
        Field("id", "integer", ("eq", "in", "gt", "gte", "lt", "lte"), "call id"),
        Field("success", "boolean", ("eq", "neq", "isnull"), "success"),
        Field("duration", "number", ("eq", "gt", "gte", "lt", "lte"), "duration"),
        Field("customer_number", "string", ("eq", "neq", "contains", "startswith", "in"), "customer number"),
        Field("call_ended_reason", "string", ("eq", "neq", "contains", "in"), "call ended reason"),
        Field("dropoff_point", "string", ("eq", "neq", "contains", "in", "isnull"), "drop-off point"),
        Field("topic", "string", ("eq", "neq", "contains", "in", "isnull"), "topic"),
        Field("timestamp", "datetime", ("eq", "gt", "gte", "lt", "lte"), "time"),
        Field("is_reviewed", "boolean", ("eq",), "reviewed"),
        Field("agent.id", "integer", _INFERRED["integer"], "agent id"),
        Field("agent.agent_name", "string", _INFERRED["string"], "agent name"),
        Field("metric_evaluations.value", "dynamic", OPS, "metric value"),
        Field("metric_evaluations.metric.id", "integer", _INFERRED["integer"], "metric id"),
        Field("metric_evaluations.metric.name", "string", _INFERRED["string"], "metric name"),
    )
}
FIELD_NAMES: tuple[str, ...] = (*FIELDS, "metadata.<key>")


def lookup(name: str) -> Field | None:
    """The field called `name` (any `metadata.<key>` with a top-level key), or None."""
    if name in FIELDS:
        return FIELDS[name]
    prefix, _, key = name.partition(".")
    if prefix == "metadata" and METADATA_KEY.match(key):
        return Field(name, "dynamic", OPS, key.replace("_", " "))
    return None


def unknown_field_message(name: str) -> str:
    """Why `name` is not a field, with a "did you mean" when a known field is close."""
    if name.startswith("metadata."):
        return (
            f'"{name}" is not a metadata field I can filter on: use metadata.<key> with one top-level '
            "key made of letters, digits, _ and -, e.g. metadata.region"
        )
    close = difflib.get_close_matches(name, [*FIELDS, "metadata"], n=1, cutoff=0.6)
    if not close:
        close = difflib.get_close_matches(name.lower(), FIELDS, n=1, cutoff=0.6)
    hint = f'did you mean "{close[0]}"?' if close else f"fields are {', '.join(FIELD_NAMES)}"
    if close == ["metadata"]:
        hint = "did you mean metadata.<key>, e.g. metadata.region?"
    return f'Unknown field "{name}" — {hint}'


def op_message(field: Field, op: str) -> str:
    """Why `field` does not take `op`, naming the operators it does take."""
    return f'{field.name} does not take "{OP_SYNTAX[op]}"; it takes {field.ops_text()}'


def in_same_row(field: Field) -> bool:
    """True when the field may stand inside `same_row(…)`, which only Cekura's metric rows support."""
    return field.name.startswith("metric_evaluations.")


def is_number(value: object) -> bool:
    """True for a finite int or float that is not a bool."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not isinstance(value, float) or math.isfinite(value)


def is_datetime_text(value: object) -> bool:
    """True for a relative date (`now-7d`) or an ISO date/time."""
    if not isinstance(value, str):
        return False
    if reldate.is_relative(value):
        return True
    try:
        return reldate.parse_iso(value) is not None
    except (ValueError, OverflowError):  # odd ISO-like text can overflow the date arithmetic
        return False


def value_message(field: Field, op: str, value: object, shown: str) -> str | None:
    """Why `value` (typed as `shown`) does not fit `field` with `op`, or None when it fits."""
    if op in TEXT_OPS:
        return None if isinstance(value, str) else f"{OP_SYNTAX[op]} needs text, not {shown}"
    if field.kind == "integer" and not (isinstance(value, int) and is_number(value)):
        return f"{field.name} takes a whole number without quotes, not {shown}"
    if field.kind == "number" and not is_number(value):
        unit = " of seconds" if field.name == "duration" else ""
        return f"{field.name} takes a number{unit} without quotes, not {shown}"
    if field.kind == "boolean" and not isinstance(value, bool):
        return f"{field.name} takes true or false, not {shown}"
    if field.kind == "datetime" and not is_datetime_text(value):
        return (
            f"{field.name} takes a relative date (now, today, now-7d, today-30m) or an ISO date/time "
            f"such as 2026-11-01T00:00:00Z, not {shown}"
        )
    if field.kind == "string" and not isinstance(value, str):
        return f"{field.name} takes text, not {shown}"
    if field.kind == "dynamic" and not (isinstance(value, str | bool) or is_number(value)):
        return f"{field.name} takes text, a number or true/false, not {shown}"
    return None
