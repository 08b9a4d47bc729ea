"""Building a publication on a copy of the published file when most of its tables are unchanged.

A republication that changes a few small tables — the tertial review adds its `review.*`
tables, the marts stay as the monthly run published them — need not write every table again:
writing a DuckDB file is compressing its rows, and the unchanged fact table is most of it. The
publication then starts from a byte copy of the published file (never the published file
itself: it stays untouched, and its archive hard link with it), drops the tables that changed
or are gone, and writes only those from the build database. The same holds for each region
file, whose tables are the main file's filtered to the region.

A table is kept only when its content is equal to what a fresh build would write:
- main file: same columns (names, types, order) in the build database as in the published
  file, and the same row count and content checksum as the published file's own publication
  log recorded (the figures its verification checked);
- region file: the published region file was written by the same publication as the
  published main file the new one was copied from (`meta.publication.run_id`), the table is
  kept in the main file, and so is `marts.dim_geography` (what the region's filter reads) —
  the region's rows are then the same rows — with the same columns; its row count is checked
  against the filter over the new main file by the region file's verification;
- and the published file was written in the same layout (`meta.layout`: storage version,
  row group size, compression, row order, log format — and for region files the code that
  filters them). Files from before this layout record are never reused.
A table that changed only in some months (a monthly run's month-keyed marts) is patched
in the copy instead of written whole (`month_patch`), in the main file and in every region
file. The copy is used only when the kept tables and the unchanged months of the patched ones
hold at least `REUSE_MIN_SHARE` of the new publication's rows. Either way every table is
verified afterwards exactly as in a fresh build.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb

from lagesbild.publish.month_patch import (
    MAX_APPENDED_MONTHS,
    MonthFingerprints,
    changed_months,
    combined,
    month_fingerprints,
    read_appended,
)

LAYOUT_TABLE = "meta.layout"
LOG_TABLE = "meta.publication_log"
REUSE_MIN_SHARE = 0.5
"""The kept tables' share of the publication's rows from which its file starts as a copy."""

Columns = tuple[tuple[str, str], ...]
Fingerprint = tuple[int, str]


def layout_digest(layout: Mapping[str, object]) -> str:
    """sha256 of a file layout's description (JSON, sorted keys)."""
    return hashlib.sha256(json.dumps(layout, sort_keys=True).encode()).hexdigest()


def source_digest(path: Path) -> str:
    """sha256 of a source file: a layout that depends on code changes when the code does."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_layout(conn: duckdb.DuckDBPyConnection, digest: str) -> None:
    """Record the layout in the connection's default (published) database."""
    conn.execute("create schema if not exists meta")
    conn.execute(f"create or replace table {LAYOUT_TABLE} as select ? as layout", [digest])


def read_layout(conn: duckdb.DuckDBPyConnection, catalog: str) -> str | None:
    """The layout recorded in an attached database; None when it has none."""
    present = conn.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = ? and table_schema = 'meta' and table_name = 'layout'",
        [catalog],
    ).fetchone()[0]
    if not present:
        return None
    row = conn.execute(f"select max(layout) from {catalog}.{LAYOUT_TABLE}").fetchone()
    return None if row is None else row[0]


def column_types(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, Columns]:
    """Every table of an attached database → its (column, type) pairs in column order."""
    rows = conn.execute(
        "select table_schema || '.' || table_name, column_name, data_type "
        "from information_schema.columns where table_catalog = ? "
        "order by table_schema, table_name, ordinal_position",
        [catalog],
    ).fetchall()
    columns: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        columns.setdefault(table, []).append((column, data_type))
    return {table: tuple(pairs) for table, pairs in columns.items()}


@dataclass(frozen=True)
class ReusePlan:
    """Start from a copy of `source` (published by run `run_id`), keep `keep`, drop `drop`,
    patch the months of `patch`; write every other table."""

    source: Path
    run_id: str
    keep: frozenset[str]
    drop: tuple[str, ...]
    patch: Mapping[str, tuple[date | None, ...]] = field(default_factory=dict)
    """Table → the months whose rows are written again (`month_patch`)."""
    appended: Mapping[str, frozenset[date | None]] = field(default_factory=dict)
    """The copy's record of out-of-place months (`month_patch.read_appended`)."""
    checksums: Mapping[str, str] = field(default_factory=dict)
    """The copied publication's table checksums, as its publication log recorded them."""


def worth_copying(kept_rows: int, total_rows: int) -> bool:
    return kept_rows > 0 and kept_rows >= REUSE_MIN_SHARE * total_rows


def plan_main_reuse(
    conn: duckdb.DuckDBPyConnection,
    *,
    previous: Path,
    previous_catalog: str,
    build_catalog: str,
    expected: Mapping[str, Fingerprint],
    layout: str,
    schemas: tuple[str, ...],
    log_columns: Columns,
    build_months: Mapping[str, MonthFingerprints] | None = None,
) -> ReusePlan | None:
    """Which tables of the published main file (attached as `previous_catalog`) a new
    publication of `expected` (table → fingerprint in the build database) may keep, and which
    of the month-keyed ones (`build_months`: their per-month fingerprints) it may patch. The
    copy keeps the file's publication log, so its columns must be `log_columns` (the current
    format; an older log is carried forward into a new file instead)."""
    if read_layout(conn, previous_catalog) != layout:
        return None
    logged = conn.execute(
        f"select run_id, row_counts, table_checksums from {previous_catalog}.meta.publication_log "
        "order by published_at desc limit 1"
    ).fetchone()
    if logged is None:
        return None
    run_id = str(logged[0])
    counts, checksums = (json.loads(value) for value in logged[1:])
    previous_columns = column_types(conn, previous_catalog)
    if previous_columns.get(LOG_TABLE) != log_columns:  # the log is carried on in the copy
        return None
    build_columns = column_types(conn, build_catalog)
    keep = frozenset(
        table
        for table, (count, checksum) in expected.items()
        if table in previous_columns
        and previous_columns[table] == build_columns.get(table)
        and counts.get(table) == count
        and checksums.get(table) == checksum
    )
    appended = read_appended(conn, previous_catalog)
    patch: dict[str, tuple[date | None, ...]] = {}
    kept_rows = sum(expected[table][0] for table in keep)
    for table, current in (build_months or {}).items():
        if table in keep or previous_columns.get(table) != build_columns.get(table):
            continue
        published = month_fingerprints(conn, f"{previous_catalog}.{table}")
        if combined(published) != (counts.get(table), checksums.get(table)):
            continue  # not what the published file's verification checked
        months = changed_months(published, current)
        if len(appended.get(table, frozenset()) | set(months)) > MAX_APPENDED_MONTHS:
            continue  # written whole, in order
        patch[table] = months
        kept_rows += sum(rows for month, (rows, _) in current.items() if month not in months)
    total = sum(count for count, _ in expected.values())
    if not worth_copying(kept_rows, total):
        return None
    drop = tuple(
        sorted(
            table
            for table in previous_columns
            if table.split(".")[0] in schemas and table not in keep and table not in patch
        )
    )
    return ReusePlan(previous, run_id, keep, drop, patch, appended, checksums)


def copy_for_reuse(published: Path, target: Path) -> None:
    """The byte copy a publication starts from (the published file is only read)."""
    target.unlink(missing_ok=True)
    shutil.copyfile(published, target)


def drop_tables(conn: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> None:
    for table in tables:
        conn.execute(f"drop table if exists {table}")
