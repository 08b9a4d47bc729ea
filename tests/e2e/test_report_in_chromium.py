"""A tertial report opened offline in headless Chromium: the charts are drawn, not blank."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lagesbild.review.compute import build_review
from lagesbild.review.inputs import is_synthetic_data, load_inputs
from lagesbild.review.report import write_reports

pytestmark = pytest.mark.e2e
WIDTH, HEIGHT = 1000, 9000
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--hide-scrollbars",
    "--force-device-scale-factor=1",
    "--virtual-time-budget=3000",
    f"--window-size={WIDTH},{HEIGHT}",
]


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("chromium is not installed (make test installs Debian's chromium)")


def read_png(path: Path) -> np.ndarray:
    from PIL import Image  # matplotlib's own dependency

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"))


@pytest.fixture(scope="module")
def national_report(pipeline_run, tmp_path_factory) -> Path:
    paths = pipeline_run.paths
    inputs = load_inputs(paths.publish_db, "2024-T1", is_synthetic=is_synthetic_data(paths))
    tables = build_review(inputs)
    folder = tmp_path_factory.mktemp("report")
    return write_reports(inputs, tables, folder)["nationell"]


def test_the_national_report_renders_offline_with_non_empty_charts(
    national_report: Path, tmp_path: Path
) -> None:
    browser = chromium()
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    url = national_report.as_uri()
    dom = subprocess.run(
        [*common, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    boxes = [
        (name, [int(v) for v in box.split(",")])
        for name, box in re.findall(r'data-chart="(\w+)"[^>]*data-box="([\d,]+)"', dom)
    ]
    assert {name for name, _ in boxes} >= {"control", "areas", "index"}
    shot = tmp_path / "report.png"
    subprocess.run(
        [*common, f"--screenshot={shot}", url], capture_output=True, timeout=120, check=True
    )
    image = read_png(shot)
    assert image.shape[1] == WIDTH
    checked = 0
    for name, (left, top, width, height, natural_width) in boxes:
        assert natural_width > 0, f"chart {name} did not load"
        if top + height > image.shape[0]:
            continue  # below the screenshot; the DOM check above covers it
        region = image[top : top + height, left : left + width].astype(float)
        assert region.size and region.std() > 10, f"chart {name} looks empty"
        assert (region.mean(axis=2) < 200).mean() > 0.01, f"chart {name} has nothing drawn"
        checked += 1
    assert checked >= 2
    page_text = re.sub(r"<[^>]+>", " ", dom)
    assert "SYNTETISKA DATA" in page_text
