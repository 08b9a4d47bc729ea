"""An effect report opened offline in headless Chromium: its charts are drawn, not blank."""

from __future__ import annotations

import re
import subprocess
from datetime import date
from pathlib import Path

import pytest

from lagesbild.effects.evaluate import evaluate_measure
from lagesbild.effects.report import write_report
from lagesbild.effects.store import effect_frame
from tests.e2e.test_report_in_chromium import CHROMIUM_FLAGS, WIDTH, chromium, read_png
from tests.unit.test_effects_evaluation import make_inputs, measure

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def effect_report(tmp_path_factory) -> Path:
    inputs = make_inputs(effect=0.7)
    target = measure(registered_date=date(2023, 2, 1))  # post hoc
    evaluation = evaluate_measure(target, inputs, [target])
    rows = effect_frame([evaluation], {"A00": "syd"}).to_dicts()
    return write_report(evaluation, inputs, rows, tmp_path_factory.mktemp("effects"))


def test_the_effect_report_renders_offline_with_non_empty_charts(
    effect_report: Path, tmp_path: Path
) -> None:
    browser = chromium()
    common = [browser, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}"]
    url = effect_report.as_uri()
    dom = subprocess.run(
        [*common, "--dump-dom", url], capture_output=True, text=True, timeout=120, check=True
    ).stdout
    boxes = [
        (name, [int(v) for v in box.split(",")])
        for name, box in re.findall(r'data-chart="(\w+)"[^>]*data-box="([\d,]+)"', dom)
    ]
    assert {name for name, _ in boxes} == {
        "series_violent_crime_area",
        "event_study_violent_crime",
        "placebo_violent_crime",
    }
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
            continue
        region = image[top : top + height, left : left + width].astype(float)
        assert region.size and region.std() > 10, f"chart {name} looks empty"
        assert (region.mean(axis=2) < 200).mean() > 0.01, f"chart {name} has nothing drawn"
        checked += 1
    assert checked == 3
    text = re.sub(r"<[^>]+>", " ", dom)
    assert "SYNTETISKA DATA" in text and "Registrerad i efterhand" in text
    assert "Minskning: våldsbrott i området" in text
