"""The options of `digest add` and `digest edit`, parsed and checked before anything is stored.

    parse_options("dashboard 12 weekdays 09:00 Europe/Berlin since 24h skip-if-empty", now)

Words may come in any order; `where` takes the rest of the text (option words at its very end
still count as options, so `where success = false skip-if-empty` works). For `edit`, the `no-…`
words switch an option off or go back to the default (`no-since`: the time since the previous digest).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from bot import filters
from bot.digests.schedule import KINDS, Schedule, take_schedule
from bot.digests.store import UNSET, _Unset, check_schedule
from bot.digests.zones import parse_zone
from bot.errors import UserError
from bot.query import FILTER_HELP, RANGE_WORDS, parse_range
from handlers.router import is_number

ADD_USAGE = (
    "/cekura digest add dashboard <id> daily 09:00 | weekdays 09:00 | weekly mon 09:00 | hourly | "
    'cron "0 9 * * 1-5" [Europe/Berlin] [since 24h] [where <filter>] [skip-if-empty] [only-if-changed]'
)
EDIT_USAGE = (
    "/cekura digest edit <id> [dashboard <id>] [<schedule>] [<time zone>] [since 24h | no-since] "
    "[where <filter> | no-where] [skip-if-empty | no-skip-if-empty] [only-if-changed | no-only-if-changed]"
)
FLAGS = {
    "skip-if-empty": ("skip_if_empty", True),
    "no-skip-if-empty": ("skip_if_empty", False),
    "only-if-changed": ("only_if_changed", True),
    "no-only-if-changed": ("only_if_changed", False),
}
_WORD = re.compile(r"\S+")
_DURATION = re.compile(r"\s*(\d+\s*[A-Za-z]+)")
_DASHBOARD_WORDS = ("dashboard", "dash", "d")
_ZONE_WORDS = ("in", "tz", "zone")


@dataclass(frozen=True)
class DigestOptions:
    """What a command asks for; UNSET means "not mentioned" (keep it, or the default)."""

    dashboard_id: int | None = None
    schedule: Schedule | None = None
    tz: str | None = None
    since: str | None | _Unset = UNSET
    where_text: str | None | _Unset = UNSET
    skip_if_empty: bool | _Unset = UNSET
    only_if_changed: bool | _Unset = UNSET

    @property
    def is_empty(self) -> bool:
        """True when nothing at all was asked for."""
        return self == DigestOptions()


def _flag(word: str) -> str:
    return word.lower().replace("_", "-")


def parse_options(text: str, now: datetime, *, usage: str = ADD_USAGE) -> DigestOptions:
    """Every option in `text`; raises UserError (with `usage`) on the first word that does not fit."""
    found: dict[str, object] = {}
    rest = text.strip()
    while rest:
        word = rest.split(None, 1)[0]
        lowered, after = word.lower(), rest[len(word) :]
        if lowered in _DASHBOARD_WORDS or (is_number(lowered.lstrip("#")) and "dashboard_id" not in found):
            found["dashboard_id"], rest = _dashboard(word, after, usage)
        elif lowered in KINDS or lowered == "weekday":
            schedule, rest = take_schedule(rest)
            check_schedule(schedule)  # too long for its column: refused in the ack, not after it
            found["schedule"] = schedule
        elif lowered in RANGE_WORDS:
            found["since"], rest = _since(word, after, now, usage)
        elif lowered == "where":
            found["where_text"], flags = _where(after)
            found.update(flags)
            rest = ""
        elif _flag(word) in FLAGS:
            name, value = FLAGS[_flag(word)]
            found[name], rest = value, after
        elif lowered in ("no-since", "no-where"):
            found["since" if lowered == "no-since" else "where_text"], rest = None, after
        elif lowered in _ZONE_WORDS and after.strip():
            zone = after.split(None, 1)[0]
            found["tz"], rest = parse_zone(zone), after.strip()[len(zone) :]
        elif "/" in word or lowered in ("utc", "gmt"):
            found["tz"], rest = parse_zone(word), after
        else:
            raise UserError(f"I don't understand `{word}` here.", usage=usage)
        rest = rest.strip()
    return DigestOptions(**found)  # type: ignore[arg-type]


def _dashboard(word: str, after: str, usage: str) -> tuple[int, str]:
    if word.lower() in _DASHBOARD_WORDS:
        parts = after.split(None, 1)
        word, after = (parts[0], parts[1] if len(parts) > 1 else "") if parts else ("", "")
    ident = word.lstrip("#")
    if not is_number(ident) or len(ident) > 12 or int(ident) == 0:
        raise UserError(f'"{word}" is not a dashboard id: ids are whole numbers, e.g. 12.', usage=usage)
    return int(ident), after


def _since(word: str, after: str, now: datetime, usage: str) -> tuple[str, str]:
    match = _DURATION.match(after)
    if match is None:
        raise UserError(f"`{word}` needs a duration after it, e.g. `since 24h` or `since 7d`.", usage=usage)
    amount, unit = parse_range(match.group(1), now)
    return f"{amount}{unit}", after[match.end() :]


def _where(text: str) -> tuple[str, dict[str, object]]:
    words = list(_WORD.finditer(text))
    flags: dict[str, object] = {}
    while words and _flag(words[-1].group()) in FLAGS:
        name, value = FLAGS[_flag(words.pop().group())]
        flags[name] = value
    body = text[: words[-1].end()].strip() if words else ""
    if not body:
        raise UserError(f"`where` needs conditions after it. {FILTER_HELP}")
    node = filters.parse(body)
    if filters.split_time_range(node)[0]:
        raise UserError("A digest's period comes from its schedule (or `since`), so leave `timestamp` out of `where`.")
    return filters.to_text(node), flags


def check_complete(options: DigestOptions) -> tuple[int, Schedule]:
    """The dashboard and schedule `digest add` cannot do without; a UserError naming what is missing."""
    if options.dashboard_id is None:
        raise UserError("Which dashboard? e.g. `/cekura digest add dashboard 12 daily 09:00`.", usage=ADD_USAGE)
    if options.schedule is None:
        raise UserError(
            "When should it be sent? Add a schedule, e.g. `daily 09:00` or `weekdays 08:30`.", usage=ADD_USAGE
        )
    return options.dashboard_id, options.schedule
