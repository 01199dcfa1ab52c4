"""What alerts say in Slack, from pure builders: the rule in words, announcements, lists and history.

    words = rule_words(view)        # the incident message and its thread replies: handlers/alert_notices.py

`AlertView` bundles what every builder needs about an alert (its rule, widget title, threshold as
the chart prints it); builders take plain data and do no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.alerts.measure import Reading, threshold_value
from bot.alerts.rule import Rule, duration_text
from bot.alerts.state import recovery_words
from bot.alerts.store import Alert
from bot.errors import UserError
from bot.slack.text import (
    GroupMention,
    Mention,
    Mrkdwn,
    clip,
    code,
    escape,
    join,
    md,
)
from charts.numbers import human_number
from charts.spec import Unit
from handlers import blocks as bk
from handlers.messages import plural

_TOKEN = re.compile(r"<@([UW][A-Z0-9_]+)>|<!subteam\^(S[A-Z0-9_]+)>")
_PAUSED_BY = re.compile(r"paused by <@([UW][A-Z0-9_]+)>")
TITLE_LIMIT = 300  # a widget title, a slice label, a `where` text: a rule restatement stays readable
REASON_LIMIT = 1500  # an error's words (Cekura's or Slack's) in a notice
LINE_LIMIT = 600  # one alert or incident in a list
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
        try:
            return self.shown(threshold_value(self.rule, self.unit))
        except UserError:  # the widget changed unit since: say the number as written, the notice must go out
            return self.rule.threshold.text


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


def pause_reason(user_id: str) -> str:
    """What the store keeps as the reason when a user pauses an alert (rendered back as a mention)."""
    return f"paused by <@{user_id}>"


def paused_reason_words(stored: str | None) -> Mrkdwn:
    """Why an alert is paused, as shown: a user's pause as a mention, any other reason escaped."""
    # The one stored form the bot writes itself (pause_reason) renders as a mention; any other
    # reason (the words of an error after failures) is data and is escaped whole.
    by_user = _PAUSED_BY.fullmatch(stored or "")
    if by_user:
        return md("paused by {who}", who=Mention(by_user.group(1)))
    return escape(clip(stored or "paused", REASON_LIMIT))


def mentions(notify: Sequence[str]) -> Mrkdwn:
    """The people and groups to notify, as mentions (ids resolved at `alert add`); anything else as text."""
    parts: list[Mrkdwn] = []
    for token in notify:
        found = _TOKEN.fullmatch(token)
        if found and found.group(1):
            parts.append(md("{who}", who=Mention(found.group(1))))
        elif found:
            parts.append(md("{who}", who=GroupMention(found.group(2))))
        else:
            parts.append(escape(clip(token, 80)))
    return join(parts, " ")


def then(text: Mrkdwn) -> Mrkdwn:
    """` text` (a space before it), or nothing when `text` is empty."""
    return md(" {text}", text=text) if text else text


def rule_words(view: AlertView) -> Mrkdwn:
    """The rule in plain words: `the latest value of *Success rate by day* (widget 32) is below 90 %`."""
    rule = view.rule
    title = md("*{name}* (widget {id})", name=clip(view.widget_title, TITLE_LIMIT), id=rule.widget_id)
    window = duration_text(rule.window)
    if rule.kind == "nodata":
        core = md("{title} has no data for {window}", title=title, window=window)
    elif rule.kind == "change":
        core = md(
            "the {agg} over {window} of {title} {direction} by {by}{unit} against the {window} before",
            agg=rule.aggregation,
            window=window,
            title=title,
            direction=rule.direction,
            by=rule.threshold.text.removesuffix(" %").removesuffix(" pts"),
            unit=" %" if rule.threshold.unit == "%" else " points",
        )
    else:
        measure = {
            "latest": md("the latest value"),
            "share": md('the share of "{label}"', label=clip(rule.label or "", TITLE_LIMIT)),
            "window": md("the {agg} over {window}", agg=rule.aggregation, window=window),
        }[rule.kind]
        core = md(
            "{measure} of {title} is {op} {threshold}",
            measure=measure,
            title=title,
            op=OP_WORDS[rule.op],
            threshold=view.threshold,
        )
    parts = [core]
    if rule.for_:
        parts.append(md("for {d}", d=duration_text(rule.for_)))
    extra = [md("checked every {d}", d=duration_text(rule.every))]
    if rule.where_text:
        extra.append(md("only calls where {where}", where=code(clip(rule.where_text, TITLE_LIMIT))))
    if rule.notify:
        extra.append(md("notifying {who}", who=mentions(rule.notify)))
    if rule.renotify:
        extra.append(md("reminding every {d} while firing", d=duration_text(rule.renotify)))
    return md("Alert when {rule} — {extra}.", rule=join(parts, " "), extra=join(extra, ", "))


def reading_words(view: AlertView, reading: Reading) -> Mrkdwn:
    """`Now: 87.5% — it would fire now.`"""
    if reading.breached is None:
        return md("Now: {value} — no data to compare yet, so it would not fire now.", value=view.shown(reading.value))
    previous = md(" (previous window {v})", v=view.shown(reading.previous)) if reading.previous is not None else md("")
    verdict = md("it *would fire now*") if reading.breached else md("it would not fire now")
    shown = plural(reading.points, "call") if view.rule.kind == "nodata" else view.shown(reading.value)
    return md("Now: {shown}{previous} — {verdict}.", shown=shown, previous=previous, verdict=verdict)


def added_text(view: AlertView) -> Mrkdwn:
    """The notification text of the set-up announcement."""
    return md("Alert {id} set up: {title}", id=view.alert.id, title=clip(view.widget_title, TITLE_LIMIT))


def added_blocks(view: AlertView, reading: Reading, user: str) -> list[bk.SlackBlock]:
    """The announcement of a new alert."""
    alert = view.alert
    said = md(
        ":bell: {who} set up *alert {id}* in this channel.\n{rule}",
        who=Mention(user),
        id=alert.id,
        rule=rule_words(view),
    )
    commands = md(
        "{test} · {pause}", test=code(f"/cekura alert test {alert.id}"), pause=code(f"/cekura alert pause {alert.id}")
    )
    return [
        bk.section(said),
        bk.section(reading_words(view, reading)),
        bk.context(escape(recovery_words(view.rule)), commands),
    ]


def changed_text(view: AlertView, reading: Reading, user: str) -> Mrkdwn:
    """The answer to `alert edit`: who changed it, the new rule and its reading now."""
    return bk.fallback(
        md(
            "Alert {id} was changed by {who}: {rule}\n{now}",
            id=view.alert.id,
            who=Mention(user),
            rule=rule_words(view),
            now=reading_words(view, reading),
        )
    )
