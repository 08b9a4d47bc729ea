"""What the publication hands out: region files with only their region, a safe public export.

Checked independently of the publisher's own verification: every table of every region file
is joined with the main warehouse's dim_geography; the export is re-read from disk and every
parent → children group is tested for a lone suppressed child.
"""

from __future__ import annotations

import subprocess
import sys
from collections import defaultdict

import duckdb
import polars as pl
import pytest

from lagesbild.settings import REGION_SLUGS
from tests.conftest import PipelineRun

pytestmark = pytest.mark.integration

THRESHOLD = 3


def test_each_region_file_holds_only_its_region_and_the_nation(pipeline_run: PipelineRun) -> None:
    main = pipeline_run.paths.publish_db
    for slug in REGION_SLUGS:
        path = pipeline_run.paths.publish_dir / "regions" / f"{slug}.duckdb"
        conn = duckdb.connect(str(path), read_only=True)
        try:
            conn.execute(f"attach '{main}' as main_pub (read_only)")
            tables = conn.execute(
                "select table_schema || '.' || table_name, list(column_name) "
                "from information_schema.columns where table_catalog = ? "
                "and table_schema = 'marts' group by 1",
                [slug],
            ).fetchall()
            assert {"marts.fct_indicator_month", "marts.dim_geography"} <= {t for t, _ in tables}
            for table, columns in tables:
                if {"geo_level", "geo_code"} <= set(columns):
                    join = "using (geo_level, geo_code)"
                elif "area_code" in columns:
                    join = "on g.geo_level = 'area' and g.geo_code = t.area_code"
                elif "municipality_code" in columns:
                    join = "on g.geo_level = 'municipality' and g.geo_code = t.municipality_code"
                else:
                    continue
                foreign = conn.execute(
                    f"select count(*) from {table} t left join main_pub.marts.dim_geography g "
                    f"{join} where g.geo_level is null "
                    "or (g.geo_level <> 'nation' and g.region is distinct from ?)",
                    [slug],
                ).fetchall()[0][0]
                assert foreign == 0, f"{slug}: {table} has {foreign} rows of other regions"
            own = conn.execute(
                "select count(distinct geo_code) from marts.fct_indicator_month "
                "where geo_level = 'region'"
            ).fetchall()[0][0]
            assert own == 1
        finally:
            conn.close()


def test_the_public_export_shows_no_small_count_and_no_recoverable_one(
    pipeline_run: PipelineRun,
) -> None:
    export_dir = pipeline_run.paths.publish_dir / "export"
    frame = pl.read_parquet(export_dir / "indicators_monthly.parquet")
    csv = pl.read_csv(export_dir / "indicators_monthly.csv", separator=";", infer_schema=False)
    assert csv.height == frame.height
    assert not any(
        value.startswith(("=", "+", "-", "@"))
        for column in csv.columns
        for value in csv[column]
        if value
    )
    counts = frame.filter(pl.col("unit") == "count")
    assert counts.height > 0
    published = counts.filter(~pl.col("suppressed"))
    assert published.filter(pl.col("value") < THRESHOLD).height == 0
    assert counts.filter(pl.col("suppressed") & pl.col("value").is_not_null()).height == 0
    assert (counts.filter(pl.col("suppressed"))["flag"] == "..").all()

    conn = duckdb.connect(str(pipeline_run.paths.publish_db), read_only=True)
    try:
        geographies = conn.sql("select * from marts.dim_geography").pl()
    finally:
        conn.close()
    parent_of: dict[tuple[str, str], list[tuple[str, str]]] = defaultdict(list)
    for row in geographies.iter_rows(named=True):
        child = (row["geo_level"], row["geo_code"])
        if row["geo_level"] == "region":
            parent_of[child].append(("nation", "SE"))
        elif row["geo_level"] in ("municipality", "lpo"):
            parent_of[child].append(("region", row["region"]))
        elif row["geo_level"] == "area" and not row["is_composite"]:
            parent_of[child].append(("municipality", row["parent_geo_code"]))
    hidden_children: dict[tuple, int] = defaultdict(int)
    shown: set[tuple] = set()
    for month, indicator, level, code, suppressed, value in counts.select(
        "month", "indicator_code", "geo_level", "geo_code", "suppressed", "value"
    ).iter_rows():
        if not suppressed and value is not None:
            shown.add((month, indicator, level, code))
        if suppressed:
            for parent in parent_of[(level, code)]:
                hidden_children[(month, indicator, *parent)] += 1
    lone = [group for group, n in hidden_children.items() if n == 1 and group in shown]
    assert lone == [], f"recoverable by subtraction: {lone[:5]}"


def test_query_with_region_answers_from_that_region_file_only(pipeline_run: PipelineRun) -> None:
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "pipelines.cli",
            "query",
            "select distinct region from marts.dim_geography where region is not null",
            "--region",
            "syd",
            "--format",
            "csv",
        ],
        env={"LAGESBILD_DATA_DIR": str(pipeline_run.paths.root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert completed.stdout.split() == ["region", "syd"]
