"""Fixtures shared by the integration tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from lagesbild.settings import DataPaths
from tests.conftest import PipelineRun
from tests.integration.publication_helpers import DagsterHome, copy_data_dir


@pytest.fixture
def workspace(pipeline_run: PipelineRun, tmp_path: Path) -> Iterator[DataPaths]:
    """A private copy of the published small data directory, with its Dagster instance."""
    home = DagsterHome()
    yield copy_data_dir(pipeline_run.paths, tmp_path, with_instance=True)
    home.restore()


@pytest.fixture(scope="session")
def dbt_slots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Data directories the dbt model tests copy the warehouse into, the same for every test.

    dbt's parse state names the warehouse's path (it is in the profile), so with one path per
    role each invocation starts from the parse state the previous one kept, as the runs of one
    data directory do (`lagesbild.warehouse.dbt_invocation`), instead of parsing the project
    anew (several seconds each).
    """
    return tmp_path_factory.mktemp("dbt-slots")
