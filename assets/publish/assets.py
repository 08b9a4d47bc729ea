"""The publish asset: the read-only warehouse file the regions query."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.partitions import WINDOW_START_TAG, monthly_partitions
from assets.policy import PUBLISH
from assets.publish.gate import publish_through_gate
from assets.resources import LagesbildSettings
from assets.warehouse.dbt_assets import MART_KEYS
from lagesbild.publish.publisher import Publication

PUBLISHED_WAREHOUSE_KEY = dg.AssetKey(["publish", "lagesbild_warehouse"])
EXPORT_KEPT = "kept: built from the same inputs"


def _export_state(publication: Publication) -> str:
    """How the publication's export came about (asset metadata)."""
    if publication.export_kept:
        return EXPORT_KEPT
    if publication.export_patched_months:
        return (
            f"built for {', '.join(publication.export_patched_months)}, "
            "the other months' rows taken from the published export"
        )
    return "built"


"""Metadata `export` of a publication that left the published export in place."""


@dg.asset(
    key=PUBLISHED_WAREHOUSE_KEY,
    description=(
        "The published warehouse `<data>/publish/lagesbild.duckdb`: the marts plus "
        "`meta.publication_log`, built as a new file, verified (row counts and checksums, "
        "re-opened read-only) and moved over the published path atomically, so readers never "
        "see a half-written file. Every vintage is kept in `publish/archive/` by month and run id. "
        "Also writes one file per region (`publish/regions/<slug>.duckdb`), the public export "
        "with disclosure control (`publish/export/`) and a GX Data Docs site "
        "(`publish/docs/gx/<month>_<run id>/`). Refuses to publish a month for which any monthly "
        "source is missing, and — checking the Dagster instance itself, so a run that selects "
        "only this step is gated too — unless every required check (blocking GX suites, dbt "
        "tests with severity error) passed on the current materialization of its asset."
    ),
    deps=MART_KEYS,
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    **PUBLISH.asset_kwargs(),
)
def lagesbild_warehouse(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    month = context.partition_keys[-1]
    first = context.run.tags.get(WINDOW_START_TAG) or context.partition_keys[0]
    covers = month if first == month else f"{first}..{month}"
    gated = publish_through_gate(context, settings.paths, warehouse, month, covers=covers)
    publication = gated.publication
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(publication.path)),
            "archived_as": dg.MetadataValue.path(str(publication.archived_as)),
            "version": dg.MetadataValue.path(str(publication.version)),
            "month": month,
            "covers": covers,
            "size_bytes": publication.size_bytes,
            "dagster/row_count": sum(publication.row_counts.values()),
            "row_counts": dg.MetadataValue.json(publication.row_counts),
            "checksums": dg.MetadataValue.json(publication.checksums),
            "input_deliveries": len(publication.input_deliveries),
            "required_checks_passed": len(gated.gate.results),
            "region_files": dg.MetadataValue.json(
                {slug: str(path) for slug, path in publication.region_files.items()}
            ),
            "export_files": dg.MetadataValue.json(
                {kind: str(path) for kind, path in publication.export_files.items()}
            ),
            "suppressed_cells": publication.suppressed_cells,
            "export": _export_state(publication),
            "tables_kept_from_previous_file": dg.MetadataValue.json(
                {
                    "main": list(publication.reused_tables),
                    **{
                        slug: list(tables)
                        for slug, tables in publication.region_reused_tables.items()
                    },
                }
            ),
            "months_patched_in_previous_file": dg.MetadataValue.json(
                {
                    "main": {
                        table: list(months) for table, months in publication.patched_months.items()
                    },
                    **{
                        slug: list(tables)
                        for slug, tables in publication.region_patched_tables.items()
                    },
                }
            ),
            "parquet_kept_from_previous_files": dg.MetadataValue.json(
                {slug: list(tables) for slug, tables in publication.region_parquet_kept.items()}
            ),
            "gx_data_docs": dg.MetadataValue.path(str(gated.docs) if gated.docs else "not built"),
        }
    )
