"""Five-field crontab expressions for digests: validation and translation to APScheduler fields.

    check_cron("0 9 * * 1-5", lambda message, offset: ValueError(message))   # raises on bad input
    crontab_fields("0 9 * * 1-5")  # {"minute": "0", "hour": "9", ..., "day_of_week": "mon,tue,wed,thu,fri"}

Crontab numbers weekdays from Sunday = 0 while APScheduler 3 starts at Monday = 0, so weekdays are
always handed to APScheduler as names. Expressions firing more than once an hour are refused.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from itertools import islice

from apscheduler.triggers.cron import CronTrigger

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORD = re.compile(r"\S+")
_CRON_NAMES = ("minute", "hour", "day", "month", "day_of_week")
_CRON_DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")  # crontab: 0 (and 7) = Sunday
_DOW_ITEM = re.compile(r"^(\*|[a-z]{3}|\d)(?:-([a-z]{3}|\d))?(?:/(\d{1,2}))?$")
_MIN_GAP = timedelta(hours=1)  # as often as `hourly`, no more: a digest is not an alert stream
_PROBE, _PROBE_END = datetime(2025, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC)


def walk(trigger: CronTrigger, after: datetime) -> Iterator[datetime]:
    """The fire times of `trigger` strictly after `after`, in order."""
    moment: datetime | None = trigger.get_next_fire_time(None, after + timedelta(microseconds=1))
    while moment is not None:
        yield moment
        moment = trigger.get_next_fire_time(moment, moment)


def crontab_fields(expression: str) -> dict[str, str]:
    """CronTrigger keyword arguments for a five-field crontab expression."""
    fields = dict(zip(_CRON_NAMES, expression.split(), strict=True))
    # APScheduler 3 numbers weekdays from Monday = 0 while crontab uses Sunday = 0 (its issue 286),
    # so `1-5` would silently mean Tuesday to Saturday: translate to day names.
    fields["day_of_week"] = _crontab_days(fields["day_of_week"])
    fields["second"] = "0"
    return fields


def _crontab_days(field: str) -> str:
    days: set[int] = set()
    for item in field.split(","):
        match = _DOW_ITEM.match(item)
        if match is None or (match.group(3) and match.group(1) != "*" and not match.group(2)):
            raise ValueError(f"`{item}` is not a day of the week (0-7 or sun-sat, ranges, lists, */n)")
        first, last, step = match.groups()
        low, high = (0, 6) if first == "*" else (_cron_day(first), _cron_day(last or first))
        if low > high or step == "0":
            raise ValueError(f"`{item}` is not a valid range of days")
        days.update(day % 7 for day in range(low, high + 1, int(step or 1)))
    if len(days) == 7:
        return "*"
    return ",".join(DAY_NAMES[(day - 1) % 7] for day in sorted(days, key=lambda day: (day - 1) % 7))


def _cron_day(value: str) -> int:
    if value.isdigit():
        if int(value) > 7:
            raise ValueError(f"`{value}` is not a day of the week (0-7, 0 and 7 are Sunday)")
        return int(value)
    if value not in _CRON_DAYS:
        raise ValueError(f"`{value}` is not a day of the week (sun, mon, tue, wed, thu, fri, sat)")
    return _CRON_DAYS.index(value)


def check_cron(expression: str, error: Callable[[str, int], Exception]) -> None:
    """Raise `error(message, offset)` unless `expression` is a usable five-field crontab line."""
    words = list(WORD.finditer(expression.lower()))
    if len(words) != 5:
        raise error(
            f"A cron expression has 5 fields (minute hour day-of-month month day-of-week); "
            f"`{expression.strip()}` has {len(words)}.",
            words[5].start() if len(words) > 5 else len(expression),
        )
    for name, word in zip(_CRON_NAMES, words, strict=True):
        try:
            value = _crontab_days(word.group()) if name == "day_of_week" else word.group()
            CronTrigger(timezone=UTC, **{name: value})
        except ValueError as exc:
            raise error(f"Bad cron {name.replace('_', ' ')} `{word.group()}`: {exc}.", word.start()) from exc
    if words[2].group() != "*" and words[4].group() != "*":
        # Classic cron ORs the two, APScheduler ANDs them: refuse rather than guess.
        raise error("Restrict either the day of month or the day of week, not both.", words[2].start())
    # Bounded, so an expression that never fires (Feb 30) is rejected quickly.
    fields = crontab_fields(expression.lower())
    times = list(islice(walk(CronTrigger(timezone=UTC, end_date=_PROBE_END, **fields), _PROBE), 64))
    if not times:
        raise error(f"The cron expression `{expression.strip()}` never fires.", 0)
    if any(later - earlier < _MIN_GAP for earlier, later in zip(times, times[1:], strict=False)):
        raise error("That cron expression fires more than once an hour; digests run at most hourly.", 0)
