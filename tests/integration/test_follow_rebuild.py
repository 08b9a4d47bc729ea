"""mart_municipality_problem_picture rebuilds the months fct_indicator_month rebuilt — and every
month when the fact table's record cannot vouch for them, or the geography or its own SQL changed
(dbt_project/macros/follow_rebuild.sql).

Real dbt on a copy of the session's warehouse; the incremental mart is compared with a
`--full-refresh` build of the mart from the same fact table, all columns, doubles to 6 decimals.
A marker in the mart's first month (its numerators + 1 000 000) shows whether that month was
rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lagesbild.settings import DBT_PROJECT_DIR
from tests.conftest import PipelineRun
from tests.integration.test_history_rebuild import mark_first_month, marked
from tests.integration.test_window_rebuild import Warehouse, full_refresh_rows

pytestmark = pytest.mark.integration

MODEL = "mart_municipality_problem_picture"
FOLLOWED = "fct_indicator_month"
BOTH = f"{FOLLOWED} {MODEL}"
DOUBLES = [
    "numerator",
    "value",
    "rate_per_1000",
    "numerator_rolling_12m",
    "comparison_value_12m",
    "region_comparison_value_12m",
    "national_comparison_value_12m",
    "index_vs_nation",
    "change_z_prev_year",
]


class MartWarehouse(Warehouse):
    model = MODEL
    schema = "marts"
    compared = ", ".join(
        [
            "month, municipality_code, municipality_name, region, indicator_code, kind",
            "is_complete, is_small_number",
            *(f"round({column}, 6)" for column in DOUBLES),
        ]
    )

    def recorded_build(self) -> dict[str, object]:
        (comment,) = self.sql(
            f"select comment from duckdb_tables() where table_name = '{FOLLOWED}'"
        )[0]
        return json.loads(comment)["build"]


@pytest.fixture
def warehouse(
    pipeline_run: PipelineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dbt_slots: Path
) -> MartWarehouse:
    return MartWarehouse(pipeline_run.paths.warehouse_db, tmp_path, monkeypatch, dbt_slots / "main")


def assert_equals_full_rebuild_outside(warehouse: MartWarehouse, tmp_path: Path, month: str):
    full = full_refresh_rows(warehouse, tmp_path)
    assert not marked(full)
    assert [row for row in full if str(row[0]) != month] == warehouse.rows(f"month <> '{month}'")


def test_a_run_rebuilds_the_months_the_fact_table_rebuilt(
    warehouse: MartWarehouse, tmp_path: Path
) -> None:
    last = warehouse.months()[-1]
    first = mark_first_month(warehouse)
    built_from = warehouse.recorded()["followed_build"]

    log = warehouse.build(last, select=BOTH)

    assert f"{FOLLOWED}: inputs before {last} and code unchanged, rebuilding from {last}" in log
    assert f"{MODEL}: inputs and code unchanged, rebuilding from {last}" in log
    build = warehouse.recorded_build()
    assert build["previous_id"] == built_from and build["rebuilt_from"] == last
    assert warehouse.recorded()["followed_build"] == build["id"]
    assert marked(warehouse.rows(f"month = '{first}'"))  # not rebuilt
    assert_equals_full_rebuild_outside(warehouse, tmp_path, first)
    # the mart alone, the fact table not built since: the run's month only, the same record
    recorded = warehouse.recorded()
    log = warehouse.build(last)
    assert f"{MODEL}: inputs and code unchanged, rebuilding from {last}" in log
    assert warehouse.recorded() == recorded
    assert marked(warehouse.rows(f"month = '{first}'"))


def test_a_revised_earlier_month_rebuilds_from_that_month(
    warehouse: MartWarehouse, tmp_path: Path
) -> None:
    months = warehouse.months()
    revised, last = months[2], months[-1]
    before = warehouse.rows(f"month = '{revised}'")
    # a revised population two months into the history: the fact table rebuilds from there
    warehouse.sql(
        "update intermediate.int_population__geo_month set population = population + 100"
        f" where month = '{revised}'"
    )
    first = mark_first_month(warehouse)

    log = warehouse.build(last, select=BOTH)

    assert f"{MODEL}: inputs and code unchanged, rebuilding from {revised}" in log
    assert warehouse.recorded_build()["rebuilt_from"] == revised
    assert marked(warehouse.rows(f"month = '{first}'"))
    assert warehouse.rows(f"month = '{revised}'") != before  # the new rates
    assert_equals_full_rebuild_outside(warehouse, tmp_path, first)


@pytest.mark.parametrize(
    "change",
    [
        "the fact table built twice since",
        "the fact table rebuilt in full",
        "a geography",
        "the model's SQL",
    ],
)
def test_what_the_record_cannot_vouch_for_rebuilds_every_month(
    warehouse: MartWarehouse, tmp_path: Path, change: str
) -> None:
    months = warehouse.months()
    last = months[-1]
    changes: dict[str, Callable[[], object]] = {
        # the build in between changed an earlier month the mart never saw
        "the fact table built twice since": lambda: (
            warehouse.sql(
                "update intermediate.int_population__geo_month set population = population + 100"
                f" where month = '{months[1]}'"
            ),
            warehouse.build(months[1], select=FOLLOWED),
            warehouse.build(last, select=FOLLOWED),
        ),
        "the fact table rebuilt in full": lambda: warehouse.build(
            None, select=FOLLOWED, full_refresh=True
        ),
        "a geography": lambda: warehouse.sql(
            "update marts.dim_geography set name = name || ' (renamed)' where geo_code ="
            " (select min(geo_code) from marts.dim_geography where geo_level = 'municipality')"
        ),
        # what a build by an earlier version of the model file recorded
        "the model's SQL": lambda: warehouse.sql(
            f"comment on table {warehouse.table} is '"
            + json.dumps({**warehouse.recorded(), "model_sha256": "0" * 64}, sort_keys=True)
            + "'"
        ),
    }
    changes[change]()
    first = mark_first_month(warehouse)

    log = warehouse.build(last)

    assert f"{MODEL}: first build, full refresh, no run window, changed inputs/code" in log
    assert not marked(warehouse.rows(f"month = '{first}'"))
    assert warehouse.rows() == full_refresh_rows(warehouse, tmp_path)
    if change == "a geography":
        assert any("(renamed)" in str(row[2]) for row in warehouse.rows(f"month = '{first}'"))
        # the next run, with nothing changed, rebuilds its month only
        log = warehouse.build(last)
        assert f"{MODEL}: inputs and code unchanged, rebuilding from {last}" in log


def test_the_recorded_fingerprint_names_the_model_file_its_input_and_the_fact_build(
    warehouse: MartWarehouse,
) -> None:
    recorded = warehouse.recorded()
    model_text = (DBT_PROJECT_DIR / "models" / "marts" / f"{MODEL}.sql").read_text(encoding="utf-8")
    assert recorded["model_sha256"] == hashlib.sha256(model_text.strip().encode()).hexdigest()
    assert set(recorded["inputs"]) == {"dim_geography"}
    assert recorded["followed_build"] == warehouse.recorded_build()["id"]
