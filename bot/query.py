"""What a user asks of a dashboard's data from chat: a time range (`since 7d`) and conditions (`where …`).

    parse_query("since 24h where duration >= 60")  ->  DataQuery(range=(24, "h"), where={...})
    parse_query("where duration >= 60 since yesterday", now, tz="Europe/Paris")

A range is a length (`7d`, `24 hours`, `now-3d`) or, after `since`, a day (`today`, `yesterday`,
`monday`…`sunday`: that day's 00:00 in the bot's zone). Cekura refuses data older than 30 days,
so a longer range is refused here with a clear answer.
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
QUERY_USAGE = "[since 7d | last 24h | since monday] [where <filter>]"
RANGE_HINT = (
    "a length such as `since 7d`, `last 24h` or `since 30m` (m = minutes, h = hours, d = days, w = weeks), "
    "or a day such as `since today`, `since yesterday` or `since monday`"
)
_LENGTH = re.compile(r"\s*(?:now-)?(\d+\s*[A-Za-z]+)\s*(.*)$", re.S)
_WORD = re.compile(r"\s*([A-Za-z]+)\b\s*(.*)$", re.S)
_TRAILING_RANGE = re.compile(r"\s(?:since|last|past)\s", re.I)
FILTER_HELP = (
    "Filters look like `duration >= 60 and success = true`; operators `= != > >= < <=`, `contains`, "
    '`startswith`, `endswith`, `in (a, b)`, `is null`, `matches "regex"`; combine with `and`/`or` and parentheses.'
)


@dataclass(frozen=True)
class DataQuery:
    """A range and/or conditions that override what the dashboard shows, for one request."""

    range: tuple[int, str] | None = None
    where: FilterJSON | None = None
    # `since monday`: the word as typed (buttons re-read it later) and the UTC moment it meant now.
    start: tuple[str, datetime] | None = None

    @property
    def is_empty(self) -> bool:
        """True when the request asks for the dashboard as saved."""
        return not self.has_range and self.where is None

    @property
    def has_range(self) -> bool:
        """True when the request replaces the saved range."""
        return self.range is not None or self.start is not None

    @property
    def since_text(self) -> str | None:
        """The range as the user would type it (`7d`, `monday`), for buttons and echoes."""
        if self.start is not None:
            return self.start[0]
        return f"{self.range[0]}{self.range[1]}" if self.range else None

    @property
    def where_text(self) -> str | None:
        """The conditions in filter-language text."""
        return filters.to_text(self.where) if self.where else None

    def range_condition(self) -> FilterJSON | None:
        """The `timestamp gte …` condition for the range, if one was asked for."""
        if self.start is not None:
            return {"field": "timestamp", "op": "gte", "value": self.start[1].isoformat().replace("+00:00", "Z")}
        if self.range is None:
            return None
        return {"field": "timestamp", "op": "gte", "value": f"now-{self.range[0]}{self.range[1]}"}

    def to_text(self) -> str:
        """The query as chat text (`since 7d where …`), parseable by `parse_query`."""
        parts = []
        if self.has_range:
            parts.append(f"since {self.since_text}")
        if self.where:
            parts.append(f"where {self.where_text}")
        return " ".join(parts)


def parse_range(text: str, now: datetime) -> tuple[int, str]:
    """`7d` / `24 hours` → (7, 'd'); refuses ranges over 30 days and malformed text with a clear message."""
    try:
        amount, unit = reldate.parse_duration(text)
    except ValueError:
        raise UserError(f'"{text}" is not a time range. Use {RANGE_HINT}.') from None
    if unit in ("M", "y") or reldate.span(amount, unit, now) > MAX_RANGE:
        raise UserError(
            f"Cekura keeps chart data for at most 30 days, so `{text}` is too far back. "
            "Ask for 30 days or less, e.g. `since 30d`."
        )
    return amount, unit


@dataclass(frozen=True)
class _Range:
    length: tuple[int, str] | None
    start: tuple[str, datetime] | None
    rest: str


def _read_range(word: str, tail: str, now: datetime, tz: str) -> _Range:
    """The range after `since`/`last`/`past` and the text after it; a UserError with an example otherwise."""
    lowered = word.lower()
    length = _LENGTH.match(tail)
    if length is not None:
        return _Range(parse_range(length.group(1), now), None, length.group(2).strip())
    day = _WORD.match(tail)
    if day is not None and lowered == "since":
        moment = reldate.calendar_start(day.group(1), now, tz)
        if moment is not None:
            return _Range(None, (day.group(1).lower(), moment), day.group(2).strip())
    example = (
        "`since 7d`, `since yesterday` or `since monday`"
        if lowered == "since"
        else f"`{lowered} 7d` or `{lowered} 24h`"
    )
    raise UserError(f"`{word}` needs a range after it, e.g. {example}.")


def _split_where(text: str, now: datetime, tz: str) -> tuple[str, str]:
    """`duration >= 60 since 24h` → the filter and the range after it (a range ends the filter)."""
    for found in reversed(list(_TRAILING_RANGE.finditer(text))):
        word, _, tail = text[found.start() :].strip().partition(" ")
        try:
            if not _read_range(word, tail, now, tz).rest:
                return text[: found.start()].strip(), text[found.start() :].strip()
        except UserError:
            continue
    return text, ""


def parse_query(text: str, now: datetime, *, tz: str = "UTC") -> DataQuery:
    """Parse `[since|last <range>] [where <filter>]`, in either order; days are read in zone `tz`."""
    rest = text.strip()
    length: tuple[int, str] | None = None
    start: tuple[str, datetime] | None = None
    where: FilterJSON | None = None
    while rest:
        word, _, tail = rest.partition(" ")
        lowered = word.lower()
        if lowered in RANGE_WORDS:
            found = _read_range(word, tail, now, tz)
            length, start, rest = found.length, found.start, found.rest
        elif lowered == "where":
            if not tail.strip():
                raise UserError(f"`where` needs conditions after it. {FILTER_HELP}")
            condition, rest = _split_where(tail.strip(), now, tz)
            where = filters.parse(condition)
        else:
            raise UserError(
                f'I don\'t understand "{word}" here. After the id you can add a range ({RANGE_HINT}) '
                f"and `where <filter>`. {FILTER_HELP}"
            )
    _check_where_range(where, now)
    return DataQuery(range=length, where=where, start=start)


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


def intersect_range(node: FilterJSON | None, now: datetime) -> FilterJSON | None:
    """`node` with its top-level time range cut to the intersection: the latest lower bound, the earliest upper.

    Cekura ANDs them anyway, so the data is the same; but the words then say the range once
    ("last 3 days", not "last 7 days and last 3 days"). A node with one bound a side is returned as is.
    """
    leaves, rest = filters.split_time_range(node)
    lows = [
        (m, leaf) for leaf in leaves if leaf.get("op") in ("gt", "gte") and (m := reldate.resolve(leaf["value"], now))
    ]
    highs = [
        (m, leaf)
        for leaf in leaves
        if leaf.get("op") in ("lt", "lte") and (m := reldate.resolve(leaf["value"], now, upper=True))
    ]
    if len(lows) <= 1 and len(highs) <= 1:
        return node
    chosen = {id(leaf) for leaf in leaves} - {id(leaf) for _, leaf in lows + highs}
    if lows:
        chosen.add(id(max(lows, key=lambda pair: pair[0])[1]))
    if highs:
        chosen.add(id(min(highs, key=lambda pair: pair[0])[1]))
    kept = [leaf for leaf in leaves if id(leaf) in chosen]
    return filters.and_all(*kept, rest)
