"""Delivering owed alert notifications: claim outbox rows, post them through the notifier, settle them.

    evaluator.deliver(result)     # after each tick: this worker's notices and dead workers' stale ones

Alerts are delivered side by side on the io pool; one alert's notices go out in order. A notice
whose post uploads charts records their file ids before Slack shares them, so a successor that takes
over a dead worker's claim can ask Slack whether that post landed (the notifier does, on `attempts > 1`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from typing import Protocol

from bot.alerts.measure import Reading
from bot.alerts.store import Alert, AlertStore, Incident, Notice
from bot.errors import SlackDeliveryError, UpstreamError, error_words
from bot.kill_points import kill_point

log = logging.getLogger(__name__)
GONE_CHANNEL = ("is_archived", "channel_not_found")  # Slack's refusals that no retry will change


class AlertNotifier(Protocol):
    """Turns one owed notification into Slack messages; returns the ts of the message it posted."""

    def deliver(
        self, notice: Notice, alert: Alert, incident: Incident | None, on_uploaded: Callable[[list[str]], None]
    ) -> str | None:
        """Post the notification (handlers side); `on_uploaded(file_ids)` before Slack shares any chart."""
        ...


@dataclass
class TickResult:
    """What one tick did."""

    evaluated: list[int] = field(default_factory=list)  # alert ids
    taken: list[int] = field(default_factory=list)  # claimed by another worker
    fetches: int = 0  # bulk_data calls
    sent: list[tuple[int, str]] = field(default_factory=list)  # (alert id, notification kind)
    readings: dict[int, Reading | str] = field(default_factory=dict)  # the value, or why there was none


class NoticeDelivery:
    """The delivering half of `Evaluator`: needs its store, notifier, io pool, worker and max_failures."""

    store: AlertStore
    notifier: AlertNotifier
    io: Executor
    worker: str
    max_failures: int

    def deliver(self, result: TickResult | None = None) -> None:
        """Post every owed notification this worker can claim (its own, and dead workers').

        Alerts are delivered side by side on the io pool; one alert's notices go out in order
        (an UNKNOWN before its recovery, a fire before its reminder).
        """
        by_alert: dict[int, list[Notice]] = {}
        for notice in self.store.claim_notices(self.worker):
            by_alert.setdefault(notice.alert_id, []).append(notice)
        if by_alert:
            kill_point("alert.claimed")
        futures = [self.io.submit(self._deliver_alert, alert_id, notices) for alert_id, notices in by_alert.items()]
        for future in futures:
            try:
                sent = future.result()
            except Exception:  # the store failed: the notices stay claimed and are taken over once stale
                log.exception("alert notifications could not be finished; they are retried")
                continue
            if result is not None:
                result.sent.extend(sent)

    def _deliver_alert(self, alert_id: int, notices: list[Notice]) -> list[tuple[int, str]]:
        """Post one alert's notices in order; (alert id, kind) of each one posted."""
        alert = self.store.get(alert_id)
        if alert is None:
            return []
        sent = []
        for notice in notices:
            try:
                incident = self.store.incident(notice.incident_id)
                ts = self.notifier.deliver(notice, alert, incident, self._recorder(notice))
            except Exception as exc:
                self._undelivered(notice, alert, exc)
                alert = self.store.get(alert_id) or alert  # its failure count (or pause) changed
                continue
            self.store.finish_notice(notice.id, self.worker, ts=ts)
            kill_point("alert.sent")
            sent.append((alert.id, notice.kind))
        return sent

    def _recorder(self, notice: Notice) -> Callable[[list[str]], None]:
        """What runs once a post's charts are uploaded, before Slack shares them: remember their ids."""

        def uploaded(file_ids: list[str]) -> None:
            self.store.record_files(notice, file_ids)
            kill_point("alert.uploaded")

        return uploaded

    def _undelivered(self, notice: Notice, alert: Alert, exc: Exception) -> None:
        words = error_words(exc, "alert notification", log)
        if isinstance(exc, UpstreamError):  # Slack down: the same notice is owed again at the next tick
            self.store.finish_notice(notice.id, self.worker, error=words, retry=True)
            return
        self.store.finish_notice(notice.id, self.worker, error=words)
        log.warning("alert %s: could not post %s: %s", alert.id, notice.kind, words)
        if isinstance(exc, SlackDeliveryError) and notice.kind != "paused":
            own = alert.own_failures + 1
            # An archived or vanished channel will refuse every later post too, and a firing alert
            # owes no further notice that could count up to max_failures: pause now.
            if own >= self.max_failures or exc.code in GONE_CHANNEL:
                reason = f"paused itself: {words}"
                self.store.change(alert.id, own_failures=own, paused=True, paused_reason=reason)
                self.store.add_notice(alert.id, "paused", {"error": words, "failures": own})
            else:
                self.store.change(alert.id, own_failures=own)
