"""Value axes: tick formatter and locator that write numbers as `charts.numbers` does, so axes,
data labels and key figures always agree.

    ax.yaxis.set_major_formatter(axis_formatter("seconds"))  # ticks on round durations: 30 s, 5m, 1h 30m
    ax.yaxis.set_major_locator(axis_locator("seconds"))
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.ticker import Formatter, Locator, MaxNLocator

from charts.numbers import _DAY, _SUFFIXES, _trim, human_number
from charts.spec import Unit

# Tick steps that read naturally as durations: seconds, minutes, hours, days, weeks.
_DURATION_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)


def _decimals(values: Sequence[float]) -> int:
    """The fewest decimals (up to 6) that write every value exactly."""
    for digits in range(7):
        if all(abs(v - round(v, digits)) <= 1e-9 * max(1.0, abs(v)) for v in values):
            return digits
    return 6


class _AxisFormatter(Formatter):
    """Tick labels in one consistent style per axis, with just enough decimals to tell ticks apart."""

    def __init__(self, unit: Unit) -> None:
        self.unit = unit
        self._scale = 1.0
        self._suffix = ""
        self._digits = 0

    def set_locs(self, locs: list[float]) -> None:
        """Choose the shared scale and decimals for the ticks about to be labelled."""
        super().set_locs(locs)
        finite = [float(v) for v in locs if math.isfinite(v)]
        if self.unit == "fraction":
            finite = [v * 100 for v in finite]
        largest = max((abs(v) for v in finite), default=0.0)
        self._scale, self._suffix = 1.0, ""
        if self.unit in ("", "calls"):
            for suffix, scale in _SUFFIXES:
                if largest >= scale:
                    self._scale, self._suffix = scale, suffix
                    break
        self._digits = _decimals([v / self._scale for v in finite])

    def __call__(self, x: float, pos: int | None = None) -> str:
        """The label of one tick."""
        if not math.isfinite(x):
            return human_number(x, self.unit)
        if self.unit == "seconds":
            return _duration_tick(x)
        value = x * 100 if self.unit == "fraction" else x
        text = _trim(f"{value / self._scale:.{self._digits}f}")
        text = "0" if text in ("-0", "") else text
        if self.unit in ("percent", "fraction"):
            return f"{text} %"
        return text + self._suffix if text != "0" else text


def _duration_tick(seconds: float) -> str:
    """A compact duration for a tick placed by `_DurationLocator`: '30s', '5m', '1h 30m', '2d'."""
    sign, size = ("-" if seconds < 0 else ""), abs(seconds)
    if size < 60:
        return f"{sign}{_trim(f'{size:.2f}')} s" if size else "0"
    if size < 3600:
        minutes, secs = divmod(round(size), 60)
        return f"{sign}{minutes}m" + (f" {secs:02d}s" if secs else "")
    if size < 2 * _DAY:
        hours, minutes = divmod(round(size / 60), 60)
        return f"{sign}{hours}h" + (f" {minutes:02d}m" if minutes else "")
    days, hours = divmod(round(size / 3600), 24)
    return f"{sign}{days}d" + (f" {hours:02d}h" if hours else "")


class _DurationLocator(Locator):
    """Ticks on round durations (15 s, 5 min, 6 h, 1 day…) rather than round numbers of seconds."""

    def __init__(self, nbins: int = 6) -> None:
        self.nbins = nbins

    def __call__(self) -> Sequence[float]:
        """Ticks for the axis' current view."""
        assert self.axis is not None
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin: float, vmax: float) -> Sequence[float]:
        """Ticks covering [vmin, vmax]."""
        low, high = sorted((float(vmin), float(vmax)))
        span = high - low
        if span < 60 or not math.isfinite(span):
            # Under a minute plain round numbers of seconds read fine.
            return list(MaxNLocator(self.nbins, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high))
        step = next((s for s in _DURATION_STEPS if span / s <= self.nbins), None)
        if step is None:
            days = MaxNLocator(self.nbins, steps=[1, 2, 5, 7, 10]).tick_values(low / _DAY, high / _DAY)
            return [d * _DAY for d in days]
        first = math.floor(low / step)
        return [(first + i) * step for i in range(int(math.ceil(high / step)) - first + 1)]


def axis_formatter(unit: Unit) -> Formatter:
    """A tick formatter for a value axis in `unit` (pair it with `axis_locator`)."""
    return _AxisFormatter(unit)


def axis_locator(unit: Unit) -> Locator:
    """A tick locator for a value axis in `unit`: round durations for seconds, round numbers otherwise."""
    if unit == "seconds":
        return _DurationLocator()
    # Calls come whole: no "0.5" tick on an axis of counts.
    return MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10], integer=unit == "calls")
