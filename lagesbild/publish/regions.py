"""Per-region files `<data>/publish/regions/<slug>.duckdb`: one region's detail + national totals.

Built from the verified main publication. A table keeps only rows of the region's own
geographies (its region row, municipalities, LPOs and areas — `dim_geography.region`) and
the nation. Tables are filtered by the first geographic key they have: (geo_level,
geo_code), area_code, municipality_code, lpo_code or region; dimensions without any
geography (dim_indicator, dim_month) are copied whole; any other table is left out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from lagesbild.publish.storage import (
    create_published_database,
    duckdb_config,
    verify_storage_version,
)

NON_GEOGRAPHIC_TABLES = ("marts.dim_indicator", "marts.dim_month")

REGION_GEOS = """exists (
    select 1 from main_pub.marts.dim_geography g
    where g.geo_level = t.geo_level and g.geo_code = t.geo_code
        and (g.region = $slug or g.geo_level = 'nation')
)"""


class RegionFileError(RuntimeError):
    """A region file failed verification."""


def _count(conn: duckdb.DuckDBPyConnection, qualified: str) -> int:
    return int(conn.execute(f"select count(*) from {qualified}").fetchall()[0][0])


def _columns(conn: duckdb.DuckDBPyConnection, qualified: str, catalog: str) -> set[str]:
    schema, table = qualified.split(".")
    return {
        row[0]
        for row in conn.execute(
            "select column_name from information_schema.columns "
            "where table_catalog = ? and table_schema = ? and table_name = ?",
            [catalog, schema, table],
        ).fetchall()
    }


def region_filter(qualified: str, columns: set[str]) -> str | None:
    """A WHERE clause keeping the region's rows (`$slug`), '' for all rows, None to leave out."""
    if {"geo_level", "geo_code"} <= columns:
        return f"where {REGION_GEOS}"
    for column, level in (
        ("area_code", "area"),
        ("municipality_code", "municipality"),
        ("lpo_code", "lpo"),
    ):
        if column in columns:
            return (
                f"where t.{column} in (select geo_code from main_pub.marts.dim_geography "
                f"where geo_level = '{level}' and region = $slug)"
            )
    if "region" in columns:
        return "where t.region = $slug"
    if qualified in NON_GEOGRAPHIC_TABLES:
        return ""
    return None


def table_columns(main_file: Path, tables: list[str]) -> dict[str, set[str]]:
    """The columns of every published table (read once for all regions)."""
    conn = duckdb.connect(str(main_file), read_only=True)
    try:
        rows = conn.execute(
            "select table_schema || '.' || table_name, column_name from information_schema.columns"
        ).fetchall()
    finally:
        conn.close()
    columns: dict[str, set[str]] = {table: set() for table in tables}
    for table, column in rows:
        if table in columns:
            columns[table].add(column)
    return columns


def build_region_file(
    main_file: Path,
    target: Path,
    slug: str,
    *,
    run_id: str,
    month: str,
    columns: dict[str, set[str]],
    threads: int | None = None,
) -> dict[str, int]:
    """Write `target` for one region from the verified main publication file."""
    conn = create_published_database(target, threads)
    counts: dict[str, int] = {}
    try:
        conn.execute(f"attach '{main_file}' as main_pub (read_only)")
        for schema in sorted({table.split(".")[0] for table in columns}):
            conn.execute(f"create schema if not exists {schema}")
        for table, table_cols in columns.items():
            where = region_filter(table, table_cols)
            if where is None:
                continue
            sql = f"create table {table} as select * from main_pub.{table} t {where}"
            conn.execute(sql, {"slug": slug} if "$slug" in sql else None)
            counts[table] = _count(conn, table)
        conn.execute("create schema meta")
        conn.execute(
            "create table meta.publication as select ? as run_id, ? as month, ? as region, "
            "cast(? as timestamp) as published_at",
            [run_id, month, slug, datetime.now(tz=UTC).replace(tzinfo=None)],
        )
        conn.execute("detach main_pub")
        conn.execute("checkpoint")
    finally:
        conn.close()
    return counts


def verify_region_file(
    path: Path,
    main_file: Path,
    slug: str,
    counts: dict[str, int],
    columns: dict[str, set[str]],
    threads: int | None = None,
) -> None:
    """Re-open read-only: its storage format, the expected row counts, and no row of another
    region anywhere."""
    conn = duckdb.connect(str(path), read_only=True, config=duckdb_config(threads))
    try:
        verify_storage_version(
            conn, conn.execute("select current_database()").fetchone()[0], path.name
        )
        conn.execute(f"attach '{main_file}' as main_pub (read_only)")
        for table, expected in counts.items():
            actual = _count(conn, table)
            if actual != expected:
                raise RegionFileError(
                    f"{path.name}: {table} has {actual} rows, expected {expected}"
                )
            if {"geo_level", "geo_code"} <= columns[table]:
                foreign = conn.execute(
                    f"select count(*) from {table} t left join main_pub.marts.dim_geography g "
                    "using (geo_level, geo_code) "
                    "where g.geo_code is null or (g.geo_level <> 'nation' and g.region <> ?)",
                    [slug],
                ).fetchall()[0][0]
                if foreign:
                    raise RegionFileError(
                        f"{path.name}: {table} holds {foreign} rows of other regions"
                    )
    finally:
        conn.close()
