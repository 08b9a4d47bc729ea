"""The evaluation's tables in the build database: `marts.fct_measure_effect` and
`marts.fct_measure_event_study`, written by Python (dbt does not know them and leaves them
alone), published with the other marts once their GX suites pass.

One transaction per evaluation: the evaluated measures' rows are replaced and rows of measures
no longer in the register are removed, so the tables always describe the current register.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import duckdb
import polars as pl

from lagesbild.effects.register import Measure

if TYPE_CHECKING:
    from lagesbild.effects.evaluate import MeasureEvaluation

EFFECT_TABLE = "marts.fct_measure_effect"
EVENT_STUDY_TABLE = "marts.fct_measure_event_study"

EFFECT_COLUMNS: dict[str, str] = {
    "measure_id": "VARCHAR",
    "measure_name": "VARCHAR",
    "kind": "VARCHAR",
    "area_codes": "VARCHAR",
    "region": "VARCHAR",
    "indicator_code": "VARCHAR",
    "zone": "VARCHAR",
    "method": "VARCHAR",
    "start_month": "DATE",
    "end_month": "DATE",
    "expected_direction": "VARCHAR",
    "registered_date": "DATE",
    "window_start": "DATE",
    "window_end": "DATE",
    "effect_ratio": "DOUBLE",
    "ci_low": "DOUBLE",
    "ci_high": "DOUBLE",
    "p_value": "DOUBLE",
    "pre_trend_p": "DOUBLE",
    "placebo_p": "DOUBLE",
    "mde_ratio": "DOUBLE",
    "n_comparison_units": "INTEGER",
    "pre_months": "INTEGER",
    "post_months": "INTEGER",
    "events_pre": "INTEGER",
    "events_post": "INTEGER",
    "expected_post": "DOUBLE",
    "pre_fit_ratio": "DOUBLE",
    "verdict": "VARCHAR",
    "verdict_reason": "VARCHAR",
    "is_primary": "BOOLEAN",
    "is_post_hoc": "BOOLEAN",
    "data_through": "DATE",
}
EVENT_STUDY_COLUMNS: dict[str, str] = {
    "measure_id": "VARCHAR",
    "region": "VARCHAR",
    "indicator_code": "VARCHAR",
    "zone": "VARCHAR",
    "event_quarter": "INTEGER",
    "period_start": "DATE",
    "period_end": "DATE",
    "observed": "DOUBLE",
    "expected": "DOUBLE",
    "ratio": "DOUBLE",
    "ci_low": "DOUBLE",
    "ci_high": "DOUBLE",
    "is_pre": "BOOLEAN",
}
TABLES = {EFFECT_TABLE: EFFECT_COLUMNS, EVENT_STUDY_TABLE: EVENT_STUDY_COLUMNS}


def measure_region(measure: Measure, area_regions: dict[str, str]) -> str | None:
    """The police region of the measure's areas (None when they lie in several)."""
    regions = {area_regions.get(code) for code in measure.area_codes}
    return regions.pop() if len(regions) == 1 else None


def effect_frame(
    evaluations: Iterable[MeasureEvaluation], area_regions: dict[str, str]
) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for evaluation in evaluations:
        measure = evaluation.measure
        common = {
            "measure_name": measure.name,
            "kind": measure.kind,
            "area_codes": ",".join(measure.area_codes),
            "region": measure_region(measure, area_regions),
            "start_month": measure.start,
            "end_month": measure.end,
            "expected_direction": measure.expected_direction,
            "registered_date": measure.registered_date,
            "data_through": evaluation.data_through,
        }
        rows += [{**row, **common} for row in evaluation.effect_rows()]
    return _frame(rows, EFFECT_COLUMNS)


def event_study_frame(
    evaluations: Iterable[MeasureEvaluation], area_regions: dict[str, str]
) -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for evaluation in evaluations:
        region = measure_region(evaluation.measure, area_regions)
        rows += [{**row, "region": region} for row in evaluation.event_study_rows()]
    return _frame(rows, EVENT_STUDY_COLUMNS)


POLARS_TYPES = {
    "VARCHAR": pl.String,
    "DATE": pl.Date,
    "DOUBLE": pl.Float64,
    "INTEGER": pl.Int32,
    "BOOLEAN": pl.Boolean,
}


def _frame(rows: list[dict[str, Any]], columns: dict[str, str]) -> pl.DataFrame:
    schema = {name: POLARS_TYPES[kind] for name, kind in columns.items()}
    return pl.DataFrame([{name: row.get(name) for name in columns} for row in rows], schema=schema)


def ensure_tables(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute("create schema if not exists marts")
    for table, columns in TABLES.items():
        body = ", ".join(f"{name} {kind}" for name, kind in columns.items())
        conn.execute(f"create table if not exists {table} ({body})")


def replace_measures(
    conn: duckdb.DuckDBPyConnection,
    evaluated: Sequence[MeasureEvaluation],
    registered_ids: Sequence[str],
    area_regions: dict[str, str],
) -> dict[str, int]:
    """Replace the evaluated measures' rows; drop rows of measures no longer registered.

    Returns the row count of each table after the change.
    """
    ensure_tables(conn)
    frames = {
        EFFECT_TABLE: effect_frame(evaluated, area_regions),
        EVENT_STUDY_TABLE: event_study_frame(evaluated, area_regions),
    }
    replaced = [evaluation.measure.measure_id for evaluation in evaluated]
    conn.execute("begin transaction")
    try:
        for table, frame in frames.items():
            conn.execute(
                f"delete from {table} where measure_id in (select unnest(?::varchar[])) "
                f"or measure_id not in (select unnest(?::varchar[]))",
                [replaced, list(registered_ids)],
            )
            conn.register("effect_rows", frame.to_arrow())
            try:
                names = ", ".join(TABLES[table])
                conn.execute(f"insert into {table} ({names}) select {names} from effect_rows")
            finally:
                conn.unregister("effect_rows")
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return {
        table: int(conn.execute(f"select count(*) from {table}").fetchall()[0][0])
        for table in TABLES
    }
