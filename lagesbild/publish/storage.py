"""The storage format of every published DuckDB file: one that DuckDB 1.x clients open.

DuckDB 2.0 writes storage format 69 by default, which no 1.x client reads ("Trying to read a
database file with version number 69, but we can only read versions between 64 and 68"):
not the registry's DuckDB CLI 1.5, not BI drivers, R or the 1.4 LTS line. Every published
file (the main file, hence its archive hard link, and the region files) is therefore created
by attaching it with an explicit `STORAGE_VERSION`.

`PUBLISHED_STORAGE_VERSION` is the oldest that keeps every feature the publication uses.
Tried with DuckDB 2.0.1 on the published warehouse (README, "Which DuckDB opens the files"):
v0.9.0 … v1.5.0 all write every table of it with identical fingerprints; v1.0.0 is the oldest
of the 1.x line (format 64, read by 1.0.0 … 1.5.x and 2.x). The pre-1.0 settings write the same
format number, so they reach no further client, and they predate DuckDB's promise of storage
stability. Newer settings add only compression (Roaring validity masks from v1.2.0, DICT_FSST
strings from v1.3.0; the national default file: 64 MB at v1.5.0, 67 MB at v1.0.0) and shut out
every client older than themselves.
Not guarded by the setting in DuckDB 2.0 (the file becomes unreadable for 1.x anyway):
PRIMARY KEY / UNIQUE indexes and the VARINT (BIGNUM) type — the publication uses neither.

Row groups of `PUBLISHED_ROW_GROUP_SIZE` rows instead of DuckDB's 122,880: a region's query
for its own areas then skips most of the fact table by the zone maps of `geo_code` (the file
is sorted by level and code), where a default row group holds every area. Measured on the
national default publication (benchmarks/profile_notes.md, sixth round): the benchmark's
slowest regional query 10.6 → 8.6 ms, for 56 → 76 MB of file; DuckDB 1.0.0, 1.1.3, 1.2.2 and
2.0.1 read every table of it with the same checksums as of a file with default row groups.

Strings are never FSST-compressed (`PUBLISHED_DISABLED_COMPRESSION`): DuckDB's analysis then
chooses dictionary or uncompressed segments, which every reader decodes more cheaply. Measured
on the national default publication (benchmarks/profile_notes.md, eighth round): the main file
written 1.60 → 1.30 s and 100.7 → 87.3 MB, a region file 0.58 → 0.49 s and 7–13 % smaller; the
regional queries equal or faster.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

PUBLISHED_STORAGE_VERSION = "v1.0.0"
"""DuckDB storage version of every published file: readable by every DuckDB 1.x and 2.x."""
PUBLISHED_ROW_GROUP_SIZE = 4096
"""Rows per row group of every published file (two DuckDB vectors; see the module's note)."""
PUBLISHED_DISABLED_COMPRESSION = "fsst"
"""Compression methods DuckDB may not choose when it writes a published file (see the note)."""
PUBLISHED_ALIAS = "pub"


class StorageVersionError(RuntimeError):
    """A published file was written in another storage format than the one promised."""


def duckdb_config(threads: int | None) -> dict[str, str]:
    """Connection settings: `threads` DuckDB threads (None: DuckDB's default, one per core)."""
    return {} if threads is None else {"threads": str(threads)}


def create_published_database(path: Path, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A connection whose default database is a NEW file at `path` in the published format
    (storage version, row group size, no FSST strings).

    The connection's own database is in memory; the file is attached with the storage
    version and made the default (`USE`), so unqualified names and `CHECKPOINT` mean the file.
    """
    path.unlink(missing_ok=True)
    return open_published_database(path, threads)


def open_published_database(path: Path, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """Like `create_published_database`, for a file that may exist (a copy of a published file
    that a republication adds to): what is written to it is in the published format too."""
    conn = duckdb.connect(config=duckdb_config(threads))
    try:
        conn.execute(
            f"attach '{path}' as {PUBLISHED_ALIAS} "
            f"(storage_version '{PUBLISHED_STORAGE_VERSION}', "
            f"row_group_size {PUBLISHED_ROW_GROUP_SIZE})"
        )
        conn.execute(f"use {PUBLISHED_ALIAS}")
        conn.execute(f"set disabled_compression_methods = '{PUBLISHED_DISABLED_COMPRESSION}'")
    except BaseException:
        conn.close()
        raise
    return conn


def storage_layout() -> dict[str, object]:
    """The settings every published file is written with (part of `file_reuse`'s layouts)."""
    return {
        "storage_version": PUBLISHED_STORAGE_VERSION,
        "row_group_size": PUBLISHED_ROW_GROUP_SIZE,
        "disabled_compression": PUBLISHED_DISABLED_COMPRESSION,
    }


def storage_version(conn: duckdb.DuckDBPyConnection, database: str) -> str:
    """The storage version DuckDB reports for an attached database, e.g. 'v1.0.0+'."""
    row = conn.execute(
        "select tags['storage_version'] from duckdb_databases() where database_name = ?",
        [database],
    ).fetchone()
    if row is None:
        raise StorageVersionError(f"no attached database named {database!r}")
    return str(row[0])


def verify_storage_version(conn: duckdb.DuckDBPyConnection, database: str, name: str) -> None:
    """Raise unless `database` (attached to `conn`) is in the published storage format."""
    found = storage_version(conn, database)
    if found.rstrip("+") != PUBLISHED_STORAGE_VERSION:
        raise StorageVersionError(
            f"{name} is written in DuckDB storage version {found}, expected "
            f"{PUBLISHED_STORAGE_VERSION} (what DuckDB 1.x clients read)"
        )
