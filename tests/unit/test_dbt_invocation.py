"""How a dbt build is invoked: its month window, target folder, parse state and manifest."""

from __future__ import annotations

import os
from pathlib import Path

from lagesbild.settings import DataPaths
from lagesbild.warehouse.dbt_invocation import (
    dbt_vars_for_months,
    keep_parse_state,
    manifest_is_stale,
    restore_parse_state,
    run_target_path,
)


def test_a_partition_range_becomes_the_dbt_window_of_first_days() -> None:
    assert dbt_vars_for_months("2024-01", "2024-03") == {
        "start_month": "2024-01-01",
        "end_month": "2024-03-01",
    }


def test_a_manifest_older_than_a_model_is_stale(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    manifest = tmp_path / "manifest.json"
    manifest.write_text("{}")
    assert not manifest_is_stale(manifest, tmp_path)
    model = tmp_path / "models" / "m.sql"
    model.write_text("select 1")
    os.utime(model, (manifest.stat().st_mtime + 5,) * 2)
    assert manifest_is_stale(manifest, tmp_path)


def test_a_missing_manifest_is_stale(tmp_path: Path) -> None:
    assert manifest_is_stale(tmp_path / "manifest.json", tmp_path)


def test_dbts_parse_state_is_kept_per_data_directory_for_the_next_run(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    first = run_target_path(paths, "run-a")
    restore_parse_state(paths, first)  # nothing saved yet: dbt parses afresh
    assert not (first / "partial_parse.msgpack").exists()
    first.mkdir(parents=True)
    (first / "partial_parse.msgpack").write_bytes(b"state of run a")
    keep_parse_state(paths, first)

    second = run_target_path(paths, "run-b")
    restore_parse_state(paths, second)

    assert (second / "partial_parse.msgpack").read_bytes() == b"state of run a"
    assert run_target_path(paths, "run-a") == paths.dbt_dir / "target" / "run-a-2"
    assert sorted(p.name for p in paths.dbt_dir.iterdir()) == ["partial_parse.msgpack", "target"]
