"""The main job: fetch a dashboard's (or one widget's) data from Cekura and draw every chart.

    report = service.dashboard_report(12, DataQuery(range=(7, "d")))

Fetches for widgets with equal filters share one bulk_data call, and the calls run side by side;
the charts are drawn in the render pool. One widget failing (Cekura refusing its filter, bad data,
a render error) never sinks the others: it is named in `report.failures`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.cekura import CekuraClient
from bot.cekura_models import Dashboard, DashboardSummary, Widget, WidgetData
from bot.deadlines import carry
from bot.errors import BotError, new_reference
from bot.plan import FetchGroup, WidgetPlan, group_plans, plan_widgets, scope_words
from bot.query import DataQuery
from bot.render_pool import RenderPool
from bot.widget_charts import WidgetView, data_window, to_view

log = logging.getLogger(__name__)
OnPng = Callable[[WidgetView, bytes], None]


@dataclass(frozen=True)
class RenderedWidget:
    """A widget's chart and key figure, with its PNG."""

    view: WidgetView
    png: bytes


@dataclass(frozen=True)
class Report:
    """Everything a chart message shows, ready for the Block Kit builders and the uploader."""

    title: str
    scope: str
    query: DataQuery
    dashboard_id: int | None
    widget_id: int | None = None
    widgets: list[RenderedWidget] = field(default_factory=list)
    failures: list[tuple[str, str]] = field(default_factory=list)
    widget_count: int = 0
    # The data each widget was drawn from, for callers that compare periods (digests).
    data: dict[int, WidgetData] = field(default_factory=dict)


class DashboardService:
    """Builds chart reports from Cekura data."""

    def __init__(
        self,
        cekura: CekuraClient,
        renderer: RenderPool,
        io: Executor,
        *,
        tz: str = "UTC",
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.cekura = cekura
        self.renderer = renderer
        self.io = io
        self.tz = tz
        self.clock = clock

    def list_dashboards(self) -> list[DashboardSummary]:
        """Every dashboard the API key can see."""
        return self.cekura.list_dashboards()

    def dashboard_report(
        self, dashboard_id: int, query: DataQuery, *, tz: str | None = None, on_png: OnPng | None = None
    ) -> Report:
        """Charts of every widget of a dashboard; `on_png` sees each chart as soon as it is drawn."""
        dashboard = self.cekura.get_dashboard(dashboard_id)
        return self._report(dashboard, dashboard.widgets, query, tz or self.tz, None, on_png)

    def widget_report(
        self, widget_id: int, query: DataQuery, *, tz: str | None = None, on_png: OnPng | None = None
    ) -> Report:
        """The chart of one widget, with its dashboard's filters applied."""
        widget = self.cekura.get_widget(widget_id)
        if widget.dashboard is not None:
            dashboard = self.cekura.get_dashboard(widget.dashboard)
        else:
            dashboard = Dashboard(id=0, name=None)
        return self._report(dashboard, [widget], query, tz or self.tz, widget_id, on_png)

    def _report(
        self,
        dashboard: Dashboard,
        widgets: Sequence[Widget],
        query: DataQuery,
        tz: str,
        widget_id: int | None,
        on_png: OnPng | None,
    ) -> Report:
        now = self.clock()
        plans = plan_widgets(dashboard, widgets, query, now)
        data, failures = self._fetch(plans)
        views: list[WidgetView] = []
        for plan in plans:
            if plan.widget.id not in data:
                continue
            try:
                window = data_window(plan.filters, now)
                views.append(to_view(plan.widget, data[plan.widget.id], stamp=plan.stamp, tz=tz, window=window))
            except Exception:
                failures.append((plan.widget.title, self._unreadable(plan.widget)))
        rendered: list[RenderedWidget] = []
        early = (lambda i, png: on_png(views[i], png)) if on_png is not None else None
        pngs = self.renderer.render_all([v.chart for v in views], early)
        for view, png in zip(views, pngs, strict=True):
            if isinstance(png, bytes):
                rendered.append(RenderedWidget(view, png))
            else:
                log.error("widget %s failed to render", view.widget_id, exc_info=png)
                failures.append((view.title, f"the chart could not be drawn (reference `{new_reference()}`)"))
        title = widgets[0].title if widget_id is not None and widgets else dashboard.title
        defaulted = any(p.defaulted for p in plans)
        return Report(
            title=title,
            scope=scope_words(dashboard, query, now, defaulted=defaulted),
            query=query,
            dashboard_id=dashboard.id or None,
            widget_id=widget_id,
            widgets=rendered,
            failures=failures,
            widget_count=len(widgets),
            data=data,
        )

    def _fetch(self, plans: Sequence[WidgetPlan]) -> tuple[dict[int, WidgetData], list[tuple[str, str]]]:
        """Widget data by widget id, one bulk_data call per group, all groups at once."""
        titles = {p.widget.id: p.widget.title for p in plans}
        groups = group_plans(plans)
        # The calls run on I/O threads but share the command's deadline: none may outlive it.
        outcomes = list(self.io.map(carry(self._fetch_group), groups))
        data: dict[int, WidgetData] = {}
        failures: list[tuple[str, str]] = []
        errors = [o for o in outcomes if isinstance(o, BotError)]
        if groups and len(errors) == len(groups):
            raise errors[0]  # nothing at all could be fetched: the user gets Cekura's one answer
        for group, outcome in zip(groups, outcomes, strict=True):
            if isinstance(outcome, BotError):
                failures.extend((titles[i], str(outcome)) for i in group.widget_ids)
                continue
            for item in outcome:
                if item.widget_id in titles:
                    data[item.widget_id] = item
            failures.extend((titles[i], "Cekura returned no data for it") for i in group.widget_ids if i not in data)
        return data, failures

    def _fetch_group(self, group: FetchGroup) -> list[WidgetData] | BotError:
        try:
            # Ask for every widget in one page; `next` is still followed if Cekura caps the size.
            ids = list(group.widget_ids)
            return self.cekura.bulk_data(ids, group.filters, page_size=len(ids))
        except BotError as exc:
            return exc

    @staticmethod
    def _unreadable(widget: Widget) -> str:
        # Cekura's data for it has a shape the chart code cannot use (a string for a number, …).
        reference = new_reference()
        log.exception("widget %s: could not read its data (reference %s)", widget.id, reference)
        return f"Cekura sent data I could not read for it (reference `{reference}`)"
