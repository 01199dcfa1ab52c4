"""What alerts say in Slack, from pure builders: rule in words, the incident message, thread replies.

    blocks = firing_blocks(view, incident, payload, file_id="F1", app_url=url)

`AlertView` bundles what every builder needs about an alert (its rule, widget title, threshold as
the chart prints it); builders take plain data and do no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.alerts.measure import Reading, threshold_value
from bot.alerts.rule import Rule, duration_text
from bot.alerts.state import recovery_words
from bot.alerts.store import Alert, Incident
from charts.format import human_number
from charts.spec import Unit
from handlers import blocks as bk

OP_WORDS = {"lt": "below", "lte": "at or below", "gt": "above", "gte": "at or above", "eq": "equal to", "ne": "not"}


class AlertActions(StrEnum):
    """Buttons of the incident message."""

    ACK = "alert_ack"
    SNOOZE_HOUR = "alert_snooze_1h"
    SNOOZE_DAY = "alert_snooze_1d"
    OPEN = "alert_open"


@dataclass(frozen=True)
class AlertView:
    """An alert with what its messages show about the widget."""

    alert: Alert
    widget_title: str
    unit: Unit
    dashboard_id: int | None = None

    @property
    def rule(self) -> Rule:
        """The alert's rule."""
        return self.alert.rule

    def shown(self, value: float | None) -> str:
        """A value as the chart prints it."""
        return human_number(value, self.unit)

    @property
    def threshold(self) -> str:
        """The threshold as the chart prints it (`90%`, `1.5 s`), or the change (`20 %`)."""
        if self.rule.kind == "nodata":
            return "no calls"
        if self.rule.kind == "change":
            return self.rule.threshold.text
        return self.shown(threshold_value(self.rule, self.unit))


def when(moment: datetime | str | None) -> str:
    """`Mon 2 Jun 09:05 UTC`."""
    if moment is None:
        return "–"
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.strftime("%a %-d %b %H:%M UTC")


def lasted(start: datetime, end: datetime) -> str:
    """`1h 20m`, `5m`."""
    minutes = max(0, int((end - start).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes}m" if hours else f"{minutes}m"


def rule_words(view: AlertView) -> str:
    """The rule in plain words: `the latest complete day of *Success rate by day* goes below 90%`."""
    rule = view.rule
    title = f"*{bk.escape(view.widget_title)}* (widget {rule.widget_id})"
    if rule.kind == "nodata":
        core = f"{title} has no data for {duration_text(rule.window)}"
    elif rule.kind == "change":
        unit = "" if rule.threshold.unit == "%" else " points"
        core = (
            f"the {rule.aggregation} over {duration_text(rule.window)} of {title} {rule.direction} by "
            f"{rule.threshold.text}{unit} against the {duration_text(rule.window)} before"
        )
    else:
        measure = {
            "latest": "the latest value",
            "share": f'the share of "{bk.escape(rule.label or "")}"',
            "window": f"the {rule.aggregation} over {duration_text(rule.window)}",
        }[rule.kind]
        core = f"{measure} of {title} is {OP_WORDS[rule.op]} {view.threshold}"
    parts = [core]
    if rule.for_:
        parts.append(f"for {duration_text(rule.for_)}")
    extra = [f"checked every {duration_text(rule.every)}"]
    if rule.where_text:
        extra.append(f"only calls where `{bk.escape(rule.where_text)}`")
    if rule.notify:
        extra.append("notifying " + " ".join(rule.notify))
    if rule.renotify:
        extra.append(f"reminding every {duration_text(rule.renotify)} while firing")
    return f"Alert when {' '.join(parts)} — {', '.join(extra)}."


def reading_words(view: AlertView, reading: Reading) -> str:
    """`Now: 87.5% — it would fire now.`"""
    if reading.breached is None:
        return f"Now: {view.shown(reading.value)} — no data to compare yet, so it would not fire now."
    previous = f" (previous window {view.shown(reading.previous)})" if reading.previous is not None else ""
    verdict = "it *would fire now*" if reading.breached else "it would not fire now"
    shown = f"{reading.points} call(s)" if view.rule.kind == "nodata" else view.shown(reading.value)
    return f"Now: {shown}{previous} — {verdict}."


def added_blocks(view: AlertView, reading: Reading, user: str) -> list[bk.SlackBlock]:
    """The announcement of a new (or edited) alert."""
    alert = view.alert
    return [
        bk.section(f":bell: <@{user}> set up *alert {alert.id}* in this channel.\n{rule_words(view)}"),
        bk.section(reading_words(view, reading)),
        bk.context(recovery_words(view.rule), f"`/cekura alert test {alert.id}` · `/cekura alert pause {alert.id}`"),
    ]


def status_words(alert: Alert, now: datetime) -> str:
    """`firing`, `paused (…)`, `unknown`, `snoozed until …`."""
    if alert.paused:
        return f"paused ({alert.paused_reason or 'paused'})"
    words = alert.track.status.value
    if alert.unknown:
        words += ", unknown (Cekura not answering)"
    if alert.snoozed(now):
        words += f", snoozed until {when(alert.snoozed_until)}"
    return words


def list_blocks(alerts: list[Alert], now: datetime, where: str) -> list[bk.SlackBlock]:
    """`alert list`: one line per alert."""
    if not alerts:
        return [bk.section(f"No alerts {where}. Add one: `/cekura alert add widget 32 when latest < 90 %`.")]
    lines = [f"*{len(alerts)} alert(s) {where}*"]
    lines += [f"• *{a.id}* <#{a.channel}> `{bk.escape(a.rule.text)}` — {status_words(a, now)}" for a in alerts]
    return bk.sections(lines)


def test_blocks(view: AlertView, reading: Reading, now: datetime) -> list[bk.SlackBlock]:
    """`alert test`: the evaluation now, nothing stored, nobody notified."""
    state = status_words(view.alert, now)
    return [
        bk.section(f"*Alert {view.alert.id}* ({state}): {rule_words(view)}\n{reading_words(view, reading)}"),
        bk.context("A test: nothing was stored and nobody was notified."),
    ]


def history_blocks(view: AlertView, incidents: list[Incident]) -> list[bk.SlackBlock]:
    """`alert history`: incidents with start, end, peak and who acknowledged."""
    if not incidents:
        return [bk.section(f"Alert {view.alert.id} has not fired yet.")]
    lines = [f"*Incidents of alert {view.alert.id}* (newest first)"]
    for item in incidents:
        end = when(item.resolved_at) if item.resolved_at else "still firing"
        ack = f"acknowledged by <@{item.acknowledged_by}>" if item.acknowledged_by else "not acknowledged"
        lines.append(f"• {when(item.started_at)} → {end} · peak {view.shown(item.peak)} · {ack}")
    return bk.sections(lines)


def _buttons(view: AlertView, incident: Incident, app_url: str | None) -> bk.SlackBlock:
    value = f"{view.alert.id}:{incident.id}"
    elements = [
        bk.button("Acknowledge", AlertActions.ACK, value, style="primary"),
        bk.button("Snooze 1h", AlertActions.SNOOZE_HOUR, value),
        bk.button("Snooze 1 day", AlertActions.SNOOZE_DAY, value),
    ]
    if app_url and view.dashboard_id is not None:
        url = f"{app_url.rstrip('/')}/dashboards/{view.dashboard_id}"
        elements.append(bk.button("Open in Cekura", AlertActions.OPEN, url=url))
    return bk.actions(elements, block_id=f"alert_{view.alert.id}")


def firing_text(view: AlertView, payload: dict[str, Any]) -> str:
    """The fallback text of the incident message."""
    return f"Alert {view.alert.id} firing: {view.widget_title} is {view.shown(payload.get('value'))}"


def firing_blocks(
    view: AlertView,
    incident: Incident,
    payload: dict[str, Any],
    *,
    file_id: str | None,
    stamp: str,
    app_url: str | None,
) -> list[bk.SlackBlock]:
    """The one channel message of an incident while it fires."""
    mentions = " ".join(view.rule.notify)
    head = f":rotating_light: *Alert {view.alert.id} is firing* {mentions}".rstrip()
    value = view.shown(payload.get("value"))
    body = f"{rule_words(view)}\n*Value:* {value} · *threshold:* {view.threshold} · *since* {when(incident.started_at)}"
    blocks = [bk.section(f"{head}\n{body}")]
    if file_id:
        blocks.append(
            {"type": "image", "slack_file": {"id": file_id}, "alt_text": f"{view.widget_title} with the threshold"}
        )
    ack = f"Acknowledged by <@{incident.acknowledged_by}>" if incident.acknowledged_by else "Not acknowledged yet"
    blocks.append(bk.context(*[t for t in (bk.escape(stamp), ack, recovery_words(view.rule)) if t]))
    blocks.append(_buttons(view, incident, app_url))
    return blocks


def resolved_blocks(view: AlertView, incident: Incident, *, file_id: str | None, stamp: str) -> list[bk.SlackBlock]:
    """The incident message once it resolved (chat.update): resolved at, duration, peak."""
    assert incident.resolved_at is not None
    took = lasted(incident.started_at, incident.resolved_at)
    head = f":white_check_mark: *Alert {view.alert.id} resolved* at {when(incident.resolved_at)} after {took}"
    body = f"{rule_words(view)}\n*Peak:* {view.shown(incident.peak)} · *threshold:* {view.threshold}"
    blocks = [bk.section(f"{head}\n{body}")]
    if file_id:
        blocks.append(
            {"type": "image", "slack_file": {"id": file_id}, "alt_text": f"{view.widget_title} with the threshold"}
        )
    ack = f"Acknowledged by <@{incident.acknowledged_by}>" if incident.acknowledged_by else "Never acknowledged"
    blocks.append(bk.context(*[t for t in (bk.escape(stamp), ack) if t]))
    return blocks


def resolved_reply(view: AlertView, incident: Incident, payload: dict[str, Any]) -> str:
    """The short thread reply when it resolves."""
    assert incident.resolved_at is not None
    took = lasted(incident.started_at, incident.resolved_at)
    now, peak = view.shown(payload.get("value")), view.shown(incident.peak)
    return f":white_check_mark: Resolved: now {now} (peak {peak}, lasted {took})."


def thread_text(view: AlertView, kind: str, payload: dict[str, Any]) -> str:
    """Replies in the incident's thread: reminders, re-fires while snoozed, UNKNOWN and its recovery."""
    value = view.shown(payload.get("value"))
    if kind == "remind":
        return f":bell: Still firing: {value} (threshold {view.threshold}). {' '.join(view.rule.notify)}".rstrip()
    if kind == "refire":
        return f":rotating_light: Firing again while snoozed: {value} (threshold {view.threshold}). No one was paged."
    if kind == "unknown":
        return (
            f":grey_question: Alert {view.alert.id} is UNKNOWN: {payload.get('failures')} evaluations in a row failed "
            f"({payload.get('error')}). I keep trying and will say when it recovers."
        )
    if kind == "recovered":
        return (
            f":large_green_circle: Alert {view.alert.id} can be evaluated again; it is {view.alert.track.status.value}."
        )
    raise ValueError(kind)


def paused_dm(view: AlertView, payload: dict[str, Any]) -> str:
    """The owner's DM when the alert paused itself."""
    return (
        f":double_vertical_bar: Your alert {view.alert.id} in <#{view.alert.channel}> paused itself after "
        f"{payload.get('failures')} failed evaluations: {payload.get('error')}\n`{bk.escape(view.rule.text)}`\n"
        f"Fix the cause, then `/cekura alert resume {view.alert.id}`."
    )
