"""Shared fixtures: one small generated data set, run once through the real asset graph."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lagesbild.settings import DataPaths

SMALL_START = "2023-01"
SMALL_END = "2024-06"
SMALL_SEED = 7


@dataclass(frozen=True)
class PipelineRun:
    """A data directory after a single-run backfill of the small data set."""

    paths: DataPaths
    run_id: str
    start: str
    end: str


@pytest.fixture(scope="session")
def small_landing(tmp_path_factory: pytest.TempPathFactory) -> DataPaths:
    """The small synthetic default data set, generated once per test session."""
    from lagesbild.generator import generate

    root = tmp_path_factory.mktemp("lagesbild-small")
    generate(root, scale="small", start=SMALL_START, end=SMALL_END, seed=SMALL_SEED)
    return DataPaths(root)


@pytest.fixture(scope="session")
def pipeline_run(small_landing: DataPaths) -> Iterator[PipelineRun]:
    """Materialize the whole graph (ingest → dbt → publish) once, as one backfill run.

    Read-only for the tests: a test that runs, publishes or reviews works on a copy
    (`copy_data_dir`), since the modules run in any order (and in several workers)."""
    from pipelines.definitions import build_definitions
    from pipelines.instance import get_instance
    from pipelines.runner import run_months

    previous_home = os.environ.get("DAGSTER_HOME")
    instance = get_instance(small_landing)
    outcome = run_months(build_definitions(small_landing), instance, SMALL_START, SMALL_END)
    assert outcome.success, "\n".join(outcome.failures)
    yield PipelineRun(small_landing, outcome.run_id, SMALL_START, SMALL_END)
    if previous_home is None:
        os.environ.pop("DAGSTER_HOME", None)
    else:
        os.environ["DAGSTER_HOME"] = previous_home


def copy_landing(source: DataPaths, target_root: Path) -> DataPaths:
    """A fresh data directory holding a copy of another one's landing zone."""
    import shutil

    shutil.copytree(source.landing, target_root / "landing")
    return DataPaths(target_root)
