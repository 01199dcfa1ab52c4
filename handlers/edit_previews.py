"""The preview under an edit request: the widget as it is next to the widget as proposed."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from bot import filters
from bot.cekura_models import Widget
from bot.edits import EditRequest
from bot.edits.changes import apply_changes
from bot.errors import BotError
from bot.query import DataQuery
from bot.slack.text import md
from bot.slack.upload import ChartFile
from bot.widget_charts import data_window, to_view
from handlers import blocks as bk

if TYPE_CHECKING:
    from bot.deps import Deps

log = logging.getLogger(__name__)


def preview_pngs(deps: Deps, request: EditRequest) -> list[ChartFile]:
    """Two charts, current and proposed, from Cekura's data and preview_data endpoints."""
    current = deps.service.widget_report(request.object_id, DataQuery())
    config = deps.editing.preview_config(request)
    assert config is not None
    after = Widget.model_validate({**apply_changes(request.base_snapshot, request.changes), "id": request.object_id})
    data = deps.cekura.preview_data(config)
    now = deps.clock()
    # Cekura applies the dashboard's filters to preview data too, so its range is part of what is drawn.
    saved = deps.cekura.get_dashboard(request.dashboard_id).filters if request.dashboard_id else None
    node = filters.and_all(saved, config.get("filters") or None)
    stamp = filters.describe(node, now)
    # The range asked for, as the dashboard charts get it: gaps filled, the current period marked partial.
    window = data_window(node, now)
    view = to_view(after, data, stamp=f"proposed · {stamp}", tz=deps.settings.timezone, window=window)
    (proposed,) = deps.renderer.render_all([view.chart])
    if not isinstance(proposed, bytes):
        raise proposed
    files = [ChartFile(f"{request.id}-proposed.png", f"Proposed: {after.title}", proposed, alt=view.description)]
    if current.widgets:
        now_view = current.widgets[0]
        chart = ChartFile(
            f"{request.id}-current.png", f"Now: {current.title}", now_view.png, alt=now_view.view.description
        )
        files.insert(0, chart)
    return files


def post_preview(deps: Deps, request: EditRequest, channel: str, thread_ts: str) -> None:
    """Post the preview in the request's thread; a preview that fails is named, never blocking."""
    if request.kind != "widget":
        return
    try:
        files = preview_pngs(deps, request)
    except BotError as exc:
        deps.poster.post_message(
            channel,
            text=md("Preview unavailable"),
            thread_ts=thread_ts,
            blocks=[bk.context(md(":warning: Preview unavailable: {why}", why=str(exc)))],
        )
        return
    except Exception:
        log.exception("preview of %s failed", request.id)
        deps.poster.post_message(
            channel,
            text=md("Preview unavailable"),
            thread_ts=thread_ts,
            blocks=[bk.context(md(":warning: Preview unavailable (see the bot's log)."))],
        )
        return
    deps.poster.post_charts(
        channel,
        text=md("Preview of *{id}*: {order}.", id=request.id, order=_order(files)),
        files=files,
        thread_ts=thread_ts,
        blocks=[],  # the words go as the files' comment, so the message has text for notifications
    )


def _order(files: list[ChartFile]) -> str:
    return (
        "now (first) and as proposed (second)"
        if len(files) == 2
        else "as proposed (the current chart could not be drawn)"
    )
