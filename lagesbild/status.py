"""What a data directory holds, for `lagesbild status`: the latest publication, the months each
monthly source has delivered, and the deliveries in quarantine awaiting correction.

Everything here reads files only, read-only: the published warehouse, the build database's
`raw.deliveries` (or, while a run holds the build database, the deliveries recorded with the
latest publication) and the quarantine folder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb

from lagesbild.publish.republication import latest_log_entry
from lagesbild.settings import MONTHLY_SOURCES, DataPaths

REASON_SUFFIX = ".reason.txt"


@dataclass(frozen=True)
class PublicationState:
    month: str
    run_id: str
    code_version: str
    published_at: datetime
    path: Path


@dataclass(frozen=True)
class SourceMonths:
    source: str
    delivered: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class MonthsState:
    """Months per monthly source over the span any source delivered; `basis` says from where."""

    basis: str
    first: str | None
    last: str | None
    sources: tuple[SourceMonths, ...]
    accepted_at: dict[tuple[str, str], datetime] = field(default_factory=dict)

    @property
    def complete_months(self) -> list[str]:
        if self.first is None or self.last is None:
            return []
        missing = {month for source in self.sources for month in source.missing}
        return [month for month in month_span(self.first, self.last) if month not in missing]

    @property
    def incomplete_months(self) -> list[str]:
        return sorted({month for source in self.sources for month in source.missing})


@dataclass(frozen=True)
class QuarantinedDelivery:
    source: str
    partition: str
    file: Path
    rejected_at: datetime | None
    reason: str
    state: str  # "awaiting correction" | "correction in the landing zone" | "corrected"


def month_span(first: str, last: str) -> list[str]:
    """Every month `first`..`last` as YYYY-MM."""
    year, month = map(int, first.split("-"))
    months = []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def latest_publication(paths: DataPaths) -> PublicationState | None:
    """The last row of the published warehouse's publication log (None before the first)."""
    row = latest_log_entry(paths.publish_db, "month, run_id, code_version, published_at")
    if row is None:
        return None
    return PublicationState(row[0], row[1], row[2], row[3], paths.publish_db)


def _build_database_deliveries(paths: DataPaths) -> list[tuple[str, str, datetime | None]] | None:
    """(source, month, ingested_at) of every current monthly delivery; None when the build
    database is absent or held by a running pipeline (DuckDB: one writer or many readers)."""
    if not paths.warehouse_db.exists():
        return None
    try:
        conn = duckdb.connect(str(paths.warehouse_db), read_only=True)
    except duckdb.Error:
        return None
    try:
        return conn.execute(
            "select source, strftime(month, '%Y-%m'), max(ingested_at) from raw.deliveries "
            "where month is not null group by all"
        ).fetchall()
    except duckdb.CatalogException:
        return []
    finally:
        conn.close()


def _published_deliveries(paths: DataPaths) -> list[tuple[str, str, datetime | None]]:
    """The deliveries recorded with the latest publication (source and month of each file)."""
    row = latest_log_entry(paths.publish_db, "input_deliveries")
    deliveries = json.loads(row[0]) if row and row[0] else []
    return [
        (entry["source"], entry["partition"], None)
        for entry in deliveries
        if entry.get("source") in MONTHLY_SOURCES and entry.get("partition")
    ]


def months_per_source(paths: DataPaths) -> MonthsState:
    """Which months each monthly source has delivered, and which are missing in between."""
    rows = _build_database_deliveries(paths)
    basis = f"build database {paths.warehouse_db}"
    if rows is None:
        rows = _published_deliveries(paths)
        basis = (
            "deliveries recorded with the latest publication (the build database is absent "
            "or in use by a run)"
        )
    delivered: dict[str, set[str]] = {source: set() for source in MONTHLY_SOURCES}
    accepted_at: dict[tuple[str, str], datetime] = {}
    for source, month, ingested_at in rows:
        if source in delivered:
            delivered[source].add(month)
            if ingested_at is not None:
                accepted_at[(source, month)] = ingested_at
    every = sorted(set().union(*delivered.values()))
    if not every:
        return MonthsState(basis, None, None, ())
    span = month_span(every[0], every[-1])
    sources = tuple(
        SourceMonths(
            source,
            tuple(sorted(delivered[source])),
            tuple(month for month in span if month not in delivered[source]),
        )
        for source in MONTHLY_SOURCES
    )
    return MonthsState(basis, every[0], every[-1], sources, accepted_at)


def _parse_reason(text: str) -> tuple[datetime | None, str]:
    """(rejected_at, the first line of the reason) of a `.reason.txt` file."""
    header, _, reason = text.partition("\n\n")
    rejected_at = None
    for line in header.splitlines():
        if line.startswith("rejected_at:"):
            try:
                rejected_at = datetime.fromisoformat(line.split(":", 1)[1].strip())
            except ValueError:
                rejected_at = None
    first = next((line.strip() for line in reason.splitlines() if line.strip()), "")
    return rejected_at, first


def quarantined_deliveries(
    paths: DataPaths, accepted_at: dict[tuple[str, str], datetime] | None = None
) -> list[QuarantinedDelivery]:
    """Every rejected file in `quarantine/`, with whether a correction has arrived since.

    Corrected: an accepted delivery of the same source and month after the rejection.
    A correction in the landing zone: a file for that month waits for the next run.
    """
    accepted_at = accepted_at or {}
    found: list[QuarantinedDelivery] = []
    if not paths.quarantine.exists():
        return found
    for reason_file in sorted(paths.quarantine.glob(f"*/*/*{REASON_SUFFIX}")):
        partition = reason_file.parent.name
        source = reason_file.parent.parent.name
        rejected_at, reason = _parse_reason(reason_file.read_text(encoding="utf-8"))
        accepted = accepted_at.get((source, partition))
        # DuckDB stored the acceptance time in the machine's local time, without a zone.
        corrected = (
            accepted is not None
            and rejected_at is not None
            and accepted.astimezone() >= rejected_at
        )
        landing = paths.landing_source(source)
        waiting = any(landing.glob(f"{partition}.*")) if landing.exists() else False
        state = (
            "corrected"
            if corrected
            else ("correction in the landing zone" if waiting else "awaiting correction")
        )
        found.append(
            QuarantinedDelivery(
                source,
                partition,
                reason_file.with_name(reason_file.name.removesuffix(REASON_SUFFIX)),
                rejected_at,
                reason,
                state,
            )
        )
    return found
