"""Per-month fingerprints, changed months and the patch of a table (publish/month_patch.py)."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from lagesbild.publish.month_patch import (
    changed_months,
    combined,
    month_condition,
    month_fingerprints,
    month_tables,
    patch_table,
    read_appended,
    write_appended,
)
from lagesbild.publish.publisher import table_fingerprint

JAN, FEB, MAR = date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)


@pytest.fixture
def conn() -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("attach ':memory:' as build")
    for catalog in ("memory", "build"):
        conn.execute(f"create schema {catalog}.marts")
    conn.execute(
        "create table build.marts.facts as select "
        "cast(date '2026-01-01' + to_months(i % 3) as date) as month, "
        "'g' || (i % 7) as geo_code, i as numerator from range(60) r(i)"
    )
    conn.execute("create table build.marts.plain as select 1 as month")
    conn.execute("create table memory.marts.facts as select * from build.marts.facts order by all")
    return conn


def test_the_months_fingerprints_add_up_to_the_publishers_table_checksum(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    months = month_fingerprints(conn, "build.marts.facts")
    assert set(months) == {JAN, FEB, MAR}
    assert {rows for rows, _ in months.values()} == {20}
    assert combined(months) == table_fingerprint(conn, "build.marts.facts")
    assert combined({}) == (0, f"{0:016x}")


def test_only_date_month_columns_make_a_table_patchable(conn: duckdb.DuckDBPyConnection) -> None:
    assert month_tables(conn, "build") == frozenset({"marts.facts"})


def test_changed_months_are_those_added_removed_or_with_other_rows(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    before = month_fingerprints(conn, "build.marts.facts")
    conn.execute("update build.marts.facts set numerator = numerator + 1 where numerator = 4")
    conn.execute("delete from build.marts.facts where month = date '2026-03-01'")
    conn.execute("insert into build.marts.facts values (date '2026-04-01', 'g1', 1)")
    after = month_fingerprints(conn, "build.marts.facts")
    assert changed_months(before, after) == (FEB, MAR, date(2026, 4, 1))
    assert changed_months(after, after) == ()
    assert changed_months({None: (1, 5)}, {}) == (None,)


def test_the_month_condition_lists_dates_as_literals_and_null_apart() -> None:
    assert month_condition([JAN, FEB], "t") == (
        "(t.month in (date '2026-01-01', date '2026-02-01'))"
    )
    assert month_condition([None, JAN]) == "(month in (date '2026-01-01') or month is null)"
    assert month_condition([]) == "false"


def test_a_patch_replaces_the_months_rows_after_the_others_in_order(
    conn: duckdb.DuckDBPyConnection,
) -> None:
    conn.execute("update build.marts.facts set numerator = -numerator where month = ?", [FEB])
    conn.execute("insert into build.marts.facts values (date '2026-02-01', 'g0', 1000)")

    patch_table(
        conn,
        "marts.facts",
        "build",
        (FEB,),
        where="where t.geo_code <> 'g6'",
        order_by="geo_code, numerator",
    )

    rows = conn.execute(
        "select month, geo_code, numerator from marts.facts order by rowid"
    ).fetchall()
    assert [row for row in rows if row[0] != FEB] == [
        row for row in sorted(rows) if row[0] != FEB
    ]  # the other months untouched, in their order
    patched = rows[-sum(1 for row in rows if row[0] == FEB) :]
    assert {row[0] for row in patched} == {FEB}  # the month's rows come last …
    assert patched == sorted(patched, key=lambda row: (row[1], row[2]))  # … in order
    assert sorted(row[1:] for row in patched) == sorted(
        conn.execute(
            "select geo_code, numerator from build.marts.facts "
            "where month = ? and geo_code <> 'g6'",
            [FEB],
        ).fetchall()
    )
    assert (FEB, "g0", 1000) in patched


def test_the_appended_months_record_round_trips(conn: duckdb.DuckDBPyConnection) -> None:
    assert read_appended(conn, "memory") == {}
    write_appended(conn, {"marts.facts": {FEB, JAN}, "marts.other": set()})
    assert read_appended(conn, "memory") == {"marts.facts": frozenset({JAN, FEB})}
    write_appended(conn, {})
    assert read_appended(conn, "memory") == {}
