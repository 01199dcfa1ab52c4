"""Deterministic synthetic voice-agent calls for the Cekura sandbox.

Every UTC day gets its own `random.Random(f"{seed}-{date}")`, so a day's calls never change no
matter which days were generated before it, and a sandbox started tomorrow still shows the same
calls for today. Days are cached: the whole day is generated once and clipped to `now` on read.

    calls_between(7, now, start=now - timedelta(days=7))   # every call of the last week, in time order
"""

from __future__ import annotations

import math
import random
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any

Call = dict[str, Any]
"""One call record; shared between requests, so callers must never mutate it."""

HISTORY_DAYS = 35
"""How many days before the clock's today still have calls."""

METRICS: dict[int, dict[str, Any]] = {
    101: {"id": 101, "name": "Latency (ms)", "eval_type": "numeric", "enum_values": []},
    102: {"id": 102, "name": "Politeness", "eval_type": "enum", "enum_values": ["polite", "neutral", "rude"]},
    103: {"id": 103, "name": "Issue resolved", "eval_type": "binary", "enum_values": []},
}
AGENTS = {1: "Ava (support)", 2: "Leo (sales)", 3: "Maya (billing)"}
REGIONS = ("us-east", "us-west", "eu-central", "ap-south")
TOPICS = (
    "billing",
    "order status",
    "technical support",
    "password reset",
    "appointment booking",
    "refund request",
    "cancellation",
    "general inquiry",
    "address change",
    "réclamation",
    "配送",
    "Kündigung",
)
DROPOFF_POINTS = (
    "greeting",
    "identity_verification",
    "intent_capture",
    "troubleshooting",
    "payment",
    "closing",
)

# Calls per UTC hour: a US-heavy support line with a smaller European morning.
_WEEKDAY_HOURS = (3, 2, 1, 1, 1, 1, 2, 4, 8, 11, 12, 12, 13, 15, 17, 18, 18, 17, 15, 13, 10, 8, 6, 4)
_WEEKEND_HOURS = (3, 2, 2, 1, 1, 1, 2, 3, 5, 7, 8, 9, 10, 10, 11, 11, 11, 10, 9, 8, 7, 6, 5, 4)
_TOPIC_WEIGHTS = (18, 15, 12, 10, 9, 8, 7, 6, 5, 5, 4, 3)
_LANGUAGES = {
    "us-east": (("en", "es"), (90, 10)),
    "us-west": (("en", "es"), (75, 25)),
    "eu-central": (("de", "fr", "en"), (45, 30, 25)),
    "ap-south": (("en", "hi"), (60, 40)),
}
_PHONE_PREFIX = {"us-east": "+1212", "us-west": "+1415", "eu-central": "+4930", "ap-south": "+9122"}
_LATENCY_BASE = {"us-east": 760.0, "us-west": 820.0, "eu-central": 910.0, "ap-south": 1250.0}
# Log-mean of the call length per agent: sales calls are short, billing calls long.
_DURATION_MU = {1: 5.0, 2: 4.6, 3: 5.3}


@lru_cache(maxsize=128)  # ~0.5 MB a day: enough for the 36-day window and a moving clock
def day_calls(seed: int, day: date) -> tuple[Call, ...]:
    """Every call of one UTC day (the whole day, also when it is today), in time order."""
    rng = random.Random(f"{seed}-{day.isoformat()}")
    weekday = day.weekday()
    mean, spread = (245.0, 22.0) if weekday < 5 else ((180.0, 14.0) if weekday == 5 else (160.0, 12.0))
    count = max(150, min(300, round(rng.gauss(mean, spread))))
    weights = _WEEKDAY_HOURS if weekday < 5 else _WEEKEND_HOURS
    hours = rng.choices(range(24), weights=weights, k=count)
    offsets = sorted(hour * 3600 + rng.randrange(3600) for hour in hours)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    first_id = day.toordinal() * 1000
    return tuple(
        _call(rng, first_id + index, midnight + timedelta(seconds=offset)) for index, offset in enumerate(offsets)
    )


def calls_between(seed: int, now: datetime, start: datetime | None = None, end: datetime | None = None) -> list[Call]:
    """Calls with `start <= timestamp <= min(end, now)`, from the days the sandbox has data for."""
    today = now.astimezone(UTC).date()
    first = today - timedelta(days=HISTORY_DAYS)
    if start is not None:
        first = max(first, start.astimezone(UTC).date())
    stop = now if end is None else min(now, end)
    last = min(today, stop.astimezone(UTC).date())
    result: list[Call] = []
    day = first
    while day <= last:
        for call in day_calls(seed, day):
            moment = call["timestamp"]
            if (start is None or moment >= start) and moment <= stop:
                result.append(call)
        day += timedelta(days=1)
    return result


def _call(rng: random.Random, call_id: int, at: datetime) -> Call:
    agent_id = rng.choices((1, 2, 3), weights=(50, 25, 25))[0]
    region = rng.choices(REGIONS, weights=(40, 25, 25, 10))[0]
    raw = math.exp(rng.gauss(_DURATION_MU[agent_id], 0.75))
    duration = round(min(900.0, max(10.0, raw)), 1)
    reason = _ended_reason(rng, duration, raw)
    success = rng.random() < _success_chance(duration, reason)
    languages, language_weights = _LANGUAGES[region]
    return {
        "id": call_id,
        "timestamp": at,
        "duration": duration,
        "success": success,
        "is_reviewed": rng.random() < 0.15,
        "call_ended_reason": reason,
        "dropoff_point": None if success or rng.random() < 0.1 else rng.choice(DROPOFF_POINTS),
        "topic": None if rng.random() < 0.02 else rng.choices(TOPICS, weights=_TOPIC_WEIGHTS)[0],
        "customer_number": f"{_PHONE_PREFIX[region]}{rng.randrange(10**7):07d}",
        "agent": {"id": agent_id, "agent_name": AGENTS[agent_id]},
        "metadata": {
            "region": region,
            "language": rng.choices(languages, weights=language_weights)[0],
            "channel": rng.choices(("phone", "web", "sip"), weights=(70, 20, 10))[0],
        },
        "metric_evaluations": _evaluations(rng, region, success),
    }


def _ended_reason(rng: random.Random, duration: float, raw: float) -> str:
    if raw >= 900:
        return "max_duration_reached"
    if duration < 25:
        short = ("voicemail", "silence_timeout", "customer_ended_call", "error")
        return rng.choices(short, weights=(30, 25, 35, 10))[0]
    reasons = (
        "customer_ended_call",
        "agent_ended_call",
        "transferred_to_human",
        "silence_timeout",
        "error",
        "voicemail",
    )
    return rng.choices(reasons, weights=(46, 30, 13, 5, 3, 3))[0]


def _success_chance(duration: float, reason: str) -> float:
    chance = {
        "error": 0.05,
        "voicemail": 0.05,
        "silence_timeout": 0.3,
        "transferred_to_human": 0.6,
        "max_duration_reached": 0.4,
    }.get(reason, 0.93)
    # Very short calls rarely get anything done.
    return min(chance, 0.3) if duration < 30 else chance


def _evaluations(rng: random.Random, region: str, success: bool) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    # Latency is missing for some calls (the metric failed to run), which shows as gaps.
    if rng.random() >= 0.07:
        latency = round(math.exp(rng.gauss(math.log(_LATENCY_BASE[region]), 0.3)), 1)
        rows.append({"metric": _ref(101), "value": latency})
    politeness_weights = (82, 16, 2) if success else (55, 33, 12)
    politeness = rng.choices(("polite", "neutral", "rude"), weights=politeness_weights)[0]
    rows.append({"metric": _ref(102), "value": politeness})
    resolved = success if rng.random() < 0.9 else not success
    rows.append({"metric": _ref(103), "value": resolved})
    return rows


def _ref(metric_id: int) -> dict[str, Any]:
    return {"id": metric_id, "name": METRICS[metric_id]["name"]}
