"""Numbers for people, in words: key figures, data labels and messages all say a value the same way.

No matplotlib here, so the bot's main process formats numbers without loading the plotting stack.

>>> human_number(1234, "calls"), human_number(125, "seconds"), human_number(0.92, "fraction")
('1.2k calls', '2m 05s', '92 %')
>>> short_number(1234, "calls"), short_number(1.2, "seconds")
('1.2k', '1.2 s')
"""

from __future__ import annotations

import math

from charts.spec import Unit

MISSING = "–"
_SUFFIXES = (("T", 1e12), ("B", 1e9), ("M", 1e6), ("k", 1e3))
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
