"""Forged, stale, replayed and malformed requests through the bot's real HTTP server.

Nothing from an unverified request is acted on (401, and a forged response_url hears nothing); a
signed but malformed body gets a 4xx or a clear answer, never a 500, a traceback or ":x:".
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

import httpx
import pytest

from bot.sandbox.harness import Harness
from handlers.ids import ChartActions, EditActions, EditViews
from tests.http_helpers import FORM, command_body, listener, payload_body, post, sign

pytestmark = pytest.mark.e2e


def no_tracebacks(caplog: pytest.LogCaptureFixture) -> None:
    """No log record carries a traceback or is an ERROR."""
    bad = [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert not bad, [r.getMessage()[:200] for r in bad]


def no_error_replies(h: Harness) -> None:
    """Nothing posted to Slack says something went wrong on the bot's side."""
    assert not [r for r in h.slack.responses if ":x:" in str(r)], h.slack.responses


@pytest.mark.parametrize(
    "timestamp", ["abc", "", "1e9", "1733.5", "17 33", "+1733", "-5", "²", "0x10", "9" * 30, "now"]
)
def test_a_bad_timestamp_gets_401_and_the_forged_response_url_hears_nothing(
    h: Harness, caplog: pytest.LogCaptureFixture, timestamp: str
) -> None:
    with listener() as forged:
        # Correctly signed for that header value: only the strict timestamp check can refuse it.
        for body in (
            command_body("help", forged.url),
            payload_body(json.dumps({"type": "block_actions", "response_url": forged.url, "actions": [{}]})),
        ):
            response = post(h, body, timestamp=timestamp)
            assert response.status_code == 401
            assert response.text == "unauthorized"
        assert h.deps.wait_idle(10)
        assert forged.hits == []
    no_tracebacks(caplog)


def test_unsigned_stale_and_wrongly_signed_requests_get_401(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    with listener() as forged:
        body = command_body("digest list", forged.url)
        now = int(time.time())
        # Well outside the 5-minute window: the server reads its own clock a moment later than `now`, so a
        # timestamp one second past the edge could fall back inside it (the edges are unit-tested exactly).
        assert post(h, body, timestamp=str(now - 330)).status_code == 401
        assert post(h, body, timestamp=str(now + 330)).status_code == 401
        assert post(h, body, signature="v0=" + "0" * 64).status_code == 401
        assert post(h, body, signature=sign(body, str(now), secret="another-secret")).status_code == 401
        assert post(h, body, signature=sign(body, str(now)).upper()).status_code == 401
        assert post(h, body, signature="").status_code == 401
        assert post(h, body + b"&x=1", signature=sign(body, str(now)), timestamp=str(now)).status_code == 401
        assert h.deps.wait_idle(10)
        assert forged.hits == []
    assert h.slack.responses == []
    no_tracebacks(caplog)


DEEP = "[" * 5000 + "]" * 5000
BLOCK_ACTIONS = {"type": "block_actions", "user": {"id": "U_ALICE"}, "response_url": "http://127.0.0.1:9/x"}


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"payload=%FF%FE%FD", FORM),  # bad bytes once the field is decoded
        (b"\xff\xfe\x00command=/cekura", FORM),  # not UTF-8 at all
        (payload_body("{not json"), FORM),
        (payload_body("null"), FORM),
        (payload_body("[1, 2]"), FORM),
        (payload_body('"a string"'), FORM),
        (payload_body(DEEP), FORM),
        (payload_body('{"a":' * 100 + "1" + "}" * 100), FORM),
        (payload_body(json.dumps({"type": "block_actions", "actions": [{"action_id": "chart_refresh"}]})), FORM),
        (payload_body(json.dumps({**BLOCK_ACTIONS, "user": "U_ALICE", "actions": [{"action_id": "x"}]})), FORM),
        (payload_body(json.dumps(BLOCK_ACTIONS)), FORM),
        (payload_body(json.dumps({**BLOCK_ACTIONS, "actions": []})), FORM),
        (payload_body(json.dumps({**BLOCK_ACTIONS, "actions": [1]})), FORM),
        (payload_body(json.dumps({**BLOCK_ACTIONS, "actions": "edit_approve"})), FORM),
        (payload_body(json.dumps({**BLOCK_ACTIONS, "actions": [{"action_id": "edit_approve", "value": 7}]})), FORM),
        (payload_body(json.dumps({**BLOCK_ACTIONS, "actions": [{"action_id": 3}]})), FORM),
        (payload_body(json.dumps({**BLOCK_ACTIONS, "channel": 5, "actions": [{"action_id": "chart_refresh"}]})), FORM),
        (payload_body(json.dumps({"type": "view_submission", "user": {"id": "U_ALICE"}, "view": "v"})), FORM),
        (
            payload_body(
                json.dumps({"type": "view_submission", "user": {"id": "U"}, "view": {"state": {"values": []}}})
            ),
            FORM,
        ),
        (
            payload_body(json.dumps({"type": "view_submission", "user": {"id": "U"}, "view": {"private_metadata": 5}})),
            FORM,
        ),
        (payload_body(json.dumps({"user": {"id": "U"}})), FORM),
        (b"command=/cekura&text=help&channel_id=C_GENERAL", FORM),  # no user_id
        (b"text=help", FORM),
        (b"", FORM),
        (b"[]", "application/json"),
        (b"{}", "application/json"),
        (b'{"type": "url_verification"}', "application/json"),
        (b'{"type": "event_callback", "event": "x"}', "application/json"),
        (DEEP.encode(), "application/json"),
        (b"{", "application/json"),
    ],
)
def test_a_signed_malformed_body_gets_400(
    h: Harness, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    response = post(h, body, content_type=content_type)
    assert response.status_code == 400, response.text
    assert h.deps.wait_idle(10)
    assert h.slack.responses == []
    no_tracebacks(caplog)


def test_a_signed_body_of_another_content_type_gets_415(h: Harness) -> None:
    body = command_body("help", "http://127.0.0.1:9/x")
    for content_type in ("text/plain", "multipart/form-data; boundary=x", "application/xml", ""):
        assert post(h, body, content_type=content_type).status_code == 415


def test_url_verification_and_ssl_check_are_answered_only_when_signed(h: Harness) -> None:
    challenge = json.dumps({"type": "url_verification", "challenge": "c-123", "token": "t"}).encode()
    response = post(h, challenge, content_type="application/json")
    assert response.status_code == 200 and "c-123" in response.text
    assert post(h, challenge, content_type="application/json", signature="v0=" + "1" * 64).status_code == 401
    assert post(h, b"ssl_check=1&token=t").status_code == 200
    assert post(h, b"ssl_check=1&token=t", signature="v0=" + "1" * 64).status_code == 401


def test_a_replayed_digest_add_is_refused_and_creates_one_digest(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    before = len(h.deps.digests.list(None))
    body = command_body(
        "digest add dashboard 12 daily 09:00 UTC", h.slack.response_url(channel="C_GENERAL", user="U_ALICE")
    )
    stamp = str(int(time.time()))
    first = post(h, body, timestamp=stamp)
    assert first.status_code == 200, first.text
    assert h.deps.wait_idle(30)
    replay = post(h, body, timestamp=stamp)
    assert replay.status_code == 401
    assert h.deps.wait_idle(30)
    assert len(h.deps.digests.list(None)) == before + 1
    assert any("replayed" in r.getMessage() for r in caplog.records)


def test_a_replayed_event_retry_gets_200_without_reaching_bolt(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    event = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {"type": "app_mention"}}).encode()
    stamp = str(int(time.time()))
    post(h, event, content_type="application/json", timestamp=stamp)
    with caplog.at_level(logging.INFO, logger="bot.slack.front"):
        retry = post(h, event, content_type="application/json", timestamp=stamp, headers={"X-Slack-Retry-Num": "1"})
    assert retry.status_code == 200
    assert any("retry of an event already handled" in r.getMessage() for r in caplog.records)


def _view(callback_id: str, metadata: str, values: Any) -> dict[str, Any]:
    return {
        "id": "V1",
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "state": {"values": values},
    }


def test_crafted_view_submissions_get_a_clear_answer_in_the_modal(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    for metadata in ("not json", "[1]", '{"w": "x", "c": "C"}', '{"c": "C"}', "null", "{" * 3000):
        ack = h.driver.view_submission(_view(EditViews.WIDGET_FORM, metadata, {}))
        assert ack.status == 200, ack
        assert ack.json["response_action"] == "update"
        assert "damaged" in json.dumps(ack.json["view"])
    # Well-formed metadata but a crafted "shown" part and odd-shaped state: the form reads as empty fields.
    odd_state = {"edit_name": "x", "unknown_block": {"value": {"type": "static_select"}}, "edit_field": {"value": 3}}
    shown = {"w": 34, "c": "C_GENERAL", "s": {"metric": "abc"}}
    ack = h.driver.view_submission(_view(EditViews.WIDGET_FORM, json.dumps(shown), odd_state))
    assert ack.status == 200, ack
    assert ack.json["response_action"] == "errors"
    ack = h.driver.view_submission(_view(EditViews.REJECT_FORM, "ER-NOPE1", {"edit_reason": ["x"]}))
    assert ack.status == 200 and ack.json["response_action"] == "update"
    assert "ER-NOPE1" in json.dumps(ack.json["view"])
    assert h.driver.view_submission(_view("no_such_callback", "", {})).status == 404
    untyped = {k: v for k, v in _view(EditViews.WIDGET_FORM, "{}", {}).items() if k != "type"}
    assert h.driver.view_submission(untyped).status == 400  # Bolt itself would index view["type"]
    no_tracebacks(caplog)


def test_crafted_button_values_get_a_clear_ephemeral_answer(h: Harness, caplog: pytest.LogCaptureFixture) -> None:
    cases = [
        (EditActions.EDIT_WIDGET, "abc", "damaged"),
        (EditActions.EDIT_WIDGET, "١٢", "damaged"),  # digits, but not ASCII ones
        (EditActions.REJECT, "", "damaged"),
        (EditActions.APPROVE, "", "no edit request"),
        (ChartActions.REFRESH, "[1]", "older version"),
        (ChartActions.REFRESH, "{}", "older version"),
    ]
    for action_id, value, expected in cases:
        start = len(h.slack.responses)
        ack = h.driver.block_action(action_id, value)
        assert ack.status == 200, (action_id, ack)
        h.slack.wait_for(lambda start=start: len(h.slack.responses) > start, timeout=10)
        answer = h.slack.responses[-1]
        assert expected in answer["text"].lower(), (action_id, answer)
        assert answer.get("response_type") == "ephemeral"
    assert h.deps.wait_idle(10)
    no_error_replies(h)
    no_tracebacks(caplog)


@pytest.mark.postgres
def test_a_request_replayed_to_another_replica_is_refused(pg_schema_url: str) -> None:
    from bot.app import create_app
    from bot.deps import build_deps
    from bot.server import BotServer

    with Harness.start(database_url=pg_schema_url, render_workers=0) as h:
        second_deps = build_deps(h.settings, render_workers=0)  # a second bot: own engine, same database
        second = BotServer(create_app(h.settings, second_deps), host="127.0.0.1", port=0).start()
        try:
            body = command_body("help", h.slack.response_url(channel="C_GENERAL", user="U_ALICE"))
            stamp = str(int(time.time()))
            assert post(h, body, timestamp=stamp).status_code == 200
            other = httpx.post(
                second.url + "/slack/events",
                content=body,
                headers={
                    "Content-Type": FORM,
                    "X-Slack-Request-Timestamp": stamp,
                    "X-Slack-Signature": sign(body, stamp),
                },
                timeout=10,
            )
            assert other.status_code == 401
        finally:
            second.stop()
            second_deps.close()
