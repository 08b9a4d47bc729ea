"""The connection the ingest writes `raw` with: the warehouse attached with smaller row groups.

DuckDB writes a transaction's appended rows straight to the database file, compressed, while
they are inserted ("optimistic writing") only once they fill a whole row group; a smaller
append goes to the write-ahead log uncompressed and is compressed by a checkpoint later.
With DuckDB's default row group (122,880 rows) about a third of the national offences months
(104,000–137,000 rows each) stayed under it: each of those commits wrote ≈ 12 MB of WAL, and
every second one ran a checkpoint of 0.3–1.0 s. The ingest therefore attaches the warehouse
with row groups of `RAW_ROW_GROUP_SIZE` rows, so that a month of that size always fills one
(benchmarks/profile_notes.md, eighteenth round): its commit then writes only the row groups'
pointers.

The row group size is a setting of the attachment, not of the file: dbt, the quality checks
and the publication open the same warehouse with DuckDB's default and read these row groups
like any other. `RAW_MEMORY_LIMIT` keeps the blocks written that way from staying cached in the
ingest's process (they are in the file; without a limit the process kept ≈ 0.5 GB more).
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb

RAW_ROW_GROUP_SIZE = 81_920
"""Rows per row group of what the ingest writes (a multiple of DuckDB's vector size, 2,048)."""
RAW_MEMORY_LIMIT = "512MB"
"""DuckDB's memory limit for the ingest's connection (see the module's note)."""
OPEN_RETRIES = 10
"""Attempts while another process holds the warehouse's lock (as dagster-duckdb retries)."""


def open_raw_writer(database: Path, retries: int = OPEN_RETRIES) -> duckdb.DuckDBPyConnection:
    """A read-write connection to the warehouse at `database`, attached under its usual name
    (the file's stem, as `duckdb.connect(database)` names it) and made the default catalog,
    whose writes use `RAW_ROW_GROUP_SIZE`. Retries with backoff while the file is locked."""
    delay = 0.1
    for attempt in range(retries + 1):
        try:
            return _attach(database)
        except duckdb.IOException:
            if attempt == retries:
                raise
            time.sleep(delay)
            delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


def _attach(database: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(config={"memory_limit": RAW_MEMORY_LIMIT})
    try:
        path = str(database).replace("'", "''")
        conn.execute(
            f"attach '{path}' as \"{database.stem}\" (row_group_size {RAW_ROW_GROUP_SIZE})"
        )
        conn.execute(f'use "{database.stem}"')
    except BaseException:
        conn.close()
        raise
    return conn
