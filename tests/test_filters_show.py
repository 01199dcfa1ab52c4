"""Showing any filter Cekura may hold, and Slack's escaping of slash-command text."""

from __future__ import annotations

from bot import filters
from handlers.commands import unescape_slack

LEAF = {"field": "duration", "op": "gte", "value": 60}


def test_single_and_empty_groups_are_unwrapped_for_display() -> None:
    node = {
        "operator": "and",
        "conditions": [{"operator": "or", "conditions": [LEAF]}, {"operator": "and", "conditions": []}],
    }
    assert filters.simplify(node) == LEAF
    assert filters.show(node) == "duration >= 60"


def test_json_the_language_cannot_say_is_shown_as_json() -> None:
    odd = {"field": "mystery.field", "op": "eq", "value": 1}
    assert filters.show(odd) == '{"field": "mystery.field", "op": "eq", "value": 1}'
    assert filters.show(None) == ""


def test_slack_escaping_is_undone_before_parsing() -> None:
    text = unescape_slack('where duration &gt;= 60 and topic = "A&amp;B" and duration &lt; 900')
    assert filters.parse(text.removeprefix("where ")) == {
        "operator": "and",
        "conditions": [
            LEAF,
            {"field": "topic", "op": "eq", "value": "A&B"},
            {"field": "duration", "op": "lt", "value": 900},
        ],
    }
