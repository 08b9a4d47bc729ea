"""Per-region files `<data>/publish/regions/<slug>.duckdb`: one region's detail + national totals.

Built from the verified main publication. A table keeps only rows of the region's own
geographies (its region row, municipalities, LPOs and areas — `dim_geography.region`) and
the nation. Tables are filtered by the first geographic key they have: (geo_level,
geo_code), area_code, municipality_code, lpo_code or region; dimensions without any
geography (dim_indicator, dim_month) are copied whole; any other table is left out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from lagesbild.publish.file_reuse import (
    column_types,
    copy_for_reuse,
    drop_tables,
    layout_digest,
    read_layout,
    source_digest,
    write_layout,
)
from lagesbild.publish.month_patch import patch_table
from lagesbild.publish.storage import (
    create_published_database,
    duckdb_config,
    open_published_database,
    storage_layout,
    verify_storage_version,
)

MODULE = Path(__file__)
GEOGRAPHY_TABLE = "marts.dim_geography"

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


def region_layout() -> str:
    """What a region file's layout depends on (`file_reuse`): the published format and the
    code that filters its tables (this module)."""
    return layout_digest({"file": "region", **storage_layout(), "code": source_digest(MODULE)})


@dataclass(frozen=True)
class RegionBuild:
    """What `build_region_file` wrote: every table's row count, which it kept and which it
    patched."""

    counts: dict[str, int]
    reused: frozenset[str] = frozenset()
    patched: frozenset[str] = frozenset()


def _reusable_tables(
    conn: duckdb.DuckDBPyConnection,
    previous: Path,
    wanted: dict[str, str],
    unchanged: frozenset[str],
    previous_run_id: str,
    patched: frozenset[str] = frozenset(),
) -> tuple[frozenset[str], frozenset[str], tuple[str, ...]]:
    """Tables of the published region file (`previous`) that a fresh build from the new main
    file (`main_pub`) would write with the same rows (`file_reuse`), those of the main file's
    `patched` tables whose other months it would (`month_patch`), and the previous file's
    other tables (to drop)."""
    if GEOGRAPHY_TABLE not in unchanged:  # the filter of every geographic table reads it
        return frozenset(), frozenset(), ()
    conn.execute(f"attach '{previous}' as previous_region (read_only)")
    try:
        if read_layout(conn, "previous_region") != region_layout():
            return frozenset(), frozenset(), ()
        written_by = conn.execute("select max(run_id) from previous_region.meta.publication")
        if written_by.fetchone()[0] != previous_run_id:
            return frozenset(), frozenset(), ()
        previous_columns = column_types(conn, "previous_region")
        main_columns = column_types(conn, "main_pub")

        def same_columns(table: str) -> bool:
            return previous_columns.get(table) == main_columns.get(table)

        kept = frozenset(table for table in wanted if table in unchanged and same_columns(table))
        patchable = frozenset(table for table in wanted if table in patched and same_columns(table))
        others = tuple(
            sorted(
                table
                for table in previous_columns
                if table.split(".")[0] != "meta" and table not in kept | patchable
            )
        )
    finally:
        conn.execute("detach previous_region")
    return kept, patchable, others


def build_region_file(
    main_file: Path,
    target: Path,
    slug: str,
    *,
    run_id: str,
    month: str,
    columns: dict[str, set[str]],
    threads: int | None = None,
    previous: Path | None = None,
    previous_run_id: str | None = None,
    unchanged: frozenset[str] = frozenset(),
    patched: Mapping[str, tuple[date | None, ...]] | None = None,
) -> RegionBuild:
    """Write `target` for one region from the verified main publication file.

    Given the `previous` (published) region file, the run that published the main file the
    new one was copied from, the tables it kept (`unchanged`) and those it patched (`patched`:
    table → months written again), the region file starts as a copy of its previous version
    when tables of it are what a fresh build would write (`file_reuse`) or differ from it only
    in those months (`month_patch`: patched the same way); the others are written again.
    """
    patched = patched or {}
    wanted = {
        table: where
        for table, table_cols in columns.items()
        if (where := region_filter(table, table_cols)) is not None
    }
    kept: frozenset[str] = frozenset()
    patchable: frozenset[str] = frozenset()
    stale: tuple[str, ...] = ()
    if previous is not None and previous_run_id is not None and unchanged and previous.exists():
        probe = duckdb.connect(config=duckdb_config(threads))
        try:
            probe.execute(f"attach '{main_file}' as main_pub (read_only)")
            kept, patchable, stale = _reusable_tables(
                probe, previous, wanted, unchanged, previous_run_id, frozenset(patched)
            )
        finally:
            probe.close()
    if (kept or patchable) and previous is not None:
        copy_for_reuse(previous, target)
        conn = open_published_database(target, threads)
    else:
        conn = create_published_database(target, threads)
    counts: dict[str, int] = {}
    try:
        conn.execute(f"attach '{main_file}' as main_pub (read_only)")
        drop_tables(conn, stale)
        conn.execute("drop table if exists meta.publication")
        for schema in sorted({table.split(".")[0] for table in columns}):
            conn.execute(f"create schema if not exists {schema}")
        for table, where in wanted.items():
            parameters = {"slug": slug} if "$slug" in where else None
            if table in patchable:
                patch_table(
                    conn, table, "main_pub", patched[table], where=where, parameters=parameters
                )
            if table in kept or table in patchable:  # the verification compares with a fresh
                counts[table] = int(  # build's row count
                    conn.execute(
                        f"select count(*) from main_pub.{table} t {where}", parameters
                    ).fetchone()[0]
                )
                continue
            sql = f"create table {table} as select * from main_pub.{table} t {where}"
            conn.execute(sql, parameters)
            counts[table] = _count(conn, table)
        conn.execute("create schema if not exists meta")
        conn.execute(
            "create table meta.publication as select ? as run_id, ? as month, ? as region, "
            "cast(? as timestamp) as published_at",
            [run_id, month, slug, datetime.now(tz=UTC).replace(tzinfo=None)],
        )
        write_layout(conn, region_layout())
        conn.execute("detach main_pub")
        conn.execute("checkpoint")
    finally:
        conn.close()
    return RegionBuild(counts, kept, patchable)


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
