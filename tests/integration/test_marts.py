"""The published marts against an independent recomputation from the landing files.

The recomputation (tests/integration/marts_recompute.py) shares no code with the pipeline;
counts are compared exactly, populations and ratios to 1e-9 relative (float sums in a
different order).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from assets.resources import LagesbildDbtCli
from assets.warehouse.dbt_assets import BUILD_ARGS, WAREHOUSE_ENV
from lagesbild.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR
from tests.conftest import PipelineRun
from tests.integration import marts_recompute as recompute

pytestmark = pytest.mark.integration

KEY = ["month", "geo_level", "geo_code", "indicator_code"]
PUBLISHED_MARTS = {
    "marts.fct_indicator_month",
    "marts.dim_indicator",
    "marts.dim_geography",
    "marts.dim_month",
    "marts.dim_area_classification",
    "marts.mart_resources",
    "marts.mart_effect_goals",
    "marts.mart_municipality_problem_picture",
    "marts.v_indicators_wide",
}


def query(run: PipelineRun, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(run.paths.publish_db), read_only=True) as conn:
        return conn.sql(sql).pl()


@pytest.fixture(scope="module")
def facts(pipeline_run: PipelineRun) -> pl.DataFrame:
    return query(pipeline_run, "select * from marts.fct_indicator_month")


@pytest.fixture(scope="module")
def expected_events(pipeline_run: PipelineRun) -> pl.DataFrame:
    return recompute.event_counts(pipeline_run.paths.landing)


def assert_close(actual: pl.Series, expected: pl.Series, rel: float = 1e-9) -> None:
    both = pl.DataFrame({"a": actual, "e": expected})
    assert both.filter(pl.col("a").is_null() != pl.col("e").is_null()).height == 0
    worst = (
        both.drop_nulls()
        .select(((pl.col("a") - pl.col("e")).abs() / pl.col("e").abs().clip(lower_bound=1.0)).max())
        .item()
    )
    assert worst is None or worst < rel, worst


def test_published_file_holds_every_mart(pipeline_run: PipelineRun) -> None:
    tables = set(
        query(
            pipeline_run,
            "select table_schema || '.' || table_name as t from information_schema.tables "
            "where table_schema = 'marts'",
        )["t"]
    )
    assert tables >= PUBLISHED_MARTS


def test_the_grid_has_every_geography_at_its_levels_for_every_indicator_and_month(
    pipeline_run: PipelineRun, facts: pl.DataFrame
) -> None:
    geographies = query(
        pipeline_run, "select geo_level, count(*) as n from marts.dim_geography group by 1"
    )
    per_level = dict(geographies.iter_rows())
    months = facts["month"].n_unique()
    catalogue = recompute.seed("indicators")
    expected = sum(
        months * sum(per_level.get(level, 0) for level in levels.split(";"))
        for levels in catalogue["geo_levels"]
    )
    assert months == 18
    assert facts.height == expected
    assert set(facts["indicator_code"]) == set(catalogue["indicator_code"])
    assert facts.select(KEY).is_duplicated().sum() == 0


def test_every_event_indicator_matches_an_independent_count_from_the_landing_files(
    facts: pl.DataFrame, expected_events: pl.DataFrame
) -> None:
    expected = expected_events.filter(~pl.col("indicator_code").str.contains("#")).sort(KEY)
    actual = (
        facts.filter(pl.col("kind").is_in(["count", "ratio"]) & (pl.col("numerator") > 0))
        .select(*KEY, pl.col("numerator").alias("n"))
        .sort(KEY)
    )
    assert actual.height == expected.height
    assert actual.equals(expected.select(actual.columns))
    # and every other (complete) cell of those indicators is an explicit 0
    rest = facts.filter(pl.col("kind").is_in(["count", "ratio"]) & (pl.col("numerator") <= 0))
    assert rest["numerator"].eq(0).all()
    assert facts["is_complete"].all()


def test_clearance_rate_is_clearances_over_offences_registered_in_the_month(
    facts: pl.DataFrame, expected_events: pl.DataFrame
) -> None:
    rate = facts.filter(pl.col("indicator_code") == "clearance_rate")
    denominators = expected_events.filter(
        pl.col("indicator_code") == "clearance_rate#denominator"
    ).select("month", "geo_level", "geo_code", pl.col("n").alias("expected_denominator"))
    joined = rate.join(
        denominators, on=["month", "geo_level", "geo_code"], how="left"
    ).with_columns(pl.col("expected_denominator").fill_null(0.0))
    assert joined["denominator"].equals(joined["expected_denominator"], check_names=False)
    expected_value = pl.when(pl.col("denominator") > 0).then(
        pl.col("numerator") / pl.col("denominator") * 100
    )
    assert_close(joined["value"], joined.select(expected_value.alias("v"))["v"])
    assert rate["rate_per_1000"].is_null().all()


def test_count_rates_are_per_1000_of_the_independently_interpolated_population(
    pipeline_run: PipelineRun, facts: pl.DataFrame
) -> None:
    population = recompute.geo_population(pipeline_run.paths.landing)
    counts = facts.filter(pl.col("indicator_code") == "offences_total").join(
        population, on=["month", "geo_level", "geo_code"], how="left"
    )
    assert counts["population"].null_count() == counts["denominator"].null_count()
    assert_close(counts["denominator"], counts["population"])
    expected_rate = counts["numerator"] / counts["population"] * 1000
    assert_close(counts["rate_per_1000"], expected_rate)


def test_resource_indicators_match_the_staffing_presence_and_camera_files(
    pipeline_run: PipelineRun, facts: pl.DataFrame
) -> None:
    expected = recompute.resource_indicators(pipeline_run.paths.landing)
    actual = facts.filter(
        (pl.col("kind") == "resource") & pl.col("value").is_not_null() & (pl.col("value") != 0)
    ).select(*KEY, "value")
    joined = actual.join(expected, on=KEY, how="full", suffix="_expected", coalesce=True)
    assert joined.filter(pl.col("value").is_null() | pl.col("value_expected").is_null()).height == 0
    assert_close(joined["value"], joined["value_expected"])
    assert actual.height > 1000


def test_comparisons_match_an_independent_rolling_computation(
    facts: pl.DataFrame, expected_events: pl.DataFrame
) -> None:
    counts = facts.filter(pl.col("kind") == "count")
    series = (
        counts.select(KEY)
        .join(expected_events.rename({"n": "numerator"}), on=KEY, how="left")
        .with_columns(pl.col("numerator").fill_null(0.0))
    )
    expected = recompute.rolling_comparisons(series)
    columns = ["numerator_prev_year", "numerator_rolling_12m", "numerator_ytd"]
    joined = counts.select(*KEY, *columns).join(
        expected.select(*KEY, *columns), on=KEY, suffix="_x"
    )
    assert joined.height == counts.height
    for column in columns:
        assert joined[column].equals(joined[f"{column}_x"], check_names=False), column
    assert counts["numerator_rolling_12m"].drop_nulls().len() > 0
    z = counts.select(
        "change_z_prev_year",
        (2 * (pl.col("numerator").sqrt() - pl.col("numerator_prev_year").sqrt())).alias("z"),
    )
    assert_close(z["change_z_prev_year"], z["z"])


def test_classification_history_reproduces_the_published_list_totals(
    pipeline_run: PipelineRun,
) -> None:
    counted = query(
        pipeline_run,
        "select assessment_year as year, count(*) filter (where is_listed) as total, "
        "count(*) filter (where category = 'utsatt') as utsatt, "
        "count(*) filter (where category = 'risk') as risk, "
        "count(*) filter (where category = 'sarskilt') as sarskilt "
        "from marts.dim_area_classification group by 1 order by 1",
    )
    published = recompute.seed("list_totals").select(
        pl.col("year", "total", "utsatt", "risk", "sarskilt").cast(pl.Int64)
    )
    joined = published.join(counted, on="year", suffix="_warehouse")
    assert joined.height == 6
    for row in joined.iter_rows(named=True):
        columns = ["total", "sarskilt"] + (["utsatt", "risk"] if row["year"] >= 2017 else [])
        for column in columns:
            assert row[column] == row[f"{column}_warehouse"], (row["year"], column)
    changes = query(
        pipeline_run,
        "select area_code, assessment_year, change from marts.dim_area_classification "
        "where area_code in ('LGB001', 'USO074', 'USO010', 'LGB004') and change is not null",
    )
    change = {(r[0], r[1]): r[2] for r in changes.iter_rows()}
    assert change[("LGB001", 2025)] == "split"  # Rinkeby/Tensta split 2025
    assert change[("USO074", 2025)] == "split"  # … into Rinkeby, Tensta, Hjulsta
    assert change[("USO010", 2023)] == "downgrade"  # Seved to risk 2023
    assert change[("LGB004", 2023)] == "exit"  # Edsberg removed 2023


def test_effect_goal_status_follows_the_rules_recomputed_from_the_fact_table(
    pipeline_run: PipelineRun, facts: pl.DataFrame
) -> None:
    goals = query(pipeline_run, "select * from marts.mart_effect_goals")
    catalogue = recompute.seed("indicators").select(
        "indicator_code", (pl.col("higher_is_worse") == "true").alias("worse_up")
    )
    current = facts.select(
        "month", "geo_level", "geo_code", "indicator_code", pl.col("value_rolling_12m").alias("cur")
    )
    checked = goals.join(current, on=KEY, how="left").join(catalogue, on="indicator_code")
    months_done = (pl.col("month").dt.year() - pl.col("baseline_end").dt.year()) * 12 + (
        pl.col("month").dt.month().cast(pl.Int32) - pl.col("baseline_end").dt.month().cast(pl.Int32)
    )
    months_all = (pl.col("deadline").dt.year() - pl.col("baseline_end").dt.year()) * 12 + (
        pl.col("deadline").dt.month().cast(pl.Int32)
        - pl.col("baseline_end").dt.month().cast(pl.Int32)
    )
    met = (
        pl.when(pl.col("worse_up"))
        .then(pl.col("cur") <= pl.col("target_value"))
        .otherwise(pl.col("cur") >= pl.col("target_value"))
    )
    progress = (pl.col("cur") - pl.col("baseline_value")) / (
        pl.col("target_value") - pl.col("baseline_value")
    )
    expected_status = (
        pl.when(pl.col("cur").is_null() | pl.col("target_value").is_null())
        .then(None)
        .when(met)
        .then(pl.lit("achieved"))
        .when(pl.col("month") >= pl.col("deadline"))
        .then(pl.lit("missed"))
        .when(progress >= pl.min_horizontal(months_done / months_all, pl.lit(1.0)))
        .then(pl.lit("on_track"))
        .otherwise(pl.lit("off_track"))
    )
    checked = checked.with_columns(expected_status.alias("expected"))
    assert checked["current_value"].equals(checked["cur"], check_names=False)
    assert checked["status"].equals(checked["expected"], check_names=False)
    registry = recompute.seed("effect_goals")
    assert goals["goal_id"].n_unique() == registry.height >= 10
    assert set(goals["status"].drop_nulls()) >= {"achieved", "on_track", "off_track", "missed"}


def test_mart_resources_measures_the_goal_of_one_omradespolis_per_5000(
    pipeline_run: PipelineRun,
) -> None:
    resources = query(pipeline_run, "select * from marts.mart_resources")
    defined = resources.filter(pl.col("population") > 0)
    gap = (defined["population"] / 5000 - defined["omradespolis_fte"]).clip(lower_bound=0)
    assert_close(defined["goal_gap_fte"], gap)
    assert (defined["meets_goal"] == (defined["omradespoliser_per_5000"] >= 1)).all()
    lpo = defined.filter((pl.col("geo_level") == "lpo") & (pl.col("omradespolis_fte") > 0))
    assert 0 < lpo["meets_goal"].mean() < 1  # some LPOs with areas below the goal, some above


def test_dbts_unit_tests_pass_against_the_built_warehouse(
    pipeline_run: PipelineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The dbt unit tests (given rows → expected rows), left out of production builds."""
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(pipeline_run.paths.warehouse_db, warehouse)
    monkeypatch.setenv(WAREHOUSE_ENV, str(warehouse))
    dbt = LagesbildDbtCli(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=DBT_EXECUTABLE,
    )

    invocation = dbt.cli(
        ["test", "--select", "test_type:unit"],
        target_path=tmp_path / "target",
        raise_on_error=False,
    ).wait()

    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    assert invocation.is_successful()
    assert {r["unique_id"].split(".")[2] for r in results} == {
        "int_population__deso_month",
        "mart_effect_goals",
        "fct_indicator_month",
    }
    assert all(r["status"] == "pass" for r in results)
    assert "--exclude-resource-type" in BUILD_ARGS and "unit_test" in BUILD_ARGS
