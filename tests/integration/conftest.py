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
