"""Ingest assets: one per landing-zone source, writing the `raw` schema of the build database."""

from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.ingest.code_lists import load_code_lists
from assets.ingest.contracts import CONTRACTS, SourceContract
from assets.ingest.delivery import IngestResult, check_ids_unseen_in_other_months, ingest_file
from assets.ingest.landing import find_delivery
from assets.ingest.raw_store import (
    POPULATION_COLUMNS,
    ensure_raw_schema,
    log_missing,
    raw_table,
    table_columns,
)
from assets.ingest.validation import (
    DeliveryRejected,
    ViolationCollector,
    read_delivery,
)
from pipelines.jsonstat import JsonStatError, population_rows
from pipelines.partitions import month_start, monthly_partitions
from pipelines.policy import BUILD_POOL, ECONOMICS_DEPARTMENT, GROUP_INGEST
from pipelines.resources import LagesbildSettings
from pipelines.settings import MONTHLY_SOURCES

GEOGRAPHY_KEY = dg.AssetKey(["raw", "geography_deso"])
POPULATION_KEY = dg.AssetKey(["raw", "population"])
INGEST_KINDS = {"python", "polars", "duckdb"}
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


def _raise_rejections(source: str, rejections: list[DeliveryRejected]) -> None:
    if rejections:
        raise dg.Failure(
            description="\n\n".join(str(rejection) for rejection in rejections),
            metadata={"source": source, "rejected_files": [r.file for r in rejections]},
            allow_retries=False,
        )


def ingest_monthly_source(
    context: dg.AssetExecutionContext,
    contract: SourceContract,
    settings: LagesbildSettings,
    warehouse: DuckDBResource,
) -> dg.MaterializeResult:
    """Ingest every month of the run's partition range for one source."""
    paths = settings.paths
    results: list[IngestResult] = []
    rejections: list[DeliveryRejected] = []
    missing: list[str] = []
    with warehouse.get_connection() as conn, ThreadPoolExecutor(1, "read-ahead") as reader:
        ensure_raw_schema(conn)
        code_lists = load_code_lists(conn)

        def read(key: str) -> tuple[Path | None, Future[pl.DataFrame] | None]:
            """The month's file, and its validation started on the read-ahead thread."""
            path = find_delivery(paths.landing_source(contract.source), key)
            if path is None:
                return None, None
            return path, reader.submit(read_delivery, path, contract, month_start(key), code_lists)

        # The next month's file is parsed and validated (polars) while this month is written
        # (DuckDB); the checks that read `raw` still run in month order, after the last commit.
        keys = list(context.partition_keys)
        upcoming = read(keys[0]) if keys else (None, None)
        for index, key in enumerate(keys):
            path, validating = upcoming
            if index + 1 < len(keys):
                upcoming = read(keys[index + 1])
            if path is None or validating is None:
                log_missing(conn, contract.source, key, context.run_id)
                missing.append(key)
                continue
            month = month_start(key)

            def parse(file: Path, month=month, validating=validating) -> pl.DataFrame:
                frame = validating.result()
                label = f"{contract.source}/{file.name}"
                check_ids_unseen_in_other_months(conn, contract, month, frame, label)
                return frame

            try:
                results.append(
                    ingest_file(
                        conn,
                        paths=paths,
                        contract_source=contract.source,
                        partition_key=key,
                        path=path,
                        parse=parse,
                        partition_column="month",
                        partition_value=month,
                        key_columns=contract.unique_key,
                        run_id=context.run_id,
                    )
                )
            except DeliveryRejected as rejection:
                context.log.error(str(rejection))
                rejections.append(rejection)
    if missing:
        context.log.warning(
            f"{contract.source}: no delivery for {', '.join(missing)} — marked missing (not zero)"
        )
    _raise_rejections(contract.source, rejections)
    metadata = _results_metadata(results, table_columns(contract))
    metadata["missing_months"] = dg.MetadataValue.json(missing)
    return dg.MaterializeResult(metadata=metadata)


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
        group_name=GROUP_INGEST,
        owners=[ECONOMICS_DEPARTMENT],
        kinds=INGEST_KINDS,
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        deps=[GEOGRAPHY_KEY],
        pool=BUILD_POOL,
        tags={"lagesbild/source": contract.source},
    )
    def _ingest(
        context: dg.AssetExecutionContext,
        settings: LagesbildSettings,
        warehouse: DuckDBResource,
    ) -> dg.MaterializeResult:
        return ingest_monthly_source(context, contract, settings, warehouse)

    return _ingest


@dg.asset(
    key=GEOGRAPHY_KEY,
    description=(
        "The DeSO → municipality / local police area / vulnerable area assignment, from "
        "`landing/geography/deso.csv`. A new file replaces the table as a new vintage. In the "
        "embedded default data the DeSOs and their assignment are synthetic."
    ),
    group_name=GROUP_INGEST,
    owners=[ECONOMICS_DEPARTMENT],
    kinds=INGEST_KINDS,
    pool=BUILD_POOL,
    tags={"lagesbild/source": "geography"},
)
def geography_deso(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    contract = CONTRACTS["geography"]
    paths = settings.paths
    path = find_delivery(paths.landing_source("geography"), "deso")
    if path is None:
        raise dg.Failure(
            f"No geography delivery: expected {paths.landing_source('geography') / 'deso.csv'}",
            allow_retries=False,
        )
    with warehouse.get_connection() as conn:
        ensure_raw_schema(conn)
        code_lists = load_code_lists(conn)
        code_lists.pop("deso", None)
        try:
            result = ingest_file(
                conn,
                paths=paths,
                contract_source="geography",
                partition_key="current",
                path=path,
                parse=lambda file: read_delivery(file, contract, None, code_lists),
                partition_column=None,
                partition_value=None,
                key_columns=contract.unique_key,
                run_id=context.run_id,
            )
        except DeliveryRejected as rejection:
            _raise_rejections("geography", [rejection])
            raise
    return dg.MaterializeResult(metadata=_results_metadata([result], table_columns(contract)))


def _population_parser(year: int, known_deso: frozenset[str]):
    def parse(file: Path) -> pl.DataFrame:
        collector = ViolationCollector(file=f"population/{file.name}")
        try:
            rows = population_rows(file.read_bytes())
        except (JsonStatError, ValueError) as error:
            collector.add(f"not a valid SCB JSON-stat2 population dataset: {error}")
            raise DeliveryRejected("population", collector.file, collector) from None
        years = set(rows["year"].unique().to_list())
        if years != {year}:
            collector.add(f"holds year(s) {sorted(years)}, but the file name says {year}")
        if known_deso:
            unknown = rows.filter(~pl.col("deso_code").is_in(list(known_deso)))
            for code in unknown["deso_code"].unique().sort().head(5):
                collector.add(
                    "unknown DeSO code (not in the delivered geography)",
                    column="Region",
                    value=code,
                )
        if collector.total:
            raise DeliveryRejected("population", collector.file, collector)
        return rows

    return parse


@dg.asset(
    key=POPULATION_KEY,
    description=(
        "Population per DeSO, age group and sex at 31 December, one file per year "
        "(`landing/population/YYYY.json`, SCB PxWeb JSON-stat2 — the same format the live SCB "
        "API returns). Each year is replaced as a unit. The denominator of every rate."
    ),
    group_name=GROUP_INGEST,
    owners=[ECONOMICS_DEPARTMENT],
    kinds=INGEST_KINDS,
    deps=[GEOGRAPHY_KEY],
    pool=BUILD_POOL,
    tags={"lagesbild/source": "population"},
)
def population(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    paths = settings.paths
    files = sorted(paths.landing_source("population").glob("[0-9][0-9][0-9][0-9].json"))
    if not files:
        raise dg.Failure(
            f"No population delivery in {paths.landing_source('population')}", allow_retries=False
        )
    results: list[IngestResult] = []
    rejections: list[DeliveryRejected] = []
    with warehouse.get_connection() as conn:
        ensure_raw_schema(conn)
        known_deso = load_code_lists(conn).get("deso", frozenset())
        for file in files:
            year = int(file.stem)
            try:
                results.append(
                    ingest_file(
                        conn,
                        paths=paths,
                        contract_source="population",
                        partition_key=str(year),
                        path=file,
                        parse=_population_parser(year, known_deso),
                        partition_column="year",
                        partition_value=year,
                        key_columns=("deso_code", "age_group", "sex"),
                        run_id=context.run_id,
                    )
                )
            except DeliveryRejected as rejection:
                rejections.append(rejection)
    _raise_rejections("population", rejections)
    columns = POPULATION_COLUMNS | {"source_sha256": "VARCHAR"}
    metadata = _results_metadata(results, columns)
    metadata["years"] = dg.MetadataValue.json([r.partition_key for r in results])
    return dg.MaterializeResult(metadata=metadata)


monthly_ingest_assets = [build_monthly_ingest_asset(CONTRACTS[name]) for name in MONTHLY_SOURCES]
ingest_assets = [geography_deso, population, *monthly_ingest_assets]
