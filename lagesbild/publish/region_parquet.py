"""Per-region Parquet files `publish/regions/<slug>/<schema>.<table>.parquet`, for Parquet tools.

One file per table of the region's DuckDB file (every mart and every `review.*` table): the
same rows — that region's own geographies plus the national totals, nothing of another region —
not suppressed (internal, like the region file; the public export is the suppressed one).
Written from the region file once it has been verified, re-read and compared table by table
(row count and content checksum), and only then moved into place by the publisher. Each file
names its publication in its Parquet key-value metadata (`lagesbild.run_id`, `.month`,
`.region`).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from lagesbild.publish.storage import duckdb_config

PARQUET_SCHEMAS = ("marts", "review")
"""Tables of these schemas of a region file get a Parquet file (not `meta`: it is metadata)."""


class RegionParquetError(RuntimeError):
    """A region's Parquet file does not hold exactly the rows of its region file."""


def parquet_name(table: str) -> str:
    """`marts.fct_indicator_month` → `marts.fct_indicator_month.parquet`."""
    return f"{table}.parquet"


def region_parquet_dir(regions_dir: Path, slug: str) -> Path:
    """Where a region's Parquet files are published: beside its `<slug>.duckdb`."""
    return regions_dir / slug


def _fingerprint(conn: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int]:
    count, checksum = conn.execute(
        f"select count(*), coalesce(bit_xor(hash(t)), 0) from {relation} t"
    ).fetchone()
    return int(count), int(checksum)


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def write_region_parquet(
    region_db: Path,
    folder: Path,
    *,
    slug: str,
    run_id: str,
    month: str,
    threads: int | None = None,
) -> dict[str, Path]:
    """Write and verify one Parquet file per table of `region_db` into `folder` (staging)."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(region_db), read_only=True, config=duckdb_config(threads))
    written: dict[str, Path] = {}
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_schema in (select unnest(?)) order by 1",
                [list(PARQUET_SCHEMAS)],
            ).fetchall()
        ]
        metadata = ", ".join(
            f"{_sql_string('lagesbild.' + key)}: {_sql_string(value)}"
            for key, value in (("run_id", run_id), ("month", month), ("region", slug))
        )
        for table in tables:
            target = folder / parquet_name(table)
            conn.execute(
                f"copy (select * from {table}) to {_sql_string(str(target))} "
                f"(format parquet, compression zstd, kv_metadata {{{metadata}}})"
            )
            expected = _fingerprint(conn, table)
            found = _fingerprint(conn, f"read_parquet({_sql_string(str(target))})")
            if found != expected:
                raise RegionParquetError(
                    f"{slug}: {target.name} holds {found[0]} rows (checksum {found[1]:x}), "
                    f"its region file {expected[0]} (checksum {expected[1]:x})"
                )
            written[table] = target
    finally:
        conn.close()
    if not written:
        raise RegionParquetError(f"{slug}: {region_db.name} has no table to write as Parquet")
    return written
