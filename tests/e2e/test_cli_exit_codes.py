"""The exit codes the README promises, through the installed `lagesbild` command.

"Exit status 0 on success; non-zero, with the reason on stderr, when a delivery is rejected,
a month is incomplete or publication is refused. The previous publication then stays in
place." (Usage errors exit 2: tests/e2e/test_cli.py; success: the corrected delivery in
tests/integration/test_coverage_gate.py.) Each case runs on a private copy of the published
small data set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lagesbild.settings import DataPaths
from tests.conftest import PipelineRun
from tests.e2e.test_cli import lagesbild
from tests.integration.publication_helpers import DagsterHome, copy_data_dir, fingerprints
from tests.integration.test_coverage_gate import MONTH, drop_rows, in_municipalities
from tests.integration.test_coverage_gate import municipalities_where as where

pytestmark = pytest.mark.e2e


@pytest.fixture
def workspace(pipeline_run: PipelineRun, tmp_path: Path) -> Iterator[DataPaths]:
    home = DagsterHome()
    yield copy_data_dir(pipeline_run.paths, tmp_path, with_instance=True)
    home.restore()


def test_a_rejected_delivery_exits_1_naming_file_line_and_column(workspace: DataPaths) -> None:
    before = fingerprints(workspace)
    landing = workspace.landing_source("offences") / f"{MONTH}.csv"
    lines = landing.read_text(encoding="utf-8").split("\n")
    fields = lines[3].split(";")
    fields[2] = "99X9"  # offence_code on data line 3 (file line 4)
    lines[3] = ";".join(fields)
    landing.write_text("\n".join(lines), encoding="utf-8")

    result = lagesbild(["run", "--month", MONTH], workspace.root)

    assert result.returncode == 1
    assert "offences/2024-06.csv" in result.stderr
    assert "line 4" in result.stderr and "offence_code" in result.stderr and "99X9" in result.stderr
    assert "the previous publication (if any) is unchanged" in result.stderr
    assert list((workspace.quarantine / "offences" / MONTH).glob("*.reason.txt"))
    assert fingerprints(workspace) == before


def test_a_delivery_with_a_region_missing_exits_1_naming_the_region(
    workspace: DataPaths,
) -> None:
    before = fingerprints(workspace)
    drop_rows(workspace, "offences", in_municipalities(where("region_slug", "syd")))

    result = lagesbild(["run", "--month", MONTH], workspace.root)

    assert result.returncode == 1
    assert "raw/offences:coverage_complete FAILED" in result.stderr
    assert "offences, region syd (Syd), 2024-06: 0 rows, expected ≈ " in result.stderr
    assert fingerprints(workspace) == before


def test_an_incomplete_month_exits_1_naming_the_missing_sources(workspace: DataPaths) -> None:
    """2024-07 was never delivered by any source: built, flagged missing, never published."""
    before = fingerprints(workspace)

    result = lagesbild(["run", "--month", "2024-07"], workspace.root)

    assert result.returncode == 1
    assert "Publication refused: 2024-07 is incomplete" in result.stderr
    assert "offences, clearances, incidents, staffing, presence, cameras" in result.stderr
    assert "Missing is not zero" in result.stderr
    assert fingerprints(workspace) == before
