"""The `lagesbild` command as a user runs it, on the published small data set."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PipelineRun

pytestmark = pytest.mark.e2e

LAGESBILD = str(Path(sys.executable).with_name("lagesbild"))


def lagesbild(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir)}
    return subprocess.run([LAGESBILD, *args], env=env, capture_output=True, text=True, timeout=600)


def test_query_answers_from_the_published_file(pipeline_run: PipelineRun) -> None:
    result = lagesbild(
        [
            "query",
            "select geo_level, count(distinct geo_code) as n from marts.fct_indicator_month "
            "group by 1 order by 1",
            "--format",
            "csv",
        ],
        pipeline_run.paths.root,
    )
    assert result.returncode == 0, result.stderr
    rows = dict(line.split(";") for line in result.stdout.strip().splitlines()[1:])
    assert rows["region"] == "7"
    assert rows["nation"] == "1"
    assert int(rows["area"]) >= 65


def test_a_malformed_month_is_refused_with_a_usage_error(tmp_path: Path) -> None:
    result = lagesbild(["run", "--month", "2024-13"], tmp_path)
    assert result.returncode == 2
    assert "expected a month as YYYY-MM" in result.stderr


def test_query_without_a_publication_says_so(tmp_path: Path) -> None:
    result = lagesbild(["query", "select 1"], tmp_path)
    assert result.returncode == 1
    assert "no published warehouse" in result.stderr


def test_a_month_that_has_not_ended_is_refused(tmp_path: Path) -> None:
    result = lagesbild(["run", "--month", "2099-01"], tmp_path)
    assert result.returncode == 2
    assert "2099-01 has not ended yet" in result.stderr
