"""The ingest's connection: a month that fills a row group is written without the WAL."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import duckdb
import pytest

from lagesbild.ingest.raw_connection import RAW_ROW_GROUP_SIZE, open_raw_writer

MONTH_ROWS = 100_000  # a national offences month: above the ingest's row group, below DuckDB's
ROWS_SQL = f"""
    select date '2026-10-01' as month, 'K' || lpad(i::varchar, 9, '0') || '-26' as offence_id,
           (1200 + i % 90)::varchar as offence_code, 'a3f5' || (i % 977)::varchar as source_sha256
    from range({MONTH_ROWS}) r(i)"""


def _write_month(conn: duckdb.DuckDBPyConnection) -> int:
    """One month in one transaction, as the ingest writes it; the WAL's size after its commit."""
    conn.execute(
        "create table offences (month date, offence_id varchar, offence_code varchar, "
        "source_sha256 varchar)"
    )
    conn.execute("begin transaction")
    conn.execute(f"insert into offences {ROWS_SQL}")
    conn.execute("commit")
    database = conn.execute(
        "select path from duckdb_databases() where database_name = current_database()"
    ).fetchone()[0]
    wal = Path(f"{database}.wal")
    return wal.stat().st_size if wal.exists() else 0


def test_a_month_that_fills_a_row_group_is_written_to_the_file_not_the_wal(tmp_path):
    assert RAW_ROW_GROUP_SIZE < MONTH_ROWS < 122_880  # DuckDB's default row group
    with duckdb.connect(str(tmp_path / "default.duckdb")) as conn:
        wal_by_default = _write_month(conn)
    with open_raw_writer(tmp_path / "lagesbild.duckdb") as conn:
        assert conn.execute("select current_database()").fetchone()[0] == "lagesbild"
        wal_of_ingest = _write_month(conn)
        row_groups = conn.execute(
            "select row_group_id, max(count) from pragma_storage_info('offences') "
            "group by 1 order by 1"
        ).fetchall()
    assert wal_by_default > 2_000_000  # the rows themselves, uncompressed
    assert wal_of_ingest < 100_000  # only where the written row groups are
    assert row_groups == [(0, RAW_ROW_GROUP_SIZE), (1, MONTH_ROWS - RAW_ROW_GROUP_SIZE)]
    with duckdb.connect(str(tmp_path / "lagesbild.duckdb"), read_only=True) as reader:
        assert reader.execute(
            f"select count(*), count(distinct offence_id) from offences "
            f"where (month, offence_id, offence_code, source_sha256) in ({ROWS_SQL})"
        ).fetchone() == (MONTH_ROWS, MONTH_ROWS)


def test_a_locked_warehouse_is_waited_for_then_opened(tmp_path):
    database = tmp_path / "lagesbild.duckdb"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                conn = duckdb.connect({str(database)!r})
                conn.execute("create table held as select 1 as x")
                print("ready", flush=True)
                time.sleep(1.0)
                conn.close()
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        with pytest.raises(duckdb.IOException, match="lock"):
            open_raw_writer(database, retries=0)
        with open_raw_writer(database, retries=8) as conn:
            assert conn.execute("select x from held").fetchall() == [(1,)]
    finally:
        holder.wait(timeout=30)
