"""What a chart shows: small frozen, picklable dataclasses (they cross into worker processes).

`charts` turns these into PNG bytes and knows nothing of Slack or Cekura's JSON; the bot maps
Cekura's widget data onto them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

Unit = Literal["", "calls", "seconds", "percent", "fraction"]
"""How values read: plain numbers, counts of calls, durations in seconds, 0–100 percentages, 0–1 fractions."""

Period = Literal["hour", "day", "week", "month"]
Tone = Literal["good", "bad", "neutral"]
"""What a category means to the reader, so its colour can say it: green, red, grey."""


@dataclass(frozen=True)
class Common:
    """What every chart carries: a title, the filter stamp line and the time zone for time axes."""

    title: str
    stamp: str = ""
    tz: str = "UTC"


@dataclass(frozen=True)
class LineChart(Common):
    """Points over time; a None value is a gap in the line."""

    points: Sequence[tuple[datetime, float | None]] = ()
    y_label: str = ""
    unit: Unit = ""
    threshold: float | None = None  # an alert's line, drawn across the chart (charts/threshold.py)
    breach_since: datetime | None = None  # shaded from here on: the alert's breach


@dataclass(frozen=True)
class BarChart(Common):
    """One bar per time bucket (None: no value, drawn as a gap); the axis label names the measure.

    `partial` says whether the first and the last bucket cover only part of their period (the
    range starts or ends inside it): those bars are drawn hatched and labelled "so far".
    `threshold` / `breach_since` are an alert's line and breach, as on LineChart.
    """

    buckets: Sequence[tuple[datetime, float | None]] = ()
    period: Period = "day"
    y_label: str = ""
    unit: Unit = ""
    partial: tuple[bool, bool] = (False, False)
    threshold: float | None = None
    breach_since: datetime | None = None


@dataclass(frozen=True)
class PieChart(Common):
    """A distribution: label → value. At most 8 slices are drawn, the rest folded into 'Other'.

    Labels with a `tones` entry are coloured by it; the others take neutral colours.
    """

    slices: Sequence[tuple[str, float]] = ()
    tones: Mapping[str, Tone] = field(default_factory=dict)


@dataclass(frozen=True)
class StatCard(Common):
    """A KPI card: named figures, each with its unit (missing values show as '–')."""

    stats: Mapping[str, float | None] = field(default_factory=dict)
    units: Mapping[str, Unit] = field(default_factory=dict)


@dataclass(frozen=True)
class EmptyChart(Common):
    """The image shown when a widget has no data in the requested range."""

    message: str = "No data in this range"


Chart = LineChart | BarChart | PieChart | StatCard | EmptyChart
