"""Every immediate reply the bot can give, read as a user would: a snapshot, and rules each must keep.

The list is generated from the router table (each sub-command with no arguments, bad arguments and
its examples) and from filters that go wrong in each way the parser knows. The replies are rendered
as Slack shows them and compared with tests/snapshots/replies.txt. After a deliberate wording change,
regenerate it with `UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_replies.py` and read the diff.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from bot.sandbox.text_view import render_message
from handlers.commands import ROUTER, answer
from handlers.router import Invocation

SNAPSHOT = Path(__file__).parent / "snapshots" / "replies.txt"
BAD_ARGS = ("banana", "0", "#x 7")
FILTERS = (
    "where",
    'where duration = "x"',
    "where durration >= 60",
    "where duration >= 60 since soon",
    "where success = maybe",
    "where (duration > 5",
    "where timestamp >= now-45d",
    "since",
    "since yesterday where agent.id = x",
    "last monday",
    "since 31d",
    "since 7x",
)


def inputs() -> list[str]:
    """Every sub-command bare and with bad arguments, its examples, then filter mistakes."""
    texts = ["", "banana", "dashbord 12"]
    for command in ROUTER.commands:
        texts.append(command.words)
        texts.extend(f"{command.words} {bad}" for bad in BAD_ARGS)
        texts.extend(command.examples)
    texts.extend(f"dashboard 12 {f}" for f in FILTERS)
    return list(dict.fromkeys(texts))


@pytest.fixture(scope="module")
def h(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Harness]:
    """A bot of its own on an empty database: the replies must not depend on what other tests stored."""
    url = f"sqlite:///{tmp_path_factory.mktemp('replies')}/bot.sqlite"
    with Harness.start(database_url=url, render_workers=0) as harness:
        yield harness


class Said:
    def __call__(self, **kwargs: Any) -> None:
        pass


def replies(h: Harness) -> dict[str, list[str]]:
    """What `/cekura <text>` answers at once, as Slack shows it, for every input."""
    out = {}
    for text in inputs():
        inv = Invocation("U_ALICE", "C_GENERAL", text, Said(), h.slack.issue_trigger("U_ALICE"))
        reply = answer(h.deps, text, inv)
        out[text] = render_message(reply.text, reply.blocks)
    return out


def snapshot_text(found: dict[str, list[str]]) -> str:
    blocks = [f"> /cekura {text}\n" + "".join(f"  {line}\n" for line in lines) for text, lines in found.items()]
    return "\n".join(blocks) + "\n"


def test_replies_match_the_reviewed_snapshot(h: Harness) -> None:
    text = snapshot_text(replies(h))
    if os.environ.get("UPDATE_SNAPSHOTS"):
        SNAPSHOT.parent.mkdir(exist_ok=True)
        SNAPSHOT.write_text(text, encoding="utf-8")
    assert text == SNAPSHOT.read_text(encoding="utf-8")


_CODE_FENCE = re.compile(r"```.*?```", re.S)


def problems(lines: list[str]) -> list[str]:
    """What a careful writer would not have let through in one reply."""
    found = []
    body = _CODE_FENCE.sub("", "\n".join(lines))
    for line in body.splitlines():
        if line.count("`") % 2:
            found.append(f"odd backticks (nested code?): {line}")
        if line.startswith("Usage: `") and line.count("`") > 2:
            found.append(f"code inside code: {line}")
        if re.search(r"\(s\)", line):
            found.append(f"(s) plural: {line}")
        if re.search(r"\)\s*\(", line):
            found.append(f"doubled brackets: {line}")
        if re.search(r"\b1 (digests|charts|widgets|days|hours)\b", line):
            found.append(f"plural after 1: {line}")
    warning = next((line for line in lines if line.startswith(":warning:")), None)
    if warning is not None and warning.rstrip()[-1:] not in (".", "?", "!", "…", ":"):
        found.append(f"no full stop: {warning}")
    return found


def test_every_reply_reads_as_written_with_care(h: Harness) -> None:
    bad = {text: p for text, lines in replies(h).items() if (p := problems(lines))}
    assert not bad


@pytest.mark.parametrize(
    "lines",
    [
        ["Usage: `Schedules: `daily 09:00`, `hourly``"],
        ["1 charts attached"],
        ["duration takes a number (seconds) (no quotes)"],
        ["0 digest(s) in this channel"],
        [':warning: Unexpected "since" after "60"'],
    ],
)
def test_the_rules_catch_what_they_are_for(lines: list[str]) -> None:
    assert problems(lines)
