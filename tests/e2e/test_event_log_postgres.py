"""The PostgreSQL event log with a kept connection (pipelines/event_log.py), against a real
server: what it writes is what dagster-postgres's own storage reads, and it reconnects after
the server dropped its connection."""

from __future__ import annotations

import dagster as dg
import psycopg2
from dagster._core.events.log import EventLogEntry
from dagster_postgres.event_log import PostgresEventLogStorage

from pipelines.event_log import KeptConnectionsPostgresEventLogStorage
from pipelines.serve.postgres import LocalPostgres
from tests.dagster_events import materialization_entry


def _materialization(run_id: str, index: int) -> EventLogEntry:
    return materialization_entry(run_id, "counted", {"index": index})


def test_events_written_through_one_kept_connection_are_read_by_dagster_postgres(
    postgres_server: LocalPostgres,
) -> None:
    url = postgres_server.create_database("lagesbild_event_log")
    kept = KeptConnectionsPostgresEventLogStorage(url)
    for index in range(20):
        kept.store_event(_materialization("run-pg", index))
    # one connection served all twenty events: the pool holds it, nothing else is open
    assert kept._engine.pool.checkedin() == 1

    plain = PostgresEventLogStorage(url)
    records = plain.fetch_materializations(dg.AssetKey("counted"), limit=50).records
    assert len(records) == 20
    assert records[0].asset_materialization.metadata["index"] == dg.IntMetadataValue(19)
    assert len(plain.get_logs_for_run("run-pg")) == 20

    # the server ends every other session (as after a restart): the next event reconnects
    admin = psycopg2.connect(url)
    try:
        admin.autocommit = True
        with admin.cursor() as cursor:
            cursor.execute(
                "select count(pg_terminate_backend(pid)) from pg_stat_activity "
                "where datname = current_database() and pid <> pg_backend_pid()"
            )
            assert cursor.fetchone()[0] >= 1  # at least the kept connection
    finally:
        admin.close()
    kept.store_event(_materialization("run-pg", 20))
    assert len(plain.get_logs_for_run("run-pg")) == 21
    kept.dispose()
    plain.dispose()
