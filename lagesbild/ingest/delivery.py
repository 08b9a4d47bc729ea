"""Ingesting one delivered file: validate, archive or quarantine, replace its partition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from lagesbild.ingest.contracts import SourceContract
from lagesbild.ingest.landing import archive_delivery, describe_delivery, quarantine_delivery
from lagesbild.ingest.raw_store import (
    Delivery,
    ReplaceOutcome,
    log_rejection,
    raw_table,
    replace_partition,
)
from lagesbild.ingest.validation import LINE_NUMBER, DeliveryRejected, ViolationCollector
from lagesbild.settings import DataPaths


@dataclass(frozen=True)
class IngestResult:
    """The outcome for one partition of one source."""

    partition_key: str
    file_name: str
    sha256: str
    size_bytes: int
    delivered_at: str
    archived_as: str
    outcome: ReplaceOutcome

    def as_row(self) -> dict[str, object]:
        return {
            "partition": self.partition_key,
            "file": self.file_name,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "delivered_at": self.delivered_at,
            **self.outcome.as_metadata(),
        }


def check_ids_unseen_in_other_months(
    conn: duckdb.DuckDBPyConnection,
    contract: SourceContract,
    month: date,
    frame: pl.DataFrame,
    file_label: str,
) -> None:
    """Ids that must be unique over the whole history may not appear in another month."""
    for column in contract.history_unique:
        conn.register("candidate_ids", frame.select(LINE_NUMBER, column).to_arrow())
        try:
            clashes = conn.execute(
                f"select c.{LINE_NUMBER}, c.{column}, strftime(r.month, '%Y-%m') "
                f"from candidate_ids c join raw.{raw_table(contract.source)} r "
                f"using ({column}) where r.month <> ? order by 1",
                [month],
            ).fetchall()
        finally:
            conn.unregister("candidate_ids")
        if clashes:
            collector = ViolationCollector(file=file_label)
            for line, value, other_month in clashes:
                collector.add(
                    f"{column} was already delivered in {other_month}; an id occurs in one "
                    "month only (send a revision of that month instead)",
                    line=int(line),
                    column=column,
                    value=value,
                )
            raise DeliveryRejected(contract.source, file_label, collector)


def ingest_file(
    conn: duckdb.DuckDBPyConnection,
    *,
    paths: DataPaths,
    contract_source: str,
    partition_key: str,
    path: Path,
    parse: Callable[[Path], pl.DataFrame],
    partition_column: str | None,
    partition_value: date | int | None,
    key_columns: tuple[str, ...],
    run_id: str,
    delivery: Delivery | None = None,
) -> IngestResult:
    """Validate and ingest one file; a rejected file is quarantined and re-raised.

    `delivery` is the file's description (hash, size, time) when the caller has made it
    already, e.g. on a read-ahead thread; otherwise it is made here.
    """
    if delivery is None:
        delivery = describe_delivery(contract_source, partition_key, path)
    try:
        frame = parse(path)
    except DeliveryRejected as rejection:
        reason = rejection.render()
        rejection.quarantined_as = quarantine_delivery(paths.quarantine, delivery, path, reason)
        log_rejection(conn, delivery, run_id, reason)
        raise
    archived = archive_delivery(paths.archive, delivery, path)
    outcome = replace_partition(
        conn,
        table=raw_table(contract_source),
        partition_column=partition_column,
        partition_value=partition_value,
        frame=frame.drop(LINE_NUMBER, strict=False),
        key_columns=key_columns,
        delivery=delivery,
        run_id=run_id,
    )
    return IngestResult(
        partition_key=partition_key,
        file_name=delivery.file_name,
        sha256=delivery.sha256,
        size_bytes=delivery.size_bytes,
        delivered_at=delivery.delivered_at.isoformat(),
        archived_as=str(archived),
        outcome=outcome,
    )
