"""dbt on DuckDB as Dagster assets: seeds, staging, intermediate and marts, tests as checks."""

import json
import os
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    dbt_assets,
)

from assets.partitions import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG, WINDOW_START_TAG
from assets.policy import BUILD_POOL, DBT_GROUPS, DBT_OWNER, DEFAULT_DBT_GROUP, SUITE_CHECK
from assets.resources import LagesbildSettings
from assets.warehouse.project import dbt_project
from lagesbild.warehouse.dbt_invocation import (
    BUILD_ARGS,
    WAREHOUSE_ENV,
    dbt_vars_for_months,
    keep_parse_state,
    restore_parse_state,
    run_target_path,
    set_window_environment,
)
from lagesbild.warehouse.reference_graph import reference_model_files, reference_nodes
from lagesbild.warehouse.seed_state import (
    forget_seed_build,
    record_seed_build,
    seed_fingerprint,
)


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
        return [DBT_OWNER]


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
        from lagesbild.quality.gx_runner import prewarm_in_background

        prewarm_in_background()
    target = run_target_path(paths, context.run_id)
    restore_parse_state(paths, target)
    builds_reference = reference_keys() <= context.selected_asset_keys
    fingerprint = reference_fingerprint() if builds_reference else None
    checks_passed: set[dg.AssetCheckKey] = set()
    try:
        for event in dbt.cli(BUILD_ARGS, context=context, target_path=target).stream():
            if isinstance(event, dg.AssetCheckResult) and event.passed:
                checks_passed.add(dg.AssetCheckKey(event.asset_key, event.check_name))
            yield event
    except BaseException:
        if fingerprint is not None:
            forget_seed_build(paths.warehouse_db)
        raise
    finally:
        keep_parse_state(paths, target)
    if fingerprint is not None:
        # a run that leaves the reference layer out relies on this record and these evaluations
        if reference_check_keys() <= checks_passed:
            record_seed_build(paths.warehouse_db, fingerprint, reference_tables(), context.run_id)
        else:
            forget_seed_build(paths.warehouse_db)


_MANIFEST = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
REFERENCE_NODES = reference_nodes(_MANIFEST)
"""dbt's seeds, and the models and tests built only from seeds and the delivered geography."""
REFERENCE_MODEL_FILES = reference_model_files(_MANIFEST, REFERENCE_NODES)
"""The project files (SQL, YAML) of the reference models, part of the reference fingerprint."""
del _MANIFEST
GEOGRAPHY_TABLE = "raw.geography_deso"


def _unique_id(spec: dg.AssetSpec | dg.AssetCheckSpec) -> str | None:
    return (spec.metadata or {}).get("dagster_dbt/unique_id")


def seed_keys() -> frozenset[dg.AssetKey]:
    """The dbt seeds (reference lists) as assets."""
    return frozenset(
        spec.key for spec in lagesbild_dbt.specs if spec.group_name == DBT_GROUPS["seeds"]
    )


def reference_keys() -> frozenset[dg.AssetKey]:
    """The seeds and the models built only from seeds and the geography, as assets."""
    return frozenset(
        spec.key for spec in lagesbild_dbt.specs if _unique_id(spec) in REFERENCE_NODES
    )


def reference_tables() -> list[str]:
    """The reference layer's tables and views in the build database, and the geography."""
    return sorted({".".join(key.path) for key in reference_keys()} | {GEOGRAPHY_TABLE})


def reference_check_keys() -> frozenset[dg.AssetCheckKey]:
    """The dbt tests that read only the reference layer (a test that also reads another
    model or source belongs to the monthly build, whichever asset it is attached to)."""
    return frozenset(
        spec.key for spec in lagesbild_dbt.check_specs if _unique_id(spec) in REFERENCE_NODES
    )


def reference_fingerprint() -> str:
    """The fingerprint of the project files the reference layer is built from."""
    return seed_fingerprint(model_files=REFERENCE_MODEL_FILES)


MART_KEYS = sorted(
    (key for key in lagesbild_dbt.keys if key.path[0] == "marts"), key=lambda k: k.to_user_string()
)
"""Every mart dbt builds: what the publication copies."""
