"""Buttons under chart messages: Refresh, Last 24h / 7d / 30d (re-post with that range), Open in Cekura."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from slack_bolt import Ack, App, Respond

from bot.errors import UserError
from bot.query import DataQuery, parse_query
from bot.slack.shape import channel_id, first_action, user_id
from handlers import dashboard
from handlers.errors import run_reporting
from handlers.ids import ChartActions

if TYPE_CHECKING:
    from bot.deps import Deps

REPOST_ACTIONS = re.compile(
    "^(" + "|".join(re.escape(a) for a in ChartActions if a is not ChartActions.OPEN_IN_CEKURA) + ")$"
)


def parse_chart_value(value: str, deps: Deps) -> tuple[str, int, DataQuery]:
    """('dashboard'|'widget', id, query) from a chart button's value."""
    try:
        payload = json.loads(value)
        if not isinstance(payload, dict):
            raise TypeError("not an object")
        kind, object_id = ("widget", int(payload["w"])) if "w" in payload else ("dashboard", int(payload["d"]))
    except (ValueError, KeyError, TypeError, RecursionError):
        raise UserError("This button is from an older version of the bot; run the command again.") from None
    text = " ".join(
        part
        for part in (
            f"since {payload['s']}" if payload.get("s") else "",
            f"where {payload['q']}" if payload.get("q") else "",
        )
        if part
    )
    return kind, object_id, parse_query(text, deps.clock(), tz=deps.settings.timezone)


def register(app: App, deps: Deps) -> None:
    """Listen for the chart buttons."""

    @app.action(REPOST_ACTIONS)
    def on_repost(ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        action, channel, user = first_action(body), channel_id(body), user_id(body)

        def work() -> None:
            kind, object_id, query = parse_chart_value(str(action.get("value", "")), deps)
            post = dashboard.post_widget if kind == "widget" else dashboard.post_dashboard
            post(deps, object_id, query, channel, user)

        deps.submit(run_reporting, work, respond, "chart button", what="chart button")
        ack()

    @app.action(ChartActions.OPEN_IN_CEKURA.value)
    def on_open(ack: Ack) -> None:
        # A URL button still sends block_actions; Slack shows an error unless it is acknowledged.
        ack()
