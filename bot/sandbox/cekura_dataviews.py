"""The Cekura sandbox's three chart-data endpoints: `bulk_data`, `…/{id}/data/` and `preview_data`.

They share the rules that make the real endpoints awkward: the effective filter must carry a
`gt`/`gte` bound on `timestamp` no more than 30 days back, and an override `filters` REPLACES both
the dashboard's and the widget's filters (the adversarial reading of cekura-api.md §6.4), while a
preview is still ANDed with its dashboard's filters. A test may have a widget serve rows of its own
instead of the computed ones (`set_data`).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.sandbox.cekura_data import Record
from bot.sandbox.cekura_eval import DataEngine
from bot.sandbox.cekura_filters import time_window
from bot.sandbox.cekura_http import BadRequest, and_filters, lookup
from bot.sandbox.cekura_state import SandboxState
from bot.sandbox.cekura_validate import filter_problems, timestamp_problem, widget_errors

Job = tuple[Record, Record | None]
"""A widget config and the effective filter to compute it under."""

_PREVIEW_KEYS = ("dashboard", "name", "field", "chart_type", "filters", "metric", "time_period")


class ChartData:
    """Validates data requests against the live state and computes them with the engine."""

    def __init__(self, state: SandboxState, engine: DataEngine) -> None:
        self._state = state
        self._engine = engine
        self._data: dict[int, Any] = {}  # widget id → chart `data` served instead of the computed one
        self._windowed: set[int] = set()  # widgets whose served rows are cut to the request's time range

    def compute(self, job: Job, now: datetime) -> dict[str, Any]:
        """The WidgetDataResponse of one validated job."""
        return self._engine.widget_data(job[0], job[1], now)

    def set_data(self, widget_id: int, data: Any, *, windowed: bool = False) -> None:
        """Serve `data` (rows, or a callable(now) returning rows) as the widget's chart data; None undoes it."""
        self._windowed.discard(widget_id)
        if data is None:
            self._data.pop(widget_id, None)
        else:
            self._data[widget_id] = data
            if windowed:
                self._windowed.add(widget_id)

    def clear_data(self) -> None:
        """Every widget back to its computed data."""
        self._data.clear()
        self._windowed.clear()

    def served(self, job: Job, now: datetime) -> dict[str, Any]:
        """The WidgetDataResponse of one validated job, with the rows a test set in place of the computed ones."""
        result = self.compute(job, now)
        ident = int(result.get("widget_id") or 0)
        override = self._data.get(ident)
        if override is None:
            return result
        rows = override(now) if callable(override) else override
        if ident in self._windowed:
            start, end = time_window(job[1], now)
            rows = [r for r in rows if _in_window(r.get("timestamp") or r.get("time_interval"), start, end)]
        return {**result, "data": rows}

    def bulk_jobs(self, body: Record, now: datetime) -> list[Job]:
        """The validated jobs of a `bulk_data` body, in the order of `widget_ids`."""
        widget_ids = body.get("widget_ids")
        if widget_ids is None:
            raise BadRequest({"widget_ids": ["This field is required."]})
        if not isinstance(widget_ids, list):
            kind = type(widget_ids).__name__
            raise BadRequest({"widget_ids": [f'Expected a list of items but got type "{kind}".']})
        if not widget_ids:
            raise BadRequest({"widget_ids": ["This list may not be empty."]})
        override = override_filter(body.get("filters"))
        widgets = self._state.widgets
        with self._state.lock:
            missing = [ident for ident in widget_ids if isinstance(ident, bool) or ident not in widgets]
            if missing:
                messages = [f'Invalid pk "{ident}" - object does not exist.' for ident in missing]
                raise BadRequest({"widget_ids": messages})
            jobs = [(dict(widgets[ident]), override or self._state.effective(widgets[ident])) for ident in widget_ids]
        # Every widget is checked, not only the requested page, so all pages fail or succeed alike.
        for _, effective in jobs:
            check_time(effective, now)
        return jobs

    def widget_job(self, ident: int, raw_filters: str, now: datetime) -> Job:
        """The validated job of `GET …/widgets/{id}/data/?filters=<JSON>`."""
        try:
            parsed = json.loads(raw_filters) if raw_filters else None
        except ValueError as exc:
            raise BadRequest({"filters": ["Enter a valid JSON."]}) from exc
        override = override_filter(parsed)
        with self._state.lock:
            widget = dict(lookup(self._state.widgets, ident))
            effective = override or self._state.effective(widget)
        check_time(effective, now)
        return widget, effective

    def preview_job(self, body: Record, now: datetime) -> Job:
        """The validated job of a `preview_data` body (an unsaved widget; `widget_id` is null)."""
        config: Record = {key: body.get(key) for key in (*_PREVIEW_KEYS, "aggregation_function", "group_by")}
        config["id"] = None
        with self._state.lock:
            errors = widget_errors(config, self._state.dashboards)
            if errors:
                raise BadRequest(dict(errors))
            stored = lookup(self._state.dashboards, int(config["dashboard"])).get("filters")
        # The older spec let a preview bring its own dashboard filters; honour them when sent.
        dashboard_filters = body.get("dashboard_filters", stored)
        problems = filter_problems(dashboard_filters)
        if problems:
            raise BadRequest({"dashboard_filters": problems})
        effective = and_filters(dashboard_filters, config.get("filters"))
        check_time(effective, now)
        return config, effective


def override_filter(node: Any) -> Record | None:
    """A validated override filter, or None when the request has none (`null` or `{}`)."""
    if node is None:
        return None
    if not isinstance(node, dict):
        kind = type(node).__name__
        raise BadRequest({"filters": [f'Expected a dictionary of items but got type "{kind}".']})
    problems = filter_problems(node)
    if problems:
        raise BadRequest({"filters": problems})
    return node or None


def check_time(effective: Record | None, now: datetime) -> None:
    """Raise the 400 Cekura answers when the timestamp bound is missing or too far back."""
    problem = timestamp_problem(effective, now)
    if problem is not None:
        raise BadRequest({"detail": problem})


def _in_window(moment: Any, start: datetime | None, end: datetime | None) -> bool:
    """Whether an ISO time lies in [start, end) (an open end is no bound)."""
    if not isinstance(moment, str):
        return False
    at = datetime.fromisoformat(moment.replace("Z", "+00:00"))
    return (start is None or at >= start) and (end is None or at < end)
