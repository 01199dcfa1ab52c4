"""The load test's commands, and how it counts their answers and the digests in the Slack sandbox.

Every command is typed in a channel of its own, so whatever the bot posts in that channel (a
response_url post, a message with charts) belongs to it, and a second answer shows as such:

    commands = mix(200)                  # the mixed commands, in channels C_LOAD000…
    prepare_channels(slack, commands)
    ...                                  # send them; each Command records its ack
    answered_once(slack, commands[0])    # "once", "gave up", "unanswered", "answered 2 times", "wrong answer: …"
"""

from __future__ import annotations

import contextlib
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Literal
from urllib.parse import parse_qs

from bench.load_client import fire_from_own_process
from bench.load_proxy import ProxyProcess
from bot.sandbox.harness import SIGNING_SECRET
from bot.sandbox.slack_driver import SlackDriver
from bot.sandbox.slack_records import Message
from bot.server import EVENTS_PATH

if TYPE_CHECKING:
    from bench.load_replicas import Replica
    from bot.sandbox.slack import SlackSandbox

How = Literal["ack", "reply", "post"]
APPROVALS = "C_APPROVALS"
# (text, how it is answered, words the answer holds, charts a post carries). `ack`: the ack body is the
# answer; `reply`: one response_url post after the ack; `post`: one channel message with the charts.
MIX: tuple[tuple[str, How, str, int], ...] = (
    ("dashboard 7", "post", "", 4),
    ("dashboard 12 since 7d", "post", "", 12),
    ("widget 34 since 7d where duration >= 60", "post", "", 1),
    ("digest list", "ack", "No digests in this channel", 0),
    ("help", "ack", "Cekura dashboards in Slack", 0),
    ("dashboard", "ack", "Which dashboard?", 0),  # malformed: no id
    ("frobnicate 3", "ack", "I don't know the command", 0),  # malformed: no such command
    ('edit widget 34 name "Load test {i}"', "reply", "Edit request", 0),
    ("dashboards", "reply", "dashboards", 0),
    ("history widget 34", "reply", "History of widget 34", 0),
    ("dashboard 99", "reply", "was not found", 0),  # a user error found after the ack
    ("alert list", "ack", "alerts in this channel", 0),
    ("dashboard 7 since 7d where success = true", "post", "", 4),
)
_REQUEST_ID = re.compile(r"ER-[A-Z0-9]+")


@dataclass
class Command:
    """One slash command of the load, with its ack once sent and its verdict once counted."""

    text: str
    channel: str
    how: How
    expect: str
    files: int
    status: int = 0
    ack_ms: float = 0.0
    ack_text: str = ""
    replica: int = -1  # the proxy's backend index that served it
    backend_ms: float = 0.0  # the replica's answer as the proxy timed it
    verdict: str = "not counted"


def mix(count: int) -> list[Command]:
    """`count` commands cycling through MIX, each in its own channel."""
    made = []
    for i in range(count):
        text, how, expect, files = MIX[i % len(MIX)]
        made.append(Command(text.format(i=i), f"C_LOAD{i:03d}", how, expect, files))
    return made


def prepare_channels(slack: SlackSandbox, commands: list[Command]) -> None:
    """Each command's channel, with the bot and the user typing in it as members."""
    for command in commands:
        slack.add_channel(command.channel, command.channel.lower(), members=(slack.bot_user_id, "U_ALICE"))


def warm_up(proxy: ProxyProcess, slack: SlackSandbox, replicas: int) -> None:
    """One `help` per replica through the proxy (uncounted), so the load meets warm processes."""
    slack.add_channel("C_WARMUP", "warm-up", members=(slack.bot_user_id, "U_ALICE"))
    for _ in range(replicas):  # a connection each: the proxy spreads connections, not requests
        with SlackDriver(proxy.url + EVENTS_PATH, SIGNING_SECRET, slack) as driver:
            assert driver.command("help", channel="C_WARMUP").status == 200
    assert sorted(proxy.per_backend()) == [1] * replicas
    proxy.clear()


def fire(proxy: ProxyProcess, slack: SlackSandbox, commands: list[Command], at: datetime) -> None:
    """Send every command at the instant `at`, each on its own connection from a client process of its
    own (bench/load_client.py), recording its ack and which replica the proxy sent it to."""
    with SlackDriver(proxy.url + EVENTS_PATH, SIGNING_SECRET, slack) as driver:
        forms = [driver.command_form(c.text, channel=c.channel)[0] for c in commands]
        prepared = [(form, driver.signed_headers(form)) for form in forms]
    acks = fire_from_own_process(proxy.url + EVENTS_PATH, prepared, at.timestamp())
    for command, ack in zip(commands, acks, strict=True):
        command.status, command.ack_ms = ack.status, ack.elapsed_ms
        command.ack_text = ack.body
        with contextlib.suppress(ValueError):
            answer = json.loads(ack.body)
            command.ack_text = str(answer.get("text", "")) if isinstance(answer, dict) else ack.body
    by_channel = {c.channel: c for c in commands}
    for routed in proxy.records():
        sent = by_channel.get(parse_qs(routed.body.decode()).get("channel_id", [""])[0])
        if sent is not None:
            sent.replica, sent.backend_ms = routed.backend, routed.seconds * 1000


def _text(message: Message) -> str:
    return (message.text or "") + json.dumps(message.blocks or [], ensure_ascii=False)


def _seen(slack: SlackSandbox, channel: str) -> tuple[list[str], list[Message]]:
    """The response_url posts (as text) and the messages in `channel` so far."""
    with slack.lock:
        replies = [str(r.text or "") + json.dumps(r.blocks or []) for r in slack.responses if r.channel == channel]
        return replies, [m for m in slack.messages if m.channel == channel]


def pending(slack: SlackSandbox, command: Command) -> bool:
    """Is `command`'s answer still to come (nothing yet, or a post whose charts are still arriving)?"""
    if command.how == "ack":
        return False  # the ack itself is the answer
    replies, messages = _seen(slack, command.channel)
    if replies:
        return False
    return not messages or (command.how == "post" and sum(len(m.files) for m in messages) < command.files)


def answered_once(slack: SlackSandbox, command: Command) -> str:
    """The verdict on `command`: "once" when it got exactly its expected answer, else what went wrong."""
    replies, messages = _seen(slack, command.channel)
    with slack.lock:
        approvals = [_text(m) for m in slack.messages if m.channel == APPROVALS and m.thread_ts is None]
    top = [m for m in messages if m.thread_ts is None]
    answers = len(replies) + len(top) + int(command.how == "ack")
    if command.status != 200:
        return f"ack status {command.status}"
    if answers == 0:
        return "unanswered"
    if answers > 1:
        return f"answered {answers} times"
    if replies and replies[0].startswith(":hourglass:"):
        return "gave up"  # answered once, but with the bot's deadline reply: it ran out of its 45 s
    if command.how == "ack" and command.expect not in command.ack_text:
        return f"wrong answer: {command.ack_text[:120]}"
    if command.how == "reply" and not (replies and command.expect in replies[0]):
        return f"wrong answer: {(replies or [_text(m) for m in top])[0][:120]}"
    if command.how == "post":
        charts = sum(len(m.files) for m in messages)
        if not top or charts != command.files:
            return f"wrong answer: {charts} of {command.files} charts" if top else f"wrong answer: {replies[0][:120]}"
    if command.expect == "Edit request":
        found = _REQUEST_ID.search(replies[0])
        shown = sum(1 for a in approvals if found and found.group() in a)
        if shown != 1:
            return f"edit request shown {shown} times in {APPROVALS}"
    return "once"


def digests_posted(slack: SlackSandbox, count: int) -> dict[str, int]:
    """Digest channel → how many digests (top-level messages with charts, or the all-empty one) it got."""
    channels = {f"C_DIGEST{i:03d}": 0 for i in range(count)}
    with slack.lock:
        for m in slack.messages:
            if m.channel in channels and m.thread_ts is None and (m.files or ":newspaper:" in _text(m)):
                channels[m.channel] += 1
    return channels


def _idle(replicas: list[Replica]) -> bool:
    """No job running or queued on any replica (its pools' gauges)."""
    return all(r.metric("cekura_bot_pool_busy") + r.metric("cekura_bot_pool_queued") == 0 for r in replicas)


def settled(
    slack: SlackSandbox, commands: list[Command], digests: int, replicas: list[Replica], timeout: float
) -> datetime:
    """Wait until every command has its answer and every digest channel a digest; the moment that held.

    Then wait for both replicas to fall idle and a second more, so a late second answer still counts.
    """
    deadline = time.monotonic() + timeout
    waiting = list(commands)
    while True:
        waiting = [c for c in waiting if pending(slack, c)]
        if not waiting and all(digests_posted(slack, digests).values()):
            break
        if time.monotonic() > deadline:
            break  # the verdicts say what is missing
        time.sleep(0.1)
    done = datetime.now(UTC)
    while not _idle(replicas) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)
    return done
