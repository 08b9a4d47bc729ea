"""SIGKILL during publication leaves every published file whole and readable.

`publish()` runs in a child process with LAGESBILD_PUBLISH_FAULT naming the point at which
it kills itself (SIGKILL, like a power cut or the OOM killer). Afterwards the main file,
every region file and the export are each either the previous version (sha256 unchanged)
or the complete new one (verified against its own publication log), and the next
publication succeeds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from lagesbild.publish.publisher import FAULT_ENV, FAULT_POINTS, publish
from lagesbild.publish.versions import LINK_TMP_SUFFIX, linked_version
from lagesbild.settings import REGION_SLUGS, DataPaths
from tests.conftest import PipelineRun
from tests.integration.publication_helpers import (
    copy_data_dir,
    fingerprints,
    region_parquet_runs,
    region_run,
    verify_published_file,
)

pytestmark = pytest.mark.integration

MONTH = "2024-06"
CHILD = """
import sys
from pathlib import Path
from lagesbild.publish.publisher import publish
from lagesbild.settings import DataPaths
publish(DataPaths(Path(sys.argv[1])), month=sys.argv[2], run_id=sys.argv[3])
"""
# (fault point, is the main file already replaced when it fires?)
FAULTS = [
    ("after_build", False),
    ("after_verify", False),
    ("after_regions_built", False),
    ("after_export_built", False),
    ("after_archive", False),
    ("after_version_placed", False),
    ("after_main_replaced", True),
    ("mid_regions_replaced", True),
    ("after_regions_replaced", True),
]


def test_every_fault_point_of_the_publisher_is_killed_in_a_test() -> None:
    assert [fault for fault, _ in FAULTS] == list(FAULT_POINTS)


@pytest.fixture(scope="module")
def workspace(pipeline_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    return copy_data_dir(pipeline_run.paths, tmp_path_factory.mktemp("faults"))


def publish_in_child(paths: DataPaths, run_id: str, fault: str) -> int:
    env = {**os.environ, FAULT_ENV: fault}
    completed = subprocess.run(
        [sys.executable, "-c", CHILD, str(paths.root), MONTH, run_id],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=300,
    )
    return completed.returncode


@pytest.mark.parametrize(("fault", "main_replaced"), FAULTS, ids=[f for f, _ in FAULTS])
def test_sigkill_during_publication_leaves_the_previous_publication_intact(
    workspace: DataPaths, fault: str, main_replaced: bool
) -> None:
    previous_run = verify_published_file(workspace.publish_db)
    before = fingerprints(workspace)
    regions = {slug: workspace.publish_dir / "regions" / f"{slug}.duckdb" for slug in REGION_SLUGS}
    regions_before = {slug: region_run(path) for slug, path in regions.items()}
    run_id = f"killed-{fault}"

    assert publish_in_child(workspace, run_id, fault) == -signal.SIGKILL

    after = fingerprints(workspace)
    assert set(after) == set(before)
    logged_run = verify_published_file(workspace.publish_db)
    if main_replaced:
        assert logged_run == run_id
    else:
        assert logged_run == previous_run
        assert after == before
    for slug, path in regions.items():
        assert region_run(path) in (regions_before[slug], run_id)
        assert region_parquet_runs(workspace, slug) == {region_run(path)}  # beside its file
    export = pl.read_parquet(workspace.publish_dir / "export" / "indicators_monthly.parquet")
    assert export.height > 0


def test_the_next_publication_after_the_faults_succeeds_and_cleans_up(workspace: DataPaths) -> None:
    publication = publish(workspace, month=MONTH, run_id="after-faults")
    assert verify_published_file(workspace.publish_db) == "after-faults"
    assert all(region_run(path) == "after-faults" for path in publication.region_files.values())
    assert list(workspace.publish_staging.iterdir()) == []
    assert publication.archived_as.exists()
    # what the killed publications left is gone: versions no link names (kept: this one and
    # the one the links named before it, for a reader that resolved a link before the swap)
    # and links staged but never put in place
    versions = {path.name for path in workspace.publish_versions.iterdir()}
    assert len(versions) <= 2
    assert linked_version(workspace.publish_db, workspace.publish_versions).name in versions
    assert not [
        path
        for folder in (workspace.publish_dir, workspace.publish_dir / "regions")
        for path in folder.iterdir()
        if path.name.endswith(LINK_TMP_SUFFIX)
    ]
