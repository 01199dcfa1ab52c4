"""Digest schedules: the text users type, APScheduler triggers, and slot times correct across DST.

    parse_schedule("weekdays 09:00").describe("Europe/Berlin")  # "every weekday at 09:00 Europe/Berlin"

Forms: `daily HH:MM`, `weekdays HH:MM`, `weekly mon HH:MM`, `hourly [:MM]`, `cron "m h dom mon dow"`.
Local times follow the subscription's zone through daylight-saving changes, once per day:
- a time that does not exist (02:30 on a spring-forward night) fires once, an hour later on the
  wall clock (03:30 new time), which is the same instant as 02:30 old time;
- a time that happens twice (01:30 on a fall-back night) fires once, at the first occurrence.
Schedules that run every hour (`hourly`, cron hour `*`) fire in both repeated hours, since those are
two different hours. Slots are instants, compared and stored in UTC.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from itertools import islice, takewhile
from typing import Literal

from apscheduler.triggers.cron import CronTrigger

from bot.digests.cron import DAY_NAMES, WORD, check_cron, crontab_fields, walk
from bot.digests.zones import QUOTES, parse_zone
from bot.errors import UserError

__all__ = [
    "DigestTrigger",
    "Schedule",
    "ScheduleError",
    "next_times",
    "parse_schedule",
    "parse_zone",
    "slots_between",
    "take_schedule",
]

Kind = Literal["daily", "weekdays", "weekly", "hourly", "cron"]
FORMS = (
    "`daily 09:00`, `weekdays 09:00`, `weekly mon 09:00`, `hourly` (or `hourly :15`) "
    'or `cron "0 9 * * 1-5"` (minute hour day-of-month month day-of-week)'
)
KINDS: tuple[Kind, ...] = ("daily", "weekdays", "weekly", "hourly", "cron")
_FULL_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_DAY_WORDS = {w: i for i, day in enumerate(_FULL_DAYS) for w in (day.lower(), day[:3].lower())}
_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?(am|pm)?$")
# How far back to start walking a trigger: longer than any DST jump, so a slot whose wall time was
# skipped (02:30 → fires at 03:30) is still found from a start just after the jump.
_LOOKBACK = timedelta(hours=3)


class ScheduleError(UserError):
    """A schedule that does not parse; `position` is the offending word's offset in the text."""

    def __init__(self, message: str, text: str, position: int) -> None:
        super().__init__(message, usage=f"Schedules: {FORMS}.")
        self.text = text
        self.position = position


@dataclass(frozen=True)
class Schedule:
    """When a digest is sent, in local time of a zone given separately (see `trigger`)."""

    kind: Kind
    hour: int = 0
    minute: int = 0
    weekday: int = 0  # 0 = Monday; used by `weekly`
    cron: str = ""  # the five crontab fields, lower case, single spaces; used by `cron`

    @property
    def text(self) -> str:
        """Canonical text; `parse_schedule(s.text) == s`."""
        clock = f"{self.hour:02d}:{self.minute:02d}"
        if self.kind == "weekly":
            return f"weekly {DAY_NAMES[self.weekday]} {clock}"
        if self.kind == "hourly":
            return "hourly" if self.minute == 0 else f"hourly :{self.minute:02d}"
        if self.kind == "cron":
            return f'cron "{self.cron}"'
        return f"{self.kind} {clock}"

    def describe(self, tz: str) -> str:
        """Plain words: 'every weekday at 09:00 Europe/Berlin'."""
        days = {"daily": "day", "weekdays": "weekday", "weekly": _FULL_DAYS[self.weekday]}
        if self.kind in days:
            return f"every {days[self.kind]} at {self.hour:02d}:{self.minute:02d} {tz}"
        if self.kind == "hourly":
            at = "on the hour" if self.minute == 0 else f"at :{self.minute:02d}"
            return f"every hour {at} ({tz} time)"
        return f'on the cron schedule "{self.cron}" (minute hour day month weekday) in {tz} time'

    def trigger(self, tz: str) -> DigestTrigger:
        """An APScheduler trigger firing at this schedule's slots in zone `tz`."""
        return DigestTrigger(timezone=zoneinfo.ZoneInfo(tz), **self._fields())

    def _fields(self) -> dict[str, str]:
        if self.kind == "cron":
            return crontab_fields(self.cron)
        hour = "*" if self.kind == "hourly" else str(self.hour)
        days = {"weekdays": "mon-fri", "weekly": DAY_NAMES[self.weekday]}.get(self.kind, "*")
        return {"minute": str(self.minute), "hour": hour, "day_of_week": days, "second": "0"}


class DigestTrigger(CronTrigger):  # type: ignore[misc]  # APScheduler ships no type hints
    """A CronTrigger that fires once per wall-clock time across DST (see the module docstring)."""

    __slots__ = ()

    def get_next_fire_time(self, previous_fire_time: datetime | None, now: datetime) -> datetime | None:
        """The next slot after `previous_fire_time` (or at/after `now` for the first), normalized."""
        if previous_fire_time is None:
            # Walk from a little earlier so a slot moved forward by a DST gap is not lost.
            candidate = self._step(None, now - _LOOKBACK)
            while candidate is not None and candidate < now:
                candidate = self._step(candidate, candidate)
            return candidate
        return self._step(previous_fire_time, now)

    def _step(self, previous: datetime | None, now: datetime) -> datetime | None:
        # An hour field of `*` fires in every hour, so both copies of a repeated hour are wanted.
        once_per_wall_time = str(self.fields[5]) not in ("*", "*/1")
        while True:
            nxt: datetime | None = super().get_next_fire_time(previous, now)
            if nxt is None:
                return None
            # Normalizing turns a skipped wall time (02:30 EST that never was) into the real one.
            nxt = nxt.astimezone(UTC).astimezone(self.timezone)
            if not (once_per_wall_time and _repeated(nxt)):
                return nxt
            previous = now = nxt


def _repeated(moment: datetime) -> bool:
    """True for the second occurrence of a wall time that happens twice (DST fall-back)."""
    return moment.fold == 1 and moment.replace(fold=0).utcoffset() != moment.utcoffset()


def parse_schedule(text: str) -> Schedule:
    """The schedule in `text`; raises ScheduleError pointing at the offending word."""
    schedule, rest = take_schedule(text)
    if rest.strip():
        extra = WORD.search(text, len(text) - len(rest))
        assert extra is not None
        raise ScheduleError(f"Unexpected `{extra.group()}` after the schedule `{schedule.text}`.", text, extra.start())
    return schedule


def take_schedule(text: str) -> tuple[Schedule, str]:
    """The schedule at the start of `text` and the text after it (for parsing longer commands)."""
    words = list(WORD.finditer(text))
    if not words:
        raise ScheduleError(f"Missing schedule. Use {FORMS}.", text, len(text))
    first = words[0]
    kind = next((k for k in KINDS if first.group().lower() in (k, k.rstrip("s"))), None)
    if kind is None:
        raise ScheduleError(f"Unknown schedule `{first.group()}`. Use {FORMS}.", text, first.start())
    if kind == "cron":
        return _take_cron(text, first.end())
    if kind == "hourly":
        if len(words) > 1 and re.fullmatch(r":?\d{1,2}", words[1].group()):
            minute = int(words[1].group().lstrip(":"))
            if minute > 59:
                raise ScheduleError(f"`{words[1].group()}` is not a minute (:00 to :59).", text, words[1].start())
            return Schedule("hourly", minute=minute), text[words[1].end() :]
        return Schedule("hourly"), text[first.end() :]
    at = 2 if kind == "weekly" else 1
    weekday = _weekday(text, words[1] if len(words) > 1 else None) if kind == "weekly" else 0
    if len(words) <= at:
        raise ScheduleError(f"`{kind}` needs a time, e.g. `{kind} 09:00`.", text, len(text))
    hour, minute = _clock(text, words[at])
    return Schedule(kind, hour=hour, minute=minute, weekday=weekday), text[words[at].end() :]


def _weekday(text: str, word: re.Match[str] | None) -> int:
    if word is not None and word.group().lower() in _DAY_WORDS:
        return _DAY_WORDS[word.group().lower()]
    where = word.start() if word else len(text)
    shown = f"`{word.group()}` is not a day" if word else "`weekly` needs a day"
    raise ScheduleError(f"{shown} — use mon, tue, wed, thu, fri, sat or sun.", text, where)


def _clock(text: str, word: re.Match[str]) -> tuple[int, int]:
    match = _TIME.match(word.group().lower())
    if match is not None:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        suffix = match.group(3)
        if suffix:  # 12am is midnight, 12pm noon; 13pm is nonsense
            hour = hour % 12 + (12 if suffix == "pm" else 0) if 1 <= hour <= 12 else 99
        if (match.group(2) or suffix) and hour <= 23 and minute <= 59:
            return hour, minute
    raise ScheduleError(
        f"`{word.group()}` is not a time of day — use HH:MM on a 24-hour clock, e.g. 09:00 or 17:30.",
        text,
        word.start(),
    )


def _take_cron(text: str, offset: int) -> tuple[Schedule, str]:
    rest = text[offset:]
    body = rest.lstrip()
    start = offset + len(rest) - len(body)
    if body[:1] and body[0] in QUOTES:
        close = next((i for i in range(1, len(body)) if body[i] in QUOTES), -1)
        if close < 0:
            raise ScheduleError("The cron expression has no closing quote.", text, start)
        expression, after, base = body[1:close], body[close + 1 :], start + 1
    else:
        # Unquoted: exactly the next five words are the expression.
        words = list(WORD.finditer(body))[:5]
        end = words[-1].end() if words else 0
        expression, after, base = body[:end], body[end:], start
    check_cron(expression, lambda message, at: ScheduleError(message, text, base + at))
    return Schedule("cron", cron=" ".join(expression.lower().split())), after


@lru_cache(maxsize=1024)
def _trigger(schedule: Schedule, tz: str) -> DigestTrigger:
    return schedule.trigger(tz)


def next_times(schedule: Schedule, tz: str, after: datetime, n: int = 3) -> list[datetime]:
    """The next `n` send times strictly after `after`, as aware datetimes in zone `tz`."""
    return list(islice(walk(_trigger(schedule, tz), after), n))


def slots_between(schedule: Schedule, tz: str, start: datetime, end: datetime) -> list[datetime]:
    """The slots in (start, end], as aware UTC datetimes, oldest first."""
    return [slot.astimezone(UTC) for slot in takewhile(lambda m: m <= end, walk(_trigger(schedule, tz), start))]
