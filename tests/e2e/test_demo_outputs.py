"""The end of `make run` (`lagesbild demo`): the latest complete tertial's review and the latest
month's regional pages, and where they are."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from lagesbild.settings import REGION_SLUGS, DataPaths
from pipelines.cli import demo_reports
from tests.conftest import PipelineRun
from tests.integration.publication_helpers import DagsterHome, copy_data_dir

pytestmark = pytest.mark.e2e


@pytest.fixture
def workspace(pipeline_run: PipelineRun, tmp_path: Path) -> Iterator[DataPaths]:
    home = DagsterHome()
    paths = copy_data_dir(pipeline_run.paths, tmp_path, with_instance=True)
    monthly = pipeline_run.paths.root / "reports" / "monthly"
    shutil.copytree(monthly, paths.root / "reports" / "monthly")
    yield paths
    home.restore()


def test_the_demo_ends_with_the_latest_tertial_review_and_the_monthly_pages(
    workspace: DataPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo_reports(workspace, "2023-01", "2024-06") == 0

    printed = capsys.readouterr().out
    tertial = workspace.root / "reports" / "tertial" / "2024-T1"  # 2024-T2 ends in August
    expected = {"nationell", *REGION_SLUGS}
    assert {p.stem for p in tertial.glob("*.html")} == expected
    assert f"Reports in {tertial}" in printed
    monthly = workspace.root / "reports" / "monthly" / "2024-06"
    assert f"Monthly lägesbild 2024-06: 8 pages in {monthly}" in printed
    assert {p.stem for p in monthly.glob("*.html")} == expected


def test_without_a_complete_tertial_the_demo_says_so(
    workspace: DataPaths, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo_reports(workspace, "2024-02", "2024-06") == 0
    assert "No complete tertial in the data (2024-02..2024-06)" in capsys.readouterr().out
    assert not (workspace.root / "reports" / "tertial").exists()
