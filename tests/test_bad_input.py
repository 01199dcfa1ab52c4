"""Bad slash-command text, through every sub-command of the router: a clear answer, never `:x:`.

The bot runs on PostgreSQL here (it refuses NUL in text and over-long strings, where SQLite stores
anything), with edits switched on so the edit commands parse their arguments too.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox.harness import Harness
from handlers.commands import ROUTER, answer
from handlers.errors import run_reporting
from handlers.router import Invocation, Reply
from tests.conftest import fresh_pg_schema

CHANNEL, USER = "C_GENERAL", "U_ALICE"


@pytest.fixture(scope="module")
def pg_bot() -> Iterator[Harness]:
    """One sandboxed bot on a fresh PostgreSQL schema, edits enabled, charts drawn in-thread."""
    with fresh_pg_schema("bad") as url, Harness.start(database_url=url, render_workers=0, approvers="U_CAROL") as h:
        yield h


class Said:
    """Records what the bot tells the user through `respond` after the ack."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def __call__(self, **kwargs: Any) -> None:
        self.texts.append(str(kwargs.get("text", "")))


def ask(h: Harness, text: str, said: Said | None = None) -> Reply:
    """What the bot answers in the ack to `/cekura <text>`; any exception but a UserError escapes."""
    inv = Invocation(USER, CHANNEL, text, said or Said(), h.slack.issue_trigger(USER))
    return answer(h.deps, text, inv)


def assert_clear(reply: Reply) -> None:
    """A reply a user can act on: not empty, not the unexpected-error message."""
    assert reply.text.strip()
    assert not reply.text.startswith(":x:"), reply.text
    assert "Traceback" not in reply.text


ISSUE_8 = [
    ("dashboard ²", '"²" is not a dashboard id'),
    ("digest remove ³", '"³" is not a digest id'),
    ("history widget ¹", '"¹" is not a widget id'),
    ("widget ¹²", '"¹²" is not a widget id'),
    ("edit widget ² name x", '"²" is not a widget id'),
    ("digest add dashboard ² daily 09:00", '"²" is not a dashboard id'),
    ("digest edit ⁴ daily 09:00", '"⁴" is not a digest id'),
    ("dashboard １２", '"１２" is not a dashboard id'),
    ("dashboard 99999999999999999999", '"99999999999999999999" is not a dashboard id'),
    ("dashboard 12 since 999999d", "at most 30 days"),
    ("widget 34 last 999999w", "at most 30 days"),
    ("dashboard 12 since 1e308d", '"1e" is not a time range'),
    ("dashboard 12 where timestamp >= now-999999d", "reaches too far back"),
    ("dashboard 12 where timestamp >= now-999999y", "reaches too far back"),
    ("dashboard 12 where timestamp >= 9999-12-31T23:00:00-05:00", "takes a relative date"),
    ("digest add dashboard 12 daily 09:00 since 999999d", "at most 30 days"),
    ('digest add dashboard 12 daily 09:00 where topic = "a\x00b"', "control character (U+0000)"),
    ("revert ER-\x00", "control character (U+0000)"),
    ("dashboard 12\x1b[31m", "control character (U+001B)"),
    ('digest add dashboard 12 cron "' + "1," * 120 + '1 * * * *"', "at most 200 can be stored"),
]


@pytest.mark.parametrize(("text", "expected"), ISSUE_8)
def test_issue_8_inputs_get_a_user_error_with_usage(pg_bot: Harness, text: str, expected: str) -> None:
    reply = ask(pg_bot, text)
    assert_clear(reply)
    assert expected in reply.text
    assert reply.work is None  # refused in the ack: nothing runs, nothing is stored


def test_direction_marks_around_an_id_are_ignored(pg_bot: Harness) -> None:
    reply = ask(pg_bot, "dashboard \u200f12\u200e")
    assert reply.text == ":hourglass_flowing_sand: Fetching dashboard 12…"


NASTY = [
    *["²", "³", "¹²", "１２", "١٢", "९", "⁴²", "½", "99999999999999999999", "1e308", "1e308d", "-1", "0", "#12"],
    *["999999d", "999999y", "now-999999d", "now-999999y", "today-999999M", "9999-12-31T23:00-05:00"],
    *["\x00", "a\x00b", "\x1b[31m", "\x7f", "\x85", "\u200f", "\u202e12", "\ufeff", "\u200b", "\u2066", "📞", "ø"],
    *["9" * 400, "x" * 3000, '"', "“12”", "'", "\n", "\t"],
    *["12", "34", "7d", "24h", "since", "last", "where", "daily", "weekly", "hourly", "cron", '"0 9 * * 1-5"'],
    *["09:00", "mon", "Europe/Berlin", "in", "UTC", "Mars/Olympus", "dashboard", "widget", "widgets", "all"],
    *["name", '"New name"', "filters", "remove", "chart", "bar", "period", "day", "skip-if-empty", "no-since"],
    *["no-where", "duration", ">=", "=", "success", "true", "and", "timestamp", "ER-7F3K2", "only-if-changed"],
    *["metric", "project", "aggregation", "avg", "field", "title", "dashboard_id"],
]
PREFIXES = sorted({name for c in ROUTER.commands for name in (c.words, *c.aliases)})
# Commands whose slow part is cheap (database, one Cekura call, one Slack post): their work runs too.
RUN_WORK = ("digest add", "digest edit", "digest list", "digest pause", "digest remove", "history", "requests")
# Most commands take an id first: without a valid one half the time, the options would go unparsed.
texts = st.builds(
    lambda prefix, ident, words, sep: f"{prefix} {ident}{sep.join(words)}",
    st.sampled_from(PREFIXES),
    st.sampled_from(["", "12 ", "34 ", "1 ", "widget 34 ", "dashboard 12 "]),
    st.lists(st.sampled_from(NASTY) | st.text(max_size=12), max_size=8),
    st.sampled_from([" ", "", "  "]),
)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=texts)
def test_every_subcommand_answers_bad_text_clearly(pg_bot: Harness, text: str) -> None:
    said = Said()
    reply = ask(pg_bot, text, said)  # raises (and fails the test) on anything but a UserError
    assert_clear(reply)
    if reply.work is not None and any(text.startswith(words) for words in RUN_WORK):
        run_reporting(reply.work, said, "fuzz")
        for line in said.texts:
            assert not line.startswith(":x:"), f"{text!r} → {line}"


def option_words() -> list[str]:
    """Every word an option parser looks for, taken from the parsers' own tables."""
    from bot.digests.schedule import KINDS
    from bot.edits.quick import WORDS
    from bot.query import RANGE_WORDS
    from handlers.digest_options import FLAGS

    quick = [word for table in WORDS.values() for word in table]
    return sorted({*quick, *KINDS, *FLAGS, *RANGE_WORDS, "where", "dashboard", "in", "tz", "remove", "widget"})


VALUES = [v for v in NASTY if len(v) < 100 and v not in ("12", "34")] + ["9" * 400, "x" * 3000]
WITH_OPTIONS = ["dashboard 12", "widget 34", "digest add dashboard 12", "digest edit {digest}", "edit widget 34"]
WITH_OPTIONS += ["edit dashboard 12", "digest add dashboard 12 daily 09:00"]


def test_every_option_word_followed_by_a_bad_value_answers_clearly(pg_bot: Harness) -> None:
    # A grid, not a sample: `edit widget 34 metric ²` is one text in millions for a random search.
    sub = ask(pg_bot, "digest add dashboard 12 daily 09:00")
    assert sub.work is not None
    run_reporting(sub.work, Said(), "setup")  # a digest exists, so `digest edit <id> …` parses its options
    digest = pg_bot.deps.digests.list()[-1].id
    unclear = []
    for prefix in (p.format(digest=digest) for p in WITH_OPTIONS):
        for option in option_words():
            for value in VALUES:
                text = f"{prefix} {option} {value}"
                try:
                    reply = ask(pg_bot, text)
                except Exception as exc:  # noqa: BLE001 - collected, so one run lists every failure
                    unclear.append(f"{text[:80]!r}: {exc!r}"[:200])
                    continue
                if reply.text.startswith(":x:") or not reply.text.strip():
                    unclear.append(f"{text[:80]!r}: {reply.text[:100]}")
    assert not unclear, "\n".join(unclear[:40])


def _add(h: Harness, **fields: Any) -> object:
    from bot.digests.schedule import parse_schedule

    values: dict[str, Any] = {"channel": CHANNEL, "dashboard_id": 12, "tz": "UTC", "owner": USER}
    values["schedule"] = parse_schedule("daily 09:00")
    return h.deps.digests.add(**(values | fields))


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"where_text": 'topic = "a\x00b"'}, "NUL character"),
        ({"where_text": "topic = " + "x" * 3001}, "at most 3000 can be stored"),
        ({"since": "999999d"}, "at most 30 days"),
        ({"since": "2y"}, "at most 30 days"),
        ({"since": "seven days"}, "is not a duration"),
    ],
)
def test_the_store_refuses_what_postgres_would_refuse(pg_bot: Harness, fields: dict[str, Any], expected: str) -> None:
    from bot.errors import UserError

    with pytest.raises(UserError, match=expected):
        _add(pg_bot, **fields)
    sub = _add(pg_bot)
    with pytest.raises(UserError, match=expected):
        pg_bot.deps.digests.update(sub.id, **fields)  # type: ignore[attr-defined]


def test_the_store_refuses_a_schedule_longer_than_its_column(pg_bot: Harness) -> None:
    from bot.digests.schedule import Schedule
    from bot.errors import UserError

    with pytest.raises(UserError, match="at most 200 can be stored"):
        _add(pg_bot, schedule=Schedule("cron", cron=",".join(["1"] * 120) + " * * * *"))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(where=st.text(max_size=40), since=st.sampled_from(["24h", "7d", "30d", "31d", "999999w", "0d"]))
def test_any_where_and_since_is_stored_on_postgres_or_refused(pg_bot: Harness, where: str, since: str) -> None:
    from bot.errors import UserError

    try:
        sub = _add(pg_bot, where_text=where, since=since)
    except UserError:
        return  # refused with a message; never psycopg's DataError
    assert pg_bot.deps.digests.get(sub.id).where_text == where  # type: ignore[attr-defined,union-attr]


def test_edit_texts_with_nul_are_stored_on_postgres(pg_bot: Harness) -> None:
    # A name travels as JSON (`\u0000` is fine there); a reason is a text column, where PostgreSQL refuses NUL.
    from datetime import timedelta

    store = pg_bot.deps.edits
    widget = {"id": 34, "dashboard": 12, "name": "Duration", "updated_at": "2026-11-20T10:00:00Z"}
    made = store.create("widget", 34, 12, USER, CHANNEL, widget, {"name": "a\x00b"}, timedelta(hours=1))
    assert store.require(made.id).changes == {"name": "a\x00b"}
    outcome = store.reject(made.id, "U_CAROL", "not\x00 this one")
    assert outcome.ok and outcome.request.reason == "not this one"
