"""Which filter each widget's data is fetched with, and how to say it in plain words.

Cekura's docs disagree on whether bulk_data's `filters` override replaces a widget's own filters, so
the bot never relies on merging: it sends, per widget, the complete condition it wants — the
dashboard's filters AND the widget's filters AND the user's conditions. A range the user asks for
replaces the saved range (top-level `timestamp` conditions); every other saved condition is kept.
Cekura refuses widget data without a lower bound on `timestamp`, so when nothing sets one the bot
asks for the last 7 days and says so. Widgets whose filters come out equal share one bulk_data call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot import filters
from bot.cekura_models import Dashboard, FilterJSON, Widget
from bot.query import DataQuery, intersect_range

DEFAULT_RANGE: FilterJSON = {"field": "timestamp", "op": "gte", "value": "now-7d"}
DEFAULT_NOTE = "last 7 days (no range was saved or asked for)"


@dataclass(frozen=True)
class WidgetPlan:
    """One widget and the exact filter its data is fetched with."""

    widget: Widget
    filters: FilterJSON
    stamp: str
    defaulted: bool


@dataclass(frozen=True)
class FetchGroup:
    """Widgets that share one bulk_data call because their filters are equal."""

    filters: FilterJSON
    widget_ids: tuple[int, ...]


def _strip_range(node: FilterJSON | None, drop: bool) -> FilterJSON | None:
    if not drop or node is None:
        return node
    _, rest = filters.split_time_range(node)
    return rest


def widget_filter(dashboard: Dashboard, widget: Widget, query: DataQuery) -> tuple[FilterJSON, bool]:
    """The full filter for one widget, and whether the 7-day default range had to be added."""
    replace_range = query.has_range
    combined = filters.and_all(
        _strip_range(dashboard.filters, replace_range),
        _strip_range(widget.filters, replace_range),
        query.where,
        query.range_condition(),
    )
    if filters.lower_bound(combined) is None:
        return filters.and_all(combined, DEFAULT_RANGE) or DEFAULT_RANGE, True
    assert combined is not None  # a lower bound was found in it
    return combined, False


def plan_widgets(dashboard: Dashboard, widgets: Sequence[Widget], query: DataQuery, now: datetime) -> list[WidgetPlan]:
    """A plan for each widget, in dashboard order."""
    plans = []
    for widget in widgets:
        node, defaulted = widget_filter(dashboard, widget, query)
        node = intersect_range(node, now) or node  # the range is said (and sent) once, as the intersection
        stamp = filters.describe(node, now)
        if defaulted:
            stamp += " · default range"
        plans.append(WidgetPlan(widget, node, stamp, defaulted))
    return plans


def group_plans(plans: Sequence[WidgetPlan]) -> list[FetchGroup]:
    """Widgets grouped by equal filters, one group per bulk_data call, in first-seen order."""
    groups: dict[str, tuple[FilterJSON, list[int]]] = {}
    for plan in plans:
        key = filters.canonical(plan.filters)
        groups.setdefault(key, (plan.filters, []))[1].append(plan.widget.id)
    return [FetchGroup(node, tuple(ids)) for node, ids in groups.values()]


def scope_words(dashboard: Dashboard, query: DataQuery, now: datetime, *, defaulted: bool) -> str:
    """The range and filters in force for the whole message, in plain words (the range said once)."""
    if defaulted:
        conditions = filters.and_all(dashboard.filters, query.where)
        return DEFAULT_NOTE if conditions is None else f"{DEFAULT_NOTE} · {filters.describe(conditions, now)}"
    saved = _strip_range(dashboard.filters, query.has_range)
    node = intersect_range(filters.and_all(query.range_condition(), saved, query.where), now)
    leaves, rest = filters.split_time_range(node)
    range_words = filters.describe(filters.and_all(*leaves), now) if leaves else "as saved on each widget"
    return range_words if rest is None else f"{range_words} · {filters.describe(rest, now)}"
