"""The `raw` schema: table definitions and the one-transaction replacement of a partition."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime

import duckdb
import polars as pl

from lagesbild.ingest.contracts import CONTRACTS, Kind, SourceContract

SQL_TYPES = {
    Kind.TEXT: "VARCHAR",
    Kind.DATE: "DATE",
    Kind.DATETIME: "TIMESTAMP",
    Kind.INTEGER: "INTEGER",
    Kind.DECIMAL: "DOUBLE",
}
RAW_TABLE_FOR_SOURCE = {"geography": "geography_deso"}
POPULATION_COLUMNS = {
    "year": "INTEGER",
    "deso_code": "VARCHAR",
    "age_group": "VARCHAR",
    "sex": "VARCHAR",
    "population": "INTEGER",
}

INGEST_LOG_DDL = """
create table if not exists raw.ingest_log (
    source varchar not null,
    partition_key varchar,
    file_name varchar not null,
    sha256 varchar,
    size_bytes bigint,
    delivered_at timestamp,
    ingested_at timestamp not null,
    run_id varchar,
    status varchar not null,          -- accepted | unchanged | rejected | missing
    vintage integer,
    rows bigint,
    rows_added bigint,
    rows_removed bigint,
    rows_changed bigint,
    reason varchar
)"""
DELIVERIES_DDL = """
create table if not exists raw.deliveries (
    source varchar not null,
    partition_key varchar not null,   -- YYYY-MM (monthly), YYYY (population), 'current' (geography)
    month date,                       -- first day of the month for monthly sources, else null
    file_name varchar not null,
    sha256 varchar not null,
    rows bigint not null,
    vintage integer not null,
    ingested_at timestamp not null
)"""


def raw_table(source: str) -> str:
    return RAW_TABLE_FOR_SOURCE.get(source, source)


def table_columns(contract: SourceContract) -> dict[str, str]:
    columns = {"month": "DATE"} if contract.monthly else {}
    columns |= {column.name: SQL_TYPES[column.kind] for column in contract.columns}
    columns["source_sha256"] = "VARCHAR"
    return columns


def ensure_raw_schema(conn: duckdb.DuckDBPyConnection) -> None:
    """Create the `raw` schema and every raw table if absent (idempotent)."""
    conn.execute("create schema if not exists raw")
    conn.execute(INGEST_LOG_DDL)
    conn.execute(DELIVERIES_DDL)
    for contract in CONTRACTS.values():
        _create_table(conn, raw_table(contract.source), table_columns(contract))
    _create_table(conn, "population", POPULATION_COLUMNS | {"source_sha256": "VARCHAR"})


def _create_table(conn: duckdb.DuckDBPyConnection, table: str, columns: dict[str, str]) -> None:
    body = ", ".join(f"{name} {sql_type}" for name, sql_type in columns.items())
    conn.execute(f"create table if not exists raw.{table} ({body})")


@dataclass(frozen=True)
class Delivery:
    """One accepted file, identified by its content hash."""

    source: str
    partition_key: str
    file_name: str
    sha256: str
    size_bytes: int
    delivered_at: datetime


@dataclass(frozen=True)
class ReplaceOutcome:
    """What replacing one partition did; also the revision diff against the previous vintage."""

    status: str
    vintage: int
    rows: int
    previous_sha256: str | None
    rows_added: int
    rows_removed: int
    rows_changed: int

    def as_metadata(self) -> dict[str, object]:
        return asdict(self)


def current_delivery(
    conn: duckdb.DuckDBPyConnection, source: str, partition_key: str
) -> tuple[str, int] | None:
    """(sha256, vintage) of the accepted file currently in `raw` for this partition."""
    row = conn.execute(
        "select sha256, vintage from raw.deliveries where source = ? and partition_key = ?",
        [source, partition_key],
    ).fetchone()
    return (row[0], int(row[1])) if row else None


def replace_partition(
    conn: duckdb.DuckDBPyConnection,
    *,
    table: str,
    partition_column: str | None,
    partition_value: date | int | None,
    frame: pl.DataFrame,
    key_columns: tuple[str, ...],
    delivery: Delivery,
    run_id: str,
) -> ReplaceOutcome:
    """Replace one partition of `raw.<table>` with `frame`, all in one transaction.

    A file whose hash equals the current vintage changes nothing (idempotent re-runs).
    """
    current = current_delivery(conn, delivery.source, delivery.partition_key)
    if current and current[0] == delivery.sha256:
        outcome = ReplaceOutcome("unchanged", current[1], frame.height, current[0], 0, 0, 0)
        _log(conn, delivery, outcome, run_id, reason=None)
        return outcome
    data_columns = [name for name in frame.columns if name != "source_sha256"]
    incoming = frame.with_columns(pl.lit(delivery.sha256).alias("source_sha256"))
    if partition_column:
        incoming = incoming.with_columns(pl.lit(partition_value).alias(partition_column))
    where = f"where {partition_column} = ?" if partition_column else ""
    params = [partition_value] if partition_column else []
    conn.execute("begin transaction")
    try:
        conn.register("incoming_rows", incoming.to_arrow())
        if current:
            added, removed, changed = _revision_diff(
                conn, table, where, params, data_columns, key_columns
            )
        else:  # first vintage: the partition is empty (data and deliveries commit together)
            added, removed, changed = frame.height, 0, 0
        conn.execute(f"delete from raw.{table} {where}", params)
        target_columns = [row[0] for row in conn.execute(f"describe raw.{table}").fetchall()]
        select_list = ", ".join(target_columns)
        conn.execute(
            f"insert into raw.{table} ({select_list}) select {select_list} from incoming_rows"
        )
        vintage = (current[1] + 1) if current else 1
        outcome = ReplaceOutcome(
            "accepted",
            vintage,
            frame.height,
            current[0] if current else None,
            added,
            removed,
            changed,
        )
        month = partition_value if partition_column == "month" else None
        conn.execute(
            "delete from raw.deliveries where source = ? and partition_key = ?",
            [delivery.source, delivery.partition_key],
        )
        conn.execute(
            "insert into raw.deliveries values (?, ?, ?, ?, ?, ?, ?, now())",
            [
                delivery.source,
                delivery.partition_key,
                month,
                delivery.file_name,
                delivery.sha256,
                frame.height,
                vintage,
            ],
        )
        _log(conn, delivery, outcome, run_id, reason=None)
        conn.execute("commit")
    except Exception:
        conn.execute("rollback")
        raise
    finally:
        conn.unregister("incoming_rows")
    return outcome


def _revision_diff(
    conn: duckdb.DuckDBPyConnection,
    table: str,
    where: str,
    params: list[object],
    data_columns: list[str],
    key_columns: tuple[str, ...],
) -> tuple[int, int, int]:
    """Rows added, removed and changed against the partition's current rows (by key)."""
    columns = ", ".join(data_columns)
    keys = ", ".join(key_columns or data_columns)
    old = f"(select {columns} from raw.{table} {where})"
    new = f"(select {columns} from incoming_rows)"
    added = conn.execute(
        f"select count(*) from (select {keys} from {new} except select {keys} from {old})", params
    ).fetchone()[0]
    removed = conn.execute(
        f"select count(*) from (select {keys} from {old} except select {keys} from {new})", params
    ).fetchone()[0]
    differing = conn.execute(
        f"select count(*) from (select * from {new} except select * from {old})", params
    ).fetchone()[0]
    return int(added), int(removed), int(differing - added)


def _log(
    conn: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    outcome: ReplaceOutcome,
    run_id: str,
    reason: str | None,
) -> None:
    conn.execute(
        "insert into raw.ingest_log values (?, ?, ?, ?, ?, ?, now(), ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            delivery.source,
            delivery.partition_key,
            delivery.file_name,
            delivery.sha256,
            delivery.size_bytes,
            delivery.delivered_at,
            run_id,
            outcome.status,
            outcome.vintage,
            outcome.rows,
            outcome.rows_added,
            outcome.rows_removed,
            outcome.rows_changed,
            reason,
        ],
    )


def log_rejection(
    conn: duckdb.DuckDBPyConnection, delivery: Delivery, run_id: str, reason: str
) -> None:
    """Record a rejected delivery; the data tables are not touched."""
    conn.execute(
        "insert into raw.ingest_log values (?, ?, ?, ?, ?, ?, now(), ?, 'rejected', "
        "null, null, null, null, null, ?)",
        [
            delivery.source,
            delivery.partition_key,
            delivery.file_name,
            delivery.sha256,
            delivery.size_bytes,
            delivery.delivered_at,
            run_id,
            reason,
        ],
    )


def log_missing(conn: duckdb.DuckDBPyConnection, source: str, month_key: str, run_id: str) -> None:
    """Record that a month was not delivered: missing, never zero."""
    conn.execute(
        "insert into raw.ingest_log values (?, ?, ?, null, null, null, now(), ?, 'missing', "
        "null, null, null, null, null, 'no file in the landing zone')",
        [source, month_key, f"{month_key}.csv", run_id],
    )


def missing_sources(
    conn: duckdb.DuckDBPyConnection, month: date, sources: tuple[str, ...]
) -> list[str]:
    """Monthly sources with no accepted delivery for the month: a partial month."""
    delivered = {
        row[0]
        for row in conn.execute(
            "select source from raw.deliveries where month = ?", [month]
        ).fetchall()
    }
    return [source for source in sources if source not in delivered]
