"""The `lagesbild` executable's exit (pipelines/cli.py `program`): the command's status, then the
heap frozen so the interpreter's teardown has nothing to collect — which is sound only because a
run leaves nothing open behind it, checked here on a real monthly run."""

from __future__ import annotations

import gc

import duckdb
import pytest

from lagesbild.settings import DataPaths
from pipelines import cli
from tests.conftest import SMALL_END


def _open_duckdb_connections() -> set[int]:
    return {id(obj) for obj in gc.get_objects() if isinstance(obj, duckdb.DuckDBPyConnection)}


def test_the_program_returns_the_command_status_and_freezes_the_heap(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(cli, "main", lambda: 3)
    assert gc.get_freeze_count() == 0
    try:
        assert cli.program() == 3
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this test process lives on


def test_a_monthly_run_leaves_no_duckdb_connection_open(
    workspace: DataPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAGESBILD_DATA_DIR", str(workspace.root))
    gc.collect()
    before = _open_duckdb_connections()

    assert cli.main(["run", "--month", SMALL_END]) == 0

    left_open = _open_duckdb_connections() - before
    assert left_open == set()
