"""The landing-zone sensor under a real dagster-daemon: one complete month → exactly one run."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from lagesbild.settings import MONTHLY_SOURCES, PROJECT_ROOT, DataPaths
from pipelines.instance import prepare_dagster_home

pytestmark = pytest.mark.e2e

MONTH = "2024-06"
RUN_TIMEOUT_S = 420


def one_month_landing(source: DataPaths, root: Path) -> DataPaths:
    paths = DataPaths(root)
    for name in ("geography", "population"):
        shutil.copytree(source.landing_source(name), paths.landing_source(name))
    for name in MONTHLY_SOURCES:
        paths.landing_source(name).mkdir(parents=True)
        shutil.copy(source.landing_source(name) / f"{MONTH}.csv", paths.landing_source(name))
    return paths


def dagster_cli(name: str) -> str:
    return str(Path(sys.executable).with_name(name))


def test_the_daemon_launches_exactly_one_run_for_a_complete_month(
    small_landing: DataPaths, tmp_path: Path
) -> None:
    paths = one_month_landing(small_landing, tmp_path / "data")
    previous_home = os.environ.get("DAGSTER_HOME")
    home = prepare_dagster_home(paths)
    env = {**os.environ, "DAGSTER_HOME": home, "LAGESBILD_DATA_DIR": str(paths.root)}
    started = subprocess.run(
        [dagster_cli("dagster"), "sensor", "start", "landing_zone_sensor", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert started.returncode == 0, started.stdout + started.stderr
    daemon = subprocess.Popen(
        [dagster_cli("dagster-daemon"), "run", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with dg.DagsterInstance.from_config(home) as instance:
            deadline = time.monotonic() + RUN_TIMEOUT_S
            while True:
                runs = instance.get_runs()
                if runs and runs[0].is_finished:
                    break
                assert time.monotonic() < deadline, f"no finished run: {runs}"
                time.sleep(3)
            time.sleep(45)  # at least one more sensor tick on the unchanged landing zone
            runs = instance.get_runs()
    finally:
        daemon.terminate()
        daemon.wait(timeout=60)
        if previous_home is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = previous_home
    assert len(runs) == 1
    run = runs[0]
    assert run.status == dg.DagsterRunStatus.SUCCESS
    assert run.tags["dagster/partition"] == MONTH
    assert run.tags["dagster/run_key"].startswith(f"{MONTH}@")
    assert paths.publish_db.exists()
