"""Block Kit builders are pure: whole messages compared with literal snapshots."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.dashboards import RenderedWidget, Report
from bot.edits import EditRequest, State
from bot.query import DataQuery
from bot.widget_charts import WidgetView
from charts.spec import EmptyChart
from handlers.edit_messages import request_message
from handlers.messages import chart_message


def report() -> Report:
    view = WidgetView(34, "Avg <duration>", EmptyChart("Avg <duration>"), "avg 2m 05s · latest day 1m 50s")
    return Report(
        title="Support line",
        scope="last 24 hours · duration ≥ 60 s",
        query=DataQuery(range=(24, "h")),
        dashboard_id=12,
        widgets=[RenderedWidget(view, b"png")],
        failures=[("Why calls ended", "Cekura refused the request: bad filter")],
        widget_count=2,
    )


def test_chart_message_snapshot() -> None:
    assert chart_message(report(), "U1", "https://app.cekura.ai/", editable=True) == [
        {"type": "header", "text": {"type": "plain_text", "text": ":bar_chart: Support line", "emoji": True}},
        {
            "type": "context",
            "elements": [
                {"type": "mrkdwn", "text": "Dashboard 12 · requested by <@U1> · last 24 hours · duration ≥ 60 s"}
            ],
        },
        {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": "• *Avg &lt;duration&gt;* — avg 2m 05s · latest day 1m 50s\n"
                "• :warning: *Why calls ended* — not charted: Cekura refused the request: bad filter",
            },
        },
        {
            "type": "actions",
            "block_id": "chart_actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": "Refresh", "emoji": True},
                 "action_id": "chart_refresh", "value": '{"d":12,"s":"24h"}'},
                {"type": "button", "text": {"type": "plain_text", "text": "Last 24h", "emoji": True},
                 "action_id": "chart_range_24h", "value": '{"d":12,"s":"24h"}'},
                {"type": "button", "text": {"type": "plain_text", "text": "Last 7d", "emoji": True},
                 "action_id": "chart_range_7d", "value": '{"d":12,"s":"7d"}'},
                {"type": "button", "text": {"type": "plain_text", "text": "Last 30d", "emoji": True},
                 "action_id": "chart_range_30d", "value": '{"d":12,"s":"30d"}'},
                {"type": "button", "text": {"type": "plain_text", "text": "Open in Cekura", "emoji": True},
                 "action_id": "chart_open_in_cekura", "url": "https://app.cekura.ai/dashboards/12"},
                {"type": "static_select", "action_id": "edit_widget_pick",
                 "placeholder": {"type": "plain_text", "text": "Edit a widget…"},
                 "options": [{"text": {"type": "plain_text", "text": "Avg <duration>"}, "value": "34"}]},
            ],
        },
    ]  # fmt: skip


def test_pending_request_snapshot() -> None:
    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    request = EditRequest(
        id="ER-7F3K2", kind="widget", object_id=34, dashboard_id=12, requester="U1", channel="C1",
        base_snapshot={"id": 34, "name": "Avg", "chart_type": "bar"}, changes={"chart_type": "line"},
        state=State.PENDING, state_version=1, created_at=at, expires_at=at,
    )  # fmt: skip
    expires = "<!date^1795424400^{date_short_pretty} at {time}|2026-11-23 09:00 UTC>"
    assert request_message(request) == [
        {"type": "header", "text": {"type": "plain_text", "text": ":pencil2: Edit request ER-7F3K2", "emoji": True}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "<@U1> asks to change *widget 34 “Avg”*:"}},
        {"type": "section", "text": {"type": "mrkdwn", "text": "• *chart_type*: `bar` → `line`"}},
        {"type": "context", "elements": [{"type": "mrkdwn",
         "text": f"Nothing changes until an approver approves. Expires {expires}."}]},
        {"type": "actions", "block_id": "edit_actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Approve", "emoji": True},
             "action_id": "edit_approve", "value": "ER-7F3K2", "style": "primary"},
            {"type": "button", "text": {"type": "plain_text", "text": "Reject", "emoji": True},
             "action_id": "edit_reject", "value": "ER-7F3K2", "style": "danger"},
        ]},
    ]  # fmt: skip
