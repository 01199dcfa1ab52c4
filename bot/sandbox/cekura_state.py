"""The Cekura sandbox's in-memory dashboards and widgets, and every change made to them.

Records are stored in their writable JSON shape; read-only members (`widgets`, `widget_count`,
`effective_filters`, `metric_name`) are computed when serialising. All mutation happens under
one lock, and `bulk` validates the whole batch before touching anything, like the real
endpoint's single transaction.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from copy import deepcopy
from datetime import UTC, datetime
from typing import Any

from bot.sandbox.cekura_calls import METRICS
from bot.sandbox.cekura_data import Record, seed_state
from bot.sandbox.cekura_eval import plot_type
from bot.sandbox.cekura_http import BadRequest, and_filters, lookup
from bot.sandbox.cekura_validate import Errors, dashboard_errors, widget_errors

WIDGET_WRITABLE = (
    "dashboard",
    "name",
    "filters",
    "chart_type",
    "data_type",
    "field",
    "metric",
    "time_period",
    "aggregation_function",
    "group_by",
    "metadata",
)
DASHBOARD_WRITABLE = ("name", "project", "filters")
_NEW_WIDGET: Record = {key: None for key in WIDGET_WRITABLE} | {"field": ""}
FIRST_NEW_WIDGET_ID = 1000


def stamp(moment: datetime) -> str:
    """A DRF-style date-time string: `2026-11-23T09:00:00.000000Z`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class SandboxState:
    """Dashboards and widgets keyed by id; `clock` stamps `updated_at` on every change."""

    def __init__(self, created_at: str, clock: Callable[[], datetime]) -> None:
        self._created_at = created_at
        self._clock = clock
        self.lock = threading.RLock()
        self.dashboards: dict[int, Record] = {}
        self.widgets: dict[int, Record] = {}
        self._next_id = FIRST_NEW_WIDGET_ID
        self.reset()

    def reset(self) -> None:
        """Back to the seeded dashboards and widgets (in place, so references stay valid)."""
        dashboards, widgets = seed_state(self._created_at)
        with self.lock:
            self.dashboards.clear()
            self.dashboards.update(dashboards)
            self.widgets.clear()
            self.widgets.update(widgets)
            self._next_id = FIRST_NEW_WIDGET_ID

    def effective(self, widget: Record) -> Record | None:
        """AND of the widget's dashboard filters and its own filters."""
        dashboard = self.dashboards.get(widget.get("dashboard") or -1) or {}
        return and_filters(dashboard.get("filters"), widget.get("filters"))

    def widget_json(self, widget: Record) -> Record:
        """The API's Widget object (a copy, with the read-only members filled in)."""
        with self.lock:
            metric = METRICS.get(widget.get("metric") or -1)
            return deepcopy(widget) | {
                "effective_filters": deepcopy(self.effective(widget)) or {},
                "metric_name": metric["name"] if metric else None,
            }

    def dashboard_json(self, dashboard: Record, *, nested: bool = True) -> Record:
        """The API's Dashboard object, or the list item (no `widgets`) when `nested` is False."""
        with self.lock:
            own = sorted((w for w in self.widgets.values() if w["dashboard"] == dashboard["id"]), key=_id)
            result = deepcopy(dashboard) | {"widget_count": str(len(own))}
            if nested:
                result["widgets"] = [self.widget_json(widget) for widget in own]
            return result

    def patch_dashboard(self, ident: int, body: Record) -> Record:
        """Apply a PATCH to a dashboard; raises BadRequest with DRF field errors."""
        with self.lock:
            dashboard = lookup(self.dashboards, ident)
            errors = dashboard_errors(body)
            if errors:
                raise BadRequest(dict(errors))
            dashboard.update({key: deepcopy(body[key]) for key in DASHBOARD_WRITABLE if key in body})
            dashboard["updated_at"] = stamp(self._clock())
            return self.dashboard_json(dashboard)

    def patch_widget(self, ident: int, body: Record) -> Record:
        """Apply a PATCH to a widget (validated as the merged config)."""
        with self.lock:
            merged, errors = self._merged(lookup(self.widgets, ident), body)
            if errors:
                raise BadRequest(dict(errors))
            self.widgets[ident] = merged | {"updated_at": stamp(self._clock())}
            return self.widget_json(self.widgets[ident])

    def create_widget(self, body: Record) -> Record:
        """Create a widget from a POST body."""
        with self.lock:
            merged, errors = self._merged(_NEW_WIDGET, body)
            if errors:
                raise BadRequest(dict(errors))
            return self.widget_json(self._insert(merged))

    def delete_widget(self, ident: int) -> None:
        """Remove a widget."""
        with self.lock:
            lookup(self.widgets, ident)
            del self.widgets[ident]

    def bulk(self, dashboard_id: int, body: Record) -> Record:
        """Create, update and delete a dashboard's widgets all-or-nothing; raises with `{"errors": […]}`."""
        with self.lock:
            problems: list[Record] = []
            batches = {}
            for operation in ("create", "update", "delete"):
                batch = body.get(operation) or []
                if not isinstance(batch, list):
                    kind = type(batch).__name__
                    message = f'Expected a list of items but got type "{kind}".'
                    problems.append(_problem(operation, None, None, {operation: [message]}))
                    batch = []
                batches[operation] = batch
            creates = self._plan_creates(dashboard_id, batches["create"], problems)
            updates = self._plan_updates(dashboard_id, batches["update"], problems)
            deletes = self._plan_deletes(dashboard_id, batches["delete"], set(updates), problems)
            if problems:
                raise BadRequest({"errors": problems})
            now = stamp(self._clock())
            created = [self.widget_json(self._insert(config)) for config in creates]
            for ident, config in updates.items():
                self.widgets[ident] = config | {"updated_at": now}
            for ident in deletes:
                del self.widgets[ident]
            self.dashboards[dashboard_id]["updated_at"] = now
            updated = [self.widget_json(self.widgets[ident]) for ident in updates]
            return {"created": created, "updated": updated, "deleted": deletes, "errors": []}

    def _plan_creates(self, dashboard_id: int, batch: list[Any], problems: list[Record]) -> list[Record]:
        planned = []
        for index, item in enumerate(batch):
            if not isinstance(item, dict):
                problems.append(_problem("create", index, None, _not_a_dict(item)))
                continue
            config, errors = self._merged(_NEW_WIDGET, {"dashboard": dashboard_id} | item)
            if not errors and config["dashboard"] != dashboard_id:
                errors = {"dashboard": [f"Widgets created here belong to dashboard {dashboard_id}."]}
            if errors:
                problems.append(_problem("create", index, None, errors))
            planned.append(config)
        return planned

    def _plan_updates(self, dashboard_id: int, batch: list[Any], problems: list[Record]) -> dict[int, Record]:
        planned: dict[int, Record] = {}
        for index, item in enumerate(batch):
            if not isinstance(item, dict):
                problems.append(_problem("update", index, None, _not_a_dict(item)))
                continue
            ident = item.get("id")
            stored = self.widgets.get(ident) if isinstance(ident, int) and not isinstance(ident, bool) else None
            if stored is None or not isinstance(ident, int) or stored["dashboard"] != dashboard_id:
                message = (
                    "This field is required." if ident is None else f"No widget {ident} on dashboard {dashboard_id}."
                )
                problems.append(_problem("update", index, ident, {"id": [message]}))
                continue
            if ident in planned:
                problems.append(_problem("update", index, ident, {"id": ["Widget is updated twice."]}))
                continue
            config, errors = self._merged(stored, item)
            if not errors and config["dashboard"] != dashboard_id:
                errors = {"dashboard": ["bulk_widgets cannot move a widget to another dashboard."]}
            if errors:
                problems.append(_problem("update", index, ident, errors))
            planned[ident] = config
        return planned

    def _plan_deletes(
        self, dashboard_id: int, batch: list[Any], updated: set[int], problems: list[Record]
    ) -> list[int]:
        planned: list[int] = []
        for index, ident in enumerate(batch):
            stored = self.widgets.get(ident) if isinstance(ident, int) and not isinstance(ident, bool) else None
            if stored is None or stored["dashboard"] != dashboard_id:
                message = f"No widget {ident} on dashboard {dashboard_id}."
                problems.append(_problem("delete", index, ident, {"id": [message]}))
            elif ident in updated:
                problems.append(_problem("delete", index, ident, {"id": ["Widget is both updated and deleted."]}))
            elif ident not in planned:
                planned.append(ident)
        return planned

    def _merged(self, stored: Record, body: Record) -> tuple[Record, Errors]:
        merged = deepcopy(stored) | {key: deepcopy(body[key]) for key in WIDGET_WRITABLE if key in body}
        errors = widget_errors(merged, self.dashboards)
        if not errors:
            # Cekura infers data_type from the field; a client-sent value is not trusted.
            merged["data_type"] = plot_type(merged.get("field"))
        return merged, errors

    def _insert(self, config: Record) -> Record:
        now = stamp(self._clock())
        ident = max([self._next_id, *(key + 1 for key in self.widgets)])
        self._next_id = ident + 1
        self.widgets[ident] = config | {"id": ident, "created_at": now, "updated_at": now}
        self.dashboards[config["dashboard"]]["updated_at"] = now
        return self.widgets[ident]


def _id(record: Record) -> int:
    return int(record["id"])


def _problem(operation: str, index: int | None, ident: Any, errors: Errors) -> Record:
    return {"operation": operation, "index": index, "id": ident, "errors": errors}


def _not_a_dict(item: Any) -> Errors:
    return {"non_field_errors": [f"Invalid data. Expected a dictionary, but got {type(item).__name__}."]}
