"""Every alert message builder, fed hostile data: for the escaping test and the Block Kit limits test.

    for name, blocks, text in alert_messages(n, count=60): ...

`n` maps the field names of tests/test_escaping.py (widget, label via `other`, `where` via `filter`,
reasons, user input) to strings; the rule restatements, notices, lists and refusals all take them.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from bot.alerts.access import ChannelRules, require
from bot.alerts.measure import Reading, check_fits
from bot.alerts.mentions import unknown_handles
from bot.alerts.rule import Rule, Threshold, parse_rule
from bot.alerts.state import Status, Track
from bot.alerts.store import Alert, AlertNotFound, Incident
from bot.cekura_models import Widget, WidgetData
from bot.errors import UserError
from handlers import alert_lists as al
from handlers import alert_messages as am
from handlers import alert_notices as an
from handlers.errors import user_message
from tests.slack_checks import APPROVER, CHANNEL, GROUP, REQUESTER

Built = tuple[str, list[dict[str, Any]], str | None]


def rules(n: dict[str, str]) -> list[Rule]:
    """One rule of every kind, with hostile labels, `where` text and notify tokens."""
    hour = timedelta(hours=1)
    # Ids the bot resolved (mentions.resolve_notify stores nothing else), and a handle kept from before.
    notify = (f"<@{REQUESTER}>", f"<!subteam^{GROUP}>", "@" + n["user"])
    common: dict[str, Any] = {"where_text": n["filter"], "notify": notify, "renotify": hour, "for_": hour}
    return [
        Rule(32, "latest", "lt", Threshold(90, "%"), **common),
        Rule(37, "share", "gt", Threshold(5, "%"), label=n["other"], **common),
        Rule(34, "window", "gte", Threshold(2, "s"), aggregation="avg", window=hour, **common),
        Rule(34, "change", threshold=Threshold(20, "%"), aggregation="avg", window=hour, direction="rises", **common),
        Rule(34, "nodata", window=timedelta(minutes=30), **common),
    ]


def alert(n: dict[str, str], rule: Rule, *, paused: str | None = None, unknown: bool = False) -> Alert:
    """A stored alert of `rule` in CHANNEL, firing, snoozed, perhaps paused with `paused` as the reason."""
    from tests.test_escaping import AT

    track = Track(Status.FIRING, AT, None, 0.8)
    return Alert(
        7, CHANNEL, REQUESTER, rule, track, 0.8, AT, 3, 3, unknown, 0, AT + timedelta(hours=1),
        paused is not None, paused, 2, AT,
    )  # fmt: skip


def incident(*, resolved: bool, acked: bool) -> Incident:
    """An incident of alert 7, perhaps resolved and acknowledged by APPROVER."""
    from tests.test_escaping import AT

    end = AT + timedelta(hours=2) if resolved else None
    return Incident(3, 7, AT, AT, end, 0.8, 0.7, "1.2", None, APPROVER if acked else None, AT if acked else None, None)


def refusals(n: dict[str, str]) -> Iterator[BaseException]:
    """What `alert add` / `edit` / buttons refuse, quoting what the user typed or the widget's name."""
    for text in (n["user"], f"widget 32 when {n['user']}", f"widget 32 when latest < {n['user']}",
                 f"widget 32 when latest < 90 % notify {n['user']}", f"widget 32 when latest < 90 % every {n['user']}",
                 f"widget 32 when latest < 90 % where {n['filter']}"):  # fmt: skip
        try:
            parse_rule(text)
        except UserError as exc:
            yield exc
    widget = Widget(id=32, name=n["widget"], chart_type="pie")
    try:
        check_fits(rules(n)[0], widget, WidgetData())
    except UserError as exc:
        yield exc
    try:
        require(ChannelRules(lambda channel: ()), REQUESTER, n["other"], 7)
    except UserError as exc:
        yield exc
    yield AlertNotFound(7)
    yield unknown_handles([n["user"], n["other"]])


def alert_messages(n: dict[str, str], count: int = 12) -> Iterator[Built]:
    """(name, blocks, text) of every alert builder, fed `n`; lists hold `count` alerts or incidents."""
    from tests.test_escaping import AT

    for rule in rules(n):
        for paused in (None, n["reason"], am.pause_reason(REQUESTER)):
            unit = "fraction" if rule.kind in ("latest", "share") else "seconds"
            view = am.AlertView(alert(n, rule, paused=paused, unknown=True), n["widget"], unit, 12)
            reading = Reading(0.8, True, "fraction", previous=0.5, points=40)
            yield "added", am.added_blocks(view, reading, REQUESTER), am.added_text(view)
            yield "changed", [], am.changed_text(view, reading, REQUESTER)
            yield "test", al.test_blocks(view, reading, AT), None
            yield "no data yet", al.test_blocks(view, Reading(None, None, "fraction"), AT), None
            for acked in (False, True):
                firing = incident(resolved=False, acked=acked)
                payload = {"value": 0.8, "at": AT.isoformat(), "error": n["reason"], "failures": 3}
                blocks = an.firing_blocks(view, firing, payload, file_id="F1", stamp=n["scope"], app_url="https://a")
                yield "firing", blocks, an.firing_text(view, payload)
                done = incident(resolved=True, acked=acked)
                yield "resolved", an.resolved_blocks(view, done, file_id="F1", stamp=n["scope"]), an.resolved_text(view)
                yield "resolved reply", [], an.resolved_reply(view, done, payload)
                for kind in ("remind", "refire", "unknown", "recovered"):
                    yield f"thread {kind}", [], an.thread_text(view, kind, payload)
                yield "paused dm", [], an.paused_dm(view, payload)
            incidents = [incident(resolved=i % 2 == 0, acked=i % 3 == 0) for i in range(count)]
            yield "history", al.history_blocks(view, incidents), None
            yield "list", al.list_blocks([view.alert] * count, AT, n["other"]), None
    for exc in refusals(n):
        text, blocks = user_message(exc)
        yield f"refusal {type(exc).__name__}", blocks, text
