"""Changing the Cekura sandbox over HTTP: PATCH validation, bulk_widgets, create/delete, preview."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from bot.sandbox.cekura import CekuraSandbox
from tests.cekura_helpers import (
    LAST_WEEK,
    NOW,
    REQUIRED,
    Clock,
    bulk,
)

# Provides the `sandbox`, `api` and `clock` fixtures.
pytest_plugins = ("tests.cekura_fixtures",)

METRIC = "metric_evaluations.value"


def test_patch_dashboard_changes_fields_and_bumps_updated_at(
    api: httpx.Client, sandbox: CekuraSandbox, clock: Clock
) -> None:
    before = api.get("/dashboards/dashboards/7/").json()
    clock.now = NOW + timedelta(minutes=5)
    answer = api.patch("/dashboards/dashboards/7/", json={"name": "Sales", "filters": LAST_WEEK})
    assert answer.status_code == 200
    assert answer.json()["name"] == "Sales" and len(answer.json()["widgets"]) == 4
    assert answer.json()["updated_at"] > before["updated_at"]
    assert sandbox.dashboards[7]["filters"] == LAST_WEEK
    assert bulk(api, [70]).status_code == 200  # now the dashboard carries the timestamp bound
    bad = api.patch("/dashboards/dashboards/7/", json={"filters": {"field": "duration", "op": "like", "value": 1}})
    assert bad.status_code == 400 and list(bad.json()) == ["filters"]


@pytest.mark.parametrize(
    ("patch", "field", "message"),
    [
        ({"chart_type": "donut"}, "chart_type", '"donut" is not a valid choice.'),
        ({"time_period": "year"}, "time_period", '"year" is not a valid choice.'),
        ({"aggregation_function": "median"}, "aggregation_function", '"median" is not a valid choice.'),
        ({"chart_type": "pie"}, "chart_type", "duration (numeric) can be shown as line, bar, not pie."),
        ({"field": "topic"}, "aggregation_function", "avg is not available for topic (string); use count."),
        (
            {"field": "metadata.region"},
            "aggregation_function",
            "avg is not available for metadata.region (string); use count.",
        ),
        (
            {"field": "metric_evaluations.value"},
            "metric",
            "This field is required when field is metric_evaluations.value.",
        ),
        (
            {"field": "metric_evaluations.value", "metric": 999},
            "metric",
            'Invalid pk "999" - object does not exist.',
        ),
        (
            {"field": "metric_evaluations.value", "metric": 102},
            "chart_type",
            "metric_evaluations.value (enum metric) can be shown as pie, not bar.",
        ),
        (
            {"field": "success", "aggregation_function": "sum"},
            "aggregation_function",
            "sum is not available for success (boolean); use count, avg.",
        ),
        ({"time_period": ""}, "time_period", "Bar charts need a time_period: hour, day, week or month."),
        ({"field": "metadata.a.b"}, "field", None),
        ({"filters": {"operator": "xor", "conditions": []}}, "filters", None),
        ({"filters": {"field": "timestamp", "op": "gte", "value": "last tuesday"}}, "filters", None),
        ({"filters": {"field": "topic", "op": "in", "value": "billing"}}, "filters", None),
        ({"filters": {"field": "topic", "op": "isnull", "value": "yes"}}, "filters", None),
        ({"filters": {"field": "topic", "op": "regex", "value": "("}}, "filters", None),
        ({"filters": {"field": "nope", "op": "eq", "value": 1}}, "filters", None),
    ],
)
def test_patch_widget_refuses_invalid_configs(
    api: httpx.Client, sandbox: CekuraSandbox, patch: dict[str, object], field: str, message: str | None
) -> None:
    before = dict(sandbox.widgets[34])
    answer = api.patch("/dashboards/widgets/34/", json=patch)
    assert answer.status_code == 400
    assert list(answer.json()) == [field]
    if message is not None:
        assert answer.json()[field] == [message]
    assert sandbox.widgets[34] == before


def test_patch_widget_applies_a_valid_change(api: httpx.Client, sandbox: CekuraSandbox) -> None:
    answer = api.patch("/dashboards/widgets/34/", json={"aggregation_function": "p95", "name": "p95 duration"})
    assert answer.status_code == 200 and answer.json()["aggregation_function"] == "p95"
    assert sandbox.widgets[34]["name"] == "p95 duration"
    data = api.get("/dashboards/widgets/34/data/").json()
    assert data["aggregation_function"] == "p95" and all(bar["value"] > 300 for bar in data["data"])
    pie = api.patch("/dashboards/widgets/32/", json={"chart_type": "pie"})
    assert pie.status_code == 200 and pie.json()["chart_type"] == "pie"


def test_bulk_widgets_is_all_or_nothing(api: httpx.Client, sandbox: CekuraSandbox) -> None:
    before = {ident: dict(widget) for ident, widget in sandbox.widgets.items()}
    batch = {
        "create": [{"chart_type": "pie", "field": "topic", "name": "Topics"}],
        "update": [{"id": 34, "chart_type": "line"}, {"id": 70, "name": "not on this dashboard"}],
        "delete": [35, 99999],
    }
    refused = api.post("/dashboards/dashboards/12/bulk_widgets/", json=batch)
    assert refused.status_code == 400
    errors = refused.json()["errors"]
    assert [(error["operation"], error["id"]) for error in errors] == [("update", 70), ("delete", 99999)]
    assert sandbox.widgets == before
    batch["update"], batch["delete"] = [{"id": 34, "chart_type": "line"}], [35]
    done = api.post("/dashboards/dashboards/12/bulk_widgets/", json=batch).json()
    assert [widget["id"] for widget in done["created"]] == [1000]
    assert done["created"][0]["dashboard"] == 12 and done["created"][0]["data_type"] == "string"
    assert [widget["chart_type"] for widget in done["updated"]] == ["line"]
    assert (done["deleted"], done["errors"]) == ([35], [])
    assert 35 not in sandbox.widgets and sandbox.widgets[34]["chart_type"] == "line"
    assert api.get("/dashboards/dashboards/12/").json()["widget_count"] == "12"


def test_bulk_widgets_rejects_bad_shapes(api: httpx.Client) -> None:
    answer = api.post(
        "/dashboards/dashboards/12/bulk_widgets/", json={"create": {"chart_type": "pie"}, "delete": ["x"]}
    )
    assert answer.status_code == 400
    assert [error["operation"] for error in answer.json()["errors"]] == ["create", "delete"]
    assert api.post("/dashboards/dashboards/99/bulk_widgets/", json={}).status_code == 404


def test_create_and_delete_a_widget(api: httpx.Client, sandbox: CekuraSandbox) -> None:
    created = api.post("/dashboards/widgets/", json={"dashboard": 30, "chart_type": "stat"})
    assert created.status_code == 201
    ident = created.json()["id"]
    assert api.delete(f"/dashboards/widgets/{ident}/").status_code == 204
    assert api.get(f"/dashboards/widgets/{ident}/").status_code == 404
    missing = api.post("/dashboards/widgets/", json={"dashboard": 30})
    assert missing.json() == {"chart_type": ["This field is required."]}


def test_preview_data_is_anded_with_the_dashboard_filters(api: httpx.Client) -> None:
    config = {"dashboard": 12, "chart_type": "pie", "field": "metadata.region"}
    everyone = api.post("/dashboards/widgets/preview_data/", json=config).json()
    assert everyone["widget_id"] is None and everyone["chart_type"] == "pie"
    europe = {"field": "metadata.region", "op": "eq", "value": "eu-central"}
    scoped = api.post("/dashboards/widgets/preview_data/", json={**config, "filters": europe}).json()
    assert [item["label"] for item in scoped["data"]] == ["eu-central"]
    assert scoped["data"][0]["value"] == next(
        item["value"] for item in everyone["data"] if item["label"] == "eu-central"
    )
    assert api.post("/dashboards/widgets/preview_data/", json={**config, "dashboard": 7}).json() == {"detail": REQUIRED}
    assert list(api.post("/dashboards/widgets/preview_data/", json={"chart_type": "stat"}).json()) == ["dashboard"]
