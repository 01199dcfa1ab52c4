"""The chat filter language: text such as `duration >= 60 and success = true` ↔ Cekura's filter JSON.

    parse("duration >= 60 and success = true")
        == {"operator": "and", "conditions": [{"field": "duration", "op": "gte", "value": 60},
                                              {"field": "success", "op": "eq", "value": True}]}
    to_text(parse(text)) == text     # for text in canonical form; parse(to_text(node)) == node always
    describe(parse("timestamp >= now-7d"))  == "last 7 days"

Operators: `= != > >= < <=` (also `==`, `≥ ≤ ≠`), `contains`, `startswith`, `endswith`,
`in (a, b)`, `is null`, `is not null`, `matches "regex"`; `and` binds tighter than `or`;
parentheses nest; `same_row(…)` groups metric_evaluations conditions. Bad text raises
`bot.errors.FilterSyntaxError` with a message that points at the offending word.
"""

from __future__ import annotations

from bot.errors import FilterSyntaxError
from bot.filters.combine import and_all, canonical, lower_bound, split_time_range
from bot.filters.describe import describe
from bot.filters.fields import FIELD_NAMES, FilterJSON
from bot.filters.lexer import FILTER_USAGE
from bot.filters.parser import MAX_DEPTH, parse
from bot.filters.printer import show, simplify, to_text

__all__ = [
    "FIELD_NAMES",
    "FILTER_USAGE",
    "MAX_DEPTH",
    "FilterJSON",
    "FilterSyntaxError",
    "and_all",
    "canonical",
    "describe",
    "lower_bound",
    "parse",
    "show",
    "simplify",
    "split_time_range",
    "to_text",
]
