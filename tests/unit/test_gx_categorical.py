"""Repetitive text columns reach GX as pandas categoricals, with the same outcomes as text."""

import polars as pl
import pytest

from lagesbild.quality.gx_runner import ROW_LABEL, as_batch, categorical_columns, validate

ROWS = 12_000
LEVELS = ("nation", "region", "municipality", "area")

SUITE = {
    "name": "marts.categorical_probe",
    "expectations": [
        {
            "type": "expect_column_values_to_not_be_null",
            "kwargs": {"column": "geo_code"},
            "meta": {"batch": "rows", "description": "every row names its place"},
        },
        {
            "type": "expect_column_values_to_be_in_set",
            "kwargs": {"column": "geo_level", "value_set": list(LEVELS)},
            "meta": {"batch": "rows", "description": "known levels"},
        },
        {
            "type": "expect_compound_columns_to_be_unique",
            "kwargs": {"column_list": ["month", "geo_level", "geo_code"]},
            "meta": {"batch": "rows", "description": "one row per month and place"},
        },
        {
            "type": "expect_column_values_to_match_regex",
            "kwargs": {"column": "month", "regex": r"^20\d\d-\d\d$"},
            "meta": {"batch": "rows", "description": "months as YYYY-MM"},
        },
        {
            "type": "expect_column_values_to_be_between",
            "kwargs": {"column": "value", "min_value": 0, "max_value": 100},
            "meta": {"batch": "rows", "description": "values within 0..100"},
        },
    ],
}


def _frame(*, broken: bool) -> pl.DataFrame:
    months = [f"20{20 + i % 5}-{1 + i % 12:02d}" for i in range(ROWS)]
    levels = [LEVELS[i % 4] for i in range(ROWS)]
    codes = [f"{i // 20 % 400:04d}" for i in range(ROWS)]
    values = [float(i % 90) for i in range(ROWS)]
    if broken:
        levels[7] = "county"  # not a level
        codes[11] = None  # no place
        months[13] = "2024/05"  # not YYYY-MM
        months[14], levels[14], codes[14] = months[15], levels[15], codes[15]  # a duplicate
        values[16] = 101.0
    frame = pl.DataFrame({"month": months, "geo_level": levels, "geo_code": codes, "value": values})
    return frame.with_columns(
        (
            pl.col("month") + " " + pl.col("geo_level") + ":" + pl.col("geo_code").fill_null("?")
        ).alias(ROW_LABEL)
    )


def _summaries(frame: pl.DataFrame, categorical: bool) -> list[dict]:
    batch = as_batch(frame, SUITE, "rows") if categorical else as_batch(frame)
    return [outcome.as_dict() for outcome in validate(SUITE, "rows", batch, {})]


def test_only_repetitive_columns_of_equality_rules_become_categorical() -> None:
    frame = _frame(broken=False)

    # month: a regex reads it as text; the row label: unique per row; value: not text
    assert categorical_columns(SUITE, "rows", frame) == ["geo_level", "geo_code"]
    assert categorical_columns(SUITE, "rows", frame.head(100)) == []  # too small to gain
    batch = as_batch(frame, SUITE, "rows")
    assert str(batch.frame["geo_level"].dtype) == "category"
    assert str(batch.frame["month"].dtype) != "category"


@pytest.mark.parametrize("broken", [False, True], ids=["passing", "failing"])
def test_outcomes_counts_and_samples_are_those_of_text_columns(broken: bool) -> None:
    frame = _frame(broken=broken)

    assert categorical_columns(SUITE, "rows", frame) == ["geo_level", "geo_code"]
    as_text = _summaries(frame, categorical=False)
    as_categories = _summaries(frame, categorical=True)

    assert as_categories == as_text
    failed = {o["expectation"]: o for o in as_categories if not o["success"]}
    if not broken:
        assert failed == {}
        return
    assert set(failed) == set(o["type"] for o in SUITE["expectations"])
    assert failed["expect_column_values_to_be_in_set"]["unexpected_count"] == 1
    assert failed["expect_column_values_to_be_in_set"]["samples"] == [
        "2022-08 county:0000 (geo_level=county)"
    ]
    assert failed["expect_column_values_to_not_be_null"]["unexpected_count"] == 1
    assert failed["expect_compound_columns_to_be_unique"]["unexpected_count"] == 2
