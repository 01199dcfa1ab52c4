"""`/cekura dashboard`, `widget`, `dashboards`: parse, answer at once, then post the charts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.dashboards import Report
from bot.errors import UserError
from bot.query import QUERY_USAGE, DataQuery, parse_query
from bot.slack.text import Mrkdwn, md
from bot.slack.upload import ChartFile, PendingUploads
from bot.widget_charts import WidgetView
from handlers import messages
from handlers.router import Invocation, Reply, Subcommand, parse_id

if TYPE_CHECKING:
    from bot.deps import Deps

DASHBOARD_USAGE = f"/cekura dashboard <id> {QUERY_USAGE}"
WIDGET_USAGE = f"/cekura widget <id> {QUERY_USAGE}"


def chart_file(view: WidgetView, png: bytes) -> ChartFile:
    """The PNG of one widget as a file to attach."""
    return ChartFile(f"widget-{view.widget_id}.png", view.title, png, alt=view.description)


def post_report(
    deps: Deps, report: Report, channel: str, requester: str, pending: PendingUploads | None = None
) -> str | None:
    """Post a report's charts as one message (more in its thread); returns the message ts if known."""
    shown = messages.chart_layout(report, requester, deps.settings.cekura_app_url, bool(deps.settings.approvers))
    return deps.poster.post_charts(
        channel,
        text=messages.chart_fallback_text(report),
        blocks=shown.blocks,
        files=[chart_file(w.view, w.png) for w in shown.widgets],
        more_text=lambda first, last: messages.thread_comment(report, shown, first, last),
        pending=pending,
    )


def post_dashboard(deps: Deps, dashboard_id: int, query: DataQuery, channel: str, requester: str) -> None:
    """Fetch, draw and post every widget of a dashboard, uploading each chart as soon as it is drawn."""
    pending = deps.poster.pending()
    report = deps.service.dashboard_report(
        dashboard_id, query, on_png=lambda view, png: None if view.is_empty else pending.start(chart_file(view, png))
    )
    post_report(deps, report, channel, requester, pending)


def post_widget(deps: Deps, widget_id: int, query: DataQuery, channel: str, requester: str) -> None:
    """Fetch, draw and post one widget."""
    report = deps.service.widget_report(widget_id, query)
    post_report(deps, report, channel, requester)


def _echo(query: DataQuery) -> Mrkdwn:
    return md(" ({query})", query=query.to_text()) if not query.is_empty else md("")


def dashboard_command(deps: Deps, inv: Invocation) -> Reply:
    """`/cekura dashboard 12 [since 7d] [where …]`."""
    dashboard_id, rest = parse_id(inv.args, "dashboard", DASHBOARD_USAGE)
    query = _query(rest, deps, DASHBOARD_USAGE)
    return Reply(
        md(":hourglass_flowing_sand: Fetching dashboard {id}{echo}…", id=dashboard_id, echo=_echo(query)),
        work=lambda: post_dashboard(deps, dashboard_id, query, inv.channel_id, inv.user_id),
    )


def widget_command(deps: Deps, inv: Invocation) -> Reply:
    """`/cekura widget 34 [since 7d] [where …]`."""
    widget_id, rest = parse_id(inv.args, "widget", WIDGET_USAGE)
    query = _query(rest, deps, WIDGET_USAGE)
    return Reply(
        md(":hourglass_flowing_sand: Fetching widget {id}{echo}…", id=widget_id, echo=_echo(query)),
        work=lambda: post_widget(deps, widget_id, query, inv.channel_id, inv.user_id),
    )


def _query(text: str, deps: Deps, usage: str) -> DataQuery:
    try:
        return parse_query(text, deps.clock(), tz=deps.settings.timezone)
    except UserError as exc:
        exc.usage = exc.usage or usage
        raise


def dashboards_command(deps: Deps, inv: Invocation) -> Reply:
    """`/cekura dashboards`: the dashboards this key can see (ephemeral)."""
    if inv.args.strip():
        raise UserError("`dashboards` takes nothing after it.", usage="/cekura dashboards")

    def work() -> None:
        found = deps.service.list_dashboards()
        for page in messages.dashboards_pages(found):
            inv.respond(text=md("{n} dashboards", n=len(found)), blocks=page, response_type="ephemeral")

    return Reply(":mag: Looking up your dashboards…", work=work)


COMMANDS = [
    Subcommand(
        "dashboard",
        f"<id> {QUERY_USAGE}",
        "post a chart of every widget of a dashboard to this channel",
        dashboard_command,
        aliases=("dash", "d"),
        examples=("dashboard 12", "dashboard 12 since 24h where duration >= 60 and success = true"),
    ),
    Subcommand(
        "widget",
        f"<id> {QUERY_USAGE}",
        "post the chart of one widget to this channel",
        widget_command,
        aliases=("w",),
        examples=("widget 34 last 7d",),
    ),
    Subcommand("dashboards", "", "list the dashboards you can post (only you see it)", dashboards_command),
]
