"""Dagster resources: the data directory, the build database and dbt."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from pipelines.scb import ScbPopulationClient
from pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, DataPaths


class LagesbildSettings(dg.ConfigurableResource):
    """The data directory every asset reads and writes under."""

    data_dir: str

    @property
    def paths(self) -> DataPaths:
        return DataPaths(Path(self.data_dir)).ensure()


def build_resources(paths: DataPaths) -> dict[str, object]:
    return {
        "settings": LagesbildSettings(data_dir=str(paths.root)),
        "warehouse": DuckDBResource(database=str(paths.warehouse_db)),
        "scb": ScbPopulationClient(),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=DBT_EXECUTABLE,
        ),
    }
