"""`/cekura dashboard`, `widget`, `dashboards`: parse, answer at once, then post the charts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dashboards import Report
from bot.errors import UserError
from bot.query import QUERY_USAGE, DataQuery, parse_query
from bot.slack_post import ChartFile, PendingUploads
from bot.widget_charts import WidgetView
from handlers import messages
from handlers.router import Invocation, Reply, Subcommand, parse_id

if TYPE_CHECKING:
    from bot.deps import Deps

DASHBOARD_USAGE = f"/cekura dashboard <id> {QUERY_USAGE}"
WIDGET_USAGE = f"/cekura widget <id> {QUERY_USAGE}"


def chart_file(view: WidgetView, png: bytes) -> ChartFile:
    """The PNG of one widget as a file to attach."""
    return ChartFile(f"widget-{view.widget_id}.png", view.title, png)


def post_report(
    deps: Deps, report: Report, channel: str, requester: str, pending: PendingUploads | None = None
) -> str | None:
    """Post a report's charts as one message (more in its thread); returns the message ts if known."""
    return deps.poster.post_charts(
        channel,
        text=messages.chart_fallback_text(report),
        blocks=messages.chart_message(
            report, requester, deps.settings.cekura_app_url, editable=bool(deps.settings.approvers)
        ),
        files=[chart_file(w.view, w.png) for w in report.widgets],
        more_text=lambda first, last: f"{report.title} — charts {first}–{last} of {len(report.widgets)}",
        pending=pending,
    )


def post_dashboard(deps: Deps, dashboard_id: int, query: DataQuery, channel: str, requester: str) -> None:
    """Fetch, draw and post every widget of a dashboard, uploading each chart as soon as it is drawn."""
    pending = deps.poster.pending()
    report = deps.service.dashboard_report(
        dashboard_id, query, on_png=lambda view, png: pending.start(chart_file(view, png))
    )
    post_report(deps, report, channel, requester, pending)


def post_widget(deps: Deps, widget_id: int, query: DataQuery, channel: str, requester: str) -> None:
    """Fetch, draw and post one widget."""
    report = deps.service.widget_report(widget_id, query)
    post_report(deps, report, channel, requester)


def _echo(query: DataQuery) -> str:
    return f" ({query.to_text()})" if not query.is_empty else ""


def dashboard_command(deps: Deps, inv: Invocation) -> Reply:
    """`/cekura dashboard 12 [since 7d] [where …]`."""
    dashboard_id, rest = parse_id(inv.args, "dashboard", DASHBOARD_USAGE)
    query = _query(rest, deps, DASHBOARD_USAGE)
    return Reply(
        f":hourglass_flowing_sand: Fetching dashboard {dashboard_id}{_echo(query)}…",
        work=lambda: post_dashboard(deps, dashboard_id, query, inv.channel_id, inv.user_id),
    )


def widget_command(deps: Deps, inv: Invocation) -> Reply:
    """`/cekura widget 34 [since 7d] [where …]`."""
    widget_id, rest = parse_id(inv.args, "widget", WIDGET_USAGE)
    query = _query(rest, deps, WIDGET_USAGE)
    return Reply(
        f":hourglass_flowing_sand: Fetching widget {widget_id}{_echo(query)}…",
        work=lambda: post_widget(deps, widget_id, query, inv.channel_id, inv.user_id),
    )


def _query(text: str, deps: Deps, usage: str) -> DataQuery:
    try:
        return parse_query(text, deps.clock())
    except UserError as exc:
        exc.usage = exc.usage or usage
        raise


def dashboards_command(deps: Deps, inv: Invocation) -> Reply:
    """`/cekura dashboards`: the dashboards this key can see (ephemeral)."""
    if inv.args.strip():
        raise UserError("`dashboards` takes nothing after it.", usage="/cekura dashboards")

    def work() -> None:
        found = deps.service.list_dashboards()
        inv.respond(text=f"{len(found)} dashboards", blocks=messages.dashboards_list(found), response_type="ephemeral")

    return Reply(":mag: Looking up your dashboards…", work=work)


COMMANDS = [
    Subcommand(
        "dashboard",
        "<id> [since 7d | last 24h] [where <filter>]",
        "post a chart of every widget of a dashboard to this channel",
        dashboard_command,
        aliases=("dash", "d"),
        examples=("dashboard 12", "dashboard 12 since 24h where duration >= 60 and success = true"),
    ),
    Subcommand(
        "widget",
        "<id> [since 7d | last 24h] [where <filter>]",
        "post the chart of one widget to this channel",
        widget_command,
        aliases=("w",),
        examples=("widget 34 last 7d",),
    ),
    Subcommand("dashboards", "", "list the dashboards you can post (only you see it)", dashboards_command),
]
