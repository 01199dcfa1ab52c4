"""Numbers for people, the one formatter for axes, data labels and key figures, so they always agree.

`human_number` for figures in words, `short_number` for labels on the chart (no noun),
`axis_formatter`/`axis_locator` for value axes:

>>> human_number(1234, "calls"), human_number(125, "seconds"), human_number(0.92, "fraction")
('1.2k calls', '2m 05s', '92 %')
>>> short_number(1234, "calls"), short_number(1.2, "seconds")
('1.2k', '1.2 s')
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from matplotlib.ticker import Formatter, Locator, MaxNLocator

from charts.spec import Unit

MISSING = "–"
_SUFFIXES = (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3))
# Tick steps that read naturally as durations: seconds, minutes, hours, days, weeks.
_DURATION_STEPS = (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
_DAY = 86400.0


def _trim(text: str) -> str:
    """Drop trailing zeros after a decimal point: '1.50' → '1.5', '2.0' → '2'."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def _plain(value: float) -> str:
    """A non-negative finite number in at most ~3 significant digits, with k/M/B/T suffixes."""
    if round(value) < 1000:
        if value == int(value):
            return str(int(value))
        if value >= 100:
            return str(round(value))
        if value >= 0.01:
            return _trim(f"{value:.{1 if value >= 10 else 2 if value >= 1 else 3}f}")
        return f"{value:.2g}"
    for index, (suffix, scale) in enumerate(_SUFFIXES):
        scaled = value / scale
        if scaled < 0.9995:
            continue
        if scaled >= 999.5 and index == 0:
            break  # beyond trillions a suffix stops helping
        text = _trim(f"{scaled:.1f}") if scaled < 9.95 else f"{scaled:.0f}"
        if text == "1000" and index > 0:
            # Rounding pushed it up a magnitude (999_999 → "1000k"): say "1M" instead.
            suffix = _SUFFIXES[index - 1][0]
            text = "1"
        return text + suffix
    return f"{value:.2g}"


def _duration(seconds: float) -> str:
    """A non-negative finite duration: '850 ms', '4.5 s', '45 s', '2m 05s', '1h 02m', '3d 04h'."""
    if seconds == 0:
        return "0 s"
    if seconds < 0.9995:
        millis = seconds * 1000
        return f"{round(millis)} ms" if millis >= 0.5 else f"{millis:.1g} ms"
    if seconds < 9.95:
        return f"{_trim(f'{seconds:.1f}')} s"
    if seconds < 59.5:
        return f"{round(seconds)} s"
    if seconds < 3599.5:
        minutes, secs = divmod(round(seconds), 60)
        return f"{minutes}m {secs:02d}s"
    if seconds < _DAY - 30:
        hours, minutes = divmod(round(seconds / 60), 60)
        return f"{hours}h {minutes:02d}m"
    if seconds < 1000 * _DAY:
        days, hours = divmod(round(seconds / 3600), 24)
        return f"{days}d {hours:02d}h"
    return f"{_plain(seconds / _DAY)} d"


def _percent(percent: float) -> str:
    """A non-negative finite percentage (0–100 scale): '92 %', '92.5 %', '0.04 %'."""
    if 0 < percent < 0.95:
        return f"{percent:.1g} %"
    return f"{_trim(f'{percent:.1f}') if percent < 1000 else _plain(percent)} %"


def human_number(value: float | None, unit: Unit = "") -> str:
    """The value as a person would write it, with its noun for counts ('1 call', '1.2k calls'); None → '–'."""
    text = short_number(value, unit)
    if unit == "calls" and text != MISSING:
        return f"{text} call" if text == "1" else f"{text} calls"
    return text


def short_number(value: float | None, unit: Unit = "") -> str:
    """The value as a chart label writes it: '1.2k', '4m 12s', '1.2 s', '92 %'; None and NaN → '–'."""
    if value is None or math.isnan(value):
        return MISSING
    if unit == "fraction":
        value *= 100
    if math.isinf(value):
        return "-∞" if value < 0 else "∞"
    size = abs(value)
    if unit == "seconds":
        text = _duration(size)
    elif unit in ("percent", "fraction"):
        text = _percent(size)
    else:
        text = _plain(size)
    # A tiny negative that rounds to zero must not read as "-0".
    negative = value < 0 and any(c in "123456789" for c in text)
    return f"-{text}" if negative else text


def share(part: float, total: float) -> str:
    """`part` as a share of `total`, one style everywhere: '46 %', '5 %', '0.4 %', '<0.1 %'."""
    if total <= 0 or not math.isfinite(part / total):
        return MISSING
    percent = 100 * part / total
    if 0 < percent < 0.1:
        return "<0.1 %"
    if percent < 0.95 or 99 < percent < 100:
        return f"{_trim(f'{percent:.1f}')} %"  # whole numbers would say 0 % or 100 % of something real
    return f"{round(percent)} %"


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
