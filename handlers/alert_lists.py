"""What alert management says in Slack: `alert list`, `alert test` and `alert history`, from pure builders.

    blocks = list_blocks(alerts, now, "in this channel")

Builders take plain data (an `AlertView` from handlers/alert_messages.py for the rule in words) and
do no I/O; lists stop at one message's size and say how many were left out.
"""

from __future__ import annotations

from datetime import datetime

from bot.alerts.measure import Reading
from bot.alerts.store import Alert, Incident
from bot.slack.text import ChannelRef, Mention, Mrkdwn, clip, clip_mrkdwn, code, escape, fit, join, md, text_units
from handlers import blocks as bk
from handlers.alert_messages import (
    LINE_LIMIT,
    TITLE_LIMIT,
    AlertView,
    paused_reason_words,
    reading_words,
    rule_words,
    when,
)
from handlers.messages import plural


def status_words(alert: Alert, now: datetime) -> Mrkdwn:
    """`firing`, `paused (…)`, `unknown`, `snoozed until …`."""
    if alert.paused:
        return md("paused ({reason})", reason=paused_reason_words(alert.paused_reason))
    words = [escape(alert.track.status.value)]
    if alert.unknown:
        words.append(md("unknown (Cekura not answering)"))
    if alert.snoozed(now):
        words.append(md("snoozed until {at}", at=when(alert.snoozed_until)))
    return join(words, ", ")


def _listed(lines: list[Mrkdwn], head: list[bk.SlackBlock], what: str) -> list[bk.SlackBlock]:
    """`head`, then as many `lines` as fit one message, and a note on those left out."""
    room = bk.MESSAGE_BUDGET - text_units(head) - 300
    count = fit(lines, max(room, 0))
    out = head + bk.sections(lines[:count])[: bk.MESSAGE_BLOCKS - 1 - len(head)]
    if count < len(lines):
        out.append(
            bk.context(md("…and {n} more {what}, not listed (Slack's message size).", n=len(lines) - count, what=what))
        )
    return out


def list_blocks(alerts: list[Alert], now: datetime, where: str) -> list[bk.SlackBlock]:
    """`alert list`: one line per alert."""
    if not alerts:
        example = code("/cekura alert add widget 32 when latest < 90 %")
        return [bk.section(md("No alerts {where}. Add one: {example}.", where=where, example=example))]
    head = [bk.section(md("*{n} {where}*", n=plural(len(alerts), "alert"), where=clip(where, TITLE_LIMIT)))]
    lines = [
        clip_mrkdwn(
            md(
                "• *{id}* {channel} {rule} — {status}",
                id=a.id,
                channel=ChannelRef(a.channel),
                rule=code(clip(a.rule.text, LINE_LIMIT)),
                status=status_words(a, now),
            ),
            LINE_LIMIT,
        )
        for a in alerts
    ]
    return _listed(lines, head, "alerts")


def test_blocks(view: AlertView, reading: Reading, now: datetime) -> list[bk.SlackBlock]:
    """`alert test`: the evaluation now, nothing stored, nobody notified."""
    said = md(
        "*Alert {id}* ({state}): {rule}\n{now}",
        id=view.alert.id,
        state=status_words(view.alert, now),
        rule=rule_words(view),
        now=reading_words(view, reading),
    )
    return [bk.section(said), bk.context(md("A test: nothing was stored and nobody was notified."))]


def history_blocks(view: AlertView, incidents: list[Incident]) -> list[bk.SlackBlock]:
    """`alert history`: incidents with start, end, peak and who acknowledged."""
    if not incidents:
        return [bk.section(md("Alert {id} has not fired yet.", id=view.alert.id))]
    head = [bk.section(md("*Incidents of alert {id}* (newest first)", id=view.alert.id))]
    lines = []
    for item in incidents:
        end = when(item.resolved_at) if item.resolved_at else "still firing"
        ack = (
            md("acknowledged by {who}", who=Mention(item.acknowledged_by))
            if item.acknowledged_by
            else md("not acknowledged")
        )
        lines.append(
            md(
                "• {start} → {end} · peak {peak} · {ack}",
                start=when(item.started_at),
                end=end,
                peak=view.shown(item.peak),
                ack=ack,
            )
        )
    return _listed(lines, head, "incidents")
