"""Per-region Parquet files `publish/regions/<slug>/<schema>.<table>.parquet`, for Parquet tools.

One file per table of the region's DuckDB file (every mart and every `review.*` table): the
same rows — that region's own geographies plus the national totals, nothing of another region —
not suppressed (internal, like the region file; the public export is the suppressed one).
Written from the region file once it has been verified, re-read and compared table by table
(row count and content checksum), and only then moved into place by the publisher. Each file
names its publication in its Parquet key-value metadata (`lagesbild.run_id`, `.month`,
`.region`) and the way it was written (`lagesbild.layout`: the write options and DuckDB's version).

A table the region file kept from its published version (`file_reuse`: the same rows) keeps its
published Parquet file's rows too, when that file was written by the publication the region
file was copied from, for the same region, in the same layout: its bytes are copied and only its
footer names the new publication (`parquet_footer.restamp`), instead of compressing the rows
again. It is verified against the region file exactly like a new file.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

from lagesbild.publish.parquet_footer import ParquetFooterError, restamp
from lagesbild.publish.storage import duckdb_config

PARQUET_SCHEMAS = ("marts", "review")
"""Tables of these schemas of a region file get a Parquet file (not `meta`: it is metadata)."""
WRITE_OPTIONS = "format parquet, compression zstd"
PARQUET_LAYOUT = hashlib.sha256(
    f"{WRITE_OPTIONS}; duckdb {duckdb.__version__}".encode()
).hexdigest()[:16]
"""How the files are written; a published file of another layout is never kept."""


@dataclass(frozen=True)
class RegionParquet:
    """A region's Parquet files in staging, verified; `kept`: tables whose published file's
    rows were kept (footer restamped) instead of written again."""

    files: dict[str, Path]
    kept: tuple[str, ...] = ()


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


def _read_parquet(path: Path) -> str:
    return f"read_parquet({_sql_string(str(path))})"


def _keepable(
    conn: duckdb.DuckDBPyConnection, published: Path, slug: str, previous_run_id: str
) -> bool:
    """Whether a published Parquet file was written by `previous_run_id` for this region, in
    this layout."""
    if not published.is_file():
        return False
    try:
        found = dict(
            conn.execute(
                "select decode(key), decode(value) from parquet_kv_metadata(?)", [str(published)]
            ).fetchall()
        )
    except duckdb.Error:
        return False
    return (
        found.get("lagesbild.run_id") == previous_run_id
        and found.get("lagesbild.region") == slug
        and found.get("lagesbild.layout") == PARQUET_LAYOUT
    )


def write_region_parquet(
    region_db: Path,
    folder: Path,
    *,
    slug: str,
    run_id: str,
    month: str,
    threads: int | None = None,
    published: Mapping[str, Path] | None = None,
    previous_run_id: str | None = None,
) -> RegionParquet:
    """Write and verify one Parquet file per table of `region_db` into `folder` (staging).

    `published`: the published Parquet files of the tables the region file kept unchanged from
    the region file `previous_run_id` published; each is kept when `_keepable`."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(region_db), read_only=True, config=duckdb_config(threads))
    written: dict[str, Path] = {}
    kept: list[str] = []
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_schema in (select unnest(?)) order by 1",
                [list(PARQUET_SCHEMAS)],
            ).fetchall()
        ]
        stamp = {
            f"lagesbild.{key}": value
            for key, value in (
                ("run_id", run_id),
                ("month", month),
                ("region", slug),
                ("layout", PARQUET_LAYOUT),
            )
        }
        metadata = ", ".join(
            f"{_sql_string(key)}: {_sql_string(value)}" for key, value in stamp.items()
        )
        for table in tables:
            target = folder / parquet_name(table)
            expected = _fingerprint(conn, table)
            source = (published or {}).get(table)
            if (
                source is not None
                and previous_run_id is not None
                and _keepable(conn, source, slug, previous_run_id)
                and _restamped(source, target, stamp)
                and _fingerprint(conn, _read_parquet(target)) == expected
            ):
                kept.append(table)
            else:  # written anew (also when a kept file did not hold the region file's rows)
                conn.execute(
                    f"copy (select * from {table}) to {_sql_string(str(target))} "
                    f"({WRITE_OPTIONS}, kv_metadata {{{metadata}}})"
                )
                found = _fingerprint(conn, _read_parquet(target))
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
    return RegionParquet(written, tuple(kept))


def _restamped(source: Path, target: Path, stamp: Mapping[str, str]) -> bool:
    """Copy `source` to `target` naming this publication; False (nothing kept) when its footer
    cannot be read."""
    try:
        restamp(source, target, stamp)
    except ParquetFooterError:
        target.unlink(missing_ok=True)
        return False
    return True
