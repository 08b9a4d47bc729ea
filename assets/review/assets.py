"""The tertial review asset: statistics tables in the warehouse and HTML reports per region."""

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from assets.publish.assets import PUBLISHED_WAREHOUSE_KEY
from assets.publish.publisher import PublicationError, publish
from assets.quality.gate import verify_required_checks
from pipelines.policy import BUILD_POOL
from pipelines.resources import LagesbildSettings
from pipelines.review.run import (
    NothingPublished,
    TertialNotComplete,
    run_review,
    summary_markdown,
)
from pipelines.review.tertials import partition_key_to_label, tertial_months, tertial_partitions

ANALYSIS_TEAM = "team:analysis"
"""The analysts who write the tertial reviews and the yearly follow-up."""
GROUP_REVIEW = "review"
TERTIAL_REVIEW_KEY = dg.AssetKey(["review", "tertial_review"])


@dg.asset(
    key=TERTIAL_REVIEW_KEY,
    description=(
        "Tertial review (T1 Jan–Apr, T2 May–Aug, T3 Sep–Dec) from the PUBLISHED warehouse, only "
        "for a complete tertial (all four months published): per area, LPO, municipality, region "
        "and nation and every indicator — tertial count and rate, rate ratio against the same "
        "tertial a year earlier with an exact 95 % interval, Benjamini–Hochberg significance, "
        "seasonal Poisson trend over three years, Laney u′ control-chart signals, EB-shrunk "
        "area ranks, effect-goal progress — plus written findings and the objective area index. "
        "Writes marts.fct_tertial_review and companions to the build database, republishes, and "
        "writes self-contained HTML reports to <data>/reports/tertial/<YYYY>-T<n>/."
    ),
    group_name=GROUP_REVIEW,
    owners=[ANALYSIS_TEAM],
    kinds={"python", "duckdb", "matplotlib"},
    partitions_def=tertial_partitions,
    deps=[dg.AssetDep(PUBLISHED_WAREHOUSE_KEY, partition_mapping=dg.TimeWindowPartitionMapping())],
    pool=BUILD_POOL,
)
def tertial_review(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    label = partition_key_to_label(context.partition_key)
    paths = settings.paths
    last_month = tertial_months(label)[-1].strftime("%Y-%m")

    def connect_build() -> duckdb.DuckDBPyConnection:
        return duckdb.connect(warehouse.database)

    def republish() -> None:
        # The build database may hold a later build that failed its checks (a refused month):
        # republish only what the gate passes, exactly like the publish asset.
        gate = verify_required_checks(context.instance)
        if not gate.passed:
            raise PublicationError(gate.message())
        publish(paths, month=last_month, run_id=context.run_id, check_results=gate.results)

    try:
        outcome = run_review(paths, label, connect_build=connect_build, republish=republish)
    except (TertialNotComplete, NothingPublished) as error:
        raise dg.Failure(f"Tertial review {label} not run: {error}", allow_retries=False) from error
    except PublicationError as error:
        raise dg.Failure(f"Republication refused: {error}", allow_retries=False) from error
    context.log.info(f"Tertial review {label}: reports in {outcome.report_dir}")
    return dg.MaterializeResult(
        metadata={
            "summary": dg.MetadataValue.md(summary_markdown(outcome)),
            "report_dir": dg.MetadataValue.path(str(outcome.report_dir)),
            "national_report": dg.MetadataValue.path(str(outcome.reports["nationell"])),
            "reports": len(outcome.reports),
            "tertial": label,
            "findings": outcome.tables.findings.height,
            "row_counts": dg.MetadataValue.json(outcome.row_counts),
            "dagster/row_count": outcome.row_counts.get("marts.fct_tertial_review", 0),
            "seconds": dg.MetadataValue.json({k: round(v, 2) for k, v in outcome.timings.items()}),
            "synthetic_data": outcome.inputs.is_synthetic,
        }
    )


review_assets = [tertial_review]
