"""End to end with odd answers: endless pages, unreadable data, a failing upload URL, refused replies."""

from __future__ import annotations

import logging

import pytest

from bot.cekura.pages import MAX_PAGES
from bot.sandbox.harness import Harness

pytestmark = pytest.mark.e2e


def deep_filter(levels: int) -> str:
    leaf = '{"field": "duration", "op": "gte", "value": 1}'
    return '{"operator": "and", "conditions": [' * levels + leaf + "]}" * levels


def reply(h: Harness, timeout: float = 30.0) -> str:
    h.slack.wait_for(lambda: bool(h.slack.responses), timeout=timeout)
    return str(h.slack.responses[-1].text)


def test_endless_pagination_is_stopped_and_explained(h: Harness) -> None:
    h.cekura.misbehave("/dashboards/dashboards/", endless={"id": 1, "name": "Again"}, times=10_000, method="GET")
    h.driver.command("dashboards")
    text = reply(h)
    assert text.startswith(":warning: Cekura sent data I could not read (it kept sending more pages")
    assert "Reference: `" in text
    assert len(h.cekura.requests("GET", "/dashboards/dashboards/")) == MAX_PAGES


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ('{"id": 12, "name": "Deep", "widgets": [], "filters": ' + deep_filter(600) + "}", "nested more than"),
        ('{"id": 12, "name": "NaN", "widgets": [{"id": 5, "name": NaN}]}', "NaN, which is not a number"),
        ('{"id": 12, "widgets": [{"id": "five"}]}', "did not have the expected shape"),
    ],
)
def test_unreadable_cekura_data_is_a_clear_answer_not_a_crash(h: Harness, body: str, why: str) -> None:
    h.cekura.misbehave("/dashboards/dashboards/12/", raw=body.encode(), method="GET")
    h.driver.command("dashboard 12")
    text = reply(h)
    assert text.startswith(":warning: Cekura sent data I could not read (") and why in text
    assert "Reference: `" in text and ":x:" not in text
    assert not h.slack.messages


def test_an_upload_url_answering_500_says_slack_is_not_answering(h: Harness) -> None:
    h.slack.fail("upload", status=500, error="internal_error", times=1000)
    h.driver.command("widget 34")
    text = reply(h)
    assert text.startswith(":hourglass: Slack is not answering right now (the file upload failed with HTTP 500)")
    assert "Reference: `" in text


def test_a_reply_slack_refuses_is_logged(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    h.slack.response_url_ttl = -1.0  # every response_url has expired by the time the bot answers
    try:
        with caplog.at_level(logging.ERROR, logger="handlers.errors"):
            h.driver.command("requests")
            assert h.deps.wait_idle(30)
    finally:
        h.slack.response_url_ttl = 30 * 60.0
    refused = [r.getMessage() for r in caplog.records if "Slack refused a reply" in r.getMessage()]
    assert refused == ["Slack refused a reply: HTTP 404 expired_url"]
    assert "/response/" not in caplog.text, "a response_url is a capability and never logged"
