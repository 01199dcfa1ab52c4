"""LOG_FORMAT=json: one object per line, the request's context in the job threads, secrets masked."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest

from bot.config import build_settings
from bot.logs import MASK, request_context, setup_logging
from bot.sandbox.harness import CEKURA_KEY, SIGNING_SECRET, Harness


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """JSON logging as `serve` sets it up (with the sandbox's secrets), written into a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    settings = build_settings(
        "check", slack_bot_token="xoxb-sandbox-token", cekura_api_key=CEKURA_KEY, log_format="json"
    )
    setup_logging(settings)
    buffer = io.StringIO()
    handler = root.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    root.handlers[:], level = saved
    root.setLevel(level)


def lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    """Every line written, each parsed as one JSON object (a line that is not one fails the test)."""
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_each_record_is_one_json_object_with_its_context(json_log: io.StringIO) -> None:
    log = logging.getLogger("bot.test")
    with request_context(command="dashboard", user_id="U1", request_id="r1"):
        log.warning("two\nlines and a key %s", CEKURA_KEY)
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("it failed")
    log.info("outside")
    first, failed, outside = lines(json_log)
    assert first["level"] == "WARNING" and first["logger"] == "bot.test" and first["time"].startswith("20")
    assert first["message"] == f"two\nlines and a key {MASK}"
    assert (first["command"], first["user_id"], first["request_id"]) == ("dashboard", "U1", "r1")
    assert "ValueError: boom" in failed["exc_info"]
    assert "request_id" not in outside and outside["message"] == "outside"
    assert CEKURA_KEY not in json_log.getvalue()


def test_a_traceback_is_cut_to_its_bound(json_log: io.StringIO) -> None:
    try:
        raise RuntimeError("x" * 50_000)
    except RuntimeError:
        logging.getLogger("bot.test").exception("huge")
    (record,) = lines(json_log)
    assert len(record["exc_info"]) < 9000 and "characters cut" in record["exc_info"]


@pytest.mark.e2e
def test_a_command_logs_one_summary_after_its_slow_work_with_the_request_id_of_the_ack(
    h: Harness, json_log: io.StringIO
) -> None:
    h.cekura.fail("/dashboards/dashboards/12/", 500, times=5)  # every attempt fails: the user gets a reference
    h.driver.command("dashboard 12", user="U_ALICE", channel="C_GENERAL")
    h.slack.wait_for(lambda: any("Reference" in str(r.get("text")) for r in h.slack.responses), timeout=30)
    assert h.deps.wait_idle(30)
    records = lines(json_log)
    (summary,) = [r for r in records if r["message"].startswith("/cekura dashboard finished")]
    assert summary["level"] == "INFO" and summary["outcome"] == "upstream_error" and summary["duration_ms"] >= 0
    assert (summary["command"], summary["user_id"], summary["channel_id"]) == ("dashboard", "U_ALICE", "C_GENERAL")
    assert summary["team_id"] == "T0SANDBOX"
    shown = next(str(r["text"]) for r in h.slack.responses if "Reference" in str(r.get("text")))
    assert summary["reference"] in shown  # the id the user was shown is on the summary line
    # The retries were logged in the job thread, and carry the same request id as the summary.
    retries = [r for r in records if "retrying" in r["message"]]
    assert retries and {r["request_id"] for r in retries} == {summary["request_id"]}
    for secret in (CEKURA_KEY, SIGNING_SECRET, h.slack.bot_token):
        assert secret not in json_log.getvalue()


@pytest.mark.e2e
def test_a_command_answered_in_the_ack_logs_its_summary_at_once(h: Harness, json_log: io.StringIO) -> None:
    h.driver.command("frobnicate")
    # Logged by the listener right after its ack, which may be a moment after the HTTP answer.
    h.slack.wait_for(lambda: any("finished" in r["message"] for r in lines(json_log)), timeout=10)
    (summary,) = [r for r in lines(json_log) if "finished" in r["message"]]
    assert (summary["command"], summary["outcome"]) == ("unknown", "user_error")
    assert "frobnicate" not in json.dumps(summary)  # what was typed stays out of the log
