"""Month-wise patches of a published table: only the months whose rows changed are written.

A monthly run rebuilds the month-keyed marts from its first month on (usually just the new
month); every earlier month's rows are what the last publication verified. Writing such a
table whole again is a large part of a monthly publication's time, and it grows with the
history. So, when the publication starts from a copy of the published file (`file_reuse`), a
table with a DATE column `month` is patched: the rows of the months whose content changed
are deleted and inserted again from the build database. Which months changed is decided by a
per-month row count and content checksum of the build table and of the published copy; the
published copy's figures must add up to what its own publication log recorded. The patched
table is then verified whole, exactly like a table written anew.

Inserted rows go after the table's other rows: sorted among themselves (`PUBLISHED_ORDER`) but
not among the rest, so a place's rows no longer all lie together. `meta.appended_months`
records which months of each table lie out of place; a table is patched only while at most
`MAX_APPENDED_MONTHS` months would, otherwise it is written whole and in order again, which
empties its record. Measured on the national publication (benchmarks/profile_notes.md,
nineteenth round), the benchmark's slowest regional query on the main file: median 9.75 ms in
order, 10.06 ms with one month appended, 11.53 ms with four. Region files are patched with
the main file (the same months, filtered to the region), so their layout follows the main
file's.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import duckdb

APPENDED_TABLE = "meta.appended_months"
MAX_APPENDED_MONTHS = 2
"""Months of a table that may lie out of place (after its ordered rows) before it is written
whole again: every third monthly publication writes the month-keyed marts whole."""

MonthFingerprints = dict[date | None, tuple[int, int]]
"""month → (rows, xor of the rows' hashes) of one table."""


def month_tables(conn: duckdb.DuckDBPyConnection, catalog: str) -> frozenset[str]:
    """Tables of an attached database with a DATE column named `month` (patchable)."""
    rows = conn.execute(
        "select table_schema || '.' || table_name from information_schema.columns "
        "where table_catalog = ? and column_name = 'month' and data_type = 'DATE'",
        [catalog],
    ).fetchall()
    return frozenset(row[0] for row in rows)


def month_fingerprints(conn: duckdb.DuckDBPyConnection, qualified: str) -> MonthFingerprints:
    """Per month: row count and the xor of the rows' hashes (the publisher's table checksum
    is the xor of these)."""
    rows = conn.execute(
        f"select month, count(*), coalesce(bit_xor(hash(t)), 0) from {qualified} t group by month"
    ).fetchall()
    return {month: (int(count), int(checksum)) for month, count, checksum in rows}


def combined(fingerprints: MonthFingerprints) -> tuple[int, str]:
    """The whole table's row count and checksum (as `publisher.table_fingerprint` gives it)."""
    count, checksum = 0, 0
    for rows, value in fingerprints.values():
        count += rows
        checksum ^= value
    return count, f"{checksum:016x}"


def month_order(month: date | None) -> tuple[bool, date | None]:
    """Sort key of a month: rows without a month first, then the months in order."""
    return (month is not None, month)


def changed_months(
    previous: MonthFingerprints, current: MonthFingerprints
) -> tuple[date | None, ...]:
    """Months whose rows differ between two versions of a table (added and removed included)."""
    months = {
        month
        for month in previous.keys() | current.keys()
        if previous.get(month) != current.get(month)
    }
    return tuple(sorted(months, key=month_order))


def month_condition(months: Iterable[date | None], alias: str = "") -> str:
    """A SQL condition on `[<alias>.]month` for the given months (literals, so that DuckDB can
    push it into views and skip row groups by their zone maps)."""
    months = list(months)
    column = f"{alias}.month" if alias else "month"
    terms = []
    dates = [month for month in months if month is not None]
    if dates:
        listed = ", ".join(f"date '{month.isoformat()}'" for month in dates)
        terms.append(f"{column} in ({listed})")
    if any(month is None for month in months):
        terms.append(f"{column} is null")
    return "(" + " or ".join(terms) + ")" if terms else "false"


def read_appended(conn: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, frozenset[date]]:
    """Per table, the months recorded as out of place in an attached published file."""
    present = conn.execute(
        "select count(*) from information_schema.tables "
        "where table_catalog = ? and table_schema = 'meta' and table_name = 'appended_months'",
        [catalog],
    ).fetchone()[0]
    if not present:
        return {}
    appended: dict[str, set[date]] = {}
    for table, month in conn.execute(
        f"select table_name, month from {catalog}.{APPENDED_TABLE}"
    ).fetchall():
        appended.setdefault(table, set()).add(month)
    return {table: frozenset(months) for table, months in appended.items()}


def write_appended(
    conn: duckdb.DuckDBPyConnection, appended: Mapping[str, Iterable[date | None]]
) -> None:
    """Record (replacing the record) which months of which tables lie out of place, in the
    connection's default (published) database."""
    conn.execute("create schema if not exists meta")
    conn.execute(f"create or replace table {APPENDED_TABLE} (table_name varchar, month date)")
    rows = [
        (table, month)
        for table, months in sorted(appended.items())
        for month in sorted(months, key=month_order)
    ]
    if rows:
        conn.executemany(f"insert into {APPENDED_TABLE} values (?, ?)", rows)


def patch_table(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    source: str,
    months: tuple[date | None, ...],
    *,
    where: str = "",
    order_by: str | None = None,
    parameters: Mapping[str, object] | None = None,
) -> None:
    """Replace the rows of `months` in `table` (in the connection's default database) with
    those of `<source>.<table>` (filtered by `where`, a WHERE clause on alias `t`)."""
    conn.execute(f"delete from {table} where {month_condition(months)}")
    condition = month_condition(months, "t")
    filtered = f"{where} and {condition}" if where else f"where {condition}"
    order = f" order by {order_by}" if order_by else ""
    conn.execute(
        f"insert into {table} select * from {source}.{table} t {filtered}{order}",
        dict(parameters) if parameters else None,
    )
