"""The real asset graph (Dagster + dbt + DuckDB) on the small generated data set."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from tests.conftest import PipelineRun
from tests.integration.independent import offence_indicator_counts, read_seed

pytestmark = pytest.mark.integration

OFFENCE_INDICATORS = ["offences_total", "violent_crime"]


def published(run: PipelineRun) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(run.paths.publish_db), read_only=True)


def test_fct_indicator_month_matches_an_independent_count_from_the_landing_files(
    pipeline_run: PipelineRun,
) -> None:
    expected = offence_indicator_counts(pipeline_run.paths, OFFENCE_INDICATORS)
    with published(pipeline_run) as conn:
        actual = conn.sql(
            "select month, geo_level, geo_code, indicator_code, numerator as n "
            "from marts.fct_indicator_month "
            "where indicator_code in ('offences_total', 'violent_crime') and numerator > 0 "
            "order by all"
        ).pl()
    assert actual.height == expected.height
    assert actual.equals(expected.sort("month", "geo_level", "geo_code", "indicator_code"))


def test_every_geography_indicator_and_month_is_present(pipeline_run: PipelineRun) -> None:
    """The grid: every month × every indicator × every geography at the indicator's levels."""
    with published(pipeline_run) as conn:
        rows, months = conn.execute(
            "select count(*), count(distinct month) from marts.fct_indicator_month"
        ).fetchone()
        expected_series = conn.execute(
            "select count(*) from marts.dim_indicator i join marts.dim_geography g "
            "on list_contains(string_split(i.geo_levels, ';'), g.geo_level)"
        ).fetchone()[0]
        duplicates = conn.execute(
            "select count(*) from (select month, geo_level, geo_code, indicator_code "
            "from marts.fct_indicator_month group by all having count(*) > 1)"
        ).fetchone()[0]
    assert months == 18
    assert duplicates == 0
    assert rows == months * expected_series


def test_published_file_has_seven_regions_and_every_area_on_the_current_list(
    pipeline_run: PipelineRun,
) -> None:
    current_areas = set(
        read_seed("areas").filter(pl.col("cat_2025").is_not_null())["area_code"].to_list()
    )
    with published(pipeline_run) as conn:
        per_level = dict(
            conn.execute(
                "select geo_level, count(distinct geo_code) from marts.fct_indicator_month "
                "group by 1"
            ).fetchall()
        )
        published_areas = {
            row[0]
            for row in conn.execute(
                "select distinct geo_code from marts.fct_indicator_month where geo_level = 'area'"
            ).fetchall()
        }
    assert len(current_areas) == 65
    assert per_level["region"] == 7
    assert per_level["nation"] == 1
    assert current_areas <= published_areas


def test_rates_are_per_1000_inhabitants_of_the_interpolated_population(
    pipeline_run: PipelineRun,
) -> None:
    with published(pipeline_run) as conn:
        worst = conn.execute(
            "select max(abs(rate_per_1000 - numerator / denominator * 1000)), "
            "min(denominator), count(*) filter (where rate_per_1000 is null) "
            "from marts.fct_indicator_month "
            "where geo_level in ('nation', 'region', 'area') and kind = 'count'"
        ).fetchone()
    assert worst[0] < 1e-9
    assert worst[1] > 0
    assert worst[2] == 0


def test_publication_log_records_the_run_and_the_input_hashes(pipeline_run: PipelineRun) -> None:
    # by run id: other tests may publish into the shared workspace before this one runs
    with published(pipeline_run) as conn:
        logged = conn.execute(
            "select month, input_deliveries from meta.publication_log where run_id = ?",
            [pipeline_run.run_id],
        ).fetchall()
    assert len(logged) == 1
    month, deliveries = logged[0]
    assert month == pipeline_run.end
    assert '"sha256"' in deliveries
    archive = pipeline_run.paths.publish_archive
    archived = [path.name for path in archive.glob(f"lagesbild_*_{pipeline_run.run_id}.duckdb")]
    assert archived == [f"lagesbild_{month}_{pipeline_run.run_id}.duckdb"]
