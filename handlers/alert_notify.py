"""Posting alert notifications to Slack: the `AlertNotifier` that bot/alerts/ is given at wiring time.

One incident, one channel message: FIRING posts it (chart included), RESOLVED updates it in place
and replies once in its thread; reminders, re-fires while snoozed, UNKNOWN and recovery go in the
thread; a self-paused alert DMs its owner. A chart that cannot be drawn never holds a message back.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot import filters
from bot.alerts import measure
from bot.alerts.evaluate import WidgetCatalog
from bot.alerts.store import Alert, Incident, Notice
from bot.cekura_models import WidgetData
from bot.widget_charts import to_view
from charts.spec import BarChart, LineChart
from handlers import alert_messages as am
from handlers import alert_notices as an

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)


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

    def deliver(self, notice: Notice, alert: Alert, incident: Incident | None) -> str | None:
        """Post one notification; returns the ts of the message posted (or updated)."""
        payload = notice.payload
        view = self.view(alert, payload.get("unit"))
        if notice.kind == "paused":
            return self.deps.poster.post_message(alert.owner, text=an.paused_dm(view, payload), blocks=[])
        if notice.kind == "fire":
            assert incident is not None
            return self._fire(view, incident, payload)
        if notice.kind == "resolve":
            assert incident is not None
            return self._resolve(view, incident, payload)
        parent = self._parent(incident)
        text = an.thread_text(view, notice.kind, payload)
        return self.deps.poster.post_message(alert.channel, text=text, blocks=[], thread_ts=parent)

    def _parent(self, incident: Incident | None) -> str | None:
        return None if incident is None else incident.message_ts or incident.thread_ts

    def _fire(self, view: am.AlertView, incident: Incident, payload: dict[str, Any]) -> str:
        alert, store = view.alert, self.deps.alerts
        if incident.message_ts or incident.thread_ts:
            return incident.message_ts or incident.thread_ts or ""  # posted before a crash: never twice
        previous = next((i for i in store.incidents(alert.id, 2) if i.id != incident.id), None)
        parent = self._parent(previous)
        if payload.get("snoozed") and parent:
            ts = self.deps.poster.post_message(
                alert.channel, text=an.thread_text(view, "refire", payload), blocks=[], thread_ts=parent
            )
            store.set_incident(incident.id, thread_ts=parent)
            return ts
        file_id, stamp = self._chart(view, datetime.fromisoformat(payload["at"]), incident.started_at)
        blocks = an.firing_blocks(view, incident, payload, file_id=file_id, stamp=stamp, app_url=self._app_url())
        ts = self.deps.poster.post_message(alert.channel, text=an.firing_text(view, payload), blocks=blocks)
        store.set_incident(incident.id, message_ts=ts)  # at once: a takeover after a crash finds it
        return ts

    def _resolve(self, view: am.AlertView, incident: Incident, payload: dict[str, Any]) -> str | None:
        alert = view.alert
        if incident.message_ts:
            file_id, stamp = self._chart(view, datetime.fromisoformat(payload["at"]))
            blocks = an.resolved_blocks(view, incident, file_id=file_id, stamp=stamp)
            text = an.resolved_text(view)
            self.deps.slack.chat_update(channel=alert.channel, ts=incident.message_ts, text=text, blocks=blocks)
        parent = self._parent(incident)
        reply = an.resolved_reply(view, incident, payload)
        return self.deps.poster.post_message(alert.channel, text=reply, blocks=[], thread_ts=parent)

    def refresh(self, alert: Alert, incident: Incident, image: dict[str, Any] | None) -> None:
        """Redraw the incident message after an acknowledgement, keeping its chart (`image`, from the click)."""
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

    def _chart(self, view: am.AlertView, now: datetime, breach: datetime | None = None) -> tuple[str | None, str]:
        """Upload the widget's chart with the threshold (and the `breach` shaded); (None, "") on failure."""
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
            uploaded = self.deps.slack.files_upload_v2(
                content=png, filename=f"alert-{view.alert.id}.png", title=view.widget_title
            )
            return str(uploaded["file"]["id"]), stamp
        except Exception:
            log.warning("alert %s: no chart for this message", view.alert.id, exc_info=True)
            return None, ""
