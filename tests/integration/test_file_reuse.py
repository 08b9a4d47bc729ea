"""A republication that changes few rows starts from copies of the published files and writes
only the changed tables — and what it publishes is what a fresh build gives
(lagesbild/publish/file_reuse.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from lagesbild.publish.file_reuse import REUSE_MIN_SHARE
from lagesbild.publish.parquet_footer import restamp
from lagesbild.publish.publisher import (
    Publication,
    publish,
    published_tables,
    table_fingerprint,
)
from lagesbild.publish.regions import region_filter
from lagesbild.publish.storage import PUBLISHED_ROW_GROUP_SIZE
from lagesbild.settings import REGION_SLUGS, DataPaths
from tests.integration.publication_helpers import (
    in_warehouse,
    region_parquet_runs,
    region_run,
    verify_published_file,
)

pytestmark = pytest.mark.integration

MONTH = "2024-06"
ADDED = "review.fct_reuse_probe"
"""A small table the test adds to the build database, as the tertial review adds its own."""
REVISED = "marts.dim_indicator"


def add_small_table(paths: DataPaths, rows: int = 9000) -> None:
    in_warehouse(
        paths,
        "create schema if not exists review",
        f"create or replace table {ADDED} as select geo_level, geo_code, "
        f"row_number() over (order by geo_level, geo_code) * 1.5 as score "
        f"from marts.dim_geography, range({rows} // 400)",
    )


def table_fingerprints(path: Path) -> dict[str, tuple[int, str]]:
    """Row count and checksum of every published table of a file (as the publisher's own)."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        database = conn.execute("select current_database()").fetchone()[0]
        return {table: table_fingerprint(conn, table) for table in published_tables(conn, database)}
    finally:
        conn.close()


def region_rows_as_fresh_build(paths: DataPaths, slug: str) -> None:
    """Every table of the region file holds exactly the region's filter over the main file."""
    conn = duckdb.connect(str(paths.publish_dir / "regions" / f"{slug}.duckdb"), read_only=True)
    try:
        conn.execute(f"attach '{paths.publish_db}' as main_pub (read_only)")
        columns: dict[str, set[str]] = {}
        for table, column in conn.execute(
            "select table_schema || '.' || table_name, column_name from information_schema.columns "
            "where table_catalog = 'main_pub' and table_schema in ('marts', 'review')"
        ).fetchall():
            columns.setdefault(table, set()).add(column)
        for table, table_columns in columns.items():
            where = region_filter(table, table_columns)
            if where is None:
                continue
            parameters = {"slug": slug} if "$slug" in where else None
            fresh = conn.execute(
                f"select count(*), bit_xor(hash(t)) from "
                f"(select * from main_pub.{table} t {where}) t",
                parameters,
            ).fetchone()
            found = conn.execute(f"select count(*), bit_xor(hash(t)) from {table} t").fetchone()
            assert found == fresh, f"{slug}: {table}"
    finally:
        conn.close()


def test_a_republication_with_few_changed_rows_writes_only_the_changed_tables(
    workspace: DataPaths, tmp_path: Path
) -> None:
    unchanged = set(table_fingerprints(workspace.publish_db)) - {REVISED}
    add_small_table(workspace)
    in_warehouse(  # and a small published table changes
        workspace,
        f"update {REVISED} set name_en = name_en || ' (revised)' "
        f"where indicator_code = (select min(indicator_code) from {REVISED})",
    )

    publication: Publication = publish(workspace, month=MONTH, run_id="reusing")

    assert set(publication.reused_tables) == unchanged
    for slug in REGION_SLUGS:
        assert set(publication.region_reused_tables[slug]) == unchanged, slug
        assert region_run(publication.region_files[slug]) == "reusing"
        region_rows_as_fresh_build(workspace, slug)
    assert verify_published_file(workspace.publish_db) == "reusing"
    conn = duckdb.connect(str(workspace.publish_db), read_only=True)
    try:
        # the written table is in the published format: its row groups are the published size
        groups = conn.execute(
            f"select count(distinct row_group_id) from pragma_storage_info('{ADDED}')"
        ).fetchone()[0]
        rows = conn.execute(f"select count(*) from {ADDED}").fetchone()[0]
        version = conn.execute(
            "select tags['storage_version'] from duckdb_databases() "
            "where database_name = current_database()"
        ).fetchone()[0]
    finally:
        conn.close()
    assert rows > 2 * PUBLISHED_ROW_GROUP_SIZE
    assert groups == -(-rows // PUBLISHED_ROW_GROUP_SIZE)
    assert version.startswith("v1.0.0")
    for slug in REGION_SLUGS:  # the new table's Parquet file is written beside the others
        assert (workspace.publish_dir / "regions" / slug / f"{ADDED}.parquet").exists()
        # the kept tables' Parquet files keep their rows, restamped for this publication
        assert set(publication.region_parquet_kept[slug]) == unchanged, slug
        assert region_parquet_runs(workspace, slug) == {"reusing"}, slug

    # the same warehouse published from nothing gives the same tables, file for file
    fresh = DataPaths(tmp_path / "fresh")
    shutil.copytree(workspace.warehouse_db.parent, fresh.warehouse_db.parent)
    built = publish(fresh, month=MONTH, run_id="fresh")
    assert built.reused_tables == () and not any(built.region_reused_tables.values())
    assert table_fingerprints(fresh.publish_db) == table_fingerprints(workspace.publish_db)
    for slug in REGION_SLUGS:
        assert table_fingerprints(built.region_files[slug]) == table_fingerprints(
            publication.region_files[slug]
        ), slug
        assert not built.region_parquet_kept[slug]
        assert parquet_fingerprints(fresh, slug) == parquet_fingerprints(workspace, slug), slug


def parquet_fingerprints(paths: DataPaths, slug: str) -> dict[str, tuple[int, int]]:
    """Row count and checksum of every Parquet file of a region, read back by DuckDB."""
    conn = duckdb.connect()
    try:
        return {
            path.name: conn.execute(
                f"select count(*), bit_xor(hash(t)) from read_parquet('{path}') t"
            ).fetchone()
            for path in sorted((paths.publish_dir / "regions" / slug).glob("*.parquet"))
        }
    finally:
        conn.close()


def test_a_parquet_file_of_another_publication_is_written_anew(workspace: DataPaths) -> None:
    """A region's Parquet file that names another publication than the region file copied
    from (a crash between two of them being replaced) does not keep its rows."""
    add_small_table(workspace, rows=4000)
    publish(workspace, month=MONTH, run_id="first")
    facts = workspace.publish_dir / "regions" / "syd" / "marts.fct_indicator_month.parquet"
    stamp = {k.decode(): v.decode() for k, v in pq.read_metadata(facts).metadata.items()}
    restamp(facts, facts.with_suffix(".tmp"), {**stamp, "lagesbild.run_id": "elsewhere"})
    facts.with_suffix(".tmp").replace(facts)
    # and one that names the right publication but does not hold its region file's rows
    months = workspace.publish_dir / "regions" / "nord" / "marts.dim_month.parquet"
    conn = duckdb.connect()
    try:
        conn.execute(
            f"copy (select * from read_parquet('{months}') limit 3) to '{months}.tmp' "
            "(format parquet)"
        )
    finally:
        conn.close()
    restamp(
        months.with_suffix(".parquet.tmp"),
        months,
        {k.decode(): v.decode() for k, v in pq.read_metadata(months).metadata.items()},
    )
    add_small_table(workspace, rows=5000)

    publication = publish(workspace, month=MONTH, run_id="second")

    assert "marts.fct_indicator_month" in publication.region_reused_tables["syd"]
    assert "marts.fct_indicator_month" not in publication.region_parquet_kept["syd"]
    assert "marts.fct_indicator_month" in publication.region_parquet_kept["nord"]
    assert ADDED not in publication.region_parquet_kept["nord"]  # its rows changed
    assert "marts.dim_month" not in publication.region_parquet_kept["nord"]
    assert "marts.dim_month" in publication.region_reused_tables["nord"]
    for slug in ("syd", "nord"):
        assert region_parquet_runs(workspace, slug) == {"second"}
        conn = duckdb.connect(str(publication.region_files[slug]), read_only=True)
        try:
            expected = conn.execute(
                "select count(*), bit_xor(hash(t)) from marts.fct_indicator_month t"
            ).fetchone()
        finally:
            conn.close()
        assert parquet_fingerprints(workspace, slug)["marts.fct_indicator_month.parquet"] == (
            expected
        )
    assert parquet_fingerprints(workspace, "nord")["marts.dim_month.parquet"][0] > 3


def test_changes_to_most_rows_build_every_file_anew(workspace: DataPaths) -> None:
    """A monthly run changes the fact table and the marts built on it: most of the rows."""
    changed = ("marts.fct_indicator_month", "marts.mart_municipality_problem_picture")
    rows = {table: count for table, (count, _) in table_fingerprints(workspace.publish_db).items()}
    assert sum(rows[table] for table in changed) > (1 - REUSE_MIN_SHARE) * sum(rows.values())
    in_warehouse(
        workspace,
        "update marts.fct_indicator_month set numerator = numerator + 1, value = value + 1 "
        "where geo_level = 'nation'",
        "update marts.mart_municipality_problem_picture set numerator = coalesce(numerator, 0) + 1 "
        "where municipality_code = (select min(municipality_code) "
        "from marts.mart_municipality_problem_picture)",
    )

    publication = publish(workspace, month=MONTH, run_id="changed")

    # a copy would have most of its rows written again (and keep their old blocks as free space)
    assert publication.reused_tables == ()
    assert not any(publication.region_reused_tables.values())
    assert verify_published_file(workspace.publish_db) == "changed"
    region_rows_as_fresh_build(workspace, "syd")


def test_a_published_file_without_the_layout_record_is_not_reused(workspace: DataPaths) -> None:
    """A file written by code from before the layout record (or in another layout)."""
    conn = duckdb.connect(str(workspace.publish_db))
    try:
        conn.execute("drop table meta.layout")
    finally:
        conn.close()
    add_small_table(workspace)

    publication = publish(workspace, month=MONTH, run_id="no-layout")

    assert publication.reused_tables == ()
    assert not any(publication.region_reused_tables.values())
    assert verify_published_file(workspace.publish_db) == "no-layout"


def test_a_region_file_of_another_publication_is_not_reused(workspace: DataPaths) -> None:
    """After a crash between replacing the main file and a region file, that region's file
    belongs to an older publication than the main file: it is built anew."""
    syd = workspace.publish_dir / "regions" / "syd.duckdb"
    older = syd.with_name("syd.older")
    shutil.copyfile(syd, older)
    add_small_table(workspace, rows=4000)
    publish(workspace, month=MONTH, run_id="first")
    shutil.copyfile(older, syd)  # the region file the crash left behind
    add_small_table(workspace, rows=5000)

    publication = publish(workspace, month=MONTH, run_id="second")

    assert publication.reused_tables and publication.region_reused_tables["syd"] == ()
    assert publication.region_reused_tables["nord"]
    for slug in ("syd", "nord"):
        region_rows_as_fresh_build(workspace, slug)
        assert region_run(publication.region_files[slug]) == "second"
