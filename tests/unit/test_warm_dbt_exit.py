"""How the warm dbt process ends (lagesbild/warehouse/warm_dbt.py): the database closed first,
then the heap frozen — against real DuckDB files and this process's own file descriptors."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from lagesbild.warehouse.warm_dbt import end_without_collections, holds_open


@pytest.fixture
def collector_off() -> Iterator[None]:
    """No automatic collection while a test arranges its cycle; nothing left frozen after."""
    assert gc.get_freeze_count() == 0  # the suite's process was not frozen by an earlier test
    gc.disable()
    yield
    gc.enable()
    gc.unfreeze()


def test_holds_open_follows_the_database_file_and_its_wal(tmp_path: Path) -> None:
    database = tmp_path / "warehouse.duckdb"
    assert not holds_open(str(database))

    conn = duckdb.connect(str(database))
    conn.execute("create table t as select 1 as x")
    assert holds_open(str(database))
    assert holds_open(str(tmp_path / "." / "warehouse.duckdb"))  # the path as resolved

    conn.close()
    assert not holds_open(str(database))
    assert not Path(f"{database}.wal").exists()  # closed with its checkpoint


def test_a_database_held_by_a_cycle_is_collected_before_the_heap_is_frozen(
    tmp_path: Path, collector_off: None
) -> None:
    database = str(tmp_path / "warehouse.duckdb")
    environment: dict[str, object] = {"conn": duckdb.connect(database)}
    environment["self"] = environment  # as an object in a reference cycle would hold it
    registry = [environment]
    del environment
    held_after_close: list[bool] = []

    def close() -> None:  # drops the last outside reference, as dbt-duckdb's handler does
        registry.clear()
        held_after_close.append(holds_open(database))

    assert end_without_collections(database, close) is True

    assert held_after_close == [True]  # the cycle kept it open: one collection closed it
    assert not holds_open(database)
    assert gc.get_freeze_count() > 0


def test_a_database_still_held_leaves_the_heap_unfrozen(
    tmp_path: Path, collector_off: None
) -> None:
    database = str(tmp_path / "warehouse.duckdb")
    conn = duckdb.connect(database)  # still referenced here: closing elsewhere cannot free it

    assert end_without_collections(database, lambda: None) is False

    assert gc.get_freeze_count() == 0
    assert holds_open(database)
    conn.close()
