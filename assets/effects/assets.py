"""The effect evaluation of registered measures: its tables, reports and republication.

`measure_effects` is partitioned by measure (dynamic partitions kept in step with the register
by the `raw/measures` ingest) and reads the PUBLISHED warehouse; it writes
`marts.fct_measure_effect` and `marts.fct_measure_event_study` to the build database and one
HTML report per measure. Their GX suites run next (`gx_effect_checks`, blocking), and
`publish/effects_republication` republishes through the same gate as every publication.
"""

from collections.abc import Iterator

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from assets.ingest.assets import MEASURES_KEY
from assets.partitions import measure_partitions
from assets.policy import EFFECTS
from assets.publish.assets import PUBLISHED_WAREHOUSE_KEY
from assets.publish.gate import publish_through_gate
from assets.resources import LagesbildSettings
from lagesbild.effects.inputs import NothingPublished
from lagesbild.effects.run import UnknownMeasure, run_evaluation, summary_markdown
from lagesbild.effects.store import EFFECT_TABLE, EVENT_STUDY_TABLE
from lagesbild.publish.republication import last_published_month

EFFECT_KEY = dg.AssetKey(EFFECT_TABLE.split("."))
EVENT_STUDY_KEY = dg.AssetKey(EVENT_STUDY_TABLE.split("."))
REPORTS_KEY = dg.AssetKey(["effects", "measure_reports"])
REPUBLICATION_KEY = dg.AssetKey(["publish", "effects_republication"])
_UPSTREAM = [
    dg.AssetDep(PUBLISHED_WAREHOUSE_KEY, partition_mapping=dg.LastPartitionMapping()),
    dg.AssetDep(MEASURES_KEY),
]

TABLE_SPECS = [
    dg.AssetSpec(
        key=EFFECT_KEY,
        description=(
            "`marts.fct_measure_effect`: per measure, outcome indicator, zone ('area' | "
            "'surroundings') and method ('did' | 'synthetic_control') — effect as a rate ratio "
            "with a 95 % placebo interval, p-value, pre-trend p, placebo p, minimum detectable "
            "effect, comparison units, months and events, verdict (with reason), whether the "
            "method carries the conclusion and whether the measure was registered post hoc."
        ),
        deps=_UPSTREAM,
        **EFFECTS.spec_kwargs(),
    ),
    dg.AssetSpec(
        key=EVENT_STUDY_KEY,
        description=(
            "`marts.fct_measure_event_study`: the event study behind each evaluation — "
            "observed / counterfactual per quarter before and after the start, with 95 % "
            "placebo intervals (the quarters before the start give the pre-trend test)."
        ),
        deps=_UPSTREAM,
        **EFFECTS.spec_kwargs(),
    ),
]
REPORTS_SPEC = dg.AssetSpec(
    key=REPORTS_KEY,
    description=(
        "One offline HTML report per measure at <data>/reports/effects/<measure_id>.html: "
        "observed and counterfactual series, event study, placebo distribution, the "
        "surroundings, the verdict in Swedish and what the evaluation cannot tell."
    ),
    deps=[dg.AssetDep(spec.key) for spec in TABLE_SPECS],
    **EFFECTS.spec_kwargs(),
)


@dg.multi_asset(
    name="measure_effects",
    specs=[*TABLE_SPECS, REPORTS_SPEC],
    description=(
        "Effect evaluation of the run's measures against comparison areas, from the PUBLISHED "
        "warehouse: Poisson difference-in-differences with unit and month effects, a "
        "log-population offset and each unit's own pre-period trend; interval, p-value and "
        "minimum detectable effect from studentised placebos in space; event study with a "
        "pre-trend test; synthetic control (pysyncon) as a second opinion; a verdict per "
        "indicator and zone (area, surroundings). Method and thresholds: docs/effects.md."
    ),
    partitions_def=measure_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=EFFECTS.pool,
)
def measure_effects(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    measure_ids = list(context.partition_keys)

    def connect_build() -> duckdb.DuckDBPyConnection:
        return duckdb.connect(warehouse.database)

    try:
        outcome = run_evaluation(settings.paths, measure_ids, connect_build=connect_build)
    except (UnknownMeasure, NothingPublished) as error:
        raise dg.Failure(f"Effect evaluation not run: {error}", allow_retries=False) from error
    for evaluation in outcome.evaluations:
        verdicts = ", ".join(
            f"{z.indicator}/{z.zone.zone}: {z.primary_verdict.verdict.value}"
            for z in evaluation.zones
        )
        context.log.info(f"{evaluation.measure.measure_id}: {verdicts}")
    for spec in TABLE_SPECS:
        table = ".".join(spec.key.path)
        yield dg.MaterializeResult(
            asset_key=spec.key,
            metadata={
                "dagster/row_count": outcome.row_counts[table],
                "measures": dg.MetadataValue.json(measure_ids),
            },
        )
    yield dg.MaterializeResult(
        asset_key=REPORTS_KEY,
        metadata={
            "summary": dg.MetadataValue.md(summary_markdown(outcome)),
            "reports": dg.MetadataValue.json({k: str(v) for k, v in outcome.reports.items()}),
            "seconds": dg.MetadataValue.json({k: round(v, 2) for k, v in outcome.timings.items()}),
        },
    )


@dg.asset(
    key=REPUBLICATION_KEY,
    description=(
        "Republishes the warehouse with the evaluated measures through the same gate as the "
        "monthly publication: every required check — including the GX suites of "
        "marts.fct_measure_effect and marts.fct_measure_event_study — must have passed on the "
        "current materialization, else nothing is published and the last publication stays."
    ),
    deps=[dg.AssetDep(spec.key) for spec in TABLE_SPECS],
    **EFFECTS.asset_kwargs(),
)
def effects_republication(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    paths = settings.paths
    month = last_published_month(paths)
    if month is None:
        raise dg.Failure("Nothing is published yet: run the monthly pipeline first.")
    gated = publish_through_gate(context, paths, warehouse, month, draw_docs=False)
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(gated.publication.path)),
            "month": month,
            "dagster/row_count": sum(gated.publication.row_counts.values()),
            "row_counts": dg.MetadataValue.json(gated.publication.row_counts),
            "required_checks_passed": len(gated.gate.results),
        }
    )


effects_assets = [measure_effects, effects_republication]
