"""Ingesting a run's months of one monthly source, and the geography and population files."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import duckdb
import polars as pl

from lagesbild.ingest.code_lists import load_code_lists
from lagesbild.ingest.contracts import CONTRACTS, SourceContract
from lagesbild.ingest.delivery import IngestResult, check_ids_unseen_in_other_months, ingest_file
from lagesbild.ingest.landing import describe_delivery, find_delivery
from lagesbild.ingest.population import population_parser
from lagesbild.ingest.raw_store import Delivery, ensure_raw_schema, log_missing
from lagesbild.ingest.validation import DeliveryRejected, read_delivery
from lagesbild.months import month_start
from lagesbild.progress import report as report_progress
from lagesbild.settings import DataPaths


class NoDelivery(RuntimeError):
    """A source that must always be present (geography, population) has no file."""


@dataclass
class SourceIngest:
    """What ingesting one source over a run's partitions gave."""

    source: str
    results: list[IngestResult] = field(default_factory=list)
    rejections: list[DeliveryRejected] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    def rejection_message(self) -> str:
        return "\n\n".join(str(rejection) for rejection in self.rejections)


class ReadAhead(NamedTuple):
    """A month's file with its description (hash) and validation, made on the reader thread."""

    path: Path | None
    describing: Future[Delivery] | None
    validating: Future[pl.DataFrame] | None


def ingest_months(
    conn: duckdb.DuckDBPyConnection,
    paths: DataPaths,
    contract: SourceContract,
    month_keys: Sequence[str],
    run_id: str,
    log_error: Callable[[str], None] = lambda message: None,
) -> SourceIngest:
    """Ingest every month of `month_keys` for one monthly source, one transaction a month.

    The next month's file is hashed, parsed and validated (polars) on a read-ahead thread
    while this month is written (DuckDB); the checks that read `raw` still run in month order.
    """
    outcome = SourceIngest(contract.source)
    ensure_raw_schema(conn)
    code_lists = load_code_lists(conn)
    with ThreadPoolExecutor(1, "read-ahead") as reader:

        def read(key: str) -> ReadAhead:
            """The month's file, its hashing and validation started on the read-ahead thread."""
            path = find_delivery(paths.landing_source(contract.source), key)
            if path is None:
                return ReadAhead(None, None, None)
            return ReadAhead(
                path,
                reader.submit(describe_delivery, contract.source, key, path),
                reader.submit(read_delivery, path, contract, month_start(key), code_lists),
            )

        keys = list(month_keys)
        upcoming = read(keys[0]) if keys else ReadAhead(None, None, None)
        for index, key in enumerate(keys):
            path, describing, validating = upcoming
            if index + 1 < len(keys):
                upcoming = read(keys[index + 1])
            if path is None or describing is None or validating is None:
                log_missing(conn, contract.source, key, run_id)
                outcome.missing.append(key)
                report_progress("ingest", contract.source, index + 1, len(keys), key)
                continue
            month = month_start(key)

            def parse(file: Path, month=month, validating=validating) -> pl.DataFrame:
                frame = validating.result()
                label = f"{contract.source}/{file.name}"
                check_ids_unseen_in_other_months(conn, contract, month, frame, label)
                return frame

            try:
                outcome.results.append(
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
                        run_id=run_id,
                        delivery=describing.result(),
                    )
                )
            except DeliveryRejected as rejection:
                log_error(str(rejection))
                outcome.rejections.append(rejection)
            report_progress("ingest", contract.source, index + 1, len(keys), key)
    return outcome


def ingest_geography(
    conn: duckdb.DuckDBPyConnection, paths: DataPaths, run_id: str
) -> SourceIngest:
    """`landing/geography/deso.csv` → raw.geography_deso (a new file is a new vintage)."""
    contract = CONTRACTS["geography"]
    path = find_delivery(paths.landing_source("geography"), "deso")
    if path is None:
        raise NoDelivery(
            f"No geography delivery: expected {paths.landing_source('geography') / 'deso.csv'}"
        )
    outcome = SourceIngest("geography")
    ensure_raw_schema(conn)
    code_lists = load_code_lists(conn)
    code_lists.pop("deso", None)
    try:
        outcome.results.append(
            ingest_file(
                conn,
                paths=paths,
                contract_source="geography",
                partition_key="current",
                path=path,
                parse=lambda file: read_delivery(file, contract, None, code_lists),
                partition_column=None,
                partition_value=None,
                key_columns=contract.unique_key,
                run_id=run_id,
            )
        )
    except DeliveryRejected as rejection:
        outcome.rejections.append(rejection)
    return outcome


def ingest_population(
    conn: duckdb.DuckDBPyConnection, paths: DataPaths, run_id: str
) -> SourceIngest:
    """Every `landing/population/YYYY.json` → raw.population, each year replaced as a unit."""
    files = sorted(paths.landing_source("population").glob("[0-9][0-9][0-9][0-9].json"))
    if not files:
        raise NoDelivery(f"No population delivery in {paths.landing_source('population')}")
    outcome = SourceIngest("population")
    ensure_raw_schema(conn)
    known_deso = load_code_lists(conn).get("deso", frozenset())
    for file in files:
        year = int(file.stem)
        try:
            outcome.results.append(
                ingest_file(
                    conn,
                    paths=paths,
                    contract_source="population",
                    partition_key=str(year),
                    path=file,
                    parse=population_parser(year, known_deso),
                    partition_column="year",
                    partition_value=year,
                    key_columns=("deso_code", "age_group", "sex"),
                    run_id=run_id,
                )
            )
        except DeliveryRejected as rejection:
            outcome.rejections.append(rejection)
    return outcome
