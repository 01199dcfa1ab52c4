"""The dashboards and widgets a fresh Cekura sandbox starts with (stable ids, realistic names).

| id | dashboard                 | what it exercises                                                     |
|----|---------------------------|-----------------------------------------------------------------------|
| 12 | Support line — overview   | 12 widgets of every shape (widget 34 = bar avg duration/day), 7 days  |
| 7  | Sales agent — quick look  | no timestamp condition anywhere: data requests need an override       |
| 21 | Everything                | 14 widgets: every chart type, aggregation and period                  |
| 30 | Quiet line                | a region with no calls: every widget is empty                         |
| 40 | Long names & ünïcödé 📞   | names over 120 characters, unicode names, a pie with > 8 slices       |

The calls themselves come from `cekura_calls`; `seed_state()` returns fresh copies each time.
"""

from __future__ import annotations

from copy import deepcopy
from typing import Any

from bot.sandbox.cekura_eval import METRIC_FIELD, plot_type

Record = dict[str, Any]


def _since(value: str) -> Record:
    return {"field": "timestamp", "op": "gte", "value": value}


def _leaf(field: str, op: str, value: Any) -> Record:
    return {"field": field, "op": op, "value": value}


def _and(*conditions: Record) -> Record:
    return {"operator": "and", "conditions": list(conditions)}


# (id, dashboard, name, chart_type, field, extra) with extra holding metric/period/aggregation/filters.
_WIDGETS: list[tuple[int, int, str, str, str, Record]] = [
    (
        30,
        12,
        "Call duration (calls over a minute)",
        "line",
        "duration",
        {"filters": _leaf("duration", "gte", 60)},
    ),
    (31, 12, "Calls per hour", "bar", "duration", {"aggregation_function": "count", "time_period": "hour"}),
    (32, 12, "Success rate by day", "bar", "success", {"aggregation_function": "avg", "time_period": "day"}),
    (
        33,
        12,
        "Longest call each week",
        "bar",
        "duration",
        {"aggregation_function": "max", "time_period": "week"},
    ),
    (
        34,
        12,
        "Average call duration",
        "bar",
        "duration",
        {"aggregation_function": "avg", "time_period": "day"},
    ),
    (
        35,
        12,
        "Total talk time per day",
        "bar",
        "duration",
        {"aggregation_function": "sum", "time_period": "day"},
    ),
    (
        36,
        12,
        "p95 response latency",
        "bar",
        METRIC_FIELD,
        {"metric": 101, "aggregation_function": "p95", "time_period": "day"},
    ),
    (37, 12, "Why calls ended", "pie", "call_ended_reason", {}),
    (38, 12, "Success — Ava (agent 1)", "pie", "success", {"filters": _leaf("agent.id", "eq", 1)}),
    (39, 12, "Calls by region", "pie", "metadata.region", {}),
    (40, 12, "Politeness", "pie", METRIC_FIELD, {"metric": 102}),
    (41, 12, "Support line at a glance", "stat", "", {}),
    (
        70,
        7,
        "Sales calls per month",
        "bar",
        "duration",
        {"aggregation_function": "count", "time_period": "month"},
    ),
    (71, 7, "Response latency per call (ms)", "line", METRIC_FIELD, {"metric": 101}),
    (72, 7, "Why sales calls ended", "pie", "call_ended_reason", {}),
    (73, 7, "Sales at a glance", "stat", "", {}),
    (210, 21, "Duration of every call", "line", "duration", {}),
    (211, 21, "Latency of every call", "line", METRIC_FIELD, {"metric": 101}),
    (
        212,
        21,
        "Calls per hour",
        "bar",
        "call_ended_reason",
        {"aggregation_function": "count", "time_period": "hour"},
    ),
    (213, 21, "Talk time per day", "bar", "duration", {"aggregation_function": "sum", "time_period": "day"}),
    (
        214,
        21,
        "Share of reviewed calls",
        "bar",
        "is_reviewed",
        {"aggregation_function": "avg", "time_period": "day"},
    ),
    (
        215,
        21,
        "Shortest call each week",
        "bar",
        "duration",
        {"aggregation_function": "min", "time_period": "week"},
    ),
    (
        216,
        21,
        "Longest call each week",
        "bar",
        "duration",
        {"aggregation_function": "max", "time_period": "week"},
    ),
    (217, 21, "Median duration", "bar", "duration", {"aggregation_function": "p50", "time_period": "day"}),
    (
        218,
        21,
        "p95 latency",
        "bar",
        METRIC_FIELD,
        {"metric": 101, "aggregation_function": "p95", "time_period": "day"},
    ),
    (
        219,
        21,
        "p99 latency by month",
        "bar",
        METRIC_FIELD,
        {"metric": 101, "aggregation_function": "p99", "time_period": "month"},
    ),
    (220, 21, "Where callers dropped off", "pie", "dropoff_point", {}),
    (221, 21, "Issue resolved?", "pie", METRIC_FIELD, {"metric": 103}),
    (222, 21, "Caller language", "pie", "metadata.language", {}),
    (223, 21, "Everything at a glance", "stat", "", {}),
    (300, 30, "Call duration", "line", "duration", {}),
    (301, 30, "Calls per day", "bar", "duration", {"aggregation_function": "count", "time_period": "day"}),
    (302, 30, "Why calls ended", "pie", "call_ended_reason", {}),
    (303, 30, "Quiet line at a glance", "stat", "", {}),
    (400, 40, "Thèmes d'appel — 話題 📊", "pie", "topic", {}),
    (
        401,
        40,
        "Average handling time per day for inbound customer-support calls routed through the primary IVR "
        "tree, excluding transfers to humans and voicemail",
        "bar",
        "duration",
        {
            "aggregation_function": "avg",
            "time_period": "day",
            "filters": _and(
                _leaf("call_ended_reason", "neq", "transferred_to_human"),
                _leaf("call_ended_reason", "neq", "voicemail"),
            ),
        },
    ),
    (
        402,
        40,
        "Number of calls per day that reached any agent from every channel and every region, including the "
        "ones that ended in silence or voicemail",
        "bar",
        "duration",
        {"aggregation_function": "count", "time_period": "day"},
    ),
    (403, 40, "Canal ☎️ / チャネル", "pie", "metadata.channel", {}),
    (
        404,
        40,
        "Taux de réussite ✓ (par jour) — Erfolgsquote",
        "bar",
        "success",
        {"aggregation_function": "avg", "time_period": "day"},
    ),
]

_DASHBOARDS: list[tuple[int, str, int, Record]] = [
    (7, "Sales agent — quick look", 2, _leaf("agent.id", "eq", 2)),
    (12, "Support line — overview", 1, _and(_since("now-7d"))),
    (21, "Everything", 1, _and(_since("today-14d"), _leaf("timestamp", "lte", "now"))),
    (30, "Quiet line", 1, _and(_since("now-7d"), _leaf("metadata.region", "eq", "antarctica"))),
    (40, "Long names & ünïcödé 📞", 1, _and(_since("now-14d"))),
]


def seed_state(created_at: str) -> tuple[dict[int, Record], dict[int, Record]]:
    """Fresh copies of the seeded dashboards and widgets, keyed by id, stamped `created_at`."""
    dashboards = {
        ident: {
            "id": ident,
            "name": name,
            "project": project,
            "filters": deepcopy(filters),
            "created_at": created_at,
            "updated_at": created_at,
        }
        for ident, name, project, filters in _DASHBOARDS
    }
    widgets: dict[int, Record] = {}
    slot: dict[int, int] = {}
    for ident, dashboard, name, chart, field, extra in _WIDGETS:
        position = slot.get(dashboard, 0)
        slot[dashboard] = position + 1
        widgets[ident] = {
            "id": ident,
            "dashboard": dashboard,
            "name": name,
            "filters": deepcopy(extra.get("filters")),
            "chart_type": chart,
            "data_type": plot_type(field),
            "field": field,
            "metric": extra.get("metric"),
            "time_period": extra.get("time_period"),
            "aggregation_function": extra.get("aggregation_function"),
            "group_by": None,
            "metadata": {"layout": {"x": (position % 2) * 6, "y": (position // 2) * 4, "w": 6, "h": 4}},
            "created_at": created_at,
            "updated_at": created_at,
        }
    return dashboards, widgets
