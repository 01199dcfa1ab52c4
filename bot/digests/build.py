"""What one digest shows: its period's charts and figures, and how they changed since the period before.

    period = period_for(subscription, slot, now)
    digest = builder.build(dashboard_id, where, "Europe/Berlin", period, now)

Periods are absolute (`timestamp gte <iso>` and `lt <iso>`), so a digest sent late still reports on
the period it stands for. The previous period (same length, just before) is fetched alongside, for
the figures only — it is never drawn. Cekura refuses lower bounds older than 30 days, so when the
previous period would start before that, the digest says "no comparison" instead of failing.
"""

from __future__ import annotations

import logging
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot import filters
from bot.cekura import CekuraClient
from bot.cekura_models import Dashboard, FilterJSON, WidgetData
from bot.dashboards import DashboardService, Report
from bot.digests.compare import compare_periods, data_hash
from bot.digests.store import Subscription
from bot.errors import BotError
from bot.plan import FetchGroup, group_plans, plan_widgets
from bot.query import DataQuery
from bot.reldate import duration_words
from charts.spec import EmptyChart

log = logging.getLogger(__name__)
# Cekura's limit is 30 days back from *its* now; keep a margin for clocks that differ a little.
MAX_BACK = timedelta(days=30) - timedelta(minutes=5)


def iso(moment: datetime) -> str:
    """`2025-06-02T07:00:00Z`: the absolute form Cekura's timestamp filters accept."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class Period:
    """The half-open interval [start, end) a digest reports on."""

    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        """How long the period is."""
        return self.end - self.start

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - self.length, self.start)

    def as_range(self) -> tuple[int, str]:
        """The length as a `since` range (`24h`, `7d`, `90m`), for the Refresh buttons."""
        minutes = max(1, round(self.length.total_seconds() / 60))
        if minutes % (24 * 60) == 0:
            return minutes // (24 * 60), "d"
        if minutes % 60 == 0:
            return minutes // 60, "h"
        return minutes, "m"

    def words(self) -> str:
        """'24 hours', '7 days', '90 minutes'."""
        amount, unit = self.as_range()
        return duration_words(amount, unit)


def period_for(sub: Subscription, slot: datetime, now: datetime) -> Period:
    """The period the digest of `slot` reports on, cut to what Cekura still has at `now`."""
    start = max(sub.period_start(slot), now - MAX_BACK)
    return Period(min(start, slot - timedelta(minutes=1)), slot)


@dataclass(frozen=True)
class PeriodQuery(DataQuery):
    """A DataQuery whose range is an absolute period rather than `now-…`."""

    period: Period | None = None

    def range_condition(self) -> FilterJSON | None:
        """`timestamp gte <start> and timestamp lt <end>`."""
        if self.period is None:
            return super().range_condition()
        return {
            "operator": "and",
            "conditions": [
                {"field": "timestamp", "op": "gte", "value": iso(self.period.start)},
                {"field": "timestamp", "op": "lt", "value": iso(self.period.end)},
            ],
        }


def period_query(period: Period, where: FilterJSON | None) -> PeriodQuery:
    """The query for `period` with the subscription's conditions."""
    return PeriodQuery(range=period.as_range(), where=where, period=period)


@dataclass(frozen=True)
class Digest:
    """A rendered digest, shared by every subscription of its fan-out group."""

    report: Report
    period: Period
    tz: str
    filter_words: str
    changes: dict[int, str] = field(default_factory=dict)
    no_comparison: str | None = None  # why the figures are not compared, when they are not
    empty: bool = False
    data_hash: str = ""


class DigestBuilder:
    """Fetches and draws digests; the previous period is fetched on `side` while the charts are drawn."""

    def __init__(self, service: DashboardService, cekura: CekuraClient, io: Executor, side: Executor) -> None:
        self._service = service
        self._cekura = cekura
        self._io = io
        self._side = side

    def build(self, dashboard_id: int, where: FilterJSON | None, tz: str, period: Period, now: datetime) -> Digest:
        """Fetch and draw the period, compare with the one before; raises BotError when nothing could be fetched."""
        before = period.previous()
        comparable = now - before.start <= MAX_BACK
        side = self._side.submit(self._previous, dashboard_id, where, before if comparable else None, now)
        report = self._service.dashboard_report(dashboard_id, period_query(period, where), tz=tz)
        try:
            dashboard, previous = side.result()
        except Exception as exc:  # the comparison is a bonus: never lose the digest over it
            if not isinstance(exc, BotError):
                log.exception("digest of dashboard %s: the previous period failed", dashboard_id)
            dashboard, previous = None, None
            note: str | None = f"no comparison: the previous {period.words()} could not be fetched"
        else:
            note = None if comparable else f"no comparison: the previous {period.words()} are older than Cekura keeps"
        changes: dict[int, str] = {}
        if dashboard is not None and previous is not None:
            widgets = {widget.id: widget for widget in dashboard.widgets}
            changes = compare_periods(widgets, report.data, previous)
        saved = filters.split_time_range(dashboard.filters)[1] if dashboard is not None else None
        words = filters.describe(filters.and_all(saved, where)) if dashboard is not None else report.scope
        empty = not report.failures and all(isinstance(w.view.chart, EmptyChart) for w in report.widgets)
        return Digest(report, period, tz, words, changes, note, empty, data_hash(report.data))

    def _previous(
        self, dashboard_id: int, where: FilterJSON | None, period: Period | None, now: datetime
    ) -> tuple[Dashboard, dict[int, WidgetData] | None]:
        dashboard = self._cekura.get_dashboard(dashboard_id)
        if period is None:
            return dashboard, None
        groups = group_plans(plan_widgets(dashboard, dashboard.widgets, period_query(period, where), now))
        found: dict[int, WidgetData] = {}
        for items in self._io.map(self._fetch, groups):
            found.update({item.widget_id: item for item in items if item.widget_id is not None})
        return dashboard, found

    def _fetch(self, group: FetchGroup) -> list[WidgetData]:
        ids = list(group.widget_ids)
        return self._cekura.bulk_data(ids, group.filters, page_size=len(ids))
