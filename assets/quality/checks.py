"""Asset checks: the GX suites of `expectations/` on every raw source and every published mart.

`gx_suite` runs every expectation of the dataset's suite except the plausibility ones:
schema, completeness, ranges, codes and reconciliation — what protects published figures.
Every `gx_suite` is *required*: the publish step refuses unless it passed on the current
materialization (`assets/publish/gate.py`). All suites run in one step after dbt (one GX
context, one read of the code lists). Dagster's own `blocking` flag is set on the suites of
marts that no dbt model builds on: a blocking check on a mart that other dbt models read
(or on a raw source dbt reads) would make Dagster split the dbt step into several `dbt build`
invocations; those suites are enforced by the publish gate instead, which also covers runs
that select only the publish step. `gx_plausibility` (not blocking, not required, severity
WARN) flags month-on-month jumps beyond the configured threshold on
marts.fct_indicator_month. Each check's metadata lists every expectation's result with
failing samples; the GX JSON results are kept under `<data>/quality/gx/<run_id>/` for the
publication's Data Docs site.
"""

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from assets.partitions import PARTITION_TAG, RANGE_END_TAG
from assets.policy import BUILD_POOL, PLAUSIBILITY_CHECK, SUITE_CHECK
from assets.resources import LagesbildSettings
from assets.warehouse.dbt_assets import lagesbild_dbt
from assets.warehouse.project import dbt_project
from lagesbild.months import month_start
from lagesbild.quality.config import QualityConfig
from lagesbild.quality.gx_runner import (
    ExpectationOutcome,
    load_suite,
    release_validation_memory,
    suite_batches,
)
from lagesbild.quality.heap import reused_heap
from lagesbild.quality.suites import (
    PLAUSIBILITY_BATCH,
    available_suites,
    latest_delivered_month,
    run_suite,
)

FCT_KEY = dg.AssetKey(["marts", "fct_indicator_month"])
MONTH_KEY = re.compile(r"^\d{4}-\d{2}$")
EFFECT_SUITES = ["marts.fct_measure_effect", "marts.fct_measure_event_study"]
"""Suites of the marts the effect evaluation writes (Python, not dbt): their checks run in the
evaluation's run and are required for every publication while the table exists."""


def suite_key(suite_name: str) -> dg.AssetKey:
    return dg.AssetKey(suite_name.split("."))


RAW_SUITES = available_suites("raw")
MART_SUITES = [name for name in available_suites("marts") if suite_key(name) in lagesbild_dbt.keys]
"""Suites of marts that exist in the dbt project (a suite may be written before its mart)."""


def marts_read_by_dbt_models(manifest_path: Path) -> set[dg.AssetKey]:
    """Marts that another dbt model selects from (a Dagster-blocking check would split dbt)."""
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    read: set[dg.AssetKey] = set()
    for unique_id, children in manifest["child_map"].items():
        node = nodes.get(unique_id)
        is_mart = node and node["resource_type"] == "model" and node["schema"] == "marts"
        if is_mart and any(child.startswith("model.") for child in children):
            read.add(dg.AssetKey(["marts", node["name"]]))
    return read


DBT_READ_MARTS = marts_read_by_dbt_models(dbt_project.manifest_path)


def _spec(suite_name: str, name: str, blocking: bool, description: str) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name=name,
        asset=suite_key(suite_name),
        blocking=blocking,
        description=description,
        metadata={
            "suite": f"expectations/{suite_name}.json",
            "required_for_publication": name == SUITE_CHECK,
        },
    )


def suite_spec(suite_name: str) -> dg.AssetCheckSpec:
    key = suite_key(suite_name)
    blocking = key.path[0] == "marts" and key not in DBT_READ_MARTS
    return _spec(
        suite_name,
        SUITE_CHECK,
        blocking,
        f"Great Expectations suite expectations/{suite_name}.json — required for publication: "
        "schema, completeness, ranges, codes and reconciliation.",
    )


PLAUSIBILITY_SPEC = _spec(
    "marts.fct_indicator_month",
    PLAUSIBILITY_CHECK,
    False,
    "Month-on-month jumps of count indicators at nation and region level beyond the "
    "configured threshold (LAGESBILD_MOM_WARN_THRESHOLD) — a warning, not blocking.",
)


def checked_month(context: dg.AssetCheckExecutionContext, conn: duckdb.DuckDBPyConnection) -> date:
    """The month the run is about: its (last) partition, else the latest delivered month."""
    tags = context.run.tags
    key = tags.get(RANGE_END_TAG) or tags.get(PARTITION_TAG)
    if key and MONTH_KEY.match(key):  # a measure's run is partitioned by measure, not month
        return month_start(key)
    latest = latest_delivered_month(conn)
    if latest is None:
        raise dg.Failure("no monthly delivery in raw.deliveries: nothing to check")
    return latest


def check_result(
    spec: dg.AssetCheckSpec,
    outcomes: list[ExpectationOutcome],
    month: date,
    results_dir: Path,
    warn: bool = False,
) -> dg.AssetCheckResult:
    failed = [outcome for outcome in outcomes if not outcome.success]
    return dg.AssetCheckResult(
        asset_key=spec.asset_key,
        check_name=spec.name,
        passed=not failed,
        severity=dg.AssetCheckSeverity.WARN if warn else dg.AssetCheckSeverity.ERROR,
        description=(
            "; ".join(outcome.summary() for outcome in failed[:5])
            if failed
            else f"all {len(outcomes)} expectations passed"
        ),
        metadata={
            "month": f"{month:%Y-%m}",
            "expectations_evaluated": len(outcomes),
            "expectations_failed": len(failed),
            "failed": dg.MetadataValue.md(
                "\n".join(f"- {outcome.summary()}" for outcome in failed) or "none"
            ),
            "results": dg.MetadataValue.json([outcome.as_dict() for outcome in outcomes]),
            "data_fingerprints": dg.MetadataValue.json(
                {o.batch: o.data_fingerprint for o in outcomes if o.data_fingerprint}
            ),
            "suite": spec.metadata["suite"],
            "gx_results_dir": dg.MetadataValue.path(str(results_dir)),
        },
    )


def _evaluate(
    context: dg.AssetCheckExecutionContext,
    settings: LagesbildSettings,
    warehouse: DuckDBResource,
    specs: dict[dg.AssetCheckKey, tuple[str, dg.AssetCheckSpec]],
) -> Iterator[dg.AssetCheckResult]:
    config = QualityConfig.from_env()
    results_dir = settings.paths.root / "quality" / "gx" / context.run.run_id
    selected = context.selected_asset_check_keys
    try:
        with reused_heap(), warehouse.get_connection() as conn:
            month = checked_month(context, conn)
            for key, (suite_name, spec) in specs.items():
                if key not in selected:
                    continue
                batches = suite_batches(load_suite(suite_name))
                warn = spec.name == PLAUSIBILITY_CHECK
                wanted = (
                    [PLAUSIBILITY_BATCH]
                    if warn
                    else [batch for batch in batches if batch != PLAUSIBILITY_BATCH]
                )
                outcomes = run_suite(conn, suite_name, month, config, results_dir, wanted)
                result = check_result(spec, outcomes, month, results_dir, warn=warn)
                if not result.passed:
                    context.log.warning(f"{key.to_user_string()} failed: {result.description}")
                yield result
    finally:
        release_validation_memory()  # the publication follows in this process


def _build_multi_check(
    name: str, suites: list[str], extra: list[tuple[str, dg.AssetCheckSpec]]
) -> dg.AssetChecksDefinition:
    entries = [(suite, suite_spec(suite)) for suite in suites] + extra
    specs = {spec.key: (suite, spec) for suite, spec in entries}

    @dg.multi_asset_check(
        name=name,
        specs=[spec for _, spec in entries],
        can_subset=True,
        pool=BUILD_POOL,
        description="Great Expectations Core suites from expectations/ (one per dataset).",
    )
    def _checks(
        context: dg.AssetCheckExecutionContext,
        settings: LagesbildSettings,
        warehouse: DuckDBResource,
    ) -> Iterator[dg.AssetCheckResult]:
        yield from _evaluate(context, settings, warehouse, specs)

    return _checks


gx_quality_checks = _build_multi_check(
    "gx_quality_checks",
    [*RAW_SUITES, *MART_SUITES],
    [("marts.fct_indicator_month", PLAUSIBILITY_SPEC)] if FCT_KEY in lagesbild_dbt.keys else [],
)
gx_effect_checks = _build_multi_check("gx_effect_checks", EFFECT_SUITES, [])
quality_checks = [gx_quality_checks, gx_effect_checks]

REQUIRED_QUALITY_CHECK_KEYS = [
    spec.key for spec in gx_quality_checks.check_specs if spec.name == SUITE_CHECK
]
"""Every GX suite check of the raw sources and dbt marts: the publish gate requires each."""
REQUIRED_WHEN_PRESENT = {suite: suite_spec(suite).key for suite in EFFECT_SUITES}
"""Checks of Python-written marts, required by the gate whenever their table is published."""
