"""What a user asks of a dashboard's data from chat: a time range (`since 7d`) and conditions (`where …`).

    parse_query("since 24h where duration >= 60")  ->  DataQuery(range=(24, "h"), where={...})

Cekura refuses data older than 30 days, so a longer range is refused here with a clear answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import filters, reldate
from bot.cekura_models import FilterJSON
from bot.errors import UserError

MAX_RANGE = timedelta(days=30)
RANGE_WORDS = ("since", "last", "past")
QUERY_USAGE = "[since 7d | last 24h] [where <filter>]"
FILTER_HELP = (
    "Filters look like `duration >= 60 and success = true`; operators `= != > >= < <=`, `contains`, "
    '`startswith`, `endswith`, `in (a, b)`, `is null`, `matches "regex"`; combine with `and`/`or` and parentheses.'
)


@dataclass(frozen=True)
class DataQuery:
    """A range and/or conditions that override what the dashboard shows, for one request."""

    range: tuple[int, str] | None = None
    where: FilterJSON | None = None

    @property
    def is_empty(self) -> bool:
        """True when the request asks for the dashboard as saved."""
        return self.range is None and self.where is None

    @property
    def since_text(self) -> str | None:
        """The range as the user would type it (`7d`), for buttons and echoes."""
        return f"{self.range[0]}{self.range[1]}" if self.range else None

    @property
    def where_text(self) -> str | None:
        """The conditions in filter-language text."""
        return filters.to_text(self.where) if self.where else None

    def range_condition(self) -> FilterJSON | None:
        """The `timestamp gte now-…` condition for the range, if one was asked for."""
        if self.range is None:
            return None
        return {"field": "timestamp", "op": "gte", "value": f"now-{self.range[0]}{self.range[1]}"}

    def to_text(self) -> str:
        """The query as chat text (`since 7d where …`), parseable by `parse_query`."""
        parts = []
        if self.range:
            parts.append(f"since {self.since_text}")
        if self.where:
            parts.append(f"where {self.where_text}")
        return " ".join(parts)


def parse_range(text: str, now: datetime) -> tuple[int, str]:
    """`7d` / `24 hours` → (7, 'd'); refuses ranges over 30 days and malformed text with a clear message."""
    try:
        amount, unit = reldate.parse_duration(text)
    except ValueError:
        raise UserError(
            f'"{text}" is not a time range. Use a number and a unit, e.g. `since 24h`, `last 7d`, '
            "`since 30m` (m = minutes, h = hours, d = days, w = weeks)."
        ) from None
    if unit in ("M", "y") or reldate.span(amount, unit, now) > MAX_RANGE:
        raise UserError(
            f"Cekura keeps chart data for at most 30 days, so `{text}` is too far back. "
            "Ask for 30 days or less, e.g. `since 30d`."
        )
    return amount, unit


def parse_query(text: str, now: datetime) -> DataQuery:
    """Parse `[since|last <range>] [where <filter>]` (either order of the two is accepted for `since`)."""
    rest = text.strip()
    range_: tuple[int, str] | None = None
    where: FilterJSON | None = None
    while rest:
        word, _, tail = rest.partition(" ")
        lowered = word.lower()
        if lowered in RANGE_WORDS:
            match = re.match(r"\s*(\d+\s*[A-Za-z]+)\s*(.*)$", tail, re.S)
            if match is None:
                raise UserError(f"`{word}` needs a range after it, e.g. `{lowered} 7d` or `{lowered} 24h`.")
            range_ = parse_range(match.group(1), now)
            rest = match.group(2).strip()
        elif lowered == "where":
            if not tail.strip():
                raise UserError(f"`where` needs conditions after it. {FILTER_HELP}")
            where = filters.parse(tail.strip())
            rest = ""
        else:
            raise UserError(
                f'I don\'t understand "{word}" here. After the id you can add `since 7d` (or `last 24h`) '
                f"and `where <filter>`. {FILTER_HELP}"
            )
    _check_where_range(where, now)
    return DataQuery(range=range_, where=where)


def _check_where_range(where: FilterJSON | None, now: datetime) -> None:
    bound = filters.lower_bound(where)
    if bound is None:
        return
    moment = reldate.resolve(bound.get("value"), now)
    if moment is not None and now - moment > MAX_RANGE + timedelta(minutes=1):
        raise UserError(
            f"Cekura keeps chart data for at most 30 days, so `timestamp {bound.get('op')} "
            f"{bound.get('value')}` reaches too far back. Use 30 days or less, e.g. `since 30d`."
        )
