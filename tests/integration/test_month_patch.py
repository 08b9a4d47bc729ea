"""A publication that changes a few months of the month-keyed marts patches only those months
in copies of the published files — and publishes what a fresh build gives
(lagesbild/publish/month_patch.py).
"""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from lagesbild.publish.export import EXPORT_BASENAME
from lagesbild.publish.month_patch import APPENDED_TABLE, MAX_APPENDED_MONTHS
from lagesbild.publish.publisher import PUBLISHED_ORDER, Publication, publish
from lagesbild.settings import REGION_SLUGS, DataPaths
from tests.integration.publication_helpers import in_warehouse, verify_published_file
from tests.integration.test_file_reuse import region_rows_as_fresh_build, table_fingerprints

pytestmark = pytest.mark.integration

FACTS = "marts.fct_indicator_month"
PICTURE = "marts.mart_municipality_problem_picture"


def published_months(paths: DataPaths) -> list[date]:
    conn = duckdb.connect(str(paths.publish_db), read_only=True)
    try:
        return [
            row[0]
            for row in conn.execute(f"select distinct month from {FACTS} order by 1").fetchall()
        ]
    finally:
        conn.close()


def revise_month(paths: DataPaths, month: date) -> None:
    """What a monthly run's rebuild of one month does to the build database: that month's
    rows of the fact table and of the problem picture change (the export's rates too, but no
    count, so that its disclosure control has nothing new to decide)."""
    in_warehouse(
        paths,
        f"update {FACTS} set numerator_rolling_12m = coalesce(numerator_rolling_12m, 0) + 1, "
        "rate_per_1000 = rate_per_1000 + 0.5 "
        f"where month = date '{month}' and geo_level = 'area'",
        f"update {PICTURE} set numerator = coalesce(numerator, 0) + 1 where month = date '{month}'",
    )


def appended_months(path: Path) -> dict[str, set[date]]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        record: dict[str, set[date]] = {}
        for table, month in conn.execute(
            f"select table_name, month from {APPENDED_TABLE}"
        ).fetchall():
            record.setdefault(table, set()).add(month)
        return record
    finally:
        conn.close()


def facts_in_published_order(path: Path) -> bool:
    """Whether the fact table's rows lie in `PUBLISHED_ORDER` (by their row ids)."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(
            f"select bool_and(position = sorted) from (select row_number() over (order by rowid) "
            f"as position, row_number() over (order by {PUBLISHED_ORDER[FACTS]}) as sorted "
            f"from {FACTS})"
        ).fetchone()[0]
    finally:
        conn.close()


def export_frame(paths: DataPaths) -> pl.DataFrame:
    return pl.read_parquet(paths.publish_dir / "export" / f"{EXPORT_BASENAME}.parquet")


def export_csv(paths: DataPaths) -> bytes:
    return (paths.publish_dir / "export" / f"{EXPORT_BASENAME}.csv").read_bytes()


def export_rows(paths: DataPaths, month: date) -> pl.DataFrame:
    return export_frame(paths).filter(pl.col("month") == month)


def last_rows_month(path: Path, rows: int) -> set[date]:
    """The months of a file's last `rows` fact rows (by row id)."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return {
            row[0]
            for row in conn.execute(
                f"select month from (select month from {FACTS} order by rowid desc limit {rows})"
            ).fetchall()
        }
    finally:
        conn.close()


def test_a_monthly_change_patches_only_its_month_and_publishes_what_a_fresh_build_gives(
    workspace: DataPaths, tmp_path: Path
) -> None:
    month = published_months(workspace)[-2]
    before = table_fingerprints(workspace.publish_db)
    before_export = export_rows(workspace, month)
    revise_month(workspace, month)

    publication: Publication = publish(workspace, month="2024-06", run_id="patching")

    label = month.strftime("%Y-%m")
    assert publication.patched_months[FACTS] == (label,)
    assert publication.patched_months[PICTURE] == (label,)
    after = table_fingerprints(workspace.publish_db)
    changed = {table for table in after if after[table] != before.get(table)}
    assert set(publication.patched_months) == changed  # the wide view's table too
    assert set(publication.reused_tables) == set(after) - changed
    assert appended_months(workspace.publish_db) == {table: {month} for table in changed}
    assert verify_published_file(workspace.publish_db) == "patching"
    # the month's rows were appended after the others: the file is no longer in order
    month_rows = publication.row_counts[FACTS] // len(published_months(workspace))
    assert last_rows_month(workspace.publish_db, month_rows) == {month}
    assert not facts_in_published_order(workspace.publish_db)
    for slug in REGION_SLUGS:
        assert FACTS in publication.region_patched_tables[slug], slug
        region_rows_as_fresh_build(workspace, slug)

    # the export: that month built, the others' rows taken from the published export
    assert publication.export_patched_months == (label,)
    assert not export_rows(workspace, month).equals(before_export)  # its rates changed

    # the same warehouse published from nothing: the same rows in every table, file for file
    fresh = DataPaths(tmp_path / "fresh")
    shutil.copytree(workspace.warehouse_db.parent, fresh.warehouse_db.parent)
    built = publish(fresh, month="2024-06", run_id="fresh")
    assert built.patched_months == {} and not any(built.region_patched_tables.values())
    assert built.export_patched_months == ()
    assert_frame_equal(export_frame(fresh), export_frame(workspace))
    assert export_csv(fresh) == export_csv(workspace)
    assert table_fingerprints(fresh.publish_db) == after
    assert facts_in_published_order(fresh.publish_db)
    assert appended_months(fresh.publish_db) == {}
    for slug in REGION_SLUGS:
        assert table_fingerprints(built.region_files[slug]) == table_fingerprints(
            publication.region_files[slug]
        ), slug


def test_an_export_file_touched_since_its_publication_is_built_whole(
    workspace: DataPaths, tmp_path: Path
) -> None:
    parquet = workspace.publish_dir / "export" / f"{EXPORT_BASENAME}.parquet"
    os.utime(parquet)  # not the file the export's record names any more
    revise_month(workspace, published_months(workspace)[-1])

    publication = publish(workspace, month="2024-06", run_id="whole-export")

    assert FACTS in publication.patched_months
    assert publication.export_patched_months == ()
    fresh = DataPaths(tmp_path / "fresh")
    shutil.copytree(workspace.warehouse_db.parent, fresh.warehouse_db.parent)
    publish(fresh, month="2024-06", run_id="fresh")
    assert_frame_equal(export_frame(fresh), export_frame(workspace))


def test_a_table_with_too_many_months_out_of_place_is_written_whole_and_in_order(
    workspace: DataPaths,
) -> None:
    months = published_months(workspace)[-(MAX_APPENDED_MONTHS + 1) :]
    for index, month in enumerate(months[:-1]):
        revise_month(workspace, month)
        patched = publish(workspace, month="2024-06", run_id=f"patch-{index}")
        assert FACTS in patched.patched_months, month
    assert appended_months(workspace.publish_db)[FACTS] == set(months[:-1])

    revise_month(workspace, months[-1])
    publication = publish(workspace, month="2024-06", run_id="whole")

    assert FACTS not in publication.patched_months
    assert FACTS not in publication.reused_tables
    assert FACTS not in appended_months(workspace.publish_db)
    assert facts_in_published_order(workspace.publish_db)
    assert verify_published_file(workspace.publish_db) == "whole"
    for slug in ("syd", "nord"):
        assert FACTS not in publication.region_patched_tables[slug]
        region_rows_as_fresh_build(workspace, slug)
