"""The incident state machine, pure: OK → PENDING → FIRING → (good for long enough) → OK.

    track, event = step(track, reading.breached, reading.value, now, rule)

Flapping is held off by the `for` window on BOTH edges: a breach must hold `for` before it fires,
and a firing alert resolves only once the value has been good for `for` again — or, with no `for`,
for two evaluations in a row (one `every` apart). A breach that ends while PENDING tells nobody.
No data (`breached is None`) changes nothing: it neither starts, confirms nor ends a breach.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from bot.alerts.rule import Rule

Event = Literal["fire", "resolve"]


class Status(StrEnum):
    """Where an alert's breach stands."""

    OK = "ok"
    PENDING = "pending"  # breached, the `for` window not over yet
    FIRING = "firing"


@dataclass(frozen=True)
class Track:
    """The state machine's memory between evaluations."""

    status: Status = Status.OK
    breach_since: datetime | None = None  # first breached evaluation of the current breach
    good_since: datetime | None = None  # while firing: first good evaluation since the last breach
    peak: float | None = None  # the worst value of the current breach


def recovery_window(rule: Rule) -> timedelta:
    """How long the value must stay good before a firing alert resolves."""
    return rule.for_ if rule.for_ else rule.every


def recovery_words(rule: Rule) -> str:
    """What the message says about resolving (the anti-flapping rule in force)."""
    if rule.for_:
        return (
            f"Resolves once the value has been back on the good side for {_words(rule.for_)} (the same `for` window)."
        )
    apart = _words(rule.every)
    return f"Resolves after two good evaluations in a row ({apart} apart), so a value at the line doesn't flap."


def _words(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    for size, unit in ((1440, "day"), (60, "hour"), (1, "minute")):
        if minutes % size == 0:
            count = minutes // size
            return f"{count} {unit}" if count == 1 else f"{count} {unit}s"
    raise AssertionError("unreachable: every whole number of minutes is a multiple of 1")


def worse(rule: Rule, a: float | None, b: float | None) -> float | None:
    """The worse of two values for this rule (lower for `<`, higher otherwise)."""
    if a is None or b is None:
        return b if a is None else a
    lower_is_worse = rule.op in ("lt", "lte") and rule.kind not in ("change", "nodata")
    if rule.kind == "change" and rule.direction == "drops":
        lower_is_worse = True
    return min(a, b) if lower_is_worse else max(a, b)


def step(
    track: Track, breached: bool | None, value: float | None, now: datetime, rule: Rule
) -> tuple[Track, Event | None]:
    """The next state after one evaluation, and the event to announce, if any."""
    if breached is None:
        return track, None
    if track.status is Status.OK:
        if not breached:
            return track, None
        track = Track(Status.PENDING, breach_since=now, peak=value)
        return _confirm(track, now, rule)
    if track.status is Status.PENDING:
        if not breached:
            return Track(), None  # over before it counted: nobody is told
        return _confirm(replace(track, peak=worse(rule, track.peak, value)), now, rule)
    if breached:
        return replace(track, good_since=None, peak=worse(rule, track.peak, value)), None
    good_since = track.good_since or now
    if now - good_since >= recovery_window(rule):
        return Track(), "resolve"
    return replace(track, good_since=good_since), None


def _confirm(track: Track, now: datetime, rule: Rule) -> tuple[Track, Event | None]:
    assert track.breach_since is not None
    if now - track.breach_since >= rule.for_:
        return replace(track, status=Status.FIRING), "fire"
    return track, None
