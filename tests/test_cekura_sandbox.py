"""The Cekura sandbox over real HTTP: auth, pages, data rules, faults, the clock."""

from __future__ import annotations

from datetime import timedelta

import httpx

from bot.sandbox.cekura import CekuraSandbox
from tests.cekura_helpers import (
    LAST_WEEK,
    NOW,
    REQUIRED,
    TOO_OLD,
    Clock,
    bulk,
)

# Provides the `sandbox`, `api` and `clock` fixtures.
pytest_plugins = ("tests.cekura_fixtures",)


def test_requests_without_or_with_a_wrong_key_get_401(sandbox: CekuraSandbox) -> None:
    missing = httpx.get(f"{sandbox.url}/dashboards/dashboards/")
    wrong = httpx.get(f"{sandbox.url}/dashboards/dashboards/", headers={"X-CEKURA-API-KEY": "nope"})
    assert (missing.status_code, missing.json()) == (
        401,
        {"detail": "Authentication credentials were not provided."},
    )
    assert (wrong.status_code, wrong.json()) == (401, {"detail": "Invalid API key."})


def test_unknown_objects_paths_and_methods(api: httpx.Client) -> None:
    assert api.get("/dashboards/dashboards/999/").json() == {"detail": "Not found."}
    assert api.get("/dashboards/widgets/999/data/").status_code == 404
    assert api.get("/dashboards/nothing/").status_code == 404
    assert api.put("/dashboards/dashboards/12/", json={}).json() == {"detail": 'Method "PUT" not allowed.'}


def test_dashboard_list_is_a_drf_page_with_absolute_links(api: httpx.Client, sandbox: CekuraSandbox) -> None:
    first = api.get("/dashboards/dashboards/", params={"page_size": 2}).json()
    assert first["count"] == 5
    assert [item["id"] for item in first["results"]] == [7, 12]
    assert first["next"] == f"{sandbox.url}/dashboards/dashboards/?page=2&page_size=2"
    assert first["previous"] is None
    assert "widgets" not in first["results"][1]
    assert first["results"][1]["widget_count"] == "12"
    second = api.get(first["next"]).json()
    assert second["previous"] == f"{sandbox.url}/dashboards/dashboards/?page_size=2"
    last = api.get(second["next"]).json()
    assert ([item["id"] for item in last["results"]], last["next"]) == ([40], None)
    assert api.get("/dashboards/dashboards/?page=9").json() == {"detail": "Invalid page."}
    sales = api.get("/dashboards/dashboards", params={"project_id": 2}).json()
    assert [item["id"] for item in sales["results"]] == [7]


def test_retrieve_nests_full_widgets(api: httpx.Client) -> None:
    dashboard = api.get("/dashboards/dashboards/12").json()
    assert dashboard["name"] == "Support line — overview"
    assert dashboard["filters"] == {"operator": "and", "conditions": [LAST_WEEK]}
    assert len(dashboard["widgets"]) == 12 and dashboard["widget_count"] == "12"
    widgets = {widget["id"]: widget for widget in dashboard["widgets"]}
    assert (widgets[34]["chart_type"], widgets[34]["field"]) == ("bar", "duration")
    assert (widgets[34]["aggregation_function"], widgets[34]["time_period"]) == ("avg", "day")
    assert widgets[30]["effective_filters"] == {
        "operator": "and",
        "conditions": [dashboard["filters"], {"field": "duration", "op": "gte", "value": 60}],
    }
    assert widgets[34]["effective_filters"] == dashboard["filters"]
    assert widgets[36]["metric_name"] == "Latency (ms)" and widgets[34]["metric_name"] is None
    assert {widget["chart_type"] for widget in dashboard["widgets"]} == {"line", "bar", "pie", "stat"}


def test_widget_list_scoped_by_dashboard(api: httpx.Client) -> None:
    page = api.get("/dashboards/widgets/", params={"dashboard_id": 21}).json()
    assert page["count"] == 14 and len(page["results"]) == 5
    assert all(widget["dashboard"] == 21 for widget in page["results"])
    assert api.get("/dashboards/widgets/34/").json()["name"] == "Average call duration"


def test_bulk_data_pages_through_with_the_same_body(api: httpx.Client, sandbox: CekuraSandbox) -> None:
    ids = list(range(30, 42))
    pages = [bulk(api, ids).json()]
    while pages[-1]["next"]:
        pages.append(api.post(pages[-1]["next"], json={"widget_ids": ids}).json())
    assert [len(page["results"]) for page in pages] == [5, 5, 2]
    assert all(page["count"] == 12 for page in pages)
    assert [result["widget_id"] for page in pages for result in page["results"]] == ids
    assert pages[1]["previous"] == f"{sandbox.url}/dashboards/widgets/bulk_data/"
    assert len(sandbox.requests("POST", "bulk_data")) == 3


def test_override_replaces_dashboard_and_widget_filters(api: httpx.Client) -> None:
    own = bulk(api, [38, 41]).json()["results"]
    overridden = bulk(api, [38, 41], filters=LAST_WEEK).json()["results"]
    agent_one = sum(item["value"] for item in own[0]["data"])
    everyone = sum(item["value"] for item in overridden[0]["data"])
    assert everyone > agent_one * 1.5
    assert everyone == overridden[1]["data"]["total_calls"] == own[1]["data"]["total_calls"]
    yesterday = {"field": "timestamp", "op": "gte", "value": "now-1d"}
    assert bulk(api, [41], filters=yesterday).json()["results"][0]["data"]["total_calls"] < everyone


def test_data_without_a_timestamp_lower_bound_is_refused(api: httpx.Client) -> None:
    refused = bulk(api, [70, 71])
    assert (refused.status_code, refused.json()) == (400, {"detail": REQUIRED})
    only_upper = {"field": "timestamp", "op": "lte", "value": "now"}
    assert bulk(api, [30], filters=only_upper).json() == {"detail": REQUIRED}
    in_an_or = {"operator": "or", "conditions": [LAST_WEEK, {"field": "success", "op": "eq", "value": True}]}
    assert bulk(api, [30], filters=in_an_or).json() == {"detail": REQUIRED}
    answered = bulk(api, [70, 71], filters=LAST_WEEK)
    assert answered.status_code == 200 and len(answered.json()["results"]) == 2


def test_data_reaching_back_more_than_30_days_is_refused(api: httpx.Client) -> None:
    for value in ("now-31d", "today-30d", (NOW - timedelta(days=40)).isoformat()):
        answer = bulk(api, [34], filters={"field": "timestamp", "op": "gte", "value": value})
        assert (answer.status_code, answer.json()) == (400, {"detail": TOO_OLD})
    month = bulk(api, [34], filters={"field": "timestamp", "op": "gt", "value": "now-30d"})
    assert month.status_code == 200
    assert len(month.json()["results"][0]["data"]) == 31  # one bar per day, today included


def test_single_widget_data_takes_a_json_filter_string(api: httpx.Client) -> None:
    plain = api.get("/dashboards/widgets/34/data/").json()
    assert plain["widget_id"] == 34 and len(plain["data"]) == 8
    two_days = api.get(
        "/dashboards/widgets/34/data/",
        params={"filters": '{"field":"timestamp","op":"gte","value":"today-1d"}'},
    )
    assert [bar["time_interval"] for bar in two_days.json()["data"]] == [
        "2026-11-22T00:00:00Z",
        "2026-11-23T00:00:00Z",
    ]
    assert api.get("/dashboards/widgets/34/data/", params={"filters": "{oops"}).json() == {
        "filters": ["Enter a valid JSON."]
    }
    assert api.get("/dashboards/widgets/70/data/").json() == {"detail": REQUIRED}


def test_faults_answer_first_with_retry_after(api: httpx.Client, sandbox: CekuraSandbox) -> None:
    sandbox.fail("bulk_data", 429, times=2, retry_after=0.5)
    sandbox.fail("/dashboards/dashboards/12", 503, method="GET")
    sandbox.fail("widgets/34", 500, body={"error": "boom"})
    for _ in range(2):
        throttled = httpx.post(f"{sandbox.url}/dashboards/widgets/bulk_data/", json={})  # even before auth
        assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "0.5"
        assert throttled.json() == {"detail": "Request was throttled. Expected available in 1 seconds."}
    assert bulk(api, [34]).status_code == 200
    assert api.patch("/dashboards/dashboards/12/", json={}).status_code == 200  # PATCH is not matched
    down = api.get("/dashboards/dashboards/12/")
    assert (down.status_code, "Retry-After" in down.headers) == (503, False)
    assert api.get("/dashboards/widgets/34/").json() == {"error": "boom"}
    sandbox.fail("bulk_data", 502, retry_after=2)
    assert bulk(api, [34]).headers["Retry-After"] == "2"
    assert api.get("/dashboards/dashboards/12/").status_code == 200


def test_the_clock_moves_the_data(api: httpx.Client, clock: Clock) -> None:
    before = api.get("/dashboards/widgets/30/data/").json()["data"]
    assert before[-1]["timestamp"] <= "2026-11-23T15:30:00Z"
    assert before[0]["timestamp"] >= "2026-11-16T15:30:00Z"
    clock.now = NOW + timedelta(hours=6)
    after = api.get("/dashboards/widgets/30/data/").json()["data"]
    assert after[-1]["timestamp"] > "2026-11-23T15:30:00Z"
    assert after[0]["timestamp"] >= "2026-11-16T21:30:00Z"
    clock.now = NOW + timedelta(days=30)
    assert api.get("/dashboards/widgets/30/data/").json()["data"][0]["timestamp"] >= "2026-12-16"


def test_reset_and_latency(api: httpx.Client, sandbox: CekuraSandbox) -> None:
    api.patch("/dashboards/dashboards/12/", json={"name": "renamed"})
    api.delete("/dashboards/widgets/34/")
    sandbox.fail("dashboards", 500, times=5)
    sandbox.reset()
    assert sandbox.requests() == []
    assert api.get("/dashboards/dashboards/12/").json()["name"] == "Support line — overview"
    assert 34 in sandbox.widgets
    sandbox.latency = 0.05
    assert sandbox.latency == 0.05
    assert api.get("/dashboards/widgets/34/").elapsed >= timedelta(seconds=0.05)
