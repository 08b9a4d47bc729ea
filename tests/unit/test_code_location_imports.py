"""The code location loads without the review's statistics and chart stack (scipy, matplotlib):
every command imports it, and only the steps that compute statistics or draw need them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("scipy", "matplotlib")


def test_the_code_location_does_not_import_scipy_or_matplotlib() -> None:
    script = (
        "import json, sys; import pipelines.definitions; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_monthly_pages_load_the_exact_rate_ratio_when_they_compute_it() -> None:
    script = (
        "import sys, numpy as np; import lagesbild.reports.monthly as monthly; "
        "assert 'scipy' not in sys.modules; "
        "from lagesbild.review.statistics import FEW_EVENTS, rate_ratio_exact; "
        "from lagesbild.review.thresholds import FEW_EVENTS as shared; "
        "assert FEW_EVENTS is shared == monthly.FEW_EVENTS == 10; "
        "one = np.array([1.0]); "
        "r = rate_ratio_exact(np.array([30.0]), np.array([10.0]), one, one); "
        "print(round(float(r.rate_ratio[0]), 6))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "3.0"


def test_the_review_process_hands_the_drawing_to_the_workers_without_matplotlib() -> None:
    """The process that runs the review builds the reports' view model and sends it to the
    report workers; only they draw, so only their forkserver imports matplotlib."""
    script = (
        "import sys; import lagesbild.review.compute, lagesbild.review.report; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'matplotlib'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip().splitlines()[-1] == "[]"
