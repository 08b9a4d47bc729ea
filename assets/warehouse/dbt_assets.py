"""dbt on DuckDB as Dagster assets: seeds, staging, intermediate and marts, tests as checks."""

import os
import shutil
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from assets.quality.config import SUITE_CHECK
from pipelines.partitions import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG, WINDOW_START_TAG
from pipelines.policy import BUILD_POOL, DBT_GROUPS, DEFAULT_DBT_GROUP, ECONOMICS_DEPARTMENT
from pipelines.resources import LagesbildDbtCli, LagesbildSettings
from pipelines.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, DataPaths

WAREHOUSE_ENV = "LAGESBILD_WAREHOUSE_PATH"
DBT_SOURCE_DIRS = ("models", "seeds", "macros", "tests", "dbt_project.yml")

# dbt reads the build database path from the environment (profiles.yml); parsing needs a value.
os.environ.setdefault(WAREHOUSE_ENV, str(DataPaths.from_env().warehouse_db))

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def manifest_is_stale(project_dir: Path, manifest: Path) -> bool:
    """True when the manifest is missing or older than any dbt source file."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in DBT_SOURCE_DIRS:
        root = project_dir / name
        files = [root] if root.is_file() else root.rglob("*")
        if any(path.stat().st_mtime > built for path in files if path.is_file()):
            return True
    return False


def parse_dbt_project(project: DbtProject) -> None:
    """`dbt parse` into the project's target path, writing manifest.json."""
    LagesbildDbtCli(
        project_dir=project, profiles_dir=str(DBT_PROJECT_DIR), dbt_executable=DBT_EXECUTABLE
    ).cli(["parse", "--quiet"], target_path=project.target_path).wait()


if manifest_is_stale(DBT_PROJECT_DIR, dbt_project.manifest_path):
    parse_dbt_project(dbt_project)


def dbt_vars_for_months(first_month: str, last_month: str) -> dict[str, str]:
    """Partition keys `YYYY-MM` → the dbt vars that bound the incremental window."""
    return {"start_month": f"{first_month}-01", "end_month": f"{last_month}-01"}


def dbt_vars_for_run(tags: Mapping[str, str]) -> dict[str, str]:
    """The incremental window of a run: the months its ingest partitions cover.

    The dbt models are not partitioned themselves (the marts hold the whole history and are
    rebuilt from small monthly aggregates); only the incremental aggregations read this window.
    A run without month partitions (e.g. dbt materialized alone) rebuilds every month; the
    build half of a backfill widens its one-month window with tag `lagesbild/window_start`.
    """
    start = tags.get(WINDOW_START_TAG) or tags.get(RANGE_START_TAG) or tags.get(PARTITION_TAG)
    end = tags.get(RANGE_END_TAG) or tags.get(PARTITION_TAG)
    return dbt_vars_for_months(start, end) if start and end else {}


WINDOW_ENVIRONMENT = {
    "start_month": "LAGESBILD_DBT_START_MONTH",
    "end_month": "LAGESBILD_DBT_END_MONTH",
}
"""The environment variables macros/month_window.sql reads where the dbt vars are absent."""
PARSE_STATE = "partial_parse.msgpack"
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]
"""dbt's unit tests test the SQL, not the month's data: they run in the test suite
(tests/integration/test_marts.py), not in every production build, as dbt recommends."""


def set_window_environment(dbt_vars: Mapping[str, str]) -> None:
    """Pass the run's window to dbt in the environment (set, or cleared when unbounded).

    Not as --vars: dbt re-parses the whole project whenever the vars differ from its saved
    parse state, which a monthly window always does (≈ 2 s of every run).
    """
    for name, variable in WINDOW_ENVIRONMENT.items():
        if dbt_vars.get(name):
            os.environ[variable] = dbt_vars[name]
        else:
            os.environ.pop(variable, None)


def run_target_path(paths: DataPaths, run_id: str) -> Path:
    """A fresh dbt target folder for this invocation: `<data>/dbt/target/<run id>-<n>`."""
    root = paths.dbt_dir / "target"
    root.mkdir(parents=True, exist_ok=True)
    attempt = sum(1 for _ in root.glob(f"{run_id}-*")) + 1
    return root / f"{run_id}-{attempt}"


def restore_parse_state(paths: DataPaths, target: Path) -> None:
    """Seed the run's target with this data directory's last parse state (dbt partial parsing).

    dbt reuses it only if nothing it depends on changed (dbt version, project files, profile
    — which names this data directory's warehouse — and vars); otherwise it parses afresh.
    """
    saved = paths.dbt_dir / PARSE_STATE
    if saved.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, target / PARSE_STATE)


def keep_parse_state(paths: DataPaths, target: Path) -> None:
    """Save the parse state dbt wrote for the next run of this data directory (atomically)."""
    written = target / PARSE_STATE
    if written.exists():
        staged = paths.dbt_dir / f".{PARSE_STATE}.{os.getpid()}"
        shutil.copyfile(written, staged)
        os.replace(staged, paths.dbt_dir / PARSE_STATE)


def _gx_checks_follow(context: dg.AssetExecutionContext) -> bool:
    """Does this run also evaluate the GX suites (step `gx_quality_checks`)?"""
    return (
        any(key.name == SUITE_CHECK for key in context.run.asset_check_selection or ())
        or context.run.asset_check_selection is None
    )


class LagesbildDbtTranslator(DagsterDbtTranslator):
    """Keys `<schema>/<model>`, groups by layer, the economics department as owner."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return DBT_GROUPS["seeds"]
        layer = dbt_resource_props["fqn"][1] if len(dbt_resource_props["fqn"]) > 2 else ""
        return DBT_GROUPS.get(layer, DEFAULT_DBT_GROUP)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [ECONOMICS_DEPARTMENT]


translator = LagesbildDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=translator,
    pool=BUILD_POOL,
    name="lagesbild_dbt",
)
def lagesbild_dbt(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, settings: LagesbildSettings
) -> Iterator[Any]:
    """`dbt build` after the run's ingest: incremental models only touch the run's months."""
    paths = settings.paths
    os.environ[WAREHOUSE_ENV] = str(paths.warehouse_db)
    set_window_environment(dbt_vars_for_run(context.run.tags))
    if _gx_checks_follow(context):
        from assets.quality.gx_runner import prewarm_in_background

        prewarm_in_background()
    target = run_target_path(paths, context.run_id)
    restore_parse_state(paths, target)
    try:
        yield from dbt.cli(BUILD_ARGS, context=context, target_path=target).stream()
    finally:
        keep_parse_state(paths, target)
