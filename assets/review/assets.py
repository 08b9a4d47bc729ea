"""The tertial review: its tables in schema `review` and its HTML reports, one multi-asset."""

from collections.abc import Iterator

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from assets.partitions import tertial_partitions
from assets.policy import REVIEW
from assets.publish.assets import PUBLISHED_WAREHOUSE_KEY
from assets.publish.gate import publish_through_gate
from assets.resources import LagesbildSettings
from lagesbild.publish.publisher import TERTIAL_REVIEW
from lagesbild.review.run import (
    REVIEW_SCHEMA,
    REVIEW_TABLES,
    NothingPublished,
    TertialNotComplete,
    run_review,
    summary_markdown,
)
from lagesbild.review.tertials import partition_key_to_label, tertial_months

TERTIAL_REPORTS_KEY = dg.AssetKey(["review", "tertial_reports"])
OPTIONAL_TABLES = {"fct_tertial_goal_progress"}  # only when marts.mart_effect_goals is published
_UPSTREAM = [
    dg.AssetDep(PUBLISHED_WAREHOUSE_KEY, partition_mapping=dg.TimeWindowPartitionMapping())
]

TABLE_SPECS = [
    dg.AssetSpec(
        key=dg.AssetKey([REVIEW_SCHEMA, table]),
        description=f"`{REVIEW_SCHEMA}.{table}`: {text} One set of rows per reviewed tertial, "
        "written to the build database and published with the marts.",
        deps=_UPSTREAM,
        skippable=table in OPTIONAL_TABLES,
        **REVIEW.spec_kwargs(),
    )
    for table, text in REVIEW_TABLES.items()
]
REPORTS_SPEC = dg.AssetSpec(
    key=TERTIAL_REPORTS_KEY,
    description=(
        "Self-contained HTML reports of the tertial review, one national and one per region, "
        "at <data>/reports/tertial/<YYYY>-T<n>/: findings, indicator tables, control charts, "
        "areas, effect goals, classification history and the objective area index."
    ),
    deps=[dg.AssetDep(spec.key) for spec in TABLE_SPECS],
    **REVIEW.spec_kwargs(),
)


@dg.multi_asset(
    name="tertial_review",
    specs=[*TABLE_SPECS, REPORTS_SPEC],
    description=(
        "Tertial review (T1 Jan–Apr, T2 May–Aug, T3 Sep–Dec) from the PUBLISHED warehouse, only "
        "for a complete tertial (all four months published): per area, LPO, municipality, region "
        "and nation and every indicator — tertial count and rate, rate ratio against the same "
        "tertial a year earlier with an exact 95 % interval, Benjamini–Hochberg significance, "
        "seasonal Poisson trend over three years, Laney u′ control-chart signals, EB-shrunk "
        "area ranks, effect-goal progress — plus written findings and the objective area index. "
        f"Writes the `{REVIEW_SCHEMA}` tables to the build database, republishes through the "
        "same gate as the monthly publication, and writes the HTML reports."
    ),
    partitions_def=tertial_partitions,
    pool=REVIEW.pool,
)
def tertial_review(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> Iterator[dg.MaterializeResult]:
    label = partition_key_to_label(context.partition_key)
    paths = settings.paths
    last_month = tertial_months(label)[-1].strftime("%Y-%m")

    def connect_build() -> duckdb.DuckDBPyConnection:
        return duckdb.connect(warehouse.database)

    def republish() -> None:
        # The build database may hold a later build that failed its checks (a refused month):
        # republish only what the gate passes, exactly like the monthly publication.
        publish_through_gate(
            context,
            paths,
            warehouse,
            last_month,
            draw_docs=False,
            kind=TERTIAL_REVIEW,
            covers=label,
        )

    try:
        outcome = run_review(paths, label, connect_build=connect_build, republish=republish)
    except (TertialNotComplete, NothingPublished) as error:
        raise dg.Failure(f"Tertial review {label} not run: {error}", allow_retries=False) from error
    context.log.info(f"Tertial review {label}: reports in {outcome.report_dir}")
    for spec in TABLE_SPECS:
        qualified = spec.key.to_user_string().replace("/", ".")
        if qualified not in outcome.row_counts:
            continue
        yield dg.MaterializeResult(
            asset_key=spec.key,
            metadata={"tertial": label, "dagster/row_count": outcome.row_counts[qualified]},
        )
    yield dg.MaterializeResult(
        asset_key=TERTIAL_REPORTS_KEY,
        metadata={
            "summary": dg.MetadataValue.md(summary_markdown(outcome)),
            "report_dir": dg.MetadataValue.path(str(outcome.report_dir)),
            "national_report": dg.MetadataValue.path(str(outcome.reports["nationell"])),
            "reports": len(outcome.reports),
            "tertial": label,
            "findings": outcome.tables.findings.height,
            "row_counts": dg.MetadataValue.json(outcome.row_counts),
            "seconds": dg.MetadataValue.json({k: round(v, 2) for k, v in outcome.timings.items()}),
            "synthetic_data": outcome.inputs.is_synthetic,
        },
    )


review_assets = [tertial_review]
