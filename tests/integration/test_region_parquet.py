"""Each region's Parquet files: one per table of its DuckDB file, its own rows only, whole.

Checked independently of the publisher: every Parquet file is read back with polars (not
DuckDB), joined with the MAIN publication's dim_geography, and compared with the region's
.duckdb table by table.
"""

from __future__ import annotations

import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from lagesbild.settings import REGION_SLUGS
from tests.conftest import PipelineRun

pytestmark = pytest.mark.integration

GEO_KEYS = {"area_code": "area", "municipality_code": "municipality", "lpo_code": "lpo"}


def region_tables(path) -> dict[str, int]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "select table_schema || '.' || table_name from information_schema.tables "
                "where table_schema in ('marts', 'review')"
            ).fetchall()
        ]
        return {t: conn.execute(f"select count(*) from {t}").fetchone()[0] for t in tables}
    finally:
        conn.close()


def foreign_rows(frame: pl.DataFrame, geography: pl.DataFrame, slug: str) -> int:
    """Rows whose geography lies in another region (the nation is every region's total)."""
    own = geography.filter((pl.col("region") == slug) | (pl.col("geo_level") == "nation"))
    if {"geo_level", "geo_code"} <= set(frame.columns):
        return frame.join(own, on=["geo_level", "geo_code"], how="anti").height
    for column, level in GEO_KEYS.items():
        if column in frame.columns:
            codes = own.filter(pl.col("geo_level") == level)["geo_code"]
            return frame.filter(pl.col(column).is_not_null() & ~pl.col(column).is_in(codes)).height
    if "region" in frame.columns:
        return frame.filter(pl.col("region").is_not_null() & (pl.col("region") != slug)).height
    return 0


def test_each_region_parquet_holds_only_its_rows_and_matches_its_duckdb_file(
    pipeline_run: PipelineRun,
) -> None:
    publish = pipeline_run.paths.publish_dir
    main = duckdb.connect(str(pipeline_run.paths.publish_db), read_only=True)
    try:
        geography = main.sql("select geo_level, geo_code, region from marts.dim_geography").pl()
        run_id = main.execute(
            "select run_id from meta.publication_log order by published_at desc limit 1"
        ).fetchone()[0]
    finally:
        main.close()
    for slug in REGION_SLUGS:
        folder = publish / "regions" / slug
        counts = region_tables(publish / "regions" / f"{slug}.duckdb")
        assert "marts.fct_indicator_month" in counts
        files = {path.name.removesuffix(".parquet"): path for path in folder.glob("*.parquet")}
        assert set(files) == set(counts), slug
        for table, path in files.items():
            frame = pl.read_parquet(path)
            assert frame.height == counts[table], f"{slug}: {table}"
            assert foreign_rows(frame, geography, slug) == 0, f"{slug}: {table}"
            metadata = pq.read_metadata(path).metadata
            assert metadata[b"lagesbild.region"] == slug.encode()
            assert metadata[b"lagesbild.run_id"] == run_id.encode()
        facts = pl.read_parquet(files["marts.fct_indicator_month"])
        regions = facts.filter(pl.col("geo_level") == "region")["geo_code"].unique().to_list()
        assert regions == [slug]
        assert facts.filter(pl.col("geo_level") == "nation").height > 0  # the national totals
        not_suppressed = facts.filter(pl.col("is_small_number") & (pl.col("numerator") > 0))
        assert not_suppressed.height > 0  # internal files: small counts are shown, not hidden
