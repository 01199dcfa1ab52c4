"""The Cekura sandbox's synthetic calls, filter evaluation and chart data shapes."""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest

from bot.sandbox.cekura import CekuraSandbox
from bot.sandbox.cekura_calls import HISTORY_DAYS, calls_between, day_calls
from bot.sandbox.cekura_data import seed_state
from bot.sandbox.cekura_eval import DataEngine, aggregate, bucket_start, percentile
from bot.sandbox.cekura_filters import compile_filter
from tests.cekura_helpers import KEY, NOW


@pytest.fixture(scope="module")
def data() -> Iterator[dict[int, dict[str, Any]]]:
    """Every seeded widget's data (its own filters), keyed by widget id."""
    with CekuraSandbox(clock=lambda: NOW) as cekura, httpx.Client(base_url=cekura.url, headers=KEY) as api:
        results = {}
        for dashboard in (12, 21, 30, 40):
            ids = [ident for ident, widget in cekura.widgets.items() if widget["dashboard"] == dashboard]
            page = api.post("/dashboards/widgets/bulk_data/?page_size=20", json={"widget_ids": ids}).json()
            results.update({result["widget_id"]: result for result in page["results"]})
        yield results


def test_a_day_of_calls_never_changes_and_looks_like_a_support_line() -> None:
    monday, sunday = date(2026, 11, 16), date(2026, 11, 22)
    assert day_calls.__wrapped__(7, monday) == day_calls.__wrapped__(7, monday)
    assert day_calls.__wrapped__(8, monday) != day_calls.__wrapped__(7, monday)
    week = [day_calls(7, monday + timedelta(days=offset)) for offset in range(7)]
    assert all(150 <= len(calls) <= 300 for calls in week)
    assert len(day_calls(7, sunday)) < statistics.mean(len(calls) for calls in week[:5])
    calls = [call for day in week for call in day]
    assert 0.7 < sum(call["success"] for call in calls) / len(calls) < 0.9
    assert all(10 <= call["duration"] <= 900 for call in calls)
    assert len({call["id"] for call in calls}) == len(calls)
    topics = {call["topic"] for call in calls}
    assert len(topics - {None}) >= 10 and {"réclamation", "配送"} <= topics
    assert {call["agent"]["id"] for call in calls} == {1, 2, 3}
    assert {call["metadata"]["region"] for call in calls} == {"us-east", "us-west", "eu-central", "ap-south"}
    hours = [call["timestamp"].hour for call in calls]
    assert hours.count(15) > 4 * hours.count(3)  # business hours are busy, nights quiet
    with_latency = [call for call in calls if any(r["metric"]["id"] == 101 for r in call["metric_evaluations"])]
    assert 0.85 < len(with_latency) / len(calls) < 1


def test_calls_stop_at_now_and_reach_back_35_days() -> None:
    calls = calls_between(7, NOW)
    assert calls[-1]["timestamp"] <= NOW
    assert calls[0]["timestamp"].date() == NOW.date() - timedelta(days=HISTORY_DAYS)
    window = calls_between(7, NOW, NOW - timedelta(hours=2), NOW - timedelta(hours=1))
    assert window and all(NOW - timedelta(hours=2) <= c["timestamp"] <= NOW - timedelta(hours=1) for c in window)


def test_two_sandboxes_with_the_same_clock_give_identical_data() -> None:
    def everything(seed: int) -> dict[str, Any]:
        with CekuraSandbox(clock=lambda: NOW, seed=seed) as cekura:
            ids = list(range(210, 224))
            body = {"widget_ids": ids}
            return httpx.post(f"{cekura.url}/dashboards/widgets/bulk_data/?page_size=14", json=body, headers=KEY).json()

    first = everything(7)
    assert first == everything(7)
    assert first["results"] != everything(8)["results"]


def test_line_points_are_per_call_in_time_order(data: dict[int, dict[str, Any]]) -> None:
    points = data[211]["data"]
    assert all(set(point) == {"id", "timestamp", "value"} for point in points)
    assert [point["timestamp"] for point in points] == sorted(point["timestamp"] for point in points)
    assert points[0]["timestamp"].endswith("Z")
    assert any(point["value"] is None for point in points)  # latency was not measured on every call
    assert all(point["value"] >= 60 for point in data[30]["data"])  # widget 30's own filter
    assert data[211]["metadata"] == {
        "display_name": "Latency (ms)",
        "data_type": "dynamic",
        "filter_value": 101,
    }


def test_bars_are_time_buckets(data: dict[int, dict[str, Any]]) -> None:
    hourly = data[31]["data"]
    assert all(set(bar) == {"time_interval", "value", "sample_count"} for bar in hourly)
    assert all(bar["time_interval"].endswith(":00:00Z") for bar in hourly)
    assert all(bar["value"] == bar["sample_count"] for bar in hourly)  # a count
    assert sum(bar["sample_count"] for bar in hourly) == data[41]["data"]["total_calls"]
    assert all(0 <= bar["value"] <= 1 for bar in data[32]["data"])  # average of a boolean
    assert [bar["time_interval"] for bar in data[33]["data"]] == [
        "2026-11-16T00:00:00Z",
        "2026-11-23T00:00:00Z",
    ]
    assert [bar["time_interval"][:10] for bar in data[219]["data"]] == ["2026-11-01"]
    days = data[34]["data"]
    assert len(days) == 8 and 120 < statistics.mean(bar["value"] for bar in days) < 300
    assert (data[34]["aggregation_function"], data[34]["time_period"]) == ("avg", "day")
    p50, p95 = data[217]["data"][0]["value"], data[36]["data"][0]["value"]
    assert p50 < 300 and 800 < p95 < 3000


def test_pies_are_distributions_largest_first(data: dict[int, dict[str, Any]]) -> None:
    reasons = data[37]["data"]
    assert all(set(item) == {"label", "value", "percentage"} for item in reasons)
    assert [item["value"] for item in reasons] == sorted((item["value"] for item in reasons), reverse=True)
    assert reasons[0]["label"] == "customer_ended_call"
    assert abs(sum(item["percentage"] for item in reasons) - 100) < 0.5
    assert {item["label"] for item in data[38]["data"]} == {"true", "false"}
    assert {item["label"] for item in data[221]["data"]} == {"true", "false"}
    assert [item["label"] for item in data[40]["data"]] == ["polite", "neutral", "rude"]
    topics = [item["label"] for item in data[400]["data"]]
    assert len(topics) > 8 and "配送" in topics and "réclamation" in topics


def test_stat_is_an_object_of_kpis(data: dict[int, dict[str, Any]]) -> None:
    stat = data[223]["data"]
    assert set(stat) == {"total_calls", "success_rate", "avg_duration", "p95_latency"}
    assert stat["total_calls"] == len(data[210]["data"])
    assert 70 < stat["success_rate"] < 90 and 120 < stat["avg_duration"] < 300 and 800 < stat["p95_latency"] < 3000
    assert data[223]["chart_type"] == "stat" and data[223]["field_name"] == ""


def test_the_quiet_dashboard_is_empty(data: dict[int, dict[str, Any]]) -> None:
    assert data[300]["data"] == data[301]["data"] == data[302]["data"] == []
    assert data[303]["data"] == {
        "total_calls": 0,
        "success_rate": None,
        "avg_duration": None,
        "p95_latency": None,
    }


def test_seeded_dashboards_cover_what_the_bot_must_handle() -> None:
    dashboards, widgets = seed_state("2026-08-25T09:00:00.000000Z")
    everything = [widget for widget in widgets.values() if widget["dashboard"] == 21]
    assert len(everything) == 14
    assert {w["chart_type"] for w in everything} == {"line", "bar", "pie", "stat"}
    assert {w["aggregation_function"] for w in everything} - {None} == {
        "count",
        "sum",
        "avg",
        "min",
        "max",
        "p50",
        "p95",
        "p99",
    }
    assert {w["time_period"] for w in everything} - {None} == {"hour", "day", "week", "month"}
    names = [w["name"] for w in widgets.values() if w["dashboard"] == 40]
    assert sum(len(name) > 120 for name in names) >= 2 and any("📊" in name for name in names)


def _call(ident: int, **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": ident,
        "timestamp": NOW - timedelta(hours=ident),
        "duration": 100.0,
        "success": True,
        "topic": "Billing question",
        "dropoff_point": None,
        "agent": {"id": 1, "agent_name": "Ava (support)"},
        "metadata": {"region": "us-east"},
        "metric_evaluations": [
            {"metric": {"id": 101, "name": "Latency (ms)"}, "value": 900.0},
            {"metric": {"id": 102, "name": "Politeness"}, "value": "rude"},
        ],
    }
    return base | fields


CALLS = [
    _call(1),
    _call(2, duration=30.0, success=False, topic="réclamation", dropoff_point="payment"),
    _call(3, topic=None, agent={"id": 2, "agent_name": "Leo (sales)"}, metadata={}),
    _call(4, metric_evaluations=[{"metric": {"id": 101, "name": "Latency (ms)"}, "value": 400.0}]),
    _call(40, metric_evaluations=[]),
]


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"field": "duration", "op": "gt", "value": "50"}, [1, 3, 4, 40]),
        ({"field": "success", "op": "eq", "value": "false"}, [2]),
        ({"field": "topic", "op": "contains", "value": "BILL"}, [1, 4, 40]),
        ({"field": "topic", "op": "startswith", "value": "RÉC"}, [2]),
        ({"field": "topic", "op": "endswith", "value": "question"}, [1, 4, 40]),
        ({"field": "topic", "op": "isnull", "value": True}, [3]),
        ({"field": "topic", "op": "neq", "value": "réclamation"}, [1, 3, 4, 40]),
        ({"field": "topic", "op": "regex", "value": "^B.*n$"}, [1, 4, 40]),
        ({"field": "agent.id", "op": "in", "value": [2, 3]}, [3]),
        ({"field": "agent.agent_name", "op": "contains", "value": "ava"}, [1, 2, 4, 40]),
        ({"field": "metadata.region", "op": "isnull", "value": True}, [3]),
        ({"field": "dropoff_point", "op": "in", "value": ["payment", "greeting"]}, [2]),
        ({"field": "timestamp", "op": "gte", "value": "now-3h"}, [1, 2, 3]),
        ({"field": "timestamp", "op": "lt", "value": (NOW - timedelta(hours=3)).isoformat()}, [4, 40]),
        ({"field": "metric_evaluations.value", "op": "gte", "value": 500}, [1, 2, 3]),
        ({"field": "metric_evaluations.metric.name", "op": "eq", "value": "Politeness"}, [1, 2, 3]),
        ({"field": "metric_evaluations.value", "op": "isnull", "value": True}, [40]),
        (
            {
                "operator": "or",
                "conditions": [
                    {"field": "success", "op": "eq", "value": False},
                    {"field": "agent.id", "op": "eq", "value": 2},
                ],
            },
            [2, 3],
        ),
        (
            # With AND, a call matches through two different evaluations; same_row needs one row.
            {
                "operator": "and",
                "conditions": [
                    {"field": "metric_evaluations.metric.id", "op": "eq", "value": 102},
                    {"field": "metric_evaluations.value", "op": "gte", "value": 500},
                ],
            },
            [1, 2, 3],
        ),
        (
            {
                "operator": "same_row",
                "conditions": [
                    {"field": "metric_evaluations.metric.id", "op": "eq", "value": 102},
                    {"field": "metric_evaluations.value", "op": "gte", "value": 500},
                ],
            },
            [],
        ),
        (
            {
                "operator": "same_row",
                "conditions": [
                    {"field": "metric_evaluations.metric.id", "op": "eq", "value": 101},
                    {"field": "metric_evaluations.value", "op": "lt", "value": 500},
                ],
            },
            [4],
        ),
    ],
)
def test_filters_select_calls(node: dict[str, Any], expected: list[int]) -> None:
    keep = compile_filter(node, NOW)
    assert [call["id"] for call in CALLS if keep(call)] == expected


def test_aggregations_and_buckets() -> None:
    assert aggregate([True, False, True, True], "avg") == 0.75
    assert aggregate([1, 2, 3, 4], "sum") == 10 and aggregate(["a", "b"], "count") == 2
    assert aggregate([], "avg") is None
    assert percentile([1.0, 2.0, 3.0, 4.0], 0.5) == 2.5
    assert aggregate(list(range(1, 101)), "p95") == pytest.approx(95.05)
    sunday_night = datetime(2026, 11, 22, 23, 59, tzinfo=UTC)
    assert bucket_start(sunday_night, "week") == datetime(2026, 11, 16, tzinfo=UTC)
    assert bucket_start(sunday_night, "month") == datetime(2026, 11, 1, tzinfo=UTC)
    assert bucket_start(sunday_night, "hour") == datetime(2026, 11, 22, 23, tzinfo=UTC)


def test_a_dashboard_refresh_is_fast_once_warm() -> None:
    dashboards, seeded = seed_state("2026-08-25T09:00:00.000000Z")
    widgets = [widget for widget in seeded.values() if widget["dashboard"] == 12]
    engine = DataEngine(seed=7)
    dashboard_filter = dashboards[12]["filters"]

    def refresh() -> float:
        started = time.perf_counter()
        for widget in widgets:
            own = widget["filters"]
            effective = {"operator": "and", "conditions": [dashboard_filter, own]} if own else dashboard_filter
            engine.widget_data(widget, effective, NOW)
        return time.perf_counter() - started

    refresh()
    assert refresh() < 0.1
