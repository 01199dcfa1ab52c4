"""Every action_id, block_id and callback_id, defined once for builders and listeners alike."""

from __future__ import annotations

from enum import StrEnum


class ChartActions(StrEnum):
    """Buttons under a chart message."""

    REFRESH = "chart_refresh"
    RANGE_24H = "chart_range_24h"
    RANGE_7D = "chart_range_7d"
    RANGE_30D = "chart_range_30d"
    OPEN_IN_CEKURA = "chart_open_in_cekura"


RANGE_BUTTONS: dict[ChartActions, tuple[str, str]] = {
    ChartActions.RANGE_24H: ("Last 24h", "24h"),
    ChartActions.RANGE_7D: ("Last 7d", "7d"),
    ChartActions.RANGE_30D: ("Last 30d", "30d"),
}


class ChartBlocks(StrEnum):
    """Block ids of a chart message."""

    ACTIONS = "chart_actions"


class EditActions(StrEnum):
    """Buttons and menus of the approved-edits flow."""

    APPROVE = "edit_approve"
    REJECT = "edit_reject"
    RETRY = "edit_retry"
    EDIT_WIDGET = "edit_widget_pick"


class EditViews(StrEnum):
    """Callback ids of the edit modals."""

    WIDGET_FORM = "edit_widget_form"
    REJECT_FORM = "edit_reject_form"


class EditBlocks(StrEnum):
    """Block ids of the edit modals' inputs (errors are shown on these)."""

    NAME = "edit_name"
    CHART = "edit_chart_type"
    FIELD = "edit_field"
    METRIC = "edit_metric"
    AGGREGATION = "edit_aggregation"
    PERIOD = "edit_period"
    FILTERS = "edit_filters"
    REASON = "edit_reason"
    ACTIONS = "edit_actions"
