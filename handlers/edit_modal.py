"""The edit-widget modal (prefilled with the widget as it is) and the reject-reason modal. Pure."""

from __future__ import annotations

import json
from typing import Any

from bot import filters
from bot.cekura_models import AGGREGATIONS, CHART_TYPES, TIME_PERIODS, Widget
from bot.errors import FilterSyntaxError, UserError
from bot.slack.text import clip_mrkdwn, md
from handlers import blocks as bk
from handlers.ids import EditBlocks, EditViews

NONE = "none"
VALUE = "value"
FORM_KEYS = ("name", "chart_type", "field", "metric", "aggregation_function", "time_period", "filters")


def _text(
    label: str, block_id: str, initial: str, *, multiline: bool = False, optional: bool = True, hint: str | None = None
) -> bk.SlackBlock:
    element: bk.SlackBlock = {"type": "plain_text_input", "action_id": VALUE, "multiline": multiline}
    if initial:
        element["initial_value"] = initial[:3000]
    block: bk.SlackBlock = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _option(value: str) -> bk.SlackBlock:
    return {"text": {"type": "plain_text", "text": value}, "value": value}


def _select(label: str, block_id: str, choices: tuple[str, ...], initial: str | None, *, none: bool) -> bk.SlackBlock:
    options = ([_option(NONE)] if none else []) + [_option(c) for c in choices]
    element: bk.SlackBlock = {"type": "static_select", "action_id": VALUE, "options": options}
    chosen = initial if initial in choices else (NONE if none else None)
    if chosen:
        element["initial_option"] = _option(chosen)
    return {
        "type": "input",
        "block_id": block_id,
        "optional": none,
        "label": {"type": "plain_text", "text": label},
        "element": element,
    }


def loading_modal(title: str = "Edit widget") -> bk.SlackBlock:
    """Shown at once (trigger ids die after 3 s), replaced by the form when the widget is read."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title[:24]},
        "blocks": [bk.section(md(":hourglass_flowing_sand: Reading the widget from Cekura…"))],
    }


def problem_modal(exc: BaseException) -> bk.SlackBlock:
    """The loading modal turned into why the form cannot be shown (the error's words escaped)."""
    return {**loading_modal(), "blocks": [bk.section(md(":warning: {why}", why=str(exc)))]}


def form_values(widget: Widget) -> dict[str, Any]:
    """The widget's editable fields as the form shows them."""
    return {
        "name": widget.name or "",
        "chart_type": widget.chart_type,
        "field": widget.field or "",
        "metric": "" if widget.metric is None else str(widget.metric),
        "aggregation_function": widget.aggregation_function or NONE,
        "time_period": widget.time_period or NONE,
        "filters": filters.show(widget.filters),
    }


def widget_modal(widget: Widget, channel: str) -> bk.SlackBlock:
    """The edit form, prefilled; `private_metadata` remembers the widget and what the form showed."""
    shown = form_values(widget)
    return {
        "type": "modal",
        "callback_id": EditViews.WIDGET_FORM,
        "private_metadata": metadata(widget, channel),
        "title": {"type": "plain_text", "text": f"Edit widget {widget.id}"[:24]},
        "submit": {"type": "plain_text", "text": "Propose"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            bk.context(md("Nothing changes until an approver approves your proposal.")),
            _text("Name", EditBlocks.NAME, shown["name"]),
            _select("Chart type", EditBlocks.CHART, CHART_TYPES, shown["chart_type"], none=False),
            _text(
                "Field",
                EditBlocks.FIELD,
                shown["field"],
                hint="e.g. duration, success, call_ended_reason, metadata.region",
            ),
            _text(
                "Metric id",
                EditBlocks.METRIC,
                shown["metric"],
                hint="needed when the field is metric_evaluations.value",
            ),
            _select("Aggregation", EditBlocks.AGGREGATION, AGGREGATIONS, shown["aggregation_function"], none=True),
            _select("Period", EditBlocks.PERIOD, TIME_PERIODS, shown["time_period"], none=True),
            _text(
                "Filters",
                EditBlocks.FILTERS,
                shown["filters"],
                multiline=True,
                hint="e.g. duration >= 60 and success = true — leave empty for no filters",
            ),
        ],
    }


def read_form(values: dict[str, Any]) -> dict[str, str]:
    """The submitted form as plain strings keyed like `form_values`."""

    def get(block: str) -> str:
        # A crafted submission may put anything anywhere: a missing or odd-shaped field reads as empty.
        inputs = values.get(block)
        element = inputs.get(VALUE) if isinstance(inputs, dict) else None
        if not isinstance(element, dict):
            return ""
        if element.get("type") == "static_select":
            option = element.get("selected_option")
            return str((option.get("value") if isinstance(option, dict) else None) or NONE)
        return str(element.get("value") or "").strip()

    return {
        "name": get(EditBlocks.NAME),
        "chart_type": get(EditBlocks.CHART),
        "field": get(EditBlocks.FIELD),
        "metric": get(EditBlocks.METRIC),
        "aggregation_function": get(EditBlocks.AGGREGATION),
        "time_period": get(EditBlocks.PERIOD),
        "filters": get(EditBlocks.FILTERS),
    }


def read_reason(values: dict[str, Any]) -> str:
    """The reason typed in the reject modal ('' if none, or if the submission is odd-shaped)."""
    inputs = values.get(EditBlocks.REASON)
    element = inputs.get(VALUE) if isinstance(inputs, dict) else None
    return str(element.get("value") or "") if isinstance(element, dict) else ""


def reject_modal(request_id: str) -> bk.SlackBlock:
    """Asks for an optional reason before rejecting."""
    return {
        "type": "modal",
        "callback_id": EditViews.REJECT_FORM,
        "private_metadata": request_id,
        "title": {"type": "plain_text", "text": f"Reject {request_id}"[:24]},
        "submit": {"type": "plain_text", "text": "Reject"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [_text("Reason (optional)", EditBlocks.REASON, "", multiline=True)],
    }


def metadata(widget: Widget, channel: str) -> str:
    """private_metadata: the widget, the channel, and what the form showed (to diff against)."""
    full = json.dumps({"w": widget.id, "c": channel, "s": form_values(widget)}, separators=(",", ":"))
    return full if len(full) <= 3000 else json.dumps({"w": widget.id, "c": channel}, separators=(",", ":"))


def read_metadata(text: str) -> tuple[int, str, dict[str, str] | None]:
    """(widget id, channel, what the form showed or None) from `metadata`; UserError if damaged."""
    try:
        meta = json.loads(text)
        widget_id, channel = int(meta["w"]), str(meta["c"])
    except (ValueError, KeyError, TypeError, RecursionError):
        raise UserError(
            "This form is damaged or from an older version of the bot. "
            "Close it and run `/cekura edit widget <id>` again."
        ) from None
    shown = meta.get("s")
    complete = (
        isinstance(shown, dict)
        and all(isinstance(shown.get(key), str) for key in FORM_KEYS)
        and (shown["metric"] == "" or (shown["metric"].isascii() and shown["metric"].isdigit()))
    )
    return widget_id, channel, dict(shown) if complete else None


def notice_modal(text: str, title: str = "Edit widget") -> bk.SlackBlock:
    """A modal that only says `text` (replaces a form that cannot be used)."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": title[:24]},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [bk.section(clip_mrkdwn(md(":warning: {text}", text=text), 3000))],
    }


def form_changes(shown: dict[str, str], submitted: dict[str, str]) -> tuple[dict[str, Any], dict[str, str]]:
    """The Cekura changes the form asks for, and per-block errors for invalid entries."""
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, new in submitted.items():
        if new == shown.get(key, ""):
            continue
        if key == "filters":
            try:
                changes["filters"] = filters.parse(new) if new else {}
            except FilterSyntaxError as exc:  # shown on the field: one plain line, no code block
                errors[EditBlocks.FILTERS] = str(exc).splitlines()[0][:150]
        elif key == "metric":
            if new and not new.isdigit():
                errors[EditBlocks.METRIC] = "A metric id is a whole number, e.g. 101."
            else:
                changes["metric"] = int(new) if new else None
        elif key in ("aggregation_function", "time_period"):
            changes[key] = None if new == NONE else new
        elif key == "name" and not new:
            errors[EditBlocks.NAME] = "Give the widget a name."
        else:
            changes[key] = new
    return changes, errors
