"""The register of measures: `<data>/landing/measures/measures.csv`, validated like a delivery.

Column rules are the contract `measures` in `lagesbild/ingest/contracts.py` (formats, kinds,
area codes, dates). The rules that span columns or rows live here: the end month is not
before the start month, every outcome indicator is a count indicator of the catalogue, and
all rows of one measure (one per area) agree on everything but the area. A register that
breaks any rule is quarantined whole with file, line, column and rule; a corrected register
replaces it as a new vintage (`raw.ingest_log`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from lagesbild.ingest.code_lists import load_code_lists
from lagesbild.ingest.contracts import CONTRACTS
from lagesbild.ingest.delivery import ingest_file
from lagesbild.ingest.landing import find_delivery
from lagesbild.ingest.monthly import SourceIngest
from lagesbild.ingest.raw_store import ensure_raw_schema
from lagesbild.ingest.validation import (
    LINE_NUMBER,
    DeliveryRejected,
    ViolationCollector,
    read_delivery,
)
from lagesbild.months import add_months, month_start
from lagesbild.settings import SEEDS_DIR, DataPaths

SOURCE = "measures"
REGISTER_STEM = "measures"
PARTITION_KEY = "current"
SHARED_COLUMNS = (
    "name",
    "kind",
    "start_month",
    "end_month",
    "outcome_indicators",
    "expected_direction",
    "registered_date",
)
"""Columns every row of one measure must agree on (only the area differs)."""


@dataclass(frozen=True)
class Measure:
    """One registered measure (over one or more areas)."""

    measure_id: str
    name: str
    kind: str
    area_codes: tuple[str, ...]
    start: date
    end: date | None  # last month of the measure, None = ongoing
    outcome_indicators: tuple[str, ...]
    expected_direction: str
    registered_date: date

    @property
    def is_post_hoc(self) -> bool:
        """Registered after its start month had ended: evaluated, but flagged."""
        return self.registered_date >= add_months(self.start, 1)

    def active_in(self, first: date, last: date) -> bool:
        """Whether the measure runs in any month from `first` to `last`."""
        return self.start <= last and (self.end is None or self.end >= first)


def count_indicators(seeds_dir: Path = SEEDS_DIR) -> frozenset[str]:
    """Indicator codes an effect can be measured on: the count indicators of the catalogue."""
    catalogue = pl.read_csv(seeds_dir / "indicators.csv", infer_schema=False)
    return frozenset(catalogue.filter(pl.col("kind") == "count")["indicator_code"].to_list())


def check_register(frame: pl.DataFrame, indicators: frozenset[str], file_label: str) -> None:
    """The cross-column and cross-row rules; raises DeliveryRejected naming line and column."""
    collector = ViolationCollector(file=file_label)
    ended_early = frame.filter(
        pl.col("end_month").is_not_null() & (pl.col("end_month") < pl.col("start_month"))
    )
    collector.add_frame(ended_early, "end_month", "before start_month (YYYY-MM, or empty)")
    for line, value in frame.select(LINE_NUMBER, "outcome_indicators").iter_rows():
        unknown = [code for code in value.split(",") if code not in indicators]
        if unknown:
            collector.add(
                f"unknown or non-count indicator(s) {', '.join(unknown)}: expected codes of "
                "count indicators in dim_indicator (e.g. violent_crime, drug_offences)",
                line=int(line),
                column="outcome_indicators",
                value=value,
            )
    for column in SHARED_COLUMNS:
        disagreeing = (
            frame.with_columns(
                pl.col(column).cast(pl.String).n_unique().over("measure_id").alias("_variants")
            )
            .filter(pl.col("_variants") > 1)
            .sort(LINE_NUMBER)
        )
        collector.add_frame(
            disagreeing.with_columns(pl.col(column).cast(pl.String)),
            column,
            "differs between rows of the same measure_id (only area_code may differ)",
        )
    if collector.total:
        raise DeliveryRejected(SOURCE, file_label, collector)


def parse_register(path: Path, code_lists: dict[str, frozenset[str]]) -> pl.DataFrame:
    """Validate the register file; the typed rows, or DeliveryRejected."""
    contract = CONTRACTS[SOURCE]
    frame = read_delivery(path, contract, None, code_lists)
    check_register(frame, count_indicators(), f"{SOURCE}/{path.name}")
    return frame


def ingest_register(conn: duckdb.DuckDBPyConnection, paths: DataPaths, run_id: str) -> SourceIngest:
    """`landing/measures/measures.csv` → raw.measures (a changed file is a new vintage).

    No file is not an error: nothing is registered yet (or the last accepted register stays).
    """
    ensure_raw_schema(conn)
    outcome = SourceIngest(SOURCE)
    path = find_delivery(paths.landing_source(SOURCE), REGISTER_STEM)
    if path is None:
        outcome.missing.append(PARTITION_KEY)
        return outcome
    code_lists = load_code_lists(conn)
    try:
        outcome.results.append(
            ingest_file(
                conn,
                paths=paths,
                contract_source=SOURCE,
                partition_key=PARTITION_KEY,
                path=path,
                parse=lambda file: parse_register(file, code_lists),
                partition_column=None,
                partition_value=None,
                key_columns=CONTRACTS[SOURCE].unique_key,
                run_id=run_id,
            )
        )
    except DeliveryRejected as rejection:
        outcome.rejections.append(rejection)
    return outcome


def measures_from_rows(rows: pl.DataFrame) -> list[Measure]:
    """Group register rows (one per measure and area) into measures, ordered by id."""
    measures = []
    for (measure_id,), group in rows.sort("measure_id", "area_code").group_by(
        "measure_id", maintain_order=True
    ):
        first = group.row(0, named=True)
        measures.append(
            Measure(
                measure_id=str(measure_id),
                name=first["name"],
                kind=first["kind"],
                area_codes=tuple(group["area_code"].to_list()),
                start=month_start(first["start_month"]),
                end=month_start(first["end_month"]) if first["end_month"] else None,
                outcome_indicators=tuple(first["outcome_indicators"].split(",")),
                expected_direction=first["expected_direction"],
                registered_date=first["registered_date"],
            )
        )
    return measures


def registered_measures(conn: duckdb.DuckDBPyConnection) -> list[Measure]:
    """The measures of the current register in raw.measures (empty when none delivered)."""
    present = conn.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'raw' and table_name = 'measures'"
    ).fetchall()[0][0]
    if not present:
        return []
    rows = conn.sql(
        "select measure_id, name, kind, area_code, start_month, end_month, outcome_indicators, "
        "expected_direction, registered_date from raw.measures"
    ).pl()
    return measures_from_rows(rows)
