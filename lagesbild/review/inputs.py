"""What a tertial review reads: the PUBLISHED warehouse (what passed the gate), read-only.

Tables the marts engineer may not have delivered yet (classification history, effect goals,
resources) are optional: a missing table becomes `None` plus a note in the report, never
invented data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from lagesbild.months import add_months
from lagesbild.review.tertials import tertial_months
from lagesbild.settings import DataPaths

HISTORY_MONTHS = 36
"""Months read back from the tertial's last month: the three-year trend window."""
OPTIONAL_TABLES = ("dim_area_classification", "mart_effect_goals", "mart_resources")
EFFECTS_TABLE = "fct_measure_effect"
GENERATED_MARKER = "GENERATED.txt"


@dataclass
class ReviewInputs:
    label: str
    months: list[date]
    """The whole window read, oldest first; the tertial is the last four."""
    monthly: pl.DataFrame
    indicators: pl.DataFrame
    geography: pl.DataFrame
    optional: dict[str, pl.DataFrame | None]
    is_synthetic: bool
    notes: list[str] = field(default_factory=list)

    @property
    def tertial(self) -> list[date]:
        return self.months[-4:]


def is_synthetic_data(paths: DataPaths) -> bool:
    """The landing zone was written by the generator (it leaves GENERATED.txt)."""
    return (paths.landing / GENERATED_MARKER).exists()


def _tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0]
        for row in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }


def indicator_catalogue(conn: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """dim_indicator with a `kind` column (inferred from `unit` where the column is absent)."""
    frame = conn.sql("select * from marts.dim_indicator").pl()
    if "kind" not in frame.columns:
        frame = frame.with_columns(
            pl.when(pl.col("unit") == "count")
            .then(pl.lit("count"))
            .otherwise(pl.lit("ratio"))
            .alias("kind")
        )
    return frame.sort("indicator_code")


def load_inputs(database: Path, label: str, *, is_synthetic: bool) -> ReviewInputs:
    last = tertial_months(label)[-1]
    months = [add_months(last, -offset) for offset in range(HISTORY_MONTHS - 1, -1, -1)]
    conn = duckdb.connect(str(database), read_only=True)
    try:
        present = _tables(conn)
        monthly = conn.sql(
            "select month, geo_level, geo_code, indicator_code, numerator, denominator, value, "
            "rate_per_1000, is_complete from marts.fct_indicator_month "
            "where month between ? and ?",
            params=[months[0], months[-1]],
        ).pl()
        indicators = indicator_catalogue(conn)
        geography = conn.sql("select * from marts.dim_geography").pl()
        optional: dict[str, pl.DataFrame | None] = {}
        notes: list[str] = []
        for table in OPTIONAL_TABLES:
            if table in present:
                optional[table] = conn.sql(f"select * from marts.{table}").pl()
            else:
                optional[table] = None
                notes.append(f"marts.{table} finns inte i den publicerade databasen ännu.")
        # measures evaluated so far (lagesbild evaluate); absent until the first evaluation
        optional[EFFECTS_TABLE] = (
            conn.sql(f"select * from marts.{EFFECTS_TABLE}").pl()
            if EFFECTS_TABLE in present
            else None
        )
    finally:
        conn.close()
    return ReviewInputs(
        label, months, monthly, indicators, geography, optional, is_synthetic, notes
    )
