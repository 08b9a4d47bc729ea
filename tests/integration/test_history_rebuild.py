"""fct_indicator_month rebuilds from the run's first month (or the first month whose inputs
changed) to the last — and every month by itself when an input without months, the indicator
counts' fingerprint or its own SQL changed (dbt_project/macros/history_rebuild.sql).

Real dbt on a copy of the session's warehouse; every incremental table is compared with a
`--full-refresh` build of the same inputs, all columns (the comparisons over 12 and 24 months
included), doubles to 6 decimals. A marker in the first month shows whether it was rebuilt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from lagesbild.settings import DBT_PROJECT_DIR
from tests.conftest import PipelineRun
from tests.integration.test_window_rebuild import Row, Warehouse, full_refresh_rows

pytestmark = pytest.mark.integration

MODEL = "fct_indicator_month"
MONTH_INPUTS = {
    "dim_month": "marts.dim_month",
    "int_resources__geo_month": "intermediate.int_resources__geo_month",
    "int_population__geo_month": "intermediate.int_population__geo_month",
    "stg_deliveries__months": "staging.stg_deliveries__months",
}
MARKER = 1_000_000.0
"""Added to the first month's numerators: survives only if that month is not rebuilt."""
DOUBLES = [
    "numerator",
    "denominator",
    "value",
    "rate_per_1000",
    "numerator_prev_year",
    "value_prev_year",
    "rate_per_1000_prev_year",
    "change_z_prev_year",
    "numerator_rolling_12m",
    "rate_per_1000_rolling_12m",
    "value_rolling_12m",
    "value_rolling_12m_prev_year",
    "numerator_ytd",
    "numerator_ytd_prev_year",
]


class FactWarehouse(Warehouse):
    model = MODEL
    schema = "marts"
    compared = ", ".join(
        [
            "month, geo_level, geo_code, indicator_code, kind, is_complete, is_small_number",
            "is_population_extrapolated",
            *(f"round({column}, 6)" for column in DOUBLES),
        ]
    )


@pytest.fixture
def warehouse(
    pipeline_run: PipelineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dbt_slots: Path
) -> FactWarehouse:
    return FactWarehouse(pipeline_run.paths.warehouse_db, tmp_path, monkeypatch, dbt_slots / "main")


def mark_first_month(warehouse: Warehouse) -> str:
    """Adds MARKER to the numerators of the first month of a table with a `numerator` column."""
    first = warehouse.months()[0]
    warehouse.sql(
        f"update {warehouse.table} set numerator = numerator + {MARKER} where month = '{first}'"
    )
    return first


def marked(rows: list[Row]) -> bool:
    """The rows carry the marker (compared rows whose ninth value is the numerator)."""
    return any(row[8] is not None and row[8] >= MARKER for row in rows)


def test_a_run_rebuilds_from_its_month_and_equals_a_full_rebuild(
    warehouse: FactWarehouse, tmp_path: Path
) -> None:
    last = warehouse.months()[-1]
    first = mark_first_month(warehouse)

    log = warehouse.build(last)

    assert f"code unchanged, rebuilding from {last}" in log
    assert marked(warehouse.rows(f"month = '{first}'"))  # not rebuilt
    full = full_refresh_rows(warehouse, tmp_path)
    assert not marked(full)
    assert [row for row in full if str(row[0]) != first] == warehouse.rows(f"month <> '{first}'")


def test_a_revised_earlier_month_rebuilds_from_that_month(
    warehouse: FactWarehouse, tmp_path: Path
) -> None:
    months = warehouse.months()
    revised, last = months[2], months[-1]
    before = warehouse.rows(f"month = '{revised}'")
    # a revised population figure two months into the history, the run's window is the last
    warehouse.sql(
        "update intermediate.int_population__geo_month set population = population + 100"
        f" where month = '{revised}'"
    )
    first = mark_first_month(warehouse)

    log = warehouse.build(last)

    assert f"code unchanged, rebuilding from {revised}" in log
    assert marked(warehouse.rows(f"month = '{first}'"))
    assert warehouse.rows(f"month = '{revised}'") != before  # the new denominators
    full = full_refresh_rows(warehouse, tmp_path)
    assert [row for row in full if str(row[0]) != first] == warehouse.rows(f"month <> '{first}'")


@pytest.mark.parametrize(
    "change",
    ["a geography", "the indicator counts' fingerprint", "the model's SQL"],
)
def test_changed_inputs_or_code_rebuild_every_month_by_themselves(
    warehouse: FactWarehouse, tmp_path: Path, change: str
) -> None:
    changes: dict[str, Callable[[], object]] = {
        "a geography": lambda: warehouse.sql(
            "delete from marts.dim_geography where geo_code = (select min(geo_code)"
            " from marts.dim_geography where geo_level = 'area')"
        ),
        # what the counts record when they rebuilt every month (e.g. a revised DeSO list)
        "the indicator counts' fingerprint": lambda: warehouse.sql(
            "comment on table intermediate.int_indicators__counts_geo_month is '{}'"
        ),
        # what a build by an earlier version of the model file recorded
        "the model's SQL": lambda: warehouse.sql(
            f"comment on table {warehouse.table} is '"
            + json.dumps({**warehouse.recorded(), "model_sha256": "0" * 64}, sort_keys=True)
            + "'"
        ),
    }
    last = warehouse.months()[-1]
    changes[change]()
    first = mark_first_month(warehouse)

    log = warehouse.build(last)

    assert "changed inputs/code: rebuilding every month" in log
    assert not marked(warehouse.rows(f"month = '{first}'"))
    assert warehouse.rows() == full_refresh_rows(warehouse, tmp_path)
    # the next run, with nothing changed, is incremental again
    assert f"rebuilding from {last}" in warehouse.build(last)


def test_the_recorded_fingerprint_names_the_model_file_and_every_input(
    warehouse: FactWarehouse,
) -> None:
    recorded = warehouse.recorded()
    model_text = (DBT_PROJECT_DIR / "models" / "marts" / f"{MODEL}.sql").read_text(encoding="utf-8")
    assert recorded["model_sha256"] == hashlib.sha256(model_text.strip().encode()).hexdigest()
    assert set(recorded["inputs"]) == {"dim_geography", "indicators"}
    (counts_comment,) = warehouse.sql(
        "select comment from duckdb_tables() where table_name = 'int_indicators__counts_geo_month'"
    )[0]
    assert recorded["recorded_inputs"] == {"int_indicators__counts_geo_month": counts_comment}
    assert set(recorded["months"]) == set(MONTH_INPUTS)
    for name, table in MONTH_INPUTS.items():
        per_month = {
            (str(month) if month is not None else "without month"): count
            for month, count in warehouse.sql(f"select month, count(*) from {table} group by 1")
        }
        assert {
            month: int(value.split(":")[0]) for month, value in recorded["months"][name].items()
        } == per_month
