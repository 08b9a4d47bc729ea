"""`make bench` refuses figures measured while the code it runs changed."""

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


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
