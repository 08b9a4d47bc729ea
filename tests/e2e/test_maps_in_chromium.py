"""The maps render offline in headless Chromium: a regional monthly page and a tertial report.

The page's own script records where each map's SVG is drawn (`data-box`); the screenshot's
pixels there must show coloured polygons, not a blank or grey box.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lagesbild.review.compute import build_review
from lagesbild.review.inputs import load_inputs
from lagesbild.review.report import write_reports
from tests.conftest import PipelineRun
from tests.e2e.test_report_in_chromium import CHROMIUM_FLAGS, WIDTH, chromium, read_png

pytestmark = pytest.mark.e2e
MAX_HEIGHT = 16_000


def map_boxes(page: Path, profile: Path) -> dict[str, list[int]]:
    """data-map name → [left, top, width, height] as laid out by Chromium."""
    dom = subprocess.run(
        [chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    boxes = {
        name: [int(v) for v in box.split(",")[:4]]
        for name, box in re.findall(
            r'<svg class="map-svg" data-map="(\w+)"[^>]*data-box="([\d,]+)"', dom
        )
    }
    assert "SYNTETISKA DATA" in re.sub(r"<[^>]+>", " ", dom)
    return boxes


def screenshot(page: Path, profile: Path, height: int, target: Path) -> np.ndarray:
    flags = [f for f in CHROMIUM_FLAGS if not f.startswith("--window-size")]
    subprocess.run(
        [
            chromium(),
            *flags,
            f"--window-size={WIDTH},{height}",
            f"--user-data-dir={profile}",
            f"--screenshot={target}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return read_png(target)


def assert_maps_drawn(page: Path, tmp_path: Path, expected: set[str]) -> None:
    profile = tmp_path / "profile"
    boxes = map_boxes(page, profile)
    assert set(boxes) == expected
    bottom = max(top + height for _, top, _, height in boxes.values())
    image = screenshot(page, profile, min(bottom + 40, MAX_HEIGHT), tmp_path / f"{page.stem}.png")
    assert image.shape[1] == WIDTH
    for name, (left, top, width, height) in boxes.items():
        assert width > 300 and height > 100, f"map {name} is not laid out: {width}×{height}"
        region = image[top : top + height, left : left + width].astype(float)
        assert region.size and region.std() > 10, f"map {name} looks empty"
        saturation = region.max(axis=2) - region.min(axis=2)
        coloured = (saturation > 60).mean()
        assert coloured > 0.003, f"map {name}: no shaded polygon ({coloured:.4f} coloured)"
        assert (region.mean(axis=2) < 120).mean() > 0.0005, f"map {name}: no outlines or labels"


def test_a_regional_monthly_page_draws_its_map_offline(
    pipeline_run: PipelineRun, tmp_path: Path
) -> None:
    page = pipeline_run.paths.root / "reports" / "monthly" / "2024-06" / "stockholm.html"
    assert_maps_drawn(page, tmp_path, {"monthly"})


def test_a_regional_tertial_report_draws_its_index_and_change_maps_offline(
    pipeline_run: PipelineRun, tmp_path: Path
) -> None:
    paths = pipeline_run.paths
    inputs = load_inputs(paths.publish_db, "2024-T1", is_synthetic=True)
    reports = write_reports(inputs, build_review(inputs), tmp_path / "reports")
    assert_maps_drawn(reports["syd"], tmp_path, {"index", "change"})
