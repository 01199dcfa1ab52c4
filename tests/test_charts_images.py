"""Image regression: gallery cases against stored baselines, so a change that moves pixels is seen.

A failure leaves the new image and a diff next to each other in pytest's tmp dir (the message says
where). When the change is wanted, regenerate and review the new baselines like any other diff:

    CHARTS_UPDATE_BASELINES=1 .venv/bin/python -m pytest -q tests/test_charts_images.py
    git diff --stat tests/images/    # then look at the PNGs before committing them
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from matplotlib.testing.compare import compare_images

from bot.gallery import cases
from charts import render

BASELINES = Path(__file__).parent / "images"
# RMS over 0–255 channels: anti-aliasing noise stays far below it; a label or bar that moves does not.
TOLERANCE = 2.0
CASES = (
    "bar-count-hour-24h",
    "bar-count-day-7d",
    "bar-count-month-24h",
    "bar-count-week-30d",
    "bar-avg-duration-day-7d",
    "line-latency-2000-7d",
    "line-duration-120-24h",
    "pie-politeness",
    "pie-unicode",
    "stat-card",
    "empty",
)
VIEWS = {stem: view for stem, view in cases() if stem in CASES}


@pytest.mark.parametrize("stem", CASES)
def test_chart_matches_its_baseline(stem: str, tmp_path: Path) -> None:
    actual = tmp_path / f"{stem}.png"
    actual.write_bytes(render(VIEWS[stem].chart))
    baseline = BASELINES / f"{stem}.png"
    if os.environ.get("CHARTS_UPDATE_BASELINES") == "1":
        shutil.copyfile(actual, baseline)
    assert baseline.exists(), f"no baseline {baseline}: run with CHARTS_UPDATE_BASELINES=1 and review it"
    result = compare_images(str(baseline), str(actual), tol=TOLERANCE)
    assert result is None, result


def test_a_moved_pixel_block_is_caught(tmp_path: Path) -> None:
    # The comparison itself must see a real change: shift the stamp line of one baseline a little.
    import numpy as np
    from PIL import Image

    baseline = BASELINES / "bar-count-day-7d.png"
    with Image.open(baseline) as image:
        pixels = np.asarray(image.convert("RGB")).copy()
    pixels[-60:, :] = np.roll(pixels[-60:, :], 12, axis=1)
    moved = tmp_path / "moved.png"
    Image.fromarray(pixels).save(moved)
    assert compare_images(str(baseline), str(moved), tol=TOLERANCE) is not None
