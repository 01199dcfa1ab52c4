"""Numbers for people: `human_number` cases, tick labels, and that neither ever raises."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from charts.format import axis_formatter, axis_locator
from charts.numbers import MISSING, human_number

UNITS = ("", "seconds", "percent", "fraction")


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        # plain numbers
        (950, "", "950"),
        (1234, "", "1.2k"),
        (1_500_000, "", "1.5M"),
        (0.5, "", "0.5"),
        (None, "", MISSING),
        (0, "", "0"),
        (1000, "", "1k"),
        (12_345, "", "12k"),
        (999.4, "", "999"),
        (999.7, "", "1k"),
        (999_999, "", "1M"),
        (2_500_000_000, "", "2.5B"),
        (5e13, "", "50T"),
        (1e300, "", "1e+300"),
        (12.345, "", "12.3"),
        (1.234, "", "1.23"),
        (0.1234, "", "0.123"),
        (0.0012, "", "0.0012"),
        (-1234, "", "-1.2k"),
        (-0.5, "", "-0.5"),
        (-0.0, "", "0"),
        (math.nan, "", MISSING),
        (math.inf, "", "∞"),
        (-math.inf, "", "-∞"),
        # durations in seconds
        (45, "seconds", "45 s"),
        (125, "seconds", "2m 05s"),
        (3725, "seconds", "1h 02m"),
        (0.85, "seconds", "850 ms"),
        (4.5, "seconds", "4.5 s"),
        (59.6, "seconds", "1m 00s"),
        (3599.7, "seconds", "1h 00m"),
        (90_000, "seconds", "1d 01h"),
        (0, "seconds", "0 s"),
        (-125, "seconds", "-2m 05s"),
        (None, "seconds", MISSING),
        # percentages (0–100) and fractions (0–1)
        (92, "percent", "92 %"),
        (92.46, "percent", "92.5 %"),
        (0, "percent", "0 %"),
        (0.04, "percent", "0.04 %"),
        (0.92, "fraction", "92 %"),
        (1, "fraction", "100 %"),
        (-0.05, "fraction", "-5 %"),
        (None, "fraction", MISSING),
    ],
)
def test_human_number(value: float | None, unit: str, expected: str) -> None:
    assert human_number(value, unit) == expected  # type: ignore[arg-type]


@given(st.floats(allow_nan=True, allow_infinity=True), st.sampled_from(UNITS))
def test_human_number_never_raises(value: float, unit: str) -> None:
    text = human_number(value, unit)  # type: ignore[arg-type]
    assert text and len(text) < 40


@pytest.mark.parametrize(
    ("unit", "ticks", "expected"),
    [
        ("", [0, 2500, 5000, 7500, 10000], ["0", "2.5k", "5k", "7.5k", "10k"]),
        ("", [0, 0.2, 0.4, 0.6], ["0", "0.2", "0.4", "0.6"]),
        ("", [-20, 0, 20], ["-20", "0", "20"]),
        ("", [1_000_000, 1_500_000, 2_000_000], ["1M", "1.5M", "2M"]),
        ("fraction", [0.9, 0.92, 0.94], ["90 %", "92 %", "94 %"]),
        ("percent", [0, 25, 50], ["0 %", "25 %", "50 %"]),
        ("seconds", [0, 30, 60, 90], ["0", "30 s", "1m", "1m 30s"]),  # "30 s" as figures write it
        ("seconds", [0, 1800, 3600, 5400], ["0", "30m", "1h", "1h 30m"]),
        ("seconds", [0, 86400, 172800], ["0", "24h", "2d"]),
    ],
)
def test_axis_formatter(unit: str, ticks: list[float], expected: list[str]) -> None:
    assert axis_formatter(unit).format_ticks(ticks) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("high", "step"),
    [(45, 10), (600, 120), (3 * 3600, 1800), (40 * 3600, 12 * 3600), (20 * 86400, 5 * 86400)],
)
def test_duration_locator_steps_by_round_durations(high: float, step: float) -> None:
    ticks = list(axis_locator("seconds").tick_values(0, high))
    assert ticks[0] == 0 and ticks[-1] >= high
    assert {round(b - a, 6) for a, b in zip(ticks, ticks[1:], strict=False)} == {step}


@given(
    st.floats(min_value=-1e9, max_value=1e9),
    st.floats(min_value=1e-3, max_value=1.0),
    st.sampled_from(("", "percent", "fraction")),
)
def test_tick_labels_are_distinct(low: float, relative_span: float, unit: str) -> None:
    span = max(abs(low) * relative_span, 1.0)
    ticks = list(axis_locator(unit).tick_values(low, low + span))  # type: ignore[arg-type]
    labels = axis_formatter(unit).format_ticks(ticks)  # type: ignore[arg-type]
    assert len(set(labels)) == len(labels)
