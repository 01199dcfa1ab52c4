"""The incident's messages, from pure builders: the FIRING message, its RESOLVED update, thread replies, the DM.

    blocks = firing_blocks(view, incident, payload, file_id="F1", stamp=stamp, app_url=url)

Every builder takes an `AlertView` (handlers/alert_messages.py) and plain data, and does no I/O.
"""

from __future__ import annotations

from typing import Any

from bot.alerts.state import recovery_words
from bot.alerts.store import Incident
from bot.slack.text import ChannelRef, Mention, Mrkdwn, clip, code, escape, md
from handlers import blocks as bk
from handlers.alert_messages import (
    LINE_LIMIT,
    REASON_LIMIT,
    TITLE_LIMIT,
    AlertActions,
    AlertView,
    lasted,
    mentions,
    rule_words,
    then,
    when,
)

ALT_TEXT_LIMIT = 2000


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


def _image(view: AlertView, file_id: str) -> bk.SlackBlock:
    alt = clip(f"{view.widget_title} with the threshold", ALT_TEXT_LIMIT)  # plain text: clipped, not escaped
    return {"type": "image", "slack_file": {"id": file_id}, "alt_text": alt}


def firing_text(view: AlertView, payload: dict[str, Any]) -> Mrkdwn:
    """The fallback text of the incident message."""
    return bk.fallback(
        md(
            "Alert {id} firing: {title} is {value}",
            id=view.alert.id,
            title=clip(view.widget_title, TITLE_LIMIT),
            value=view.shown(payload.get("value")),
        )
    )


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
    head = md(":rotating_light: *Alert {id} is firing*{who}", id=view.alert.id, who=then(mentions(view.rule.notify)))
    body = md(
        "{rule}\n*Value:* {value} · *threshold:* {threshold} · *since* {since}",
        rule=rule_words(view),
        value=view.shown(payload.get("value")),
        threshold=view.threshold,
        since=when(incident.started_at),
    )
    blocks = [bk.section(md("{head}\n{body}", head=head, body=body))]
    if file_id:
        blocks.append(_image(view, file_id))
    ack = (
        md("Acknowledged by {who}", who=Mention(incident.acknowledged_by))
        if incident.acknowledged_by
        else md("Not acknowledged yet")
    )
    blocks.append(
        bk.context(*[t for t in (escape(clip(stamp, REASON_LIMIT)), ack, escape(recovery_words(view.rule))) if t])
    )
    blocks.append(_buttons(view, incident, app_url))
    return blocks


def resolved_text(view: AlertView) -> Mrkdwn:
    """The fallback text of the incident message once resolved."""
    return md("Alert {id} resolved", id=view.alert.id)


def resolved_blocks(view: AlertView, incident: Incident, *, file_id: str | None, stamp: str) -> list[bk.SlackBlock]:
    """The incident message once it resolved (chat.update): resolved at, duration, peak."""
    assert incident.resolved_at is not None
    head = md(
        ":white_check_mark: *Alert {id} resolved* at {at} after {took}",
        id=view.alert.id,
        at=when(incident.resolved_at),
        took=lasted(incident.started_at, incident.resolved_at),
    )
    body = md(
        "{rule}\n*Peak:* {peak} · *threshold:* {threshold}",
        rule=rule_words(view),
        peak=view.shown(incident.peak),
        threshold=view.threshold,
    )
    blocks = [bk.section(md("{head}\n{body}", head=head, body=body))]
    if file_id:
        blocks.append(_image(view, file_id))
    ack = (
        md("Acknowledged by {who}", who=Mention(incident.acknowledged_by))
        if incident.acknowledged_by
        else md("Never acknowledged")
    )
    blocks.append(bk.context(*[t for t in (escape(clip(stamp, REASON_LIMIT)), ack) if t]))
    return blocks


def resolved_reply(view: AlertView, incident: Incident, payload: dict[str, Any]) -> Mrkdwn:
    """The short thread reply when it resolves."""
    assert incident.resolved_at is not None
    return md(
        ":white_check_mark: Resolved: now {now} (peak {peak}, lasted {took}).",
        now=view.shown(payload.get("value")),
        peak=view.shown(incident.peak),
        took=lasted(incident.started_at, incident.resolved_at),
    )


def thread_text(view: AlertView, kind: str, payload: dict[str, Any]) -> Mrkdwn:
    """Replies in the incident's thread: reminders, re-fires while snoozed, UNKNOWN and its recovery."""
    value, threshold, alert = view.shown(payload.get("value")), view.threshold, view.alert
    if kind == "remind":
        who = then(mentions(view.rule.notify))
        return md(
            ":bell: Still firing: {value} (threshold {threshold}).{who}", value=value, threshold=threshold, who=who
        )
    if kind == "refire":
        return md(
            ":rotating_light: Firing again while snoozed: {value} (threshold {threshold}). No one was paged.",
            value=value,
            threshold=threshold,
        )
    if kind == "unknown":
        return md(
            ":grey_question: Alert {id} is UNKNOWN: {n} evaluations in a row failed ({error}). "
            "I keep trying and will say when it recovers.",
            id=alert.id,
            n=payload.get("failures"),
            error=clip(str(payload.get("error")), REASON_LIMIT),
        )
    if kind == "recovered":
        return md(
            ":large_green_circle: Alert {id} can be evaluated again; it is {status}.",
            id=alert.id,
            status=alert.track.status.value,
        )
    raise ValueError(kind)


def paused_dm(view: AlertView, payload: dict[str, Any]) -> Mrkdwn:
    """The owner's DM when the alert paused itself."""
    alert = view.alert
    return md(
        ":double_vertical_bar: Your alert {id} in {channel} paused itself after {n} failed evaluations: "
        "{error}\n{rule}\nFix the cause, then {resume}.",
        id=alert.id,
        channel=ChannelRef(alert.channel),
        n=payload.get("failures"),
        error=clip(str(payload.get("error")), REASON_LIMIT),
        rule=code(clip(view.rule.text, LINE_LIMIT)),
        resume=code(f"/cekura alert resume {alert.id}"),
    )
