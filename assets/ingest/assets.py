"""Ingest assets: one per landing-zone source, writing the `raw` schema of the build database."""

from collections.abc import Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.partitions import MEASURE_PARTITIONS_NAME, monthly_partitions
from assets.policy import INGEST, SOURCE_TAG
from assets.resources import LagesbildSettings
from lagesbild.effects.register import ingest_register, registered_measures
from lagesbild.ingest.contracts import CONTRACTS, SourceContract
from lagesbild.ingest.delivery import IngestResult
from lagesbild.ingest.monthly import (
    NoDelivery,
    SourceIngest,
    ingest_geography,
    ingest_months,
    ingest_population,
)
from lagesbild.ingest.raw_store import POPULATION_COLUMNS, raw_table, table_columns
from lagesbild.settings import MONTHLY_SOURCES

GEOGRAPHY_KEY = dg.AssetKey(["raw", "geography_deso"])
MEASURES_KEY = dg.AssetKey(["raw", "measures"])
POPULATION_KEY = dg.AssetKey(["raw", "population"])
DETAILED_DELIVERIES = 12  # up to this many files, the metadata lists each one


def _results_metadata(
    results: Sequence[IngestResult], columns: dict[str, str]
) -> dict[str, object]:
    """Provenance for the materialization: per file hash, size, vintage and revision diff."""
    metadata: dict[str, object] = {
        "dagster/row_count": sum(result.outcome.rows for result in results),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, sql_type) for name, sql_type in columns.items()]
        ),
    }
    if len(results) <= DETAILED_DELIVERIES:
        metadata["deliveries"] = dg.MetadataValue.json([result.as_row() for result in results])
    else:
        # A range run records one materialization per month, each with this metadata: keep it
        # compact (a per-file list would be stored months x files times). Every file's detail
        # is in raw.ingest_log (this run id) and in the archive.
        statuses: dict[str, int] = {}
        for result in results:
            statuses[result.outcome.status] = statuses.get(result.outcome.status, 0) + 1
        metadata["deliveries"] = dg.MetadataValue.json(
            {
                "files": len(results),
                "first_month": results[0].partition_key,
                "last_month": results[-1].partition_key,
                "statuses": statuses,
                "per_file_detail": "select * from raw.ingest_log where run_id = '<this run>'",
            }
        )
    if len(results) == 1:
        only = results[0]
        metadata |= {
            "file_name": only.file_name,
            "sha256": only.sha256,
            "size_bytes": only.size_bytes,
            "delivered_at": only.delivered_at,
            "archived_as": dg.MetadataValue.path(only.archived_as),
            "vintage": only.outcome.vintage,
            "status": only.outcome.status,
            "rows_added": only.outcome.rows_added,
            "rows_removed": only.outcome.rows_removed,
            "rows_changed": only.outcome.rows_changed,
        }
    return metadata


def _raise_rejections(ingest: SourceIngest) -> None:
    """A rejected delivery fails the step, naming file, line, column and rule."""
    if ingest.rejections:
        raise dg.Failure(
            description=ingest.rejection_message(),
            metadata={
                "source": ingest.source,
                "rejected_files": [rejection.file for rejection in ingest.rejections],
            },
            allow_retries=False,
        )


def build_monthly_ingest_asset(contract: SourceContract) -> dg.AssetsDefinition:
    """One monthly-partitioned ingest asset per landing-zone source."""

    @dg.asset(
        key=dg.AssetKey(["raw", raw_table(contract.source)]),
        description=(
            f"{contract.description} Read from `landing/{contract.source}/YYYY-MM.csv` "
            "(or .parquet), validated against its declared contract, archived by sha256 and "
            f"written to `raw.{raw_table(contract.source)}` one month per transaction. "
            "Rejected files go to quarantine; months without a file are marked missing."
        ),
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[GEOGRAPHY_KEY],
        **INGEST.asset_kwargs(**{SOURCE_TAG: contract.source}),
    )
    def _ingest(
        context: dg.AssetExecutionContext,
        settings: LagesbildSettings,
        warehouse: DuckDBResource,
    ) -> dg.MaterializeResult:
        paths = settings.paths  # creates the data directory's folders
        with warehouse.get_connection() as conn:
            ingest = ingest_months(
                conn,
                paths,
                contract,
                context.partition_keys,
                context.run_id,
                log_error=context.log.error,
            )
        if ingest.missing:
            context.log.warning(
                f"{contract.source}: no delivery for {', '.join(ingest.missing)} — marked "
                "missing (not zero)"
            )
        _raise_rejections(ingest)
        metadata = _results_metadata(ingest.results, table_columns(contract))
        metadata["missing_months"] = dg.MetadataValue.json(ingest.missing)
        return dg.MaterializeResult(metadata=metadata)

    return _ingest


@dg.asset(
    key=GEOGRAPHY_KEY,
    description=(
        "The DeSO → municipality / local police area / vulnerable area assignment, from "
        "`landing/geography/deso.csv`. A new file replaces the table as a new vintage. In the "
        "embedded default data the DeSOs and their assignment are synthetic."
    ),
    **INGEST.asset_kwargs(**{SOURCE_TAG: "geography"}),
)
def geography_deso(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    paths = settings.paths  # creates the data directory's folders
    try:
        with warehouse.get_connection() as conn:
            ingest = ingest_geography(conn, paths, context.run_id)
    except NoDelivery as error:
        raise dg.Failure(str(error), allow_retries=False) from error
    _raise_rejections(ingest)
    columns = table_columns(CONTRACTS["geography"])
    # The data version is the accepted file's sha256: a month whose geography is unchanged keeps
    # it, so the reference models built from it (left out of such a month's build, see
    # pipelines/seeds.py) stay up to date in the UI's lineage rather than "upstream changed".
    version = dg.DataVersion(ingest.results[-1].sha256) if ingest.results else None
    return dg.MaterializeResult(
        metadata=_results_metadata(ingest.results, columns), data_version=version
    )


@dg.asset(
    key=POPULATION_KEY,
    description=(
        "Population per DeSO, age group and sex at 31 December, one file per year "
        "(`landing/population/YYYY.json`, SCB PxWeb JSON-stat2 — the same format the live SCB "
        "API returns). Each year is replaced as a unit. The denominator of every rate."
    ),
    deps=[GEOGRAPHY_KEY],
    **INGEST.asset_kwargs(**{SOURCE_TAG: "population"}),
)
def population(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    paths = settings.paths  # creates the data directory's folders
    try:
        with warehouse.get_connection() as conn:
            ingest = ingest_population(conn, paths, context.run_id)
    except NoDelivery as error:
        raise dg.Failure(str(error), allow_retries=False) from error
    _raise_rejections(ingest)
    columns = POPULATION_COLUMNS | {"source_sha256": "VARCHAR"}
    metadata = _results_metadata(ingest.results, columns)
    metadata["years"] = dg.MetadataValue.json([r.partition_key for r in ingest.results])
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    key=MEASURES_KEY,
    description=(
        "The register of measures (action plans, cameras, area police, presence …) from "
        "`landing/measures/measures.csv`: one row per measure and area, validated against its "
        "contract and the register's own rules (end after start, count indicators, one "
        "definition per measure); a rejected register is quarantined, a corrected one is a new "
        "vintage. Keeps the dynamic partitions `measures` (one per measure_id) in step with the "
        "register. No file: nothing registered (or the last accepted register stays)."
    ),
    deps=[GEOGRAPHY_KEY],
    **INGEST.asset_kwargs(**{SOURCE_TAG: "measures"}),
)
def measures_register(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    paths = settings.paths  # creates the data directory's folders
    with warehouse.get_connection() as conn:
        ingest = ingest_register(conn, paths, context.run_id)
        measures = registered_measures(conn)
    _raise_rejections(ingest)
    registered = [measure.measure_id for measure in measures]
    known = set(context.instance.get_dynamic_partitions(MEASURE_PARTITIONS_NAME))
    added = [key for key in registered if key not in known]
    removed = sorted(known - set(registered))
    if added:
        context.instance.add_dynamic_partitions(MEASURE_PARTITIONS_NAME, added)
    for key in removed:
        context.instance.delete_dynamic_partition(MEASURE_PARTITIONS_NAME, key)
    if ingest.missing:
        context.log.info("No register of measures in the landing zone: nothing new registered")
    metadata = _results_metadata(ingest.results, table_columns(CONTRACTS["measures"]))
    metadata |= {
        "measures": dg.MetadataValue.json(registered),
        "partitions_added": dg.MetadataValue.json(added),
        "partitions_removed": dg.MetadataValue.json(removed),
    }
    return dg.MaterializeResult(metadata=metadata)


monthly_ingest_assets = [build_monthly_ingest_asset(CONTRACTS[name]) for name in MONTHLY_SOURCES]
ingest_assets = [geography_deso, population, measures_register, *monthly_ingest_assets]
INGEST_KEYS = [key for asset in ingest_assets for key in asset.keys]
