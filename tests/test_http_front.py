"""The HTTP front's parts alone: strict signature checks, the body shape check, log bounds, the replay guard."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from slack_sdk.signature import SignatureVerifier

from bot.config import build_settings
from bot.db import make_engine, migrate, session_factory
from bot.logs import BoundRecords, setup_logging
from bot.replay import ReplayGuard
from bot.slack.shape import shape_problem
from bot.slack.verify import SlackVerifier, strict_timestamp
from tests.conftest import fresh_pg_schema

NOW = 1_800_000_000


def signed(body: str, stamp: str) -> str:
    return SignatureVerifier("secret").generate_signature(timestamp=stamp, body=body) or ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1800000000", 1800000000), ("0", 0), ("abc", None), ("", None), ("1e9", None), ("1733.5", None),
     (" 17", None), ("17 ", None), ("+17", None), ("-17", None), ("²", None), ("١٧", None), ("9" * 13, None),
     (None, None)],
)  # fmt: skip
def test_only_plain_ascii_digits_are_a_timestamp(raw: str | None, expected: int | None) -> None:
    assert strict_timestamp(raw) == expected


def test_the_verifier_accepts_slacks_signature_inside_five_minutes_only() -> None:
    clock = [float(NOW)]
    verifier = SlackVerifier("secret", clock=lambda: clock[0])
    body = "command=%2Fcekura&text=help"
    stamp = str(NOW - 300)
    assert verifier.verified(body, stamp, signed(body, stamp)) == NOW - 300
    clock[0] += 1
    assert verifier.verified(body, stamp, signed(body, stamp)) is None
    now = str(NOW)
    assert verifier.verified(body, now, signed(body, now).upper()) is None
    assert verifier.verified(body, now, signed(body, now) + " ") is None
    assert verifier.verified(body + "x", now, signed(body, now)) is None
    assert verifier.verified(body, now, None) is None
    assert (
        verifier.verified_headers(body, {"x-slack-request-timestamp": [now], "x-slack-signature": [signed(body, now)]})
        == NOW
    )
    assert (
        verifier.verified_headers(body, {"x-slack-request-timestamp": [now, now], "x-slack-signature": "v0="}) is None
    )


@settings(max_examples=200, deadline=None)
@given(stamp=st.text(max_size=14), body=st.text(max_size=50))
def test_the_verifier_never_raises_on_any_header(stamp: str, body: str) -> None:
    verifier = SlackVerifier("secret", clock=lambda: float(NOW))
    assert verifier.verified(body, stamp, "v0=" + "a" * 64) is None


def payload(value: object) -> str:
    from urllib.parse import urlencode

    return urlencode({"payload": json.dumps(value)})


GOOD_ACTION = {
    "type": "block_actions",
    "user": {"id": "U1"},
    "actions": [{"action_id": "chart_refresh", "value": "{}"}],
    "channel": {"id": "C1"},
    "container": {"channel_id": "C1"},
}


@pytest.mark.parametrize(
    "text",
    [
        payload(GOOD_ACTION),
        payload({"type": "view_submission", "user": {"id": "U1"}, "view": {"type": "modal", "callback_id": "x"}}),
        "command=%2Fcekura&user_id=U1&channel_id=C1&text=",
        "ssl_check=1&token=x",
    ],
)
def test_what_slack_sends_has_a_fine_shape(text: str) -> None:
    assert shape_problem(text, "application/x-www-form-urlencoded") is None


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({**GOOD_ACTION, "user": {"id": 5}}, "user"),
        ({**GOOD_ACTION, "user": 7}, "user"),
        ({**GOOD_ACTION, "team": ["T"]}, "team"),
        ({**GOOD_ACTION, "authorizations": {"team_id": "T"}}, "authorizations"),
        ({**GOOD_ACTION, "response_url": ["http://x"]}, "response_url"),
        ({**GOOD_ACTION, "event": {"type": 3}}, "event.type"),
        ({**GOOD_ACTION, "message": {"user": 3}}, "message.user"),
        ({**GOOD_ACTION, "actions": [{"action_id": "a", "selected_option": {"value": 1}}]}, "option"),
        ({"type": "view_submission", "user": {"id": "U1"}, "view": {"type": "modal", "state": 1}}, "state"),
    ],
)
def test_odd_field_types_are_named(body: dict[str, object], reason: str) -> None:
    problem = shape_problem(payload(body), "application/x-www-form-urlencoded")
    assert problem is not None and reason in problem


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(list(GOOD_ACTION) + ["id"]), inner),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(value=json_values)
def test_the_shape_check_never_raises(value: object) -> None:
    problem = shape_problem(payload(value), "application/x-www-form-urlencoded")
    assert problem is None or isinstance(problem, str)


def test_a_record_with_a_huge_message_or_traceback_is_cut_to_a_few_kb() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(BoundRecords())
    logger = logging.getLogger("test.bounds")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("body: %s", "A" * 10_000_000)
        try:
            raise ValueError("B" * 10_000_000)
        except ValueError:
            logger.exception("failed on %r", "C" * 100)
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    first, _, rest = stream.getvalue().partition("\n")
    assert first.startswith("body: AAAA") and first.endswith("AAAA") and "characters cut" in first
    assert len(first) <= 4000
    assert "failed on 'CCC" in rest and "ValueError: " in rest and len(rest) < 13_000


def test_setup_logging_masks_before_cutting(capsys: pytest.CaptureFixture[str]) -> None:
    secret = "xoxb-secret-token-1234"
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging(build_settings("check", slack_bot_token=secret, cekura_api_key="cekura-key-123"))
        # The cut keeps the first 1,980 characters: a secret at 1,972 would be split by it.
        logging.getLogger("test.mask").warning("%s%s", "x" * 1972, secret + "y" * 10_000)
    finally:
        root.handlers[:], root.level = saved
    line = capsys.readouterr().err.strip()
    assert "characters cut" in line and len(line) < 4200
    assert secret[:6] not in line


@contextmanager
def guard_for(url: str, clock: list[float]) -> Iterator[ReplayGuard]:
    engine = make_engine(url)
    try:
        migrate(engine)
        yield ReplayGuard(session_factory(engine), clock=lambda: clock[0])
    finally:
        engine.dispose()  # an open connection left to the GC is a ResourceWarning in a later test


def test_the_replay_guard_admits_each_request_once_and_prunes_expired_rows(tmp_path: object) -> None:
    clock = [float(NOW)]
    with guard_for(f"sqlite:///{tmp_path}/replay.sqlite", clock) as guard:
        assert guard.first_time(NOW, "v0=a") is True
        assert guard.first_time(NOW, "v0=a") is False
        assert guard.first_time(NOW, "v0=b") is True
        assert guard.first_time(NOW + 1, "v0=a") is True
        assert guard.count() == 3
        clock[0] += 400  # past every row's window, and past the prune interval
        assert guard.first_time(NOW + 400, "v0=c") is True
        assert guard.count() == 1


@pytest.mark.postgres
def test_twenty_replicas_racing_on_postgres_admit_a_request_once() -> None:
    with fresh_pg_schema("replay") as url:
        clock = [float(NOW)]
        with ExitStack() as stack:
            guards = [stack.enter_context(guard_for(url, clock)) for _ in range(4)]  # four bots, own engines
            with ThreadPoolExecutor(20) as pool:
                admitted = list(pool.map(lambda i: guards[i % 4].first_time(NOW, "v0=same"), range(20)))
        assert admitted.count(True) == 1
