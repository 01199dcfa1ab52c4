"""Helpers that combine and take apart filter JSON without ever mutating their inputs.

Cekura ANDs the dashboard's filters with the widget's, and widget data needs a lower bound on
`timestamp`. So the bot needs to AND filters together, find the time range among a filter's
top-level conjuncts (to replace or describe it), and find the lower bound. Only AND groups are
looked through: a `timestamp` condition under `or` or `same_row` does not bound the whole filter.
"""

from __future__ import annotations

import json
from typing import TypeGuard

from bot.filters.fields import FilterJSON

LOWER_OPS = frozenset({"gt", "gte"})


def is_group(node: object, *operators: str) -> TypeGuard[FilterJSON]:
    """True for a group node (of one of `operators`, when given) whose conditions are a list."""
    return (
        isinstance(node, dict)
        and isinstance(node.get("conditions"), list)
        and (not operators or node.get("operator") in operators)
    )


def is_empty(node: FilterJSON | None) -> bool:
    """True for no filter at all: None, `{}`, or a group without conditions."""
    return not node or (is_group(node) and not node["conditions"])


def and_all(*nodes: FilterJSON | None) -> FilterJSON | None:
    """The AND of the non-empty nodes: None for none, the node itself for one, else one new AND group.

    Inputs that are AND groups are kept as nested nodes rather than flattened, so each input's text
    stays recognisable; the inputs are shared, never copied or changed.
    """
    present = [node for node in nodes if node is not None and not is_empty(node)]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return {"operator": "and", "conditions": present}


def _is_time_leaf(node: object) -> bool:
    return isinstance(node, dict) and node.get("field") == "timestamp" and "op" in node


def split_time_range(node: FilterJSON | None) -> tuple[list[FilterJSON], FilterJSON | None]:
    """(the `timestamp` conditions ANDed at the top of `node`, what is left of `node` without them).

    The top is looked through nested AND groups; what is left keeps the original nesting, minus the
    groups the split emptied, and is None when nothing is left. Unchanged parts are shared.
    """
    if node is None or is_empty(node):
        return [], None
    if _is_time_leaf(node):
        return [node], None
    if not is_group(node, "and"):
        return [], node
    leaves: list[FilterJSON] = []
    kept: list[FilterJSON] = []
    for child in node["conditions"]:
        child_leaves, child_rest = split_time_range(child)
        leaves.extend(child_leaves)
        if child_rest is not None:
            kept.append(child_rest)
    if not leaves:
        return [], node
    if len(kept) <= 1:
        return leaves, kept[0] if kept else None
    return leaves, {"operator": "and", "conditions": kept}


def lower_bound(node: FilterJSON | None) -> FilterJSON | None:
    """The first `timestamp` gt/gte condition that bounds the whole filter (found through AND groups)."""
    if node is None:
        return None
    if _is_time_leaf(node):
        return node if node.get("op") in LOWER_OPS else None
    if is_group(node, "and"):
        for child in node["conditions"]:
            found = lower_bound(child) if isinstance(child, dict) else None
            if found is not None:
                return found
    return None


def canonical(node: FilterJSON) -> str:
    """A stable key for a filter (its JSON with sorted keys), so equal filters group together."""
    return json.dumps(node, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
