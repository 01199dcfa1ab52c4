"""Posting alert notifications to Slack: the `AlertNotifier` that bot/alerts/ is given at wiring time.

One incident, one channel message: FIRING posts it (chart attached), RESOLVED updates it in place
and replies once in its thread; reminders, re-fires while snoozed, UNKNOWN and recovery go in the
thread; a self-paused alert DMs its owner. A chart that cannot be drawn never holds a message back.

Exactly once under SIGKILL: every notice that can carry a chart (fire, resolve, remind, re-fire,
recovered) is posted as a file share, and its file id is recorded in the outbox before Slack shares
it (`on_uploaded`). A successor taking over a dead worker's claim asks files.info whether that file
was shared in the channel and, if so, adopts that message instead of posting again. Text-only
notices (UNKNOWN, the owner's DM, and any notice whose chart failed) have no such marker: finding
them would take conversations.history (channels:history, groups:history, im:history), which the
app does not request, so a kill in the instant between Slack's answer and the outbox write posts
them again — once more, never lost (see README "Alerts").
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import filters
from bot.alerts import measure
from bot.alerts.catalog import WidgetCatalog
from bot.alerts.store import Alert, Incident, Notice
from bot.cekura_models import WidgetData
from bot.kill_points import kill_point
from bot.slack.text import Mrkdwn
from bot.slack.upload import ChartFile
from bot.widget_charts import to_view
from charts.spec import BarChart, LineChart
from handlers import alert_messages as am
from handlers import alert_notices as an
from handlers import blocks as bk

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)
Uploaded = Callable[[list[str]], None]


class SlackAlertNotifier:
    """Delivers the outbox's notifications with the bot's Slack client."""

    def __init__(self, deps: Deps, catalog: WidgetCatalog) -> None:
        self.deps = deps
        self.catalog = catalog

    def view(self, alert: Alert, unit: str | None = None) -> am.AlertView:
        """The alert with its widget's title and unit (a widget that is gone keeps its id as title)."""
        try:
            widget, _ = self.catalog.get(alert.rule.widget_id)
        except Exception:
            return am.AlertView(alert, f"widget {alert.rule.widget_id}", unit or "")  # type: ignore[arg-type]
        shown = unit if unit is not None else measure.unit_of(alert.rule, widget, WidgetData())
        return am.AlertView(alert, widget.title, shown, widget.dashboard)  # type: ignore[arg-type]

    def deliver(self, notice: Notice, alert: Alert, incident: Incident | None, on_uploaded: Uploaded) -> str | None:
        """Post one notification; returns the ts of the message posted (or found posted by a dead worker)."""
        payload = notice.payload
        view = self.view(alert, payload.get("unit"))
        if notice.attempts > 1:
            found = self._landed(notice, alert, incident)
            if found is not None:
                return found
        if notice.kind == "paused":
            ts = self.deps.poster.post_message(alert.owner, text=an.paused_dm(view, payload), blocks=[])
            kill_point("alert.posted")
            return ts
        if notice.kind == "fire":
            assert incident is not None
            return self._fire(view, incident, payload, on_uploaded)
        if notice.kind == "resolve":
            assert incident is not None
            return self._resolve(view, incident, payload, on_uploaded)
        parent = self._parent(incident)
        text = an.thread_text(view, notice.kind, payload)
        drawable = notice.kind != "unknown" and "at" in payload  # UNKNOWN: Cekura is down, there is no chart
        png = self._draw(view, _at(payload))[0] if drawable else None
        ts = self._post(view, text, [], png, on_uploaded, thread_ts=parent)
        kill_point("alert.posted")
        return ts

    def _landed(self, notice: Notice, alert: Alert, incident: Incident | None) -> str | None:
        """The ts of the message an earlier attempt posted, if Slack shows its chart shared; else None."""
        if not notice.file_ids:
            if notice.kind in ("unknown", "paused"):
                log.warning(
                    "alert %s: %s notice %s is retried without a way to tell whether it landed (text only)",
                    alert.id,
                    notice.kind,
                    notice.id,
                )
            return None
        share = self.deps.poster.shared_in(alert.channel, notice.file_ids[-1])
        if share is None:
            return None  # uploaded but never shared: nothing reached the channel
        ts, thread_ts = share
        log.info(
            "alert %s: %s notice %s was posted before a crash (%s): not posting it again",
            alert.id,
            notice.kind,
            notice.id,
            ts,
        )
        if notice.kind == "fire" and incident is not None:
            if thread_ts is not None:
                self.deps.alerts.set_incident(incident.id, thread_ts=thread_ts)  # a re-fire while snoozed
            else:
                self.deps.alerts.set_incident(incident.id, message_ts=ts)
        return ts

    def _parent(self, incident: Incident | None) -> str | None:
        return None if incident is None else incident.message_ts or incident.thread_ts

    def _fire(self, view: am.AlertView, incident: Incident, payload: dict[str, Any], on_uploaded: Uploaded) -> str:
        alert, store = view.alert, self.deps.alerts
        if incident.message_ts or incident.thread_ts:
            return incident.message_ts or incident.thread_ts or ""  # posted before a crash: never twice
        previous = next((i for i in store.incidents(alert.id, 2) if i.id != incident.id), None)
        parent = self._parent(previous)
        png, stamp = self._draw(view, _at(payload), incident.started_at)
        if payload.get("snoozed") and parent:
            text = an.thread_text(view, "refire", payload)
            ts = self._post(view, text, [], png, on_uploaded, thread_ts=parent)
            kill_point("alert.posted")
            store.set_incident(incident.id, thread_ts=parent)
            return ts
        blocks = an.firing_blocks(view, incident, payload, file_id=None, stamp=stamp, app_url=self._app_url())
        ts = self._post(view, an.firing_text(view, payload), blocks, png, on_uploaded)
        kill_point("alert.posted")
        store.set_incident(incident.id, message_ts=ts)  # at once: a takeover after a crash finds it
        return ts

    def _resolve(self, view: am.AlertView, incident: Incident, payload: dict[str, Any], on_uploaded: Uploaded) -> str:
        alert = view.alert
        png, stamp = self._draw(view, _at(payload))
        if incident.message_ts:
            # In place, keeping the firing chart attached; chat.update is idempotent, so a retry may redo it.
            blocks = an.resolved_blocks(view, incident, file_id=None, stamp=stamp)
            text = an.resolved_text(view)
            self.deps.slack.chat_update(channel=alert.channel, ts=incident.message_ts, text=text, blocks=blocks)
            kill_point("alert.updated")
        reply = an.resolved_reply(view, incident, payload)
        ts = self._post(view, reply, [], png, on_uploaded, thread_ts=self._parent(incident))
        kill_point("alert.posted")
        return ts

    def refresh(self, alert: Alert, incident: Incident, image: dict[str, Any] | None) -> None:
        """Redraw the incident message after an acknowledgement (its attached chart stays; `image`: an inline one)."""
        if not incident.message_ts or incident.resolved_at is not None:
            return
        payload = {"value": incident.value}
        blocks = an.firing_blocks(self.view(alert), incident, payload, file_id=None, stamp="", app_url=self._app_url())
        if image is not None:
            blocks.insert(1, image)
        text = an.firing_text(self.view(alert), payload)
        self.deps.slack.chat_update(channel=alert.channel, ts=incident.message_ts, blocks=blocks, text=text)

    def _app_url(self) -> str | None:
        return self.deps.settings.cekura_app_url

    def _post(
        self,
        view: am.AlertView,
        text: Mrkdwn,
        blocks: list[bk.SlackBlock],
        png: bytes | None,
        on_uploaded: Uploaded,
        *,
        thread_ts: str | None = None,
    ) -> str:
        """Post `text`/`blocks` with the chart attached (a file share, findable after a crash), or as text."""
        channel = view.alert.channel
        if png is None:
            return self.deps.poster.post_message(channel, text=text, blocks=blocks, thread_ts=thread_ts)
        chart = ChartFile(
            f"alert-{view.alert.id}.png", view.widget_title, png, alt=f"{view.widget_title}, the threshold drawn"
        )
        ts = self.deps.poster.post_charts(
            channel, text=text, blocks=blocks, files=[chart], thread_ts=thread_ts, on_uploaded=on_uploaded, want_ts=True
        )
        assert ts is not None  # want_ts: learned from files.info
        return ts

    def _draw(self, view: am.AlertView, now: datetime, breach: datetime | None = None) -> tuple[bytes | None, str]:
        """The chart with the threshold (and the `breach` shaded) and its filter stamp; (None, "") on failure."""
        rule = view.rule
        try:
            widget, dashboard_filters = self.catalog.get(rule.widget_id)
            where = filters.parse(rule.where_text) if rule.where_text else None
            span = measure.fetch_spans(rule, widget, now)[0]
            node = measure.span_filter(widget, dashboard_filters, where, span)
            data = next(iter(self.deps.cekura.bulk_data([widget.id], node)), WidgetData())
            stamp = filters.describe(node, now)
            chart = to_view(widget, data, stamp=stamp, tz=self.deps.settings.timezone).chart
            line = measure.chart_threshold(rule, view.unit)
            if isinstance(chart, LineChart | BarChart) and line is not None:
                chart = replace(chart, threshold=line, breach_since=breach)
            png = self.deps.renderer.render_all([chart])[0]
            if not isinstance(png, bytes):
                raise RuntimeError("the chart could not be drawn")
            return png, stamp
        except Exception:
            log.warning("alert %s: no chart for this message", view.alert.id, exc_info=True)
            return None, ""


def _at(payload: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(payload["at"])
