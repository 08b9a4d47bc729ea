"""`lagesbild status`, the domain half: publication, months per source, quarantine."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import duckdb

from lagesbild.ingest.landing import describe_delivery, quarantine_delivery
from lagesbild.ingest.raw_store import DELIVERIES_DDL
from lagesbild.settings import MONTHLY_SOURCES, DataPaths
from lagesbild.status import (
    latest_publication,
    month_span,
    months_per_source,
    quarantined_deliveries,
)


def build_database(paths: DataPaths, deliveries: list[tuple[str, str, datetime]]) -> None:
    paths.warehouse_db.parent.mkdir(parents=True)
    conn = duckdb.connect(str(paths.warehouse_db))
    try:
        conn.execute("create schema raw")
        conn.execute(DELIVERIES_DDL)
        for source, month, ingested_at in deliveries:
            conn.execute(
                "insert into raw.deliveries values (?, ?, ?, ?, 'x', 10, 1, ?)",
                [source, month, f"{month}-01", f"{month}.csv", ingested_at],
            )
    finally:
        conn.close()


def reject(paths: DataPaths, source: str, month: str, reason: str) -> Path:
    """A delivery rejected the way ingest rejects one (moved to quarantine with a reason)."""
    landing = paths.landing_source(source)
    landing.mkdir(parents=True, exist_ok=True)
    path = landing / f"{month}.csv"
    path.write_text("offence_id;registered_date\nx;not a date\n", encoding="utf-8")
    return quarantine_delivery(
        paths.quarantine, describe_delivery(source, month, path), path, reason
    )


def test_month_span_crosses_the_year() -> None:
    assert month_span("2023-11", "2024-02") == ["2023-11", "2023-12", "2024-01", "2024-02"]


def test_months_missing_from_one_source_make_those_months_incomplete(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    now = datetime(2024, 7, 10, 6, 0)
    rows = [(source, month, now) for source in MONTHLY_SOURCES for month in ("2024-04", "2024-06")]
    rows += [(source, "2024-05", now) for source in MONTHLY_SOURCES if source != "clearances"]
    build_database(paths, rows)

    state = months_per_source(paths)

    assert (state.first, state.last) == ("2024-04", "2024-06")
    assert state.complete_months == ["2024-04", "2024-06"]
    assert state.incomplete_months == ["2024-05"]
    clearances = next(source for source in state.sources if source.source == "clearances")
    assert clearances.delivered == ("2024-04", "2024-06")
    assert clearances.missing == ("2024-05",)
    assert "build database" in state.basis


def test_a_rejected_delivery_awaits_correction_until_an_accepted_one_arrives(
    tmp_path: Path,
) -> None:
    paths = DataPaths(tmp_path)
    quarantined = reject(paths, "offences", "2024-06", "line 2, column registered_date: not a date")
    waiting = quarantined_deliveries(paths)
    assert [(q.source, q.partition, q.state) for q in waiting] == [
        ("offences", "2024-06", "awaiting correction")
    ]
    assert waiting[0].file == quarantined
    assert waiting[0].reason == "line 2, column registered_date: not a date"

    # the corrected file lands: it waits for the next run
    (paths.landing_source("offences") / "2024-06.csv").write_text("fixed\n", encoding="utf-8")
    assert quarantined_deliveries(paths)[0].state == "correction in the landing zone"

    # ...and is accepted after the rejection (DuckDB keeps local time without a zone)
    rejected_at = waiting[0].rejected_at
    assert rejected_at is not None
    accepted_local = (rejected_at + timedelta(minutes=5)).astimezone().replace(tzinfo=None)
    later = {("offences", "2024-06"): accepted_local}
    assert quarantined_deliveries(paths, later)[0].state == "corrected"
    earlier = {("offences", "2024-06"): accepted_local - timedelta(hours=1)}
    os.remove(paths.landing_source("offences") / "2024-06.csv")
    assert quarantined_deliveries(paths, earlier)[0].state == "awaiting correction"


def test_nothing_published_and_nothing_ingested_is_reported_as_such(tmp_path: Path) -> None:
    paths = DataPaths(tmp_path)
    assert latest_publication(paths) is None
    state = months_per_source(paths)
    assert state.first is None and state.complete_months == []
    assert quarantined_deliveries(paths) == []
