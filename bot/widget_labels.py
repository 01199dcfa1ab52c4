"""Cekura's raw names in words a person reads: fields, measures, category labels, their units and colours.

measure_name("avg", "duration")            → "Average duration"
category_label("customer_ended_call", "call_ended_reason")  → "Customer ended call"
category_label("true", "success")          → "Succeeded"
"""

from __future__ import annotations

import re

from charts.spec import Tone, Unit

# Cekura reports latency in milliseconds; drawn as durations ("850 ms", "1.2 s") it must be seconds.
MS_TO_S = 0.001
_MS = re.compile(r"\((?:ms|milliseconds?)\)|\bms\b|\bmilliseconds?\b|\blatency\b", re.IGNORECASE)
_UNIT_NOTE = re.compile(r"\s*\((?:ms|milliseconds?|s|seconds?|%)\)\s*", re.IGNORECASE)
_TRUE = {"true", "1", "yes", "t"}
_FALSE = {"false", "0", "no", "f"}
# Boolean fields whose values have a known meaning: (true words, false words, true tone).
_BOOLEANS: dict[str, tuple[str, str, Tone | None]] = {
    "success": ("Succeeded", "Failed", "good"),
    "is_reviewed": ("Reviewed", "Not reviewed", None),
}
_FIELD_WORDS = {
    "duration": "duration",
    "success": "success",
    "is_reviewed": "reviewed",
    "call_ended_reason": "end reason",
    "dropoff_point": "drop-off point",
    "topic": "topic",
    "agent_id": "agent",
}
# Category words whose sense is known (compared in lower case, after humanising).
_GOOD = {"succeeded", "success", "successful", "polite", "positive", "resolved", "satisfied", "passed", "pass"}
_BAD = {"failed", "failure", "fail", "rude", "negative", "unresolved", "not resolved", "error", "timeout"}
_BAD |= {"frustrated", "angry", "dissatisfied", "abandoned", "dropped"}
_NEUTRAL = {"neutral", "mixed", "unknown", "other", "(blank)"}


def is_milliseconds(name: str) -> bool:
    """Whether a field or metric name says its values are milliseconds ('Latency (ms)', 'p95 latency')."""
    return bool(_MS.search(name))


def field_words(field: str, name: str | None = None) -> str:
    """The plotted field in lower-case words, without a unit note: 'duration', 'latency', 'end reason'."""
    if name:
        words = _UNIT_NOTE.sub(" ", name).strip()
        return words[:1].lower() + words[1:] if not words[:2].isupper() else words
    if field.startswith("metadata."):
        return humanise(field.removeprefix("metadata.")).lower()
    return _FIELD_WORDS.get(field, humanise(field).lower() or "calls")


def measure_name(aggregation: str, subject: str, *, field: str = "", unit: Unit = "") -> str:
    """What the bars show, as a person would say it: 'Calls', 'Average duration', 'Success rate'."""
    aggregation = aggregation.lower()
    if aggregation in ("count", ""):
        return "Calls"
    if unit == "fraction":
        return "Success rate" if field == "success" else f"Share of calls: {subject}"
    long = subject in ("duration", "call duration")
    words = {
        "sum": "Total",
        "avg": "Average",
        "min": "Shortest" if long else "Lowest",
        "max": "Longest" if long else "Highest",
        "p50": "Median",
        "p95": "95th-percentile",
        "p99": "99th-percentile",
    }
    return f"{words.get(aggregation, aggregation.upper())} {subject}"


def humanise(raw: str) -> str:
    """'customer_ended_call' → 'Customer ended call'; codes ('us-east') and text already in words stay as they are."""
    text = " ".join(raw.replace("_", " ").split())
    if not text:
        return "(blank)"
    if text == raw and ("-" in raw or any(c.isdigit() for c in raw)):
        return text  # a code such as 'us-east' or 'v2': shown as people type it in filters
    if text != raw or text.islower():
        return text[:1].upper() + text[1:]
    return text


def category_label(raw: object, field: str) -> str:
    """A pie slice's label in words: booleans by the field's meaning, snake_case humanised."""
    text = str(raw).strip() if raw is not None else ""
    lower = text.lower()
    if lower in _TRUE | _FALSE:
        yes, no, _ = _BOOLEANS.get(field, ("Yes", "No", None))
        return yes if lower in _TRUE else no
    return humanise(text)


def category_tone(label: str, field: str) -> Tone | None:
    """Whether a slice's label is known to be good, bad or neutral news (None: no sense, any colour)."""
    lower = label.lower()
    if field in _BOOLEANS:
        yes, no, tone = _BOOLEANS[field]
        if tone is not None and label in (yes, no):
            return tone if label == yes else "bad"
    if lower in _GOOD:
        return "good"
    if lower in _BAD:
        return "bad"
    if lower in _NEUTRAL:
        return "neutral"
    return None
