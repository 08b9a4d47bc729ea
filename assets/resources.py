"""Dagster resources: the data directory, the build database, dbt and SCB's live API."""

from __future__ import annotations

import importlib.metadata
from functools import cached_property
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging import version

from lagesbild.ingest.scb import DESO_POPULATION_TABLE_URL, ScbPopulationClient
from lagesbild.settings import DBT_EXECUTABLE, DBT_LAUNCHER, DBT_PROJECT_DIR, DataPaths


class LagesbildSettings(dg.ConfigurableResource):
    """The data directory every asset reads and writes under."""

    data_dir: str

    @property
    def paths(self) -> DataPaths:
        return DataPaths(Path(self.data_dir)).ensure()


class ScbPopulationResource(dg.ConfigurableResource):
    """SCB's PxWeb API for population per DeSO (configurable in the UI's launchpad)."""

    table_url: str = DESO_POPULATION_TABLE_URL
    contents_code: str = "000007Y7"
    timeout_s: float = 60.0

    @property
    def client(self) -> ScbPopulationClient:
        return ScbPopulationClient(self.table_url, self.contents_code, self.timeout_s)


class LagesbildDbtCli(DbtCliResource):
    """The dbt CLI resource without two start-up costs Lägesbild has no use for (≈ 4.5 s a run).

    dagster-dbt asks a `dbt --version` subprocess for the version, and opens an in-process dbt
    adapter whose only use is `fetch_row_counts` / `fetch_column_metadata` on the streamed
    events. Lägesbild calls neither (it could not while the dbt process holds the DuckDB file's
    write lock; published row counts are recorded by the publish step). The version is read
    from the installed dbt-core package instead, and no adapter is opened.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Any) -> Any:
        return None


def build_resources(paths: DataPaths) -> dict[str, object]:
    return {
        "settings": LagesbildSettings(data_dir=str(paths.root)),
        "warehouse": DuckDBResource(database=str(paths.warehouse_db)),
        "scb": ScbPopulationResource(),
        "dbt": LagesbildDbtCli(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=DBT_LAUNCHER if Path(DBT_LAUNCHER).exists() else DBT_EXECUTABLE,
        ),
    }
