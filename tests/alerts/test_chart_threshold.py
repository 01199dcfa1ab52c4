"""The chart of a firing alert: its threshold as a dashed line, the breach shaded; other charts untouched."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import numpy as np
from PIL import Image

from bot.alerts.measure import chart_threshold
from bot.alerts.rule import parse_rule
from charts import render
from charts.common import BAD
from charts.spec import BarChart, LineChart

T0 = datetime(2025, 6, 2, tzinfo=UTC)
LINE = LineChart(
    "Success rate",
    "last 24h",
    "UTC",
    [(T0 + timedelta(hours=i), 0.95 if i < 17 else 0.8) for i in range(24)],
    "Success rate",
    "fraction",
)
BARS = BarChart(
    "Success by day", "3 days", "UTC", [(T0 + timedelta(days=i), v) for i, v in enumerate([0.97, 0.8, 0.5])],
    "day", "Success", "fraction", (False, True),
)  # fmt: skip


def pixels(png: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(png)) as image:
        return np.asarray(image.convert("RGB")).astype(int)


def near(rgb: np.ndarray, colour: tuple[int, int, int], tol: int = 12) -> np.ndarray:
    return np.all(np.abs(rgb - np.array(colour)) <= tol, axis=-1)


def _hex(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


RED = _hex(BAD)
SHADE = tuple(round(255 - 0.12 * (255 - c)) for c in RED)  # BAD at 12 % over white


def test_the_threshold_is_a_red_row_and_the_breach_is_shaded_from_its_start() -> None:
    plain = pixels(render(LINE))
    marked = pixels(render(replace(LINE, threshold=0.9, breach_since=T0 + timedelta(hours=17))))
    assert near(plain, RED).sum() == 0 and near(plain, SHADE, 3).sum() == 0
    red_rows = near(marked, RED).sum(axis=1)
    assert red_rows.max() > 0.4 * marked.shape[1]  # a line across most of the chart (dashed)
    shaded = near(marked, SHADE, 3)
    columns = np.flatnonzero(shaded.sum(axis=0) > 50)
    assert columns.size > 0
    # The breach starts at 17:00 of a 0–23 h axis: the shading is the right quarter or so, not before.
    assert 0.65 * marked.shape[1] < columns.min() < 0.8 * marked.shape[1]


def test_a_threshold_far_from_the_values_is_still_in_view() -> None:
    marked = pixels(render(replace(LINE, threshold=0.5)))
    assert near(marked, RED).sum(axis=1).max() > 0.4 * marked.shape[1]
    assert (near(marked, SHADE, 3).sum(axis=0) > 50).sum() == 0  # no breach given: nothing shaded


def test_bars_shade_the_whole_slot_the_breach_started_in() -> None:
    marked = pixels(render(replace(BARS, threshold=0.9, breach_since=T0 + timedelta(days=1, hours=6))))
    shaded = np.flatnonzero(near(marked, SHADE, 3).sum(axis=0) > 50)
    assert shaded.size and shaded.min() < marked.shape[1] * 0.45  # from before the Jun 3 bar, not mid-day


def test_only_rules_measured_in_the_charts_values_get_a_line() -> None:
    assert chart_threshold(parse_rule("widget 32 when latest < 90 %"), "fraction") == 0.9
    assert chart_threshold(parse_rule("widget 34 when avg over 1h > 1500 ms"), "seconds") == 1.5
    for text in ("widget 34 when avg over 1h rises by 20 %", "widget 34 when count over 1h > 5",
                 "widget 34 when no data for 30m", 'widget 37 when share of "error" > 5 %'):  # fmt: skip
        assert chart_threshold(parse_rule(text), "seconds") is None, text
