"""The alert rule language: `widget 32 when latest < 90 % for 15m every 5m where … notify @oncall renotify 1h`.

    rule = parse_rule('widget 32 when share of "error" > 5 % for 10m')
    rule.text  ==  'widget 32 when share of "error" > 5 % for 10m'   # canonical, stored, re-parsed on load

Parsing is pure: nothing here knows the widget. Whether the measure fits the chart type and the
threshold's unit fits the plotted values is checked against the widget in `measure.check_fits`.
Every mistake raises a UserError that says what was wrong and shows a correct example.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Literal

from bot import filters
from bot.errors import UserError

Kind = Literal["latest", "share", "window", "change", "nodata"]
USAGE = (
    "/cekura alert add widget <id> when <measure> <op> <threshold> [for 15m] [every 5m] [where …] "
    "[notify @oncall] [renotify 1h]"
)
MEASURE_HELP = (
    'Measures: `latest`, `share of "label"` (pies), `avg|sum|min|max|count over 1h`, '
    "`avg over 1h rises by 20 %` / `drops by 10 pts`, or `no data for 30m`."
)
OPS = {"<": "lt", "<=": "lte", ">": "gt", ">=": "gte", "=": "eq", "!=": "ne"}
AGGREGATIONS = ("avg", "sum", "min", "max", "count")
MIN_EVERY = timedelta(minutes=1)
MAX_WINDOW = timedelta(days=15)  # the window and the one before it must fit Cekura's 30 days
_OPTION_WORDS = ("for", "every", "where", "notify", "renotify")
_DURATION = re.compile(r"^(\d+)\s*(s|sec|secs|m|min|mins|h|hr|hrs|d|w)$", re.IGNORECASE)
_UNIT_SECONDS = {"s": 1, "sec": 1, "secs": 1, "m": 60, "min": 60, "mins": 60, "h": 3600, "hr": 3600}
_UNIT_SECONDS |= {"hrs": 3600, "d": 86400, "w": 604800}
_NUMBER = re.compile(r"^([-+]?\d+(?:\.\d+)?)\s*(%|pts?|ms|s|k|mn)?$", re.IGNORECASE)
_MENTION = re.compile(r"^<(@[UW][A-Z0-9_]+|!subteam\^S[A-Z0-9_]+)(?:\|[^>]*)?>$|^@[\w.\-]+$|^[UWS][A-Z0-9_]{6,}$")


@dataclass(frozen=True)
class Threshold:
    """A number as the user wrote it: `value` in `unit` (`%`, `pts`, `s`, `ms` or ``)."""

    value: float
    unit: str = ""

    @property
    def text(self) -> str:
        """`90 %`, `1500 ms`, `1200`."""
        number = f"{self.value:.6f}".rstrip("0").rstrip(".")  # never `1e+06`: the text must parse back
        return f"{number} {self.unit}" if self.unit else number


@dataclass(frozen=True)
class Rule:
    """A parsed rule; `text` is its canonical form (what is stored)."""

    widget_id: int
    kind: Kind
    op: str = "lt"  # a key of Cekura's op names: lt lte gt gte eq ne
    threshold: Threshold = Threshold(0)
    aggregation: str | None = None  # window and change measures
    window: timedelta | None = None  # window, change, nodata and (optionally) share
    label: str | None = None  # share of "label"
    direction: Literal["rises", "drops"] | None = None  # change measures
    for_: timedelta = timedelta(0)
    every: timedelta = timedelta(minutes=5)
    where_text: str | None = None
    notify: tuple[str, ...] = ()
    renotify: timedelta | None = None

    @property
    def measure_text(self) -> str:
        """The measure as typed: `latest`, `avg over 1h`, `share of "error" over 24h`."""
        if self.kind == "latest":
            return "latest"
        if self.kind == "share":
            over = f" over {duration_text(self.window)}" if self.window else ""
            return f'share of "{self.label}"{over}'
        if self.kind == "nodata":
            return f"no data for {duration_text(self.window)}"
        return f"{self.aggregation} over {duration_text(self.window)}"

    @property
    def condition_text(self) -> str:
        """The whole `when` part."""
        if self.kind == "nodata":
            return self.measure_text
        if self.kind == "change":
            return f"{self.measure_text} {self.direction} by {self.threshold.text}"
        symbol = next(s for s, name in OPS.items() if name == self.op)
        return f"{self.measure_text} {symbol} {self.threshold.text}"

    @property
    def options_text(self) -> str:
        """The options, canonical order, defaults left out."""
        parts = []
        if self.for_:
            parts.append(f"for {duration_text(self.for_)}")
        if self.every != timedelta(minutes=5):
            parts.append(f"every {duration_text(self.every)}")
        if self.where_text:
            parts.append(f"where {self.where_text}")
        if self.notify:
            parts.append("notify " + " ".join(self.notify))
        if self.renotify:
            parts.append(f"renotify {duration_text(self.renotify)}")
        return " ".join(parts)

    @property
    def text(self) -> str:
        """The canonical rule text, which parses back to this rule."""
        return f"widget {self.widget_id} when {self.condition_text} {self.options_text}".strip()


def duration_text(value: timedelta | None) -> str:
    """`30m`, `1h`, `2d` (the largest unit that divides it)."""
    seconds = int(value.total_seconds()) if value else 0
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def parse_duration(text: str, what: str) -> timedelta:
    """`15m`, `1h`, `30 min` → timedelta; a UserError naming `what` otherwise."""
    match = _DURATION.match(text.strip())
    if match is None or int(match.group(1)) <= 0:
        raise UserError(f"`{what} {text}` needs a duration such as `5m`, `1h` or `1d`.", usage=USAGE)
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()])


def parse_threshold(text: str) -> Threshold:
    """`90 %`, `2 s`, `1500 ms`, `1.2k` → Threshold (k and mn multiply; the rest are units)."""
    match = _NUMBER.match(text.strip())
    if match is None:
        raise UserError(
            f'"{text}" is not a threshold. Give a number, with a unit where the chart shows one: '
            "`90 %`, `2 s`, `1500 ms`, `1.2k`.",
            usage=USAGE,
        )
    value, unit = float(match.group(1)), (match.group(2) or "").lower()
    if unit == "k":
        return Threshold(value * 1000)
    if unit == "mn":
        return Threshold(value * 1_000_000)
    return Threshold(value, "pts" if unit.startswith("pt") else unit)


def _split_words(text: str) -> list[str]:
    """Words, with double-quoted strings kept whole (quotes included)."""
    return re.findall(r'"[^"]*"|\S+', text)


def _options(words: list[str]) -> tuple[list[str], dict[str, list[str]]]:
    """The condition words, and each option's words (a `where` runs to the next option word)."""
    condition: list[str] = []
    options: dict[str, list[str]] = {}
    current: list[str] | None = None
    for word in words:
        lowered = word.lower()
        # `no data for 30m`: that `for` belongs to the condition.
        is_nodata_for = lowered == "for" and [w.lower() for w in condition[-2:]] == ["no", "data"] and current is None
        if lowered in _OPTION_WORDS and not is_nodata_for:
            if lowered in options:
                raise UserError(f"`{lowered}` is given twice.", usage=USAGE)
            current = options[lowered] = []
            continue
        (condition if current is None else current).append(word)
    return condition, options


def parse_rule(text: str) -> Rule:
    """Parse `widget <id> when <condition> [options]`."""
    words = _split_words(text)
    if len(words) < 2 or words[0].lower() != "widget":
        raise UserError("Start with the widget to watch: `widget <id> when …`.", usage=USAGE)
    ident = words[1].lstrip("#")
    if not ident.isdigit() or int(ident) <= 0 or len(ident) > 12:
        raise UserError(f'"{words[1]}" is not a widget id: ids are whole numbers, e.g. 32.', usage=USAGE)
    if len(words) < 3 or words[2].lower() != "when":
        raise UserError(f"Say when to alert: `widget {ident} when latest < 90 %`.", usage=USAGE)
    condition, options = _options(words[3:])
    rule = _condition(int(ident), condition)
    return _with_options(rule, options)


def _condition(widget_id: int, original: list[str]) -> Rule:
    words = [w.lower() for w in original]  # keywords in any case; the slice label as typed
    if not words:
        raise UserError("The condition is missing after `when`. " + MEASURE_HELP, usage=USAGE)
    if words[:3] == ["no", "data", "for"]:
        if len(words) != 4:
            raise UserError("Write `no data for 30m` (a duration after `for`, nothing else).", usage=USAGE)
        return Rule(widget_id, "nodata", window=_window(words[3], "no data for"))
    rest: list[str]
    if words[0] == "latest":
        rule, rest = Rule(widget_id, "latest"), words[1:]
    elif words[:2] == ["share", "of"] and len(words) > 2:
        label = original[2].strip('"')
        rule, rest = Rule(widget_id, "share", label=label), words[3:]
        if rest[:1] == ["over"] and len(rest) > 1:
            rule, rest = replace(rule, window=_window(rest[1], "over")), rest[2:]
    elif words[0] in AGGREGATIONS and words[1:2] == ["over"] and len(words) > 2:
        rule, rest = Rule(widget_id, "window", aggregation=words[0], window=_window(words[2], "over")), words[3:]
    else:
        raise UserError(f'I don\'t know the measure "{" ".join(words[:3])}". ' + MEASURE_HELP, usage=USAGE)
    if rest[:1] in (["rises"], ["drops"]):
        if rule.kind != "window":
            raise UserError("`rises by` / `drops by` compare windows: `avg over 1h rises by 20 %`.", usage=USAGE)
        if rest[1:2] != ["by"] or len(rest) < 3:
            raise UserError(f"Write `{rest[0]} by 20 %` or `{rest[0]} by 10 pts`.", usage=USAGE)
        threshold = parse_threshold(" ".join(rest[2:]))
        if threshold.unit not in ("%", "pts") or threshold.value <= 0:
            raise UserError(
                f"`{rest[0]} by` needs a positive change in `%` (relative) or `pts` (points): `{rest[0]} by 20 %`.",
                usage=USAGE,
            )
        return replace(rule, kind="change", direction=rest[0], threshold=threshold)  # type: ignore[arg-type]
    if not rest or rest[0] not in OPS:
        raise UserError(
            f"After `{rule.measure_text}` give an operator (`< <= > >= = !=`) and a threshold, e.g. "
            f"`{rule.measure_text} < 90 %`.",
            usage=USAGE,
        )
    if len(rest) < 2:
        raise UserError(f"`{rule.measure_text} {rest[0]}` needs a threshold: a number such as `90 %`.", usage=USAGE)
    return replace(rule, op=OPS[rest[0]], threshold=parse_threshold(" ".join(rest[1:])))


def _window(text: str, what: str) -> timedelta:
    window = parse_duration(text, what)
    if window < MIN_EVERY or window > MAX_WINDOW:
        raise UserError(f"`{what} {text}`: windows run from 1m to 15d.", usage=USAGE)
    return window


def _with_options(rule: Rule, options: dict[str, list[str]]) -> Rule:
    for word, values in options.items():
        if not values:
            raise UserError(f"`{word}` needs a value after it.", usage=USAGE)
        joined = " ".join(values)
        if word == "for":
            rule = replace(rule, for_=parse_duration(joined, "for"))
        elif word == "every":
            every = parse_duration(joined, "every")
            if every < MIN_EVERY:
                raise UserError(f"`every {joined}` is too often: alerts are evaluated at most every 1m.", usage=USAGE)
            rule = replace(rule, every=every)
        elif word == "renotify":
            rule = replace(rule, renotify=parse_duration(joined, "renotify"))
        elif word == "where":
            node = filters.parse(joined)  # FilterSyntaxError (a UserError) points at the bad word
            if filters.lower_bound(node) is not None:
                raise UserError("Leave `timestamp` out of `where`: the measure's window sets the range.", usage=USAGE)
            rule = replace(rule, where_text=filters.to_text(node))
        else:
            bad = [v for v in values if not _MENTION.match(v)]
            if bad:
                raise UserError(f"`notify` takes @people and @groups, not `{bad[0]}`.", usage=USAGE)
            rule = replace(rule, notify=tuple(dict.fromkeys(values)))
    return rule
