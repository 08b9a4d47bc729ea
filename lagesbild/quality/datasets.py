"""The frames the suites validate, read from the build database with SQL (DuckDB → polars).

`rows` is the checked table itself (for monthly raw sources: the month being checked);
derived frames make table-spanning rules checkable row by row, each row labelled so that a
failing expectation names the offending geography, month and indicator: `schema`
(column:type pairs) and `plausibility` (month-on-month change at nation and region level).
The mart identities — grid completeness and reconciliation (areas ≤ municipalities ≤ regions
= nation) — are dbt tests on the mart, not suites: one home for each rule.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import duckdb
import polars as pl

from lagesbild.ingest.code_lists import load_code_lists
from lagesbild.quality.config import QualityConfig
from lagesbild.quality.gx_runner import ROW_LABEL

MONTHLY_RAW = ("offences", "clearances", "incidents", "staffing", "presence", "cameras")
MART_LABEL_COLUMNS = ("month", "geo_level", "geo_code", "indicator_code")
UNLISTED_DESO = "unlisted_deso_code"
UNLISTED_DESO_SQL = (
    "case when deso_code is not null and deso_code not in "
    "(select deso_code from raw.geography_deso where deso_code is not null) then deso_code end"
)
"""The row's DeSO code when the delivered geography does not list it (suites expect NULL)."""


def _columns(conn: duckdb.DuckDBPyConnection, schema: str, table: str) -> dict[str, str]:
    rows = conn.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_schema = ? and table_name = ? order by ordinal_position",
        [schema, table],
    ).fetchall()
    return dict(rows)


def table_exists(conn: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".")
    return bool(_columns(conn, schema, table))


def schema_frame(conn: duckdb.DuckDBPyConnection, qualified: str) -> pl.DataFrame:
    schema, table = qualified.split(".")
    pairs = [f"{name}:{kind}" for name, kind in _columns(conn, schema, table).items()]
    return pl.DataFrame({"column_type": pairs}, schema={"column_type": pl.String})


def rows_frame(conn: duckdb.DuckDBPyConnection, qualified: str, month: date | None) -> pl.DataFrame:
    """The table (one month of a monthly raw source), dates and times as ISO text.

    Marts get a row label; raw sources with DeSO codes get `unlisted_deso_code`.
    """
    schema, table = qualified.split(".")
    columns = _columns(conn, schema, table)
    replaced = [
        f"cast({name} as varchar) as {name}"
        for name, kind in columns.items()
        if kind in ("DATE", "TIMESTAMP") and name != "month"
    ]
    select = f"select * replace ({', '.join(replaced)})" if replaced else "select *"
    extra = ""
    if schema == "marts" and all(c in columns for c in MART_LABEL_COLUMNS):
        extra = (
            f", strftime(month, '%Y-%m') || ' ' || geo_level || ':' || geo_code || ' ' "
            f"|| indicator_code as {ROW_LABEL}"
        )
    if schema == "raw" and "deso_code" in columns and table != "geography_deso":
        extra += f", {UNLISTED_DESO_SQL} as {UNLISTED_DESO}"
    if schema == "raw" and table in MONTHLY_RAW and month is not None:
        return conn.sql(f"{select}{extra} from {qualified} where month = ?", params=[month]).pl()
    return conn.sql(f"{select}{extra} from {qualified}").pl()


def _count_indicators(conn: duckdb.DuckDBPyConnection) -> str:
    """SQL for the codes of count indicators (additive over geography)."""
    columns = _columns(conn, "marts", "dim_indicator")
    rule = "kind = 'count'" if "kind" in columns else "unit = 'count'"
    return f"select indicator_code from marts.dim_indicator where {rule}"


PLAUSIBILITY_SQL = """
with counts as (
    select month, geo_level, geo_code, indicator_code, numerator
    from marts.fct_indicator_month
    where indicator_code in ({count_indicators}) and geo_level in ('nation', 'region')
)
select strftime(cur.month, '%Y-%m') || ' ' || cur.geo_level || ':' || cur.geo_code || ' '
        || cur.indicator_code || ' ' || prev.numerator || ' → ' || cur.numerator as row_label,
    (cur.numerator - prev.numerator) / prev.numerator as relative_change
from counts cur inner join counts prev
    on prev.month = cur.month - interval 1 month and prev.geo_level = cur.geo_level
    and prev.geo_code = cur.geo_code and prev.indicator_code = cur.indicator_code
where cur.month = $month and prev.numerator >= $min_count and cur.numerator is not null
"""


def derived_frame(
    conn: duckdb.DuckDBPyConnection, batch: str, month: date, config: QualityConfig
) -> pl.DataFrame:
    count_indicators = _count_indicators(conn)
    if batch == "plausibility":
        return conn.sql(
            PLAUSIBILITY_SQL.format(count_indicators=count_indicators),
            params={"month": month, "min_count": config.mom_min_count},
        ).pl()
    raise ValueError(f"unknown batch {batch!r}")


def frame_for(
    conn: duckdb.DuckDBPyConnection,
    dataset: str,
    batch: str,
    month: date,
    config: QualityConfig,
) -> pl.DataFrame:
    if batch == "schema":
        return schema_frame(conn, dataset)
    if batch == "rows":
        return rows_frame(conn, dataset, month)
    return derived_frame(conn, batch, month, config)


def parameters(
    conn: duckdb.DuckDBPyConnection, month: date, config: QualityConfig
) -> dict[str, Any]:
    """Suite parameters: code lists, the month being checked and thresholds."""
    lists = load_code_lists(conn)
    return {
        "municipality_codes": sorted(lists["municipality"]),
        "offence_codes": sorted(lists["offence_code"]),
        "lpo_codes": sorted(lists["lpo"]),
        "area_codes": sorted(lists["area"]),
        "month_regex": f"^{month:%Y-%m}-",
        "region_slugs": list(config.region_slugs),
        "max_rate_per_1000": config.max_rate_per_1000,
        "mom_min_change": -config.mom_warn_threshold,
        "mom_max_change": config.mom_warn_threshold,
    }
