"""The publish asset: the read-only warehouse file the regions query."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.publish.publisher import PublicationError, publish
from assets.warehouse.dbt_assets import lagesbild_dbt
from pipelines.partitions import month_start, monthly_partitions
from pipelines.policy import BUILD_POOL, ECONOMICS_DEPARTMENT, GROUP_PUBLISH
from pipelines.resources import LagesbildSettings
from pipelines.settings import MONTHLY_SOURCES

PUBLISHED_WAREHOUSE_KEY = dg.AssetKey(["publish", "lagesbild_warehouse"])
MART_KEYS = sorted(
    (key for key in lagesbild_dbt.keys if key.path[0] == "marts"), key=lambda k: k.to_user_string()
)


def missing_sources(warehouse: DuckDBResource, month_key: str) -> list[str]:
    """Monthly sources with no accepted delivery for the month: a partial month."""
    with warehouse.get_connection() as conn:
        delivered = {
            row[0]
            for row in conn.execute(
                "select source from raw.deliveries where month = ?", [month_start(month_key)]
            ).fetchall()
        }
    return [source for source in MONTHLY_SOURCES if source not in delivered]


@dg.asset(
    key=PUBLISHED_WAREHOUSE_KEY,
    description=(
        "The published warehouse `<data>/publish/lagesbild.duckdb`: the marts plus "
        "`meta.publication_log`, built as a new file, verified (row counts and checksums, "
        "re-opened read-only) and moved over the published path atomically, so readers never "
        "see a half-written file. Every vintage is kept in `publish/archive/` by month and run id. "
        "Refuses to publish a month for which any monthly source is missing."
    ),
    group_name=GROUP_PUBLISH,
    owners=[ECONOMICS_DEPARTMENT],
    kinds={"python", "duckdb"},
    deps=MART_KEYS,
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=BUILD_POOL,
)
def lagesbild_warehouse(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    month = context.partition_keys[-1]
    absent = missing_sources(warehouse, month)
    if absent:
        raise dg.Failure(
            f"Publication refused: {month} is incomplete — no accepted delivery from "
            f"{', '.join(absent)}. Missing is not zero; the previous publication stays in place.",
            allow_retries=False,
        )
    try:
        publication = publish(settings.paths, month=month, run_id=context.run_id)
    except PublicationError as error:
        raise dg.Failure(f"Publication refused: {error}", allow_retries=False) from error
    context.log.info(f"Published {publication.path} for {month}")
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(publication.path)),
            "archived_as": dg.MetadataValue.path(str(publication.archived_as)),
            "month": month,
            "size_bytes": publication.size_bytes,
            "dagster/row_count": sum(publication.row_counts.values()),
            "row_counts": dg.MetadataValue.json(publication.row_counts),
            "checksums": dg.MetadataValue.json(publication.checksums),
            "input_deliveries": len(publication.input_deliveries),
        }
    )
