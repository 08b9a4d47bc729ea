"""dbt in a warm process (lagesbild/warehouse/warm_dbt.py): the real dbt, its events, its exit
status and its interrupts, run by the `lagesbild-dbt` launcher Dagster uses as dbt."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from assets.resources import LagesbildDbtCli, build_resources
from lagesbild.settings import DBT_EXECUTABLE, DBT_LAUNCHER, DBT_PROJECT_DIR, DataPaths
from lagesbild.warehouse.warm_dbt import WARM_DBT_ENV, WARM_NOTICE, WarmDbt, warm_dbt
from tests.conftest import PipelineRun
from tests.integration.publication_helpers import DagsterHome, copy_data_dir

pytestmark = pytest.mark.integration

LAGESBILD = str(Path(sys.executable).with_name("lagesbild"))
LEAVE_WITHIN_S = 30.0
"""A liveness bound (the warm process polls for its parent every second), not a benchmark."""


@pytest.fixture
def dbt_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A warehouse path for dbt's profile (dbt creates the file when it connects)."""
    monkeypatch.setenv("LAGESBILD_WAREHOUSE_PATH", str(tmp_path / "warehouse.duckdb"))
    monkeypatch.delenv(WARM_DBT_ENV, raising=False)
    return tmp_path


def dbt_resource(root: Path) -> LagesbildDbtCli:
    """The pipeline's own dbt resource."""
    resource = build_resources(DataPaths(root / "data"))["dbt"]
    assert isinstance(resource, LagesbildDbtCli)
    return resource


def list_models(root: Path, name: str) -> tuple[bool, set[int], list[str]]:
    """`dbt ls` of one model through the pipeline's dbt resource: success, pids, messages."""
    invocation = dbt_resource(root).cli(
        ["ls", "--select", "stg_cameras__cameras", "--resource-type", "model"],
        target_path=root / name,
        raise_on_error=False,
    )
    events = list(invocation.stream_raw_events())
    pids = {event.raw_event["info"]["pid"] for event in events}
    messages = [str(event.raw_event["info"]["msg"]) for event in events]
    return invocation.is_successful(), pids, messages


def alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return status != "Z"


def wait_until(condition: Callable[[], bool], seconds: float = LEAVE_WITHIN_S) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_the_pipeline_s_dbt_runs_in_the_warm_process_once(dbt_environment: Path) -> None:
    assert dbt_resource(dbt_environment).dbt_executable == DBT_LAUNCHER

    with WarmDbt() as warm:
        assert os.environ[WARM_DBT_ENV] == warm.path
        succeeded, pids, messages = list_models(dbt_environment, "warm")
        assert succeeded
        assert pids == {warm.process.pid}  # every event of the invocation came from it
        assert "lagesbild.staging.stg_cameras__cameras" in messages
        assert not alive(warm.process.pid)  # the launcher returned once it had gone

        # it served one invocation: the next one starts the real dbt executable
        succeeded, cold_pids, messages = list_models(dbt_environment, "cold")
        assert succeeded
        assert len(cold_pids) == 1 and cold_pids != pids
        assert "lagesbild.staging.stg_cameras__cameras" in messages
    assert WARM_DBT_ENV not in os.environ
    assert not Path(warm.directory).exists()
    run_log = (dbt_environment / "warm" / "dbt.log").read_text()
    assert json.loads(run_log.splitlines()[0])["info"]["pid"] == warm.process.pid


def test_the_warm_process_closes_the_warehouse_before_it_ends(dbt_environment: Path) -> None:
    """It ends without the collector's teardown only after dbt-duckdb's database is closed."""
    warehouse = Path(os.environ["LAGESBILD_WAREHOUSE_PATH"])
    with WarmDbt() as warm:
        invocation = dbt_resource(dbt_environment).cli(
            ["seed", "--select", "police_regions"], target_path=dbt_environment / "seed"
        )
        pids = {event.raw_event["info"]["pid"] for event in invocation.stream_raw_events()}
        assert invocation.is_successful()
        assert not alive(warm.process.pid)

    assert pids == {warm.process.pid}  # the seed was loaded in the warm process
    assert not Path(f"{warehouse}.wal").exists()  # closed with its checkpoint, nothing to replay
    with duckdb.connect(str(warehouse), read_only=True) as conn:
        regions = conn.execute("select count(*) from reference.police_regions").fetchone()
    assert regions == (7,)


def test_dbt_s_exit_status_is_the_launcher_s(dbt_environment: Path) -> None:
    command = ["build", "--no-such-option"]
    real = subprocess.run([DBT_EXECUTABLE, *command], cwd=DBT_PROJECT_DIR, capture_output=True)
    with WarmDbt() as warm:
        launched = subprocess.run(
            [DBT_LAUNCHER, *command], cwd=DBT_PROJECT_DIR, capture_output=True, text=True
        )
        assert not alive(warm.process.pid)
    assert real.returncode == launched.returncode == 2
    assert f"{WARM_NOTICE} {warm.process.pid}" in launched.stderr
    assert (
        launched.stderr.splitlines()[-1] == real.stderr.decode().splitlines()[-1]
    )  # the same usage error


def test_an_interrupt_reaches_dbt_in_the_warm_process(dbt_environment: Path) -> None:
    env = {
        **os.environ,
        "DBT_PROFILES_DIR": str(DBT_PROJECT_DIR),
        "DBT_TARGET_PATH": str(dbt_environment / "target"),
        "DBT_LOG_PATH": str(dbt_environment / "target"),
    }
    endless = "select count(*) from range(1000000000000)"
    with WarmDbt() as warm:
        launcher = subprocess.Popen(
            [DBT_LAUNCHER, "show", "--inline", endless, "--log-format", "json"],
            cwd=DBT_PROJECT_DIR,
            env={**env, WARM_DBT_ENV: warm.path},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        assert wait_until(lambda: not os.path.exists(warm.path))  # taken
        log = dbt_environment / "target" / "dbt.log"
        assert wait_until(lambda: log.exists() and "SQLQuery" in log.read_text())
        launcher.send_signal(signal.SIGINT)
        output, _ = launcher.communicate(timeout=LEAVE_WITHIN_S)
        assert launcher.returncode == 2  # what the real dbt returns when interrupted
        assert not alive(warm.process.pid)
    assert "KeyboardInterrupt" in output.decode()
    assert "Previewing inline node" not in output.decode()  # the query did not finish


def test_a_warm_process_leaves_with_the_command_that_started_it(tmp_path: Path) -> None:
    started = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os; from lagesbild.warehouse.warm_dbt import WarmDbt;"
            "warm = WarmDbt(); print(warm.process.pid, warm.directory, flush=True);"
            "os._exit(0)",  # ends without stopping it, as a killed command would
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    pid, directory = started.stdout.split()
    assert wait_until(lambda: not alive(int(pid)))
    assert wait_until(lambda: not Path(directory).exists())


@pytest.fixture
def workspace(pipeline_run: PipelineRun, tmp_path: Path) -> Iterator[DataPaths]:
    home = DagsterHome()
    yield copy_data_dir(pipeline_run.paths, tmp_path, with_instance=True)
    home.restore()


def test_a_monthly_run_from_the_command_line_builds_in_the_warm_process(
    workspace: DataPaths,
) -> None:
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(workspace.root)}
    env.pop(WARM_DBT_ENV, None)
    result = subprocess.run(
        [LAGESBILD, "run", "--month", "2024-06"], env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    (full_log,) = re.findall(r"full log: (\S+)", result.stdout)  # the operator's run log
    logged = Path(full_log).read_text()
    assert f"{WARM_NOTICE} " in logged
    assert re.search(r"Done\. PASS=\d+ WARN=\d+ ERROR=0", logged)  # dbt's own summary


def test_without_a_warm_process_the_command_s_dbt_starts_cold(
    dbt_environment: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # a temporary directory whose path is too long for a Unix socket (108 bytes on Linux)
    deep = dbt_environment / ("d" * 100)
    deep.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(deep))

    with warm_dbt() as warm:
        assert warm is None
        assert WARM_DBT_ENV not in os.environ
        succeeded, pids, messages = list_models(dbt_environment, "cold")
    assert succeeded and len(pids) == 1
    assert "lagesbild.staging.stg_cameras__cameras" in messages
    assert "dbt will start without a warm process" in capsys.readouterr().err
    assert list(deep.iterdir()) == []  # nothing left behind
