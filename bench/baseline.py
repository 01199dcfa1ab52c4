"""The naive way to post a dashboard, measured side by side with the bot in the same run.

What a first version typically does: one bulk_data call per widget, one after another; a pyplot
figure per chart; each file uploaded with `files_upload_v2`, one after another.
"""

from __future__ import annotations

import time

from slack_sdk import WebClient

from bench.pyplot_baseline import render_pyplot
from bot.cekura import CekuraClient
from bot.deps import utc_now
from bot.plan import plan_widgets
from bot.query import DataQuery
from bot.widget_charts import to_view


def naive_post_dashboard(
    cekura: CekuraClient, slack: WebClient, dashboard_id: int, channel: str, tz: str = "UTC"
) -> float:
    """Post every chart of a dashboard the naive way; returns the seconds it took."""
    started = time.perf_counter()
    dashboard = cekura.get_dashboard(dashboard_id)
    plans = plan_widgets(dashboard, dashboard.widgets, DataQuery(), utc_now())
    for plan in plans:
        (data,) = cekura.bulk_data([plan.widget.id], plan.filters)
        view = to_view(plan.widget, data, stamp=plan.stamp, tz=tz)
        png = render_pyplot(view.chart)
        slack.files_upload_v2(channel=channel, content=png, filename=f"w{plan.widget.id}.png", title=view.title)
    return time.perf_counter() - started
