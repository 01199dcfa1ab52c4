"""Fixtures of the approved-edits end-to-end tests: one sandboxed bot per module with approvers and an
approvals channel, on a hand-moved clock; helpers to propose, click and read the request message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from bot.sandbox.harness import Harness
from bot.sandbox.slack import Message
from handlers.ids import EditBlocks
from tests.conftest import Clock

APPROVER, OTHER = "U_BOB", "U_ALICE"


@pytest.fixture(scope="module")
def clock() -> Clock:
    return Clock()


@pytest.fixture(scope="module")
def module_harness(clock: Clock) -> Iterator[Harness]:
    with Harness.start(clock=clock, approvers=[APPROVER, "S_APPROVERS"], approvals_channel="C_APPROVALS") as h:
        yield h


@pytest.fixture
def eh(module_harness: Harness, clock: Clock) -> Harness:
    assert module_harness.deps.wait_idle(60)
    module_harness.cekura.reset()
    module_harness.slack.reset()
    return module_harness


def patches(h: Harness) -> list[Any]:
    """The PATCHes Cekura got for widgets and dashboards."""
    return [r for r in h.cekura.requests("PATCH") if "/widgets/" in r.path or "/dashboards/" in r.path]


def propose(h: Harness, text: str, user: str = OTHER) -> Message:
    """Send an edit command and return the approval message it produced."""
    ack = h.driver.command(text, user=user, channel="C_GENERAL")
    assert ack.status == 200 and ack.json["response_type"] == "ephemeral"
    h.slack.wait_for(lambda: any(m.channel == "C_APPROVALS" and m.blocks for m in h.slack.messages))
    h.deps.wait_idle(30)
    return next(m for m in h.slack.messages if m.channel == "C_APPROVALS" and m.thread_ts is None)


def request_id(message: Message) -> str:
    """The edit request id (ER-…) in the approval message's first line."""
    return str(message.blocks[0]["text"]["text"].split()[3])


def click(h: Harness, action: str, message: Message, user: str) -> None:
    """Press a button of the request message (as a user whose Slack still shows it)."""
    ack = h.driver.block_action(action, request_id(message), message=message, user=user, block_id=EditBlocks.ACTIONS)
    assert ack.status == 200
    assert h.deps.wait_idle(30)


def current(h: Harness, message: Message) -> Message:
    """The message as Slack shows it now (after any chat.update)."""
    return next(m for m in h.slack.messages if m.ts == message.ts)
