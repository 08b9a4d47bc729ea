"""The SQLite event log with kept connections (pipelines/event_log.py) records exactly what
Dagster's own does, shares its files with other processes, and bounds what it keeps open."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from lagesbild.settings import DataPaths
from pipelines import event_log
from pipelines.event_log import MAX_OPEN_SHARDS, KeptConnectionsSqliteEventLogStorage
from pipelines.instance import POSTGRES_URL_ENV, get_instance
from tests.dagster_events import materialization_entry


def _materialization(run_id: str, asset: str) -> EventLogEntry:
    return materialization_entry(run_id, asset, {"rows": 7})


@dg.asset
def counted() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"rows": 3})


@dg.asset_check(asset=counted)
def counted_is_positive() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=True, metadata={"rows": 3})


def test_a_data_directory_instance_records_runs_through_the_kept_connections_log(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(POSTGRES_URL_ENV, raising=False)
    paths = DataPaths(tmp_path)
    instance = get_instance(paths)
    storage = instance.event_log_storage
    assert isinstance(storage, KeptConnectionsSqliteEventLogStorage)
    assert Path(storage._base_dir) == (paths.dagster_home / "history" / "runs").resolve()

    result = dg.materialize([counted, counted_is_positive], instance=instance)
    assert result.success

    # a second storage on the same files, as the webserver in another process would open them
    reader = SqliteEventLogStorage(str(paths.dagster_home / "history" / "runs"))
    record = reader.get_latest_materialization_events([dg.AssetKey("counted")])[
        dg.AssetKey("counted")
    ]
    assert record is not None and record.run_id == result.run_id
    assert record.asset_materialization.metadata["rows"] == dg.IntMetadataValue(3)
    check_key = dg.AssetCheckKey(dg.AssetKey("counted"), "counted_is_positive")
    executions = reader.get_asset_check_execution_history(check_key, limit=5)
    assert [execution.run_id for execution in executions] == [result.run_id]
    assert executions[0].status.value == "SUCCEEDED"
    assert len(storage.get_logs_for_run(result.run_id)) == len(
        reader.get_logs_for_run(result.run_id)
    )


def test_the_same_events_are_stored_as_by_dagsters_own_storage(tmp_path: Path) -> None:
    kept = KeptConnectionsSqliteEventLogStorage(str(tmp_path / "kept"))
    plain = SqliteEventLogStorage(str(tmp_path / "plain"))
    for storage in (kept, plain):
        for index in range(5):
            storage.store_event(_materialization("run-a", f"asset_{index % 2}"))
    for asset in ("asset_0", "asset_1"):
        key = dg.AssetKey(asset)
        found = [storage.fetch_materializations(key, limit=10).records for storage in (kept, plain)]
        assert len(found[0]) == len(found[1]) == (3 if asset == "asset_0" else 2)
        assert [r.storage_id for r in found[0]] == [r.storage_id for r in found[1]]
    assert len(kept.get_logs_for_run("run-a")) == len(plain.get_logs_for_run("run-a")) == 5


def test_at_most_a_few_shards_are_kept_open_and_older_ones_still_answer(tmp_path: Path) -> None:
    storage = KeptConnectionsSqliteEventLogStorage(str(tmp_path))
    runs = [f"run-{index}" for index in range(MAX_OPEN_SHARDS + 4)]
    for run_id in runs:
        storage.store_event(_materialization(run_id, "asset"))
    assert len(storage._engines) == MAX_OPEN_SHARDS
    assert runs[0] not in storage._engines  # the least recently used shard was closed
    assert all(len(storage.get_logs_for_run(run_id)) == 1 for run_id in runs)
    assert len(storage.fetch_materializations(dg.AssetKey("asset"), limit=100).records) == len(runs)


def test_has_table_remembers_only_tables_it_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    storage = KeptConnectionsSqliteEventLogStorage(str(tmp_path))
    asked: list[str] = []
    original = SqliteEventLogStorage.has_table

    def counting(self: SqliteEventLogStorage, table_name: str) -> bool:
        asked.append(table_name)
        return original(self, table_name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counting)
    assert storage.has_table("asset_check_executions") and storage.has_table(
        "asset_check_executions"
    )
    assert not storage.has_table("no_such_table") and not storage.has_table("no_such_table")
    assert asked == ["asset_check_executions", "no_such_table", "no_such_table"]


def _store_in_child(base_dir: str) -> None:
    storage = _INHERITED[0]
    assert not storage._engines, "a forked child must not use its parent's connections"
    storage.store_event(_materialization("run-child", "asset"))
    assert Path(base_dir).exists()


_INHERITED: list[KeptConnectionsSqliteEventLogStorage] = []


def test_a_forked_child_opens_its_own_connections(tmp_path: Path) -> None:
    storage = KeptConnectionsSqliteEventLogStorage(str(tmp_path))
    storage.store_event(_materialization("run-parent", "asset"))
    assert storage._engines and storage in event_log._STORAGES
    _INHERITED[:] = [storage]
    child = multiprocessing.get_context("fork").Process(
        target=_store_in_child, args=(str(tmp_path),)
    )
    child.start()
    child.join(60)
    assert child.exitcode == 0
    storage.store_event(_materialization("run-parent", "asset"))  # the parent's pool still works
    assert len(storage.get_logs_for_run("run-child")) == 1
    assert len(storage.get_logs_for_run("run-parent")) == 2


def test_wipe_closes_the_kept_connections_first(tmp_path: Path) -> None:
    storage = KeptConnectionsSqliteEventLogStorage(str(tmp_path))
    storage.store_event(_materialization("run-w", "asset"))
    storage.wipe()
    assert "run-w" not in storage._engines  # (the index is reopened to empty it)
    assert not (tmp_path / "run-w.db").exists()
    storage.store_event(_materialization("run-w2", "asset"))
    assert len(storage.get_logs_for_run("run-w2")) == 1
