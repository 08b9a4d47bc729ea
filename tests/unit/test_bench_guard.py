"""`make bench`: it refuses figures measured while the code it runs changed, and its report."""

import ctypes
import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PR_GET_CHILD_SUBREAPER = 37


def _run_bench():
    spec = importlib.util.spec_from_file_location("run_bench", ROOT / "benchmarks" / "run_bench.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


def _checkout(root: Path) -> None:
    for name in (
        "lagesbild/quality/gx_runner.py",
        "dbt_project/models/fct.sql",
        "pipelines/cli.py",
    ):
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text("original\n")
    (root / "dbt_project/target").mkdir()
    (root / "dbt_project/target/manifest.json").write_text("{}")


def test_an_edit_during_the_benchmark_refuses_its_figures(tmp_path: Path) -> None:
    bench = _run_bench()
    _checkout(tmp_path)
    before = bench.code_state(tmp_path)
    bench.check_code_unchanged(before, tmp_path)  # nothing changed

    model = tmp_path / "dbt_project/models/fct.sql"
    model.write_text("edited\n")
    os.utime(model, ns=(before["dbt_project/models/fct.sql"][1] + 10**9,) * 2)
    (tmp_path / "pipelines/new_module.py").write_text("")

    with pytest.raises(bench.CodeChangedError) as refused:
        bench.check_code_unchanged(before, tmp_path)
    assert "dbt_project/models/fct.sql" in str(refused.value)
    assert "pipelines/new_module.py" in str(refused.value)


def test_what_the_commands_write_themselves_is_not_a_code_change(tmp_path: Path) -> None:
    bench = _run_bench()
    _checkout(tmp_path)
    before = bench.code_state(tmp_path)

    (tmp_path / "dbt_project/target/manifest.json").write_text('{"nodes": {}}')
    (tmp_path / "dbt_project/logs").mkdir()
    (tmp_path / "dbt_project/logs/dbt.log").write_text("ran")
    (tmp_path / "lagesbild/quality/__pycache__").mkdir()
    (tmp_path / "lagesbild/quality/__pycache__/gx_runner.pyc").write_bytes(b"\0")

    bench.check_code_unchanged(before, tmp_path)
    assert set(before) == {
        "lagesbild/quality/gx_runner.py",
        "dbt_project/models/fct.sql",
        "pipelines/cli.py",
    }


def test_the_stage_table_shows_what_the_full_history_adds_to_each_stage() -> None:
    bench = _run_bench()
    table = bench.stage_table(
        {
            "backfill": {"Ingest": 44.9, "dbt build": 26.9},
            "increment": {"Ingest": 1.7, "dbt build": 11.5, "Publication": 7.9},
            "increment_1y": {"Ingest": 2.2, "dbt build": 8.0, "Publication": 2.8},
        }
    )
    assert table[2] == "| stage | backfill | increment | increment_1y | full history − 1 year |"
    assert "| dbt build | 26.9 | 11.5 | 8.0 | 3.5 |" in table
    assert "| Publication | 0.0 | 7.9 | 2.8 | 5.1 |" in table
    assert "| Ingest | 44.9 | 1.7 | 2.2 | -0.5 |" in table
    assert bench.stage_table({"backfill": {"Ingest": 1.0}})[2] == "| stage | backfill |"
    assert bench.stage_table({}) == []


def test_the_sides_of_a_ratio_are_measured_by_turns() -> None:
    bench = _run_bench()
    calls: list[str] = []

    def measure(name: str):
        def run() -> str:
            calls.append(name)
            return f"{name}{calls.count(name)}"

        return run

    runs = bench.interleaved({"full": measure("full"), "1y": measure("1y")}, 3)
    assert calls == ["full", "1y", "full", "1y", "full", "1y"]
    assert runs == {"full": ["full1", "full2", "full3"], "1y": ["1y1", "1y2", "1y3"]}


BURN = """
import time
started = time.process_time()
while time.process_time() - started < 0.4:
    pass
"""


def test_a_commands_cpu_time_counts_the_descendants_it_waited_for(tmp_path: Path) -> None:
    bench = _run_bench()
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {BURN!r}], check=True)"
    busy = bench.measure_process([sys.executable, "-c", parent], dict(os.environ), tmp_path)
    idle = bench.measure_process(
        [sys.executable, "-c", "import time; time.sleep(0.5); print('slept')"],
        dict(os.environ),
        tmp_path,
    )
    assert busy.returncode == 0
    assert busy.cpu_s >= 0.4  # the grandchild's 0.4 s of CPU, counted through its parent
    assert idle.returncode == 0 and idle.output.strip() == b"slept"
    assert idle.seconds >= 0.5 and idle.cpu_s < 0.4  # half a second asleep is not CPU time
    assert busy.peak_rss_mb > 0


def test_a_descendant_that_outlives_its_parent_is_waited_for_and_counted(tmp_path: Path) -> None:
    """Like the tertial reports' forkserver: the command ends, its descendant still works."""
    bench = _run_bench()
    orphaning = (
        "import subprocess, sys; "
        f"subprocess.Popen([sys.executable, '-c', {BURN!r}], "
        "stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)"
    )  # exits at once, without waiting for its child
    children_before = bench.own_children()
    figures = bench.measure_process([sys.executable, "-c", orphaning], dict(os.environ), tmp_path)
    assert figures.returncode == 0
    assert figures.cpu_s >= 0.4
    assert bench.own_children() <= children_before  # reaped, nothing left behind
    libc = ctypes.CDLL(None, use_errno=True)
    flag = ctypes.c_int(-1)
    assert libc.prctl(PR_GET_CHILD_SUBREAPER, ctypes.byref(flag), 0, 0, 0) == 0
    assert flag.value == 0  # this process is the reaper only while a command is measured


def test_the_report_shows_each_ratio_again_in_cpu_time() -> None:
    bench = _run_bench()
    results = {
        "backfill_s": 70.0,
        "backfill_cpu_s": 90.0,
        "baseline_s": 10.0,
        "baseline_cpu_s": 18.0,
        "increment_full_s": 25.0,
        "increment_full_cpu_s": 36.0,
        "increment_1y_s": 22.0,
        "increment_1y_cpu_s": 30.0,
        "tertial_s": 11.0,
        "backfill_ratio": 7.0,
        "increment_baseline_ratio": 2.5,
        "increment_ratio": 25.0 / 22.0,
    }
    assert bench.cpu_ratios(results) == pytest.approx(
        {"backfill_ratio": 5.0, "increment_baseline_ratio": 2.0, "increment_ratio": 1.2}
    )
    table = bench.cpu_table(results)
    assert "| backfill | 70.0 | 90.0 | 1.29 |" in table
    assert "| plain-DuckDB baseline | 10.0 | 18.0 | 1.80 |" in table
    assert not any(line.startswith("| tertial review") for line in table)  # no CPU figure
    assert "| `increment_baseline_ratio` | 2.50 | 2.00 |" in table
    assert "| `increment_ratio` | 1.14 | 1.20 |" in table
    assert bench.cpu_table({"backfill_s": 70.0}) == []  # a result from before CPU was measured


def test_repeated_runs_are_recorded_as_medians_and_each_runs_figures() -> None:
    bench = _run_bench()
    results: dict[str, object] = {}
    runs = [bench.Measured(s, 1.0, {}, cpu) for s, cpu in ((3.0, 5.0), (1.0, 4.0), (2.0, 9.0))]
    bench.record_runs(results, "increment_full", runs)
    bench.record_runs(results, "baseline", [bench.BaselineRun(8.0, 10, 15.0)])
    assert results == {
        "increment_full_s": 2.0,
        "increment_full_runs_s": [3.0, 1.0, 2.0],
        "increment_full_cpu_s": 5.0,
        "increment_full_cpu_runs_s": [5.0, 4.0, 9.0],
        "baseline_s": 8.0,
        "baseline_runs_s": [8.0],
        "baseline_cpu_s": 15.0,
        "baseline_cpu_runs_s": [15.0],
    }
