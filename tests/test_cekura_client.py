"""CekuraClient on httpx.MockTransport: typed parsing, pagination, errors, no leaked key.

Retries: tests/test_cekura_client_retries.py (which imports `make` and `recording` from here).
"""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from pydantic import SecretStr

from bot.cekura import CekuraClient
from bot.errors import CekuraAuthError, CekuraDataError, CekuraRejected, NotFound, UpstreamError

BASE = "https://api.cekura.test"
KEY = "ck-live-SECRET-7f3a9"
WIDGET = {"id": 5, "dashboard": 12, "chart_type": "bar", "field": "duration", "aggregation_function": "avg"}


def make(handler, **kwargs):
    """A client on a MockTransport, plus the list its retry sleeps are recorded in."""
    sleeps: list[float] = []
    kwargs.setdefault("max_attempts", 5)
    client = CekuraClient(BASE, SecretStr(KEY), transport=httpx.MockTransport(handler), sleep=sleeps.append, **kwargs)
    return client, sleeps


def recording(responses):
    """A handler answering from `responses` in turn (the last repeats) and recording every request."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = responses[min(len(seen), len(responses)) - 1]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return handler, seen


def test_dashboard_parses_strings_nulls_extras_and_missing_fields():
    body = {
        "id": 12,
        "name": "Ops",
        "project": None,
        "filters": None,
        "widget_count": "12",
        "brand_new_field": {"x": 1},
        "widgets": [{"id": 5, "chart_type": "pie", "filters": {}, "effective_filters": None, "future": True}],
    }
    handler, seen = recording([httpx.Response(200, json=body)])
    with make(handler)[0] as cekura:
        dash = cekura.get_dashboard(12)
    assert seen[0].method == "GET" and seen[0].url == f"{BASE}/dashboards/dashboards/12/"
    assert seen[0].headers["X-CEKURA-API-KEY"] == KEY
    assert seen[0].headers["User-Agent"].startswith("cekura-bot/")
    assert (dash.id, dash.filters, dash.widget_count, dash.project) == (12, None, "12", None)
    widget = dash.widgets[0]
    assert (widget.chart_type, widget.filters, widget.metric, widget.name) == ("pie", None, None, None)
    assert widget.title == "pie of calls"


def test_list_dashboards_follows_every_page_as_given():
    page2_url = f"{BASE}/dashboards/dashboards/?page=2&project_id=7"
    handler, seen = recording(
        [
            httpx.Response(200, json={"count": 3, "next": page2_url, "results": [{"id": 1, "widget_count": "4"}]}),
            httpx.Response(200, json={"count": 3, "next": None, "results": [{"id": 2}, {"id": 3, "x": 1}]}),
        ]
    )
    summaries = make(handler)[0].list_dashboards(project_id=7)
    assert [s.id for s in summaries] == [1, 2, 3]
    assert summaries[0].count == 4 and summaries[1].count is None
    assert [str(r.url) for r in seen] == [f"{BASE}/dashboards/dashboards/?project_id=7", page2_url]


def test_list_widgets_scopes_by_dashboard():
    handler, seen = recording([httpx.Response(200, json={"count": 1, "next": None, "results": [WIDGET]})])
    widgets = make(handler)[0].list_widgets(dashboard_id=12)
    assert [w.aggregation_function for w in widgets] == ["avg"]
    assert str(seen[0].url) == f"{BASE}/dashboards/widgets/?dashboard_id=12"


def test_bulk_data_reposts_the_identical_body_to_each_next_url():
    # The second `next` points at another host: the client keeps the path and query but never sends
    # the API key anywhere but its own base URL.
    nexts = [f"{BASE}/dashboards/widgets/bulk_data/?page=2&page_size=1", "https://eu.cekura.test/bd/?page=3"]
    pages = [
        {"count": 3, "next": nexts[0], "results": [{"widget_id": 1, "chart_type": "stat", "data": {"n": 1}}]},
        {
            "count": 3,
            "next": nexts[1],
            "results": [{"widget_id": 2, "data": [{"value": 3}], "metadata": None}],
        },
        {"count": 3, "next": None, "results": [{"widget_id": 3, "chart_type": "pie", "data": []}]},
    ]
    handler, seen = recording([httpx.Response(200, json=page) for page in pages])
    filters = {"field": "timestamp", "op": "gte", "value": "now-7d"}
    data = make(handler)[0].bulk_data([1, 2, 3], filters, page_size=1)
    assert [d.widget_id for d in data] == [1, 2, 3]
    assert data[0].data == {"n": 1} and data[1].data == [{"value": 3}]
    assert [r.method for r in seen] == ["POST"] * 3
    expected = [f"{BASE}/dashboards/widgets/bulk_data/?page_size=1", nexts[0], f"{BASE}/bd/?page=3"]
    assert [str(r.url) for r in seen] == expected
    assert [json.loads(r.content) for r in seen] == [{"widget_ids": [1, 2, 3], "filters": filters}] * 3


def test_bulk_data_without_widgets_sends_nothing():
    handler, seen = recording([httpx.Response(500)])
    assert make(handler)[0].bulk_data([]) == []
    assert seen == []


def test_widget_data_sends_filters_as_json_query():
    answer = {
        "widget_id": 5,
        "chart_type": "bar",
        "data": [{"time_interval": "2026-11-01T00:00:00Z", "value": 4}],
    }
    handler, seen = recording([httpx.Response(200, json=answer)])
    filters = {"operator": "and", "conditions": [{"field": "timestamp", "op": "gte", "value": "today-7d"}]}
    result = make(handler)[0].widget_data(5, filters)
    assert seen[0].url.path == "/dashboards/widgets/5/data/"
    assert json.loads(seen[0].url.params["filters"]) == filters
    assert result.data == answer["data"] and result.can_group_by is False


def test_writes_send_their_bodies_and_parse_answers():
    dash = {"id": 12, "name": "New", "widgets": [WIDGET]}
    bulk = {"created": [WIDGET], "updated": [], "deleted": [9]}
    preview = {"widget_id": None, "chart_type": "pie", "data": []}
    handler, seen = recording([httpx.Response(200, json=a) for a in (dash, WIDGET, bulk, preview)])
    cekura = make(handler)[0]
    assert cekura.patch_dashboard(12, {"name": "New"}).widgets[0].id == 5
    assert cekura.patch_widget(5, {"time_period": "day"}).field == "duration"
    result = cekura.bulk_widgets(12, create=[{"chart_type": "bar"}], delete=[9])
    assert result.created[0].id == 5 and result.deleted == [9] and result.errors == []
    assert cekura.preview_data({"chart_type": "pie", "field": "topic"}).widget_id is None
    assert [(r.method, r.url.path) for r in seen] == [
        ("PATCH", "/dashboards/dashboards/12/"),
        ("PATCH", "/dashboards/widgets/5/"),
        ("POST", "/dashboards/dashboards/12/bulk_widgets/"),
        ("POST", "/dashboards/widgets/preview_data/"),
    ]
    assert json.loads(seen[2].content) == {"create": [{"chart_type": "bar"}], "update": [], "delete": [9]}


@pytest.mark.parametrize(
    ("call", "kind", "object_id"),
    [
        (lambda c: c.get_dashboard(12), "dashboard", 12),
        (lambda c: c.patch_dashboard(12, {"name": "x"}), "dashboard", 12),
        (lambda c: c.get_widget(5), "widget", 5),
        (lambda c: c.widget_data(5), "widget", 5),
    ],
)
def test_404_is_not_found_without_retry(call, kind, object_id):
    handler, seen = recording([httpx.Response(404, json={"detail": "Not found."})])
    cekura, sleeps = make(handler)
    with pytest.raises(NotFound) as caught:
        call(cekura)
    assert (caught.value.kind, caught.value.object_id) == (kind, object_id)
    assert isinstance(caught.value.__cause__, httpx.HTTPStatusError)
    assert len(seen) == 1 and sleeps == []


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures(status):
    handler, seen = recording([httpx.Response(status, json={"detail": "Invalid API key."})])
    with pytest.raises(CekuraAuthError) as caught:
        make(handler)[0].get_widget(5)
    assert caught.value.status == status and len(seen) == 1


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (
            {"detail": "Timestamp filter value is too far in the past."},
            "Timestamp filter value is too far in the past.",
        ),
        (
            {"filters": ["Invalid op 'foo'."], "chart_type": ['"donut" is not a valid choice.']},
            "filters: Invalid op 'foo'.; chart_type: \"donut\" is not a valid choice.",
        ),
        ({"non_field_errors": ["Pick a metric."]}, "Pick a metric."),
        ({"create": [{}, {"field": ["This field is required."]}]}, "create.1.field: This field is required."),
        (["Something is off."], "Something is off."),
        (None, "HTTP 400"),
    ],
)
def test_400_is_rejected_with_readable_detail_and_no_retry(body, detail):
    answer = httpx.Response(400, json=body) if body is not None else httpx.Response(400, text="<html>")
    handler, seen = recording([answer])
    cekura, sleeps = make(handler)
    with pytest.raises(CekuraRejected) as caught:
        cekura.patch_widget(5, {"filters": {"field": "x", "op": "foo", "value": 1}})
    assert caught.value.detail == detail
    assert len(seen) == 1 and sleeps == []


@pytest.mark.parametrize(
    ("body", "call"),
    [
        ("<html>gateway</html>", lambda c: c.get_dashboard(1)),
        ({"id": "not-a-number"}, lambda c: c.get_dashboard(1)),
        ({"count": 1, "next": None, "results": [{"chart_type": "pie"}]}, lambda c: c.list_widgets()),
    ],
)
def test_malformed_body_is_unexpected_response(body, call, caplog):
    answer = httpx.Response(200, text=body) if isinstance(body, str) else httpx.Response(200, json=body)
    handler, seen = recording([answer])
    with caplog.at_level(logging.ERROR, logger="bot.cekura"), pytest.raises(UpstreamError) as caught:
        call(make(handler)[0])
    assert caught.value.reason == "unexpected response" and len(seen) == 1
    assert caught.value.reference in caplog.records[-1].getMessage()


def test_a_next_link_pointing_back_stops_instead_of_looping():
    loop = {"count": 2, "next": f"{BASE}/dashboards/widgets/?page=1", "results": [WIDGET]}
    handler, seen = recording([httpx.Response(200, json=loop)])
    with pytest.raises(UpstreamError) as caught:
        make(handler)[0].list_widgets()
    assert caught.value.reason == "pagination loop" and len(seen) == 2


def test_the_key_never_reaches_logs_reprs_or_errors(caplog):
    failures = [
        httpx.Response(503),
        httpx.ReadTimeout("timed out"),
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(401, json={"detail": "bad key"}),
    ]
    scenarios = [
        recording(failures)[0],
        recording([httpx.ConnectError("refused")])[0],
        recording([httpx.Response(400, json={"filters": ["Invalid op 'foo'."]})])[0],
        recording([httpx.Response(200, text="nope")])[0],
        recording([httpx.Response(404)])[0],
    ]
    raised: list[Exception] = []
    with caplog.at_level(logging.DEBUG):
        for handler in scenarios:
            cekura = make(handler)[0]
            with pytest.raises(Exception) as caught:
                cekura.get_dashboard(12)
            raised.append(caught.value)
            assert KEY not in repr(cekura) and KEY not in str(cekura)
    assert {type(e) for e in raised} == {CekuraAuthError, UpstreamError, CekuraDataError, CekuraRejected, NotFound}
    assert any(r.levelno == logging.WARNING for r in caplog.records)
    assert any(r.levelno == logging.ERROR for r in caplog.records)
    assert KEY not in caplog.text
    assert all(KEY not in r.getMessage() and KEY not in repr(r.args) for r in caplog.records)
    for error in raised:
        assert KEY not in repr(error) and KEY not in str(error) and KEY not in repr(error.__cause__)
