"""Evaluating due alerts: claim each slot, fetch each distinct (widgets, filter) once, step the state
machine, and write the outcome and the notifications it owes in one transaction.

    evaluator = Evaluator(deps.cekura, store, notifier, io, worker, settings)
    result = evaluator.tick(now)

Only the latest slot of each alert is evaluated: after downtime an alert is evaluated once, never
once per missed slot. Posting is not done here: `notifier` (a handlers-side object injected at
wiring time) turns each owed notification into Slack messages, through the outbox in the store.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor, Future
from datetime import datetime
from typing import Any

from bot import filters
from bot.alerts import measure
from bot.alerts.catalog import WidgetCatalog
from bot.alerts.deliver import AlertNotifier, NoticeDelivery, TickResult
from bot.alerts.measure import Reading
from bot.alerts.state import Status, step
from bot.alerts.store import Alert, AlertStore, slot_of
from bot.cekura import CekuraClient
from bot.cekura_models import FilterJSON, Widget, WidgetData
from bot.errors import NotFound, SlackDeliveryError, error_words

log = logging.getLogger(__name__)
__all__ = ["AlertNotifier", "Evaluator", "TickResult", "WidgetCatalog"]
# Faults that follow the alert wherever it runs (widget gone, channel refused, rule no longer fits): they count
# towards pausing it.
OWN_FAULTS = (NotFound, SlackDeliveryError, measure.Misfit)


class Evaluator(NoticeDelivery):
    """Evaluates alerts for one worker (a process, in the ledger's `claimed_by`)."""

    def __init__(
        self,
        cekura: CekuraClient,
        store: AlertStore,
        notifier: AlertNotifier,
        io: Executor,
        worker: str,
        *,
        unknown_after: int = 3,
        max_failures: int = 5,
        catalog: WidgetCatalog | None = None,
    ) -> None:
        self.cekura, self.store, self.notifier, self.io, self.worker = cekura, store, notifier, io, worker
        self.unknown_after, self.max_failures = unknown_after, max_failures
        self.catalog = catalog or WidgetCatalog(cekura, store._clock)

    def tick(self, now: datetime) -> TickResult:
        """Evaluate every alert due at `now`, then deliver every owed notification."""
        with self.store.heartbeat(self.worker):  # a slow Cekura or Slack must not make our claims look dead
            return self._tick(now)

    def _tick(self, now: datetime) -> TickResult:
        result = TickResult()
        won: list[tuple[Alert, datetime]] = []
        for alert in self.store.active():
            slot = slot_of(now, alert.rule.every)
            if alert.last_slot is not None and slot <= alert.last_slot:
                continue
            if self.store.claim_slot(alert.id, slot, self.worker):
                won.append((alert, slot))
            else:
                result.taken.append(alert.id)
        data = self._fetch(won, now, result)
        for alert, slot in won:
            outcome = data.get(alert.id)
            assert outcome is not None
            self._settle(alert, slot, now, outcome, result)
        self.deliver(result)
        return result

    def evaluate_now(self, alert: Alert, now: datetime) -> tuple[Reading, list[WidgetData], Widget]:
        """`alert test` and `alert add`: the reading right now, without storing or notifying anything."""
        widget, dashboard_filters = self.catalog.get(alert.rule.widget_id)
        where = filters.parse(alert.rule.where_text) if alert.rule.where_text else None
        spans = measure.fetch_spans(alert.rule, widget, now)
        rows = [
            self.cekura.bulk_data([widget.id], measure.span_filter(widget, dashboard_filters, where, s)) for s in spans
        ]
        datas = [next((d for d in found if d.widget_id in (None, widget.id)), WidgetData()) for found in rows]
        measure.check_fits(alert.rule, widget, datas[0])
        return measure.read(alert.rule, widget, datas, now), datas, widget

    def _fetch(self, won: list[tuple[Alert, datetime]], now: datetime, result: TickResult) -> dict[int, Any]:
        """Per alert: (widget, data per span), or the exception that stopped it."""
        plans: dict[int, tuple[Widget, list[str]]] = {}
        groups: dict[str, tuple[FilterJSON, set[int]]] = {}
        outcome: dict[int, Any] = {}
        # Widget look-ups (two Cekura calls each when the cache is cold) run side by side, once per widget.
        looked = {
            ident: self.io.submit(self.catalog.get, ident) for ident in sorted({a.rule.widget_id for a, _ in won})
        }
        for alert, _ in won:
            try:
                widget, dashboard_filters = looked[alert.rule.widget_id].result()
                where = filters.parse(alert.rule.where_text) if alert.rule.where_text else None
                keys = []
                for span in measure.fetch_spans(alert.rule, widget, now):
                    node = measure.span_filter(widget, dashboard_filters, where, span)
                    key = filters.canonical(node)
                    groups.setdefault(key, (node, set()))[1].add(widget.id)
                    keys.append(key)
                plans[alert.id] = (widget, keys)
            except Exception as exc:  # a widget gone (404) or Cekura down while looking it up
                if isinstance(exc, NotFound):
                    self.catalog.forget(alert.rule.widget_id)
                outcome[alert.id] = exc
        futures: dict[str, Future[list[WidgetData]]] = {
            key: self.io.submit(self.cekura.bulk_data, sorted(ids), node) for key, (node, ids) in groups.items()
        }
        result.fetches += len(futures)
        fetched: dict[str, list[WidgetData] | BaseException] = {}
        for key, future in futures.items():
            try:
                fetched[key] = future.result()
            except Exception as exc:
                fetched[key] = exc
        for alert_id, (widget, keys) in plans.items():
            datas: list[WidgetData] = []
            for key in keys:
                got = fetched[key]
                if isinstance(got, BaseException):
                    outcome[alert_id] = got
                    break
                datas.append(next((d for d in got if d.widget_id == widget.id), WidgetData(widget_id=widget.id)))
            else:
                outcome[alert_id] = (widget, datas)
        return outcome

    def _settle(self, alert: Alert, slot: datetime, now: datetime, outcome: Any, result: TickResult) -> None:
        if isinstance(outcome, BaseException):
            self._failed(alert, slot, outcome, result)
            return
        widget, datas = outcome
        try:
            measure.check_fits(alert.rule, widget, datas[0])  # the widget may have changed shape
            reading = measure.read(alert.rule, widget, datas, now)
        except Exception as exc:
            self._failed(alert, slot, exc, result)  # a Misfit says what no longer fits, and how to write it
            return
        result.readings[alert.id] = reading
        changes: dict[str, Any] = {"failures": 0, "own_failures": 0, "unknown": False, "last_value": reading.value}
        notices: list[tuple[str, dict[str, Any]]] = []
        if alert.unknown:
            notices.append(("recovered", {"at": now.isoformat()}))
        track, event = step(alert.track, reading.breached, reading.value, now, alert.rule)
        changes |= {"status": track.status.value, "breach_since": track.breach_since, "good_since": track.good_since}
        changes["peak"] = track.peak
        payload = {"value": reading.value, "unit": reading.unit, "previous": reading.previous, "at": now.isoformat()}
        payload["snoozed"] = alert.snoozed(now)
        opened: dict[str, Any] | None = None
        incident: dict[str, Any] | None = None
        if event == "fire":
            assert track.breach_since is not None
            opened = {"started_at": track.breach_since, "fired_at": now, "value": reading.value, "peak": track.peak}
            notices.append(("fire", payload | {"since": track.breach_since.isoformat()}))
        elif event == "resolve":
            incident = {"resolved_at": now, "peak": alert.track.peak}
            notices.append(("resolve", payload | {"peak": alert.track.peak}))
        elif track.status is Status.FIRING:
            incident = {"peak": track.peak}
            current = self.store.incident(alert.incident_id)
            due = alert.rule.renotify is not None and current is not None and current.acknowledged_by is None
            if due and current is not None and alert.rule.renotify is not None:
                last = current.last_reminded_at or current.fired_at
                if now - last >= alert.rule.renotify:
                    incident["last_reminded_at"] = now
                    notices.append(("remind", payload))
        if self.store.commit(alert, slot, changes, notices, open_incident=opened, incident=incident):
            result.evaluated.append(alert.id)
        else:
            result.taken.append(alert.id)  # changed meanwhile (edited, or another worker): next slot

    def _failed(self, alert: Alert, slot: datetime, exc: BaseException, result: TickResult) -> None:
        words = error_words(exc, "alert evaluation", log)
        result.readings[alert.id] = words
        failures = alert.failures + 1
        own = alert.own_failures + 1 if isinstance(exc, OWN_FAULTS) else 0
        changes: dict[str, Any] = {"failures": failures, "own_failures": own}
        notices: list[tuple[str, dict[str, Any]]] = []
        if failures >= self.unknown_after and not alert.unknown:
            changes["unknown"] = True
            notices.append(("unknown", {"error": words, "failures": failures}))
        if own >= self.max_failures:
            changes |= {"paused": True, "paused_reason": f"paused itself after {own} failed evaluations: {words}"}
            notices.append(("paused", {"error": words, "failures": own}))
        log.info("alert %s: evaluation failed (%d in a row): %s", alert.id, failures, words)
        if self.store.commit(alert, slot, changes, notices, slot_error=words):
            result.evaluated.append(alert.id)
        else:
            self.store.finish_slot(alert.id, slot, words)
