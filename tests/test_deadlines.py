"""Deadlines and limits without a network: the default budget, endless pages, odd data, Slack bounds."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pydantic import SecretStr
from slack_sdk.errors import SlackApiError

from bot import deadlines
from bot.cekura import CekuraClient
from bot.cekura.body import MAX_DEPTH, BadData, parse_json, too_deep
from bot.cekura.pages import MAX_ITEMS, MAX_PAGES
from bot.config import Settings
from bot.errors import CekuraDataError, UpstreamError
from bot.sandbox.slack import SlackSandbox
from bot.slack import retry as slack_retry
from handlers.errors import REPLY_TIMEOUT_S, user_message

BASE = "https://api.cekura.test"


def client(handler) -> CekuraClient:
    return CekuraClient(BASE, SecretStr("k"), transport=httpx.MockTransport(handler), sleep=lambda s: None)


def deep_filter(levels: int) -> str:
    leaf = '{"field": "duration", "op": "gte", "value": 1}'
    return '{"operator": "and", "conditions": [' * levels + leaf + "]}" * levels


def test_the_default_budget_answers_within_a_minute_of_the_ack():
    settings = Settings()
    # The deadline starts at the ack (Deps.submit); the last attempt ends by it; the reply that
    # carries the reference is bounded by REPLY_TIMEOUT_S.
    assert settings.cekura_deadline_s + REPLY_TIMEOUT_S <= 60
    assert settings.cekura_attempt_timeout_s * 3 <= settings.cekura_deadline_s, "room for retries"
    limit = Settings.model_fields["cekura_deadline_s"].metadata
    assert any(getattr(m, "le", None) == 60 - REPLY_TIMEOUT_S for m in limit), "a setting cannot break it"


def test_one_slack_call_is_bounded_far_below_slacks_defaults():
    # slack_sdk's defaults: 30 s per read and Retry-After waited however long Slack asks.
    assert slack_retry.worst_case_s() <= 45
    assert max(h.max_retry_count for h in slack_retry.retry_handlers()) == slack_retry.RETRIES


def test_a_long_retry_after_from_slack_fails_at_once_instead_of_waiting():
    with SlackSandbox() as slack:
        slack.fail("chat.postMessage", status=429, retry_after=30, times=5)
        web = slack_retry.bounded_client(slack.bot_token, slack.api_url)
        with pytest.raises(SlackApiError) as caught:
            web.chat_postMessage(channel="C_GENERAL", text="hi")
        assert caught.value.response.status_code == 429
        assert len(slack.calls("chat.postMessage")) == 1


def test_endless_pagination_stops_at_the_bound_and_says_so():
    seen: list[httpx.Request] = []

    def endless(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        following = f"{BASE}/dashboards/dashboards/?page={len(seen) + 1}"
        return httpx.Response(200, json={"count": 10**9, "next": following, "results": [{"id": len(seen)}]})

    with pytest.raises(CekuraDataError) as caught:
        client(endless).list_dashboards()
    assert len(seen) == MAX_PAGES
    assert f"over {MAX_PAGES} pages or {MAX_ITEMS:,} items" in str(caught.value)
    assert str(caught.value).startswith("Cekura sent data I could not read (it kept sending more pages")


def test_too_many_items_stop_before_the_page_bound():
    seen: list[httpx.Request] = []

    def big_pages(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        following = f"{BASE}/dashboards/widgets/?page={len(seen) + 1}"
        return httpx.Response(200, json={"next": following, "results": [{"id": i} for i in range(5000)]})

    with pytest.raises(CekuraDataError):
        client(big_pages).list_widgets()
    assert len(seen) == MAX_ITEMS // 5000


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ('{"id": 1, "filters": ' + deep_filter(600) + "}", f"nested more than {MAX_DEPTH} levels"),
        ('{"id": 1, "filters": ' + deep_filter(40) + "}", f"nested more than {MAX_DEPTH} levels"),
        ('{"id": 1, "widget_count": NaN}', "NaN, which is not a number"),
        ('{"id": 1, "widget_count": -Infinity}', "-Infinity, which is not a number"),
        ('{"id": 1, "widget_count": 1e999}', "a number too large to be real"),
        ('{"id": ' + "9" * 5000 + "}", "not valid JSON"),
        ('{"id": "twelve"}', "Dashboard did not have the expected shape"),
    ],
)
def test_odd_cekura_data_is_a_clear_data_error(body: str, why: str):
    answer = httpx.Response(200, content=body.encode(), headers={"Content-Type": "application/json"})
    with pytest.raises(CekuraDataError) as caught:
        client(lambda request: answer).get_dashboard(1)
    assert why in str(caught.value) and caught.value.reference in str(caught.value)
    text, _ = user_message(caught.value)
    assert text.startswith(":warning: Cekura sent data I could not read") and ":x:" not in text


def test_realistic_nesting_is_read():
    data = parse_json(('{"id": 1, "filters": ' + deep_filter(20) + "}").encode())
    assert data["filters"]["operator"] == "and"
    assert not too_deep(json.loads(deep_filter(30)))  # 30 groups = 61 levels: still under the limit
    with pytest.raises(BadData):
        parse_json(b"[" * 70 + b"]" * 70)


def test_a_deadline_reaches_threads_only_when_carried():
    with ThreadPoolExecutor(max_workers=1) as pool, deadlines.within(30) as deadline:
        assert pool.submit(deadlines.current).result() is None
        assert pool.submit(deadlines.carry(deadlines.current)).result() is deadline


def test_a_call_never_outlives_the_commands_deadline():
    calls: list[httpx.Request] = []

    def hanging(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise httpx.ReadTimeout("no answer", request=request)

    cekura = client(hanging)
    with deadlines.use(deadlines.Deadline.after(0.0)), pytest.raises(UpstreamError) as caught:
        cekura.get_dashboard(1)
    assert "no answer within 0 s" in str(caught.value)
    assert calls == [], "no attempt starts once the deadline has passed"


def test_slack_and_cekura_calls_share_one_tls_context():
    # slack_sdk's urllib keeps no connection open: without a context of ours it loads the CA bundle
    # again (~30 ms of CPU) for every call to https://slack.com.
    client = slack_retry.bounded_client("xoxb-1", "https://slack.com/api/")
    transport = deadlines.deadline_transport(httpx.Limits(max_connections=2))
    assert client.ssl is deadlines.shared_tls()
    assert transport._pool._ssl_context is deadlines.shared_tls()
