"""`cekura-bot gallery --out DIR`: every chart kind × period × range × edge case as PNGs, plus a
contact sheet at Slack's preview size (480 px a tile), to look at charts as a Slack user would.

The cases go through the same path as real widgets (Cekura-shaped data → `to_view` → `render`),
at a fixed "now", so the images are the same on every run (tests/images/ keeps some as baselines).
"""

from __future__ import annotations

import io
import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from PIL import Image

from bot.cekura_models import Widget, WidgetData, WidgetDataMeta
from bot.widget_charts import WidgetView, to_view
from charts import render

NOW = datetime(2026, 12, 1, 10, 27, tzinfo=UTC)
RANGES = {"24h": timedelta(hours=24), "7d": timedelta(days=7), "30d": timedelta(days=30)}
PREVIEW_PX = 480
_COLUMNS = 4
_TZ = "America/New_York"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _view(name: str, kind: str, field: str, rows: Any, span: str = "7d", **extra: Any) -> WidgetView:
    """One widget's view from Cekura-shaped rows, as the bot would draw it over `span` up to NOW."""
    window = (NOW - RANGES[span], NOW)
    meta = WidgetDataMeta(display_name=extra.pop("display_name", None), data_type=extra.pop("data_type", None))
    widget = Widget(id=1, name=name, chart_type=kind, field=field, **extra)
    shared = {key: extra[key] for key in ("aggregation_function", "time_period") if key in extra}
    data = WidgetData(widget_id=1, field_name=field, chart_type=kind, data=rows, metadata=meta, **shared)
    words = {"24h": "Last 24 hours", "7d": "Last 7 days", "30d": "Last 30 days"}[span]
    return to_view(widget, data, stamp=f"{words} · agent = Front desk", tz=_TZ, window=window)


def _hour_counts(span: str, rng: random.Random) -> Iterator[tuple[datetime, float]]:
    """Calls per hour over the span as Cekura returns them: the hours without calls left out."""
    start = (NOW - RANGES[span]).replace(minute=0, second=0, microsecond=0)
    hour = start
    while hour <= NOW:
        local = (hour.hour - 5) % 24
        if 7 <= local <= 21 and rng.random() > 0.08:  # nights and a few quiet hours have no calls
            yield hour, float(rng.randint(1, 30))
        hour += timedelta(hours=1)


def _bars(period: str, span: str, rng: random.Random) -> list[dict[str, Any]]:
    from charts.buckets import floor

    totals: dict[datetime, float] = {}
    for hour, count in _hour_counts(span, rng):
        key = floor(hour, period)  # type: ignore[arg-type]
        totals[key] = totals.get(key, 0.0) + count
    return [{"time_interval": _iso(k), "value": v, "sample_count": int(v)} for k, v in sorted(totals.items())]


def _calls(count: int, span: str, rng: random.Random, *, nulls: bool = True) -> list[dict[str, Any]]:
    """One point per call (latency in ms), with night gaps and unmeasured (null) calls."""
    rows: list[dict[str, Any]] = []
    start = NOW - RANGES[span]
    seconds = RANGES[span].total_seconds()
    while len(rows) < count:
        moment = start + timedelta(seconds=rng.random() * seconds)
        if not 7 <= (moment.hour - 5) % 24 <= 21:
            continue
        value = None if nulls and rng.random() < 0.03 else 900 + 300 * rng.random() + (4000 * (rng.random() < 0.02))
        rows.append({"id": len(rows), "timestamp": _iso(moment), "value": value})
    return sorted(rows, key=lambda r: str(r["timestamp"]))


def cases() -> Iterator[tuple[str, WidgetView]]:
    """(file stem, view) for every case, in a fixed order."""
    rng = random.Random(9)
    for span in RANGES:
        for period in ("hour", "day", "week", "month"):
            rows = _bars(period, span, rng)
            name = f"Calls per {period}"
            yield (
                f"bar-count-{period}-{span}",
                _view(name, "bar", "duration", rows, span, aggregation_function="count", time_period=period),
            )
    avg = [r | {"value": 200 + 60 * math.sin(i), "sample_count": 5} for i, r in enumerate(_bars("day", "7d", rng))]
    yield (
        "bar-avg-duration-day-7d",
        _view("Average call length", "bar", "duration", avg[::2], "7d", aggregation_function="avg", time_period="day"),
    )
    rate = [r | {"value": 0.7 + 0.2 * math.cos(i)} for i, r in enumerate(_bars("day", "30d", rng))]
    yield (
        "bar-success-rate-day-30d",
        _view(
            "Success rate",
            "bar",
            "success",
            rate,
            "30d",
            data_type="boolean",
            aggregation_function="avg",
            time_period="day",
        ),
    )
    negative = [{"time_interval": r["time_interval"], "value": -40 + 9 * i} for i, r in enumerate(avg)]
    yield (
        "bar-negative-day-7d",
        _view("Score change", "bar", "metadata.score", negative, "7d", aggregation_function="sum", time_period="day"),
    )
    one = [{"time_interval": _iso(NOW.replace(hour=0, minute=0)), "value": 4, "sample_count": 4}]
    yield (
        "bar-one-point-day-24h",
        _view("Calls per day", "bar", "duration", one, "24h", aggregation_function="count", time_period="day"),
    )
    yield (
        "line-latency-2000-7d",
        _view(
            "Latency of every call",
            "line",
            "metric_evaluations.value",
            _calls(2000, "7d", rng),
            "7d",
            metric=101,
            metric_name="Latency (ms)",
        ),
    )
    yield (
        "line-latency-5000-30d",
        _view(
            "Latency of every call",
            "line",
            "metric_evaluations.value",
            _calls(5000, "30d", rng),
            "30d",
            metric=101,
            metric_name="Latency (ms)",
        ),
    )
    yield (
        "line-duration-120-24h",
        _view(
            "Call duration",
            "line",
            "duration",
            [r | {"value": (r["value"] or 0) / 5 or None} for r in _calls(120, "24h", rng)],
            "24h",
        ),
    )
    yield (
        "line-one-point-24h",
        _view(
            "Call duration",
            "line",
            "duration",
            [{"id": 1, "timestamp": _iso(NOW - timedelta(hours=2)), "value": 252}],
            "24h",
        ),
    )
    yield (
        "line-negative-7d",
        _view(
            "Sentiment score",
            "line",
            "metadata.sentiment",
            [
                {"id": i, "timestamp": _iso(NOW - timedelta(hours=3 * i)), "value": math.sin(i / 4) * 5}
                for i in range(56)
            ],
            "7d",
        ),
    )
    reasons = [("customer_ended_call", 320), ("agent_ended_call", 210), ("timeout", 105), ("error", 65)]
    yield (
        "pie-end-reason",
        _view("Calls by end reason", "pie", "call_ended_reason", [{"label": k, "value": v} for k, v in reasons]),
    )
    yield (
        "pie-success",
        _view(
            "Did calls succeed?",
            "pie",
            "success",
            [{"label": "true", "value": 79}, {"label": "false", "value": 21}],
            data_type="boolean",
        ),
    )
    yield (
        "pie-politeness",
        _view(
            "Politeness",
            "pie",
            "metric_evaluations.value",
            [{"label": k, "value": v} for k, v in (("polite", 81), ("neutral", 16), ("rude", 3))],
            metric=102,
            metric_name="Politeness",
        ),
    )
    yield (
        "pie-40-slices",
        _view("Calls by topic", "pie", "topic", [{"label": f"topic_{i:02d}", "value": 100 - 2 * i} for i in range(40)]),
    )
    unicode_title = "配送の問題 🚚 · Livraisons en retard 📦 — " + "a very long title that has to wrap " * 3
    yield (
        "pie-unicode",
        _view(
            unicode_title,
            "pie",
            "metadata.region",
            [{"label": k, "value": v} for k, v in (("東京", 40), ("서울", 30), ("São Paulo 🌎", 20))],
        ),
    )
    stats = {"total_calls": 1432, "success_rate": 92.4, "avg_duration": 252, "p95_latency": 1410}
    yield "stat-card", _view("Key figures", "stat", "", stats)
    yield "empty", _view("Calls by topic", "pie", "topic", [])


def _sheet(images: list[bytes]) -> bytes:
    """The images shrunk to PREVIEW_PX wide, in a grid: how a channel full of them looks in Slack."""
    tiles = []
    for png in images:
        with Image.open(io.BytesIO(png)) as image:
            height = round(image.height * PREVIEW_PX / image.width)
            tiles.append(image.convert("RGB").resize((PREVIEW_PX, height), Image.Resampling.LANCZOS))
    gap, rows = 12, math.ceil(len(tiles) / _COLUMNS)
    row_heights = [max(t.height for t in tiles[r * _COLUMNS : (r + 1) * _COLUMNS]) for r in range(rows)]
    sheet = Image.new("RGB", (_COLUMNS * (PREVIEW_PX + gap) + gap, sum(row_heights) + gap * (rows + 1)), "#D0D4D9")
    y = gap
    for r in range(rows):
        for c, tile in enumerate(tiles[r * _COLUMNS : (r + 1) * _COLUMNS]):
            sheet.paste(tile, (gap + c * (PREVIEW_PX + gap), y))
        y += row_heights[r] + gap
    out = io.BytesIO()
    sheet.save(out, "PNG", optimize=False)
    return out.getvalue()


def write_gallery(out: Path) -> list[Path]:
    """Render every case into `out` (one PNG each, plus contact-sheet.png); return the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    paths, images = [], []
    for stem, view in cases():
        png = render(view.chart)
        path = out / f"{stem}.png"
        path.write_bytes(png)
        paths.append(path)
        images.append(png)
        print(f"  {path}  {view.key_figure}")
    sheet = out / "contact-sheet.png"
    sheet.write_bytes(_sheet(images))
    return [*paths, sheet]
