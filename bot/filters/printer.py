"""Cekura filter JSON → filter text, in the canonical form that `parse` reads back to the same JSON.

Canonical form: one space around operators, lower-case `and`/`or`, every nested group in
parentheses, floats as Python writes them (so they read back bit-for-bit), and strings bare unless
they would read back as something else (a number, a keyword, text with spaces) — then in double
quotes. `matches` always quotes its regex. JSON that the language cannot express exactly raises
ValueError rather than printing something that would parse differently.
"""

from __future__ import annotations

import json
from typing import Any

from bot.filters.fields import (
    OP_SYNTAX,
    Field,
    FilterJSON,
    in_same_row,
    lookup,
    op_message,
    unknown_field_message,
    value_message,
)
from bot.filters.lexer import is_bare, quote
from bot.filters.parser import MAX_DEPTH

OP_TEXT = {**OP_SYNTAX, "in": "in", "isnull": "is"}
_LEAF_KEYS = {"field", "op", "value"}
_GROUP_KEYS = {"operator", "conditions"}


def to_text(node: FilterJSON) -> str:
    """The canonical text of a filter; raises ValueError on JSON the language cannot express."""
    return _node(node, 0, False)


def _node(node: object, depth: int, same_row: bool) -> str:
    if not isinstance(node, dict):
        raise ValueError(f"A filter node must be an object, not {node!r}")
    if node.keys() == _GROUP_KEYS:
        return _group(node, depth, same_row)
    if node.keys() == _LEAF_KEYS:
        return _leaf(node, same_row)
    raise ValueError(f"A filter node has either field/op/value or operator/conditions, not {sorted(node)}")


def _group(node: FilterJSON, depth: int, same_row: bool) -> str:
    operator, conditions = node["operator"], node["conditions"]
    if not isinstance(conditions, list):
        raise ValueError(f"A group's conditions must be a list, not {conditions!r}")
    if operator == "same_row":
        if not conditions:
            raise ValueError("same_row needs at least one condition")
        _check_depth(depth + 1)
        inner = " and ".join(_operand(child, depth + 1, True) for child in conditions)
        return f"same_row({inner})"
    if operator not in ("and", "or"):
        raise ValueError(f"Unknown group operator {operator!r}; the language has and, or and same_row")
    if len(conditions) < 2:
        # `(a)` parses to `a` itself, so a one-condition group has no text of its own.
        raise ValueError(f'An "{operator}" group of {len(conditions)} condition(s) has no text form')
    return f" {operator} ".join(_operand(child, depth, same_row) for child in conditions)


def _operand(node: object, depth: int, same_row: bool) -> str:
    if isinstance(node, dict) and node.get("operator") in ("and", "or"):
        _check_depth(depth + 1)
        return f"({_node(node, depth + 1, same_row)})"
    return _node(node, depth, same_row)


def _check_depth(depth: int) -> None:
    # The parser refuses deeper text, so printing it would break the round trip.
    if depth > MAX_DEPTH:
        raise ValueError(f"The filter is nested more than {MAX_DEPTH} levels deep")


def _leaf(node: FilterJSON, same_row: bool) -> str:
    name, op, value = node["field"], node["op"], node["value"]
    field = lookup(name) if isinstance(name, str) else None
    if field is None:
        raise ValueError(unknown_field_message(str(name)))
    if same_row and not in_same_row(field):
        raise ValueError(f"same_row(…) holds only metric_evaluations.* fields, not {name}")
    if op not in OP_TEXT:
        raise ValueError(f"Unknown op {op!r}")
    if not field.allows(op):
        raise ValueError(op_message(field, op))
    if op == "isnull":
        if not isinstance(value, bool):
            raise ValueError(f"isnull takes true or false, not {value!r}")
        return f"{name} is null" if value else f"{name} is not null"
    if op == "in":
        if not isinstance(value, list) or not value:
            raise ValueError(f"in takes a non-empty list, not {value!r}")
        return f"{name} in ({', '.join(_value(field, op, item) for item in value)})"
    return f"{name} {OP_TEXT[op]} {_value(field, op, value)}"


def _value(field: Field, op: str, value: object) -> str:
    problem = value_message(field, op, value, repr(value))
    if problem:
        raise ValueError(problem)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)  # repr keeps every digit of a float, so it parses back to the same number
    assert isinstance(value, str)  # value_message let only text, numbers and booleans through
    return value if op != "regex" and is_bare(value) else quote(value)


def simplify(node: Any) -> Any:
    """Unwrap groups of one condition and drop empty ones (Cekura may store either); never mutates."""
    if not isinstance(node, dict) or "conditions" not in node:
        return node
    kept = [c for c in (simplify(c) for c in node.get("conditions") or []) if c]
    if len(kept) == 1 and node.get("operator") != "same_row":
        return kept[0]
    return {**node, "conditions": kept} if kept else None


def show(node: Any) -> str:
    """Filter text for people, for any JSON a dashboard may hold: the language where it can say it, else JSON."""
    if not node:
        return ""
    try:
        return to_text(simplify(node))
    except (ValueError, TypeError, KeyError):
        return json.dumps(node, ensure_ascii=False, sort_keys=True)
