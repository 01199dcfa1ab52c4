"""Typed models of Cekura's dashboards API responses, validated at the client boundary.

They accept unknown fields (Cekura adds fields over time) and nulls where the API documents or
might send them, so a new server version never breaks the bot.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

FilterJSON = dict[str, Any]
"""A Cekura filter node: a leaf `{field, op, value}` or a group `{operator, conditions}`."""

CHART_TYPES = ("line", "bar", "pie", "stat")
TIME_PERIODS = ("hour", "day", "week", "month")
AGGREGATIONS = ("count", "sum", "avg", "min", "max", "p50", "p95", "p99")
DATA_TYPES = ("numeric", "boolean", "string", "datetime", "dynamic")


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Widget(_Model):
    """A dashboard widget: what it plots and how."""

    id: int
    dashboard: int | None = None
    name: str | None = None
    filters: FilterJSON | None = None
    effective_filters: FilterJSON | None = None
    chart_type: str = "line"
    data_type: str | None = None
    field: str | None = ""
    metric: int | None = None
    metric_name: str | None = None
    time_period: str | None = None
    aggregation_function: str | None = None
    group_by: Any = None
    metadata: Any = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("filters", "effective_filters", mode="before")
    @classmethod
    def _empty_filter_is_none(cls, value: Any) -> Any:
        return value or None

    @property
    def title(self) -> str:
        """The widget's name, or a readable stand-in when it has none."""
        if self.name:
            return self.name
        subject = self.metric_name or self.field or "calls"
        return f"{self.chart_type} of {subject}"


class Dashboard(_Model):
    """A dashboard with its widgets (the retrieve/patch shape)."""

    id: int
    name: str | None = None
    project: int | None = None
    filters: FilterJSON | None = None
    widgets: list[Widget] = Field(default_factory=list)
    widget_count: int | str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @field_validator("filters", mode="before")
    @classmethod
    def _empty_filter_is_none(cls, value: Any) -> Any:
        return value or None

    @property
    def title(self) -> str:
        """The dashboard's name, or `Dashboard <id>`."""
        return self.name or f"Dashboard {self.id}"


class DashboardSummary(_Model):
    """A dashboard as the list endpoint returns it: no widgets, only their count."""

    id: int
    name: str | None = None
    project: int | None = None
    widget_count: int | str | None = None

    @property
    def count(self) -> int | None:
        """The widget count as a number (the spec types it as a string)."""
        try:
            return int(self.widget_count) if self.widget_count is not None else None
        except ValueError:
            return None


class WidgetDataMeta(_Model):
    """What Cekura says about the plotted field."""

    display_name: str | None = None
    data_type: str | None = None
    filter_value: Any = None


class WidgetData(_Model):
    """Chart data for one widget; `data` is a list of points, or an object for `stat`."""

    widget_id: int | None = None
    field_name: str | None = None
    chart_type: str = "line"
    data: list[dict[str, Any]] | dict[str, Any] | None = None
    aggregation_function: str | None = None
    time_period: str | None = None
    group_by: Any = None
    can_group_by: bool = False
    metadata: WidgetDataMeta | None = None


class Page(_Model):
    """One page of a DRF-paginated list."""

    count: int = 0
    next: str | None = None
    previous: str | None = None
    results: list[dict[str, Any]] = Field(default_factory=list)


class BulkWidgetsResult(_Model):
    """What `bulk_widgets` did."""

    created: list[Widget] = Field(default_factory=list)
    updated: list[Widget] = Field(default_factory=list)
    deleted: list[int] = Field(default_factory=list)
    errors: list[Any] = Field(default_factory=list)
