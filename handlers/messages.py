"""Whole Slack messages built from plain data: chart posts, lists, errors, help. No I/O here."""

from __future__ import annotations

import json
from collections.abc import Sequence

from bot.cekura_models import DashboardSummary
from bot.dashboards import Report
from bot.errors import UserError
from handlers import blocks as bk
from handlers.ids import RANGE_BUTTONS, ChartActions, ChartBlocks, EditActions

BUTTON_VALUE_LIMIT = 2000


def chart_value(report: Report, since: str | None) -> str:
    """The button value that re-posts this report, optionally with another range (compact JSON)."""
    payload: dict[str, object] = {"w": report.widget_id} if report.widget_id is not None else {"d": report.dashboard_id}
    if since:
        payload["s"] = since
    if report.query.where_text:
        payload["q"] = report.query.where_text
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


def edit_menu(report: Report) -> bk.SlackBlock:
    """A menu to propose an edit to one of the charted widgets."""
    options = [
        {"text": {"type": "plain_text", "text": bk.clip(w.view.title, 75)}, "value": str(w.view.widget_id)}
        for w in report.widgets[:100]
    ]
    return {
        "type": "static_select",
        "action_id": EditActions.EDIT_WIDGET,
        "placeholder": {"type": "plain_text", "text": "Edit a widget…"},
        "options": options,
    }


def chart_actions(report: Report, app_url: str | None, editable: bool = False) -> bk.SlackBlock | None:
    """Refresh / range / Open in Cekura buttons (and the Edit menu), or None when there is nothing to show."""
    elements: list[bk.SlackBlock] = []
    if report.dashboard_id is not None or report.widget_id is not None:
        refresh = chart_value(report, report.query.since_text)
        if len(refresh.encode()) <= BUTTON_VALUE_LIMIT:
            elements.append(bk.button("Refresh", ChartActions.REFRESH, refresh))
            for action, (label, since) in RANGE_BUTTONS.items():
                elements.append(bk.button(label, action, chart_value(report, since)))
    if app_url and report.dashboard_id is not None:
        url = f"{app_url.rstrip('/')}/dashboards/{report.dashboard_id}"
        elements.append(bk.button("Open in Cekura", ChartActions.OPEN_IN_CEKURA, url=url))
    if editable and report.widgets:
        elements.append(edit_menu(report))
    return bk.actions(elements, block_id=ChartBlocks.ACTIONS) if elements else None


def figure_lines(report: Report) -> list[str]:
    """One line per widget: its name and key figure."""
    lines = [f"• *{bk.escape(w.view.title)}* — {bk.escape(w.view.key_figure)}" for w in report.widgets]
    lines += [f"• :warning: *{bk.escape(title)}* — not charted: {bk.escape(why)}" for title, why in report.failures]
    return lines


def chart_message(report: Report, requester: str, app_url: str | None, editable: bool = False) -> list[bk.SlackBlock]:
    """The message that carries a dashboard's (or widget's) charts."""
    kind = "Widget" if report.widget_id is not None else "Dashboard"
    ident = report.widget_id if report.widget_id is not None else report.dashboard_id
    blocks: list[bk.SlackBlock] = [
        bk.header(f":bar_chart: {report.title}"),
        bk.context(
            f"{kind} {ident} · requested by <@{requester}> · {bk.escape(report.scope)}"
            if ident is not None
            else f"Requested by <@{requester}> · {bk.escape(report.scope)}"
        ),
    ]
    lines = figure_lines(report)
    if lines:
        blocks.extend(bk.sections(lines)[:40])
    else:
        blocks.append(bk.section("_This dashboard has no widgets yet._"))
    if len(report.widgets) > 10:
        blocks.append(
            bk.context(f"Charts 1–10 are attached here; the other {len(report.widgets) - 10} are in the thread.")
        )
    buttons = chart_actions(report, app_url, editable)
    if buttons:
        blocks.append(buttons)
    return blocks


def chart_fallback_text(report: Report) -> str:
    """Notification text for a chart message."""
    return f"{report.title}: {len(report.widgets)} chart(s), {report.scope}"


def dashboards_list(dashboards: Sequence[DashboardSummary]) -> list[bk.SlackBlock]:
    """The dashboards the key can see, as an ephemeral list."""
    if not dashboards:
        return [bk.section("This API key cannot see any dashboard yet. Create one in Cekura first.")]
    lines = [
        f"• `{d.id}` {bk.escape(d.name or 'Untitled')}"
        + (f" — {d.count} widget{'s' if d.count != 1 else ''}" if d.count is not None else "")
        for d in sorted(dashboards, key=lambda d: d.id)
    ]
    blocks = [bk.section(f"*Dashboards you can post* ({len(dashboards)})")]
    blocks += bk.sections(lines)[:45]
    blocks.append(bk.context("Post one with `/cekura dashboard <id>`."))
    return blocks


def user_error(exc: UserError) -> list[bk.SlackBlock]:
    """An ephemeral answer to bad input: what was wrong, then the right usage."""
    out = [bk.section(f":warning: {exc}")]
    if exc.usage and "\n" in exc.usage:
        out.append(bk.section(exc.usage))
    elif exc.usage:
        out.append(bk.context(f"Usage: `{exc.usage}`"))
    return out
