"""The public export: monthly indicators as Parquet and CSV with disclosure control.

Count indicators: counts below the threshold are suppressed (primary) and, so that no
suppressed count can be recovered by subtraction from published totals, further cells
(secondary) — see `assets/publish/disclosure.py`. A suppressed cell has value and rate NULL,
`suppressed = true`, `suppression` 'primary' or 'secondary' and flag `..`. Ratio
indicators (clearance rate) are suppressed when their numerator or denominator is below
the threshold; resource indicators (FTE, patrol hours, cameras) are not personal counts and
are published as they are. No cumulative columns (year to date, rolling 12 months) are
exported: their differences would give suppressed months back. CSV text cells are safe
from spreadsheet formula injection.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from lagesbild.publish.disclosure import (
    PRIMARY,
    Geo,
    hierarchy_groups,
    suppress,
)
from lagesbild.publish.month_patch import month_condition
from lagesbild.publish.suppression_reuse import SUPPRESSION_INPUTS, SuppressionMemo

EXPORT_BASENAME = "indicators_monthly"
SUPPRESSED_FLAG = ".."

EXPORT_SQL = """
select f.month, f.geo_level, f.geo_code, g.name as geo_name, g.region,
    f.indicator_code, i.name_sv as indicator_name_sv, i.name_en as indicator_name_en, i.unit,
    {count_rule} as is_count, {ratio_rule} as is_ratio,
    f.numerator, f.denominator, f.value, f.rate_per_1000, f.is_complete
from marts.fct_indicator_month f
inner join marts.dim_geography g using (geo_level, geo_code)
inner join marts.dim_indicator i using (indicator_code)
where {months}
order by f.month, f.indicator_code, f.geo_level, f.geo_code
"""


class ExportError(RuntimeError):
    """The export would disclose a small count; nothing is written."""


def _indicator_columns(conn: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        row[0]
        for row in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'dim_indicator'"
        ).fetchall()
    }


def _count_rule(conn: duckdb.DuckDBPyConnection) -> str:
    return "i.kind = 'count'" if "kind" in _indicator_columns(conn) else "i.unit = 'count'"


def _ratio_rule(conn: duckdb.DuckDBPyConnection) -> str:
    """Ratios of two counts (clearance rate) — resources (FTE, cameras) are not personal."""
    if "kind" in _indicator_columns(conn):
        return "coalesce(i.kind = 'ratio', false)"
    return "i.unit = 'percent'"


def count_indicator_codes(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rule = _count_rule(conn)
    rows = conn.execute(f"select indicator_code from marts.dim_indicator i where {rule}")
    return {row[0] for row in rows.fetchall()}


def area_parts_from(build_db: Path) -> dict[str, list[str]] | None:
    """Composite area → parts from the build database's reference seeds (None if absent)."""
    try:
        conn = duckdb.connect(str(build_db), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = conn.execute("select area_code, part_area_code from reference.area_parts").fetchall()
    except duckdb.Error:
        return None
    finally:
        conn.close()
    parts: dict[str, list[str]] = defaultdict(list)
    for composite, part in rows:
        parts[composite].append(part)
    return dict(parts)


def build_export_frame(
    conn: duckdb.DuckDBPyConnection,
    area_parts: dict[str, list[str]] | None,
    threshold: int,
    memo: SuppressionMemo | None = None,
    months: tuple[date | None, ...] | None = None,
) -> pl.DataFrame:
    """The export rows with suppression applied (`conn` sees the marts schema); only those
    of `months` when given.

    With a `memo`, months whose inputs the last export recorded unchanged take their
    suppression from it (`suppression_reuse`); the others are computed.
    """
    sql = EXPORT_SQL.format(
        count_rule=_count_rule(conn),
        ratio_rule=_ratio_rule(conn),
        months="true" if months is None else month_condition(months, "f"),
    )
    frame = conn.sql(sql).pl()
    geographies = conn.sql("select * from marts.dim_geography").pl().to_dicts()
    if area_parts is None:  # parts unknown: composites could be differenced, leave them out
        frame = frame.join(
            conn.sql("select geo_level, geo_code from marts.dim_geography where is_composite").pl(),
            on=["geo_level", "geo_code"],
            how="anti",
        )
        geographies = [row for row in geographies if not row.get("is_composite")]
    groups = hierarchy_groups(geographies, area_parts or {})
    if memo is not None:
        memo.start(groups, threshold)
    # One month at a time, the suppression as a column beside the month's rows: a month's
    # slices are independent of every other month, and the whole history's cells as Python
    # objects (or a join on four text keys) at once cost ~1 GB at national scale.
    months = [
        month_rows.with_columns(_suppression(month_rows, groups, threshold, memo))
        for month_rows in frame.partition_by("month", maintain_order=True)
    ]
    joined = (
        pl.concat(months) if months else frame.with_columns(suppression=pl.lit(None, pl.String))
    )
    hidden = pl.col("suppression").is_not_null()
    return joined.select(
        "month",
        "geo_level",
        "geo_code",
        "geo_name",
        "region",
        "indicator_code",
        "indicator_name_sv",
        "indicator_name_en",
        "unit",
        pl.when(hidden).then(None).otherwise(pl.col("value")).alias("value"),
        pl.when(hidden).then(None).otherwise(pl.col("rate_per_1000")).alias("rate_per_1000"),
        "is_complete",
        hidden.alias("suppressed"),
        "suppression",
        pl.when(hidden).then(pl.lit(SUPPRESSED_FLAG)).otherwise(None).alias("flag"),
    )


def patched_export_frame(
    conn: duckdb.DuckDBPyConnection,
    area_parts: dict[str, list[str]],
    threshold: int,
    memo: SuppressionMemo,
    months: tuple[date | None, ...],
    published: Path,
) -> pl.DataFrame | None:
    """The export rows of `months` built anew, every other month's rows taken from the
    `published` export's Parquet file — which its caller established was built from the same
    dimensions, area parts, threshold and code, and from a fact table whose other months hold
    the same rows (a month's export rows and suppression depend on that month's cells alone).
    None (build it whole) when that file cannot be read, has other columns, or holds another
    number of rows for the other months than the fact table."""
    try:
        kept = pl.read_parquet(published).filter(~_month_in(months))
    except (OSError, pl.exceptions.PolarsError):
        return None
    expected = conn.execute(
        "select count(*) from marts.fct_indicator_month f "
        "inner join marts.dim_geography g using (geo_level, geo_code) "
        "inner join marts.dim_indicator i using (indicator_code) "
        f"where not {month_condition(months, 'f')}"
    ).fetchone()[0]
    fresh = build_export_frame(conn, area_parts, threshold, memo, months)
    if kept.schema != fresh.schema or kept.height != expected:
        return None
    memo.carry(kept.get_column("month").unique().to_list())
    # a stable sort by month: within a month the rows keep the export's order
    return pl.concat([kept, fresh]).sort("month", maintain_order=True)


def _month_in(months: tuple[date | None, ...]) -> pl.Expr:
    dates = [month for month in months if month is not None]
    condition = pl.col("month").is_in(dates)
    return condition | pl.col("month").is_null() if None in months else condition


def _suppression(
    month_rows: pl.DataFrame,
    groups: list[tuple[Geo, list[Geo]]],
    threshold: int,
    memo: SuppressionMemo | None,
) -> pl.Series:
    """The month's `suppression` column: computed, or taken by the memo."""
    if memo is None:
        return pl.Series(
            "suppression", _month_suppression(month_rows, groups, threshold), pl.String
        )
    return memo.column(month_rows, lambda: _month_suppression(month_rows, groups, threshold))


def _month_suppression(
    month_rows: pl.DataFrame, groups: list[tuple[Geo, list[Geo]]], threshold: int
) -> list[str | None]:
    """'primary' | 'secondary' | None for every row of one month, in row order."""
    # exactly the columns the memo fingerprints: a month is taken only if none of them changed
    indicators, levels, codes, numerators, denominators, is_count, is_ratio = (
        month_rows.get_column(name).to_list() for name in SUPPRESSION_INPUTS
    )
    geos = list(zip(levels, codes, strict=True))
    slices: dict[str, dict[Geo, float | None]] = defaultdict(dict)
    for indicator, geo, numerator, count in zip(
        indicators, geos, numerators, is_count, strict=True
    ):
        if count:
            slices[indicator][geo] = numerator
    reasons = {
        indicator: suppress(values, groups, threshold) for indicator, values in slices.items()
    }
    return [
        reasons[indicator].get(geo)
        if count
        else _ratio_suppression(numerator, denominator, threshold)
        if ratio
        else None
        for indicator, geo, numerator, denominator, count, ratio in zip(
            indicators, geos, numerators, denominators, is_count, is_ratio, strict=True
        )
    ]


def _ratio_suppression(
    numerator: float | None, denominator: float | None, threshold: int
) -> str | None:
    """A ratio of two counts is suppressed (primary) when either count is below the threshold."""
    if (numerator is not None and numerator < threshold) or (
        denominator is not None and denominator < threshold
    ):
        return PRIMARY
    return None


def _group_edges(groups: list[tuple[Geo, list[Geo]]]) -> pl.DataFrame:
    """One row per parent → child edge, numbered by group (`hierarchy_groups` order)."""
    edges = [
        (index, parent[0], parent[1], child[0], child[1])
        for index, (parent, children) in enumerate(groups)
        for child in children
    ]
    return pl.DataFrame(
        edges,
        schema={
            "group": pl.Int64,
            "parent_level": pl.String,
            "parent_code": pl.String,
            "geo_level": pl.String,
            "geo_code": pl.String,
        },
        orient="row",
    )


def disclosure_problems(
    cells: pl.DataFrame, groups: list[tuple[Geo, list[Geo]]], threshold: int
) -> list[str]:
    """What a reader could learn from the export's count cells, every month × indicator slice
    at once (joins of one frame with the parent → child edges, not a loop over slices).

    `cells` holds count cells: month, indicator_code, geo_level, geo_code, value (NULL when
    suppressed) and suppressed. Problems: a published count below the threshold, and a
    published parent with exactly one suppressed child (which its published siblings give
    back by subtraction). Sorted by month, indicator and geography.
    """
    slice_keys = ["month", "indicator_code"]
    small = cells.filter(
        ~pl.col("suppressed") & pl.col("value").is_not_null() & (pl.col("value") < threshold)
    )
    problems = [
        (month, indicator, level, code, f"{level}:{code} published with {value} < {threshold}")
        for month, indicator, level, code, value in small.select(
            *slice_keys, "geo_level", "geo_code", "value"
        ).iter_rows()
    ]
    edges = _group_edges(groups)
    published_parents = (
        cells.filter(~pl.col("suppressed") & pl.col("value").is_not_null())
        .select(*slice_keys, pl.col("geo_level").alias("parent_level"), "geo_code")
        .rename({"geo_code": "parent_code"})
        .join(
            edges.select("group", "parent_level", "parent_code").unique(),
            on=["parent_level", "parent_code"],
        )
    )
    lone_children = (
        cells.filter(pl.col("suppressed"))
        .select(*slice_keys, "geo_level", "geo_code")
        .join(edges, on=["geo_level", "geo_code"])
        .group_by([*slice_keys, "group"])
        .agg(pl.len().alias("hidden"), pl.col("geo_level", "geo_code").first())
        .filter(pl.col("hidden") == 1)
        .join(published_parents, on=[*slice_keys, "group"])
    )
    problems += [
        (
            month,
            indicator,
            level,
            code,
            f"{level}:{code} = {p_level}:{p_code} minus its published siblings",
        )
        for month, indicator, level, code, p_level, p_code in lone_children.select(
            *slice_keys, "geo_level", "geo_code", "parent_level", "parent_code"
        ).iter_rows()
    ]
    problems.sort(key=lambda problem: problem[:4])
    return [f"{month:%Y-%m} {indicator}: {text}" for month, indicator, _, _, text in problems]


def verify_export(
    frame: pl.DataFrame,
    geographies: list[dict],
    area_parts: dict[str, list[str]] | None,
    threshold: int,
    count_indicators: set[str],
) -> None:
    """No published count below the threshold; no suppressed count recoverable."""
    groups = hierarchy_groups(
        [g for g in geographies if area_parts is not None or not g.get("is_composite")],
        area_parts or {},
    )
    cells = frame.filter(pl.col("indicator_code").is_in(sorted(count_indicators))).select(
        "month", "indicator_code", "geo_level", "geo_code", "value", "suppressed"
    )
    problems = disclosure_problems(cells, groups, threshold)
    if problems:
        raise ExportError(
            f"public export would disclose {len(problems)} cell(s), e.g. " + "; ".join(problems[:5])
        )


FORMULA_START = r"^[=+\-@\t\r]"
"""Same rule as `disclosure.safe_cell`, vectorised."""


def csv_safe(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix ' to every text cell a spreadsheet would read as a formula."""
    text_columns = [name for name, dtype in frame.schema.items() if dtype == pl.String]
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(FORMULA_START))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name in text_columns
    )


def write_export(frame: pl.DataFrame, directory: Path, suffix: str) -> dict[str, Path]:
    """Parquet and CSV (`;`, UTF-8) files named with `suffix` in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    # one chunk: the Parquet file's row groups then do not depend on how the frame was
    # assembled (month by month, or patched into the published export's rows)
    frame = frame.rechunk()
    parquet = directory / f"{EXPORT_BASENAME}{suffix}.parquet"
    csv = directory / f"{EXPORT_BASENAME}{suffix}.csv"
    frame.write_parquet(parquet)
    csv_safe(frame).write_csv(csv, separator=";")
    return {"parquet": parquet, "csv": csv}
