"""Months whose suppression inputs are unchanged take their suppression from the last export."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from lagesbild.publish.suppression_reuse import SuppressionMemo

GROUPS = [(("nation", "SE"), [("region", "nord"), ("region", "syd")])]
MONTHS = (date(2026, 9, 1), date(2026, 10, 1))


def _month(month: date, syd: float) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "month": [month] * 3,
            "indicator_code": ["robbery"] * 3,
            "geo_level": ["nation", "region", "region"],
            "geo_code": ["SE", "nord", "syd"],
            "numerator": [40.0 + syd, 40.0, syd],
            "denominator": [None, None, None],
            "is_count": [True] * 3,
            "is_ratio": [False] * 3,
        },
        schema_overrides={"denominator": pl.Float64},
    )


def _suppression(rows: pl.DataFrame) -> list[str | None]:
    return ["primary" if value < 3 else None for value in rows.get_column("numerator")]


def _never() -> list[str | None]:
    raise AssertionError("this month's suppression should have been taken")


def _published(tmp_path: Path, months: list[pl.DataFrame]) -> tuple[dict, Path]:
    """An export built without a record: its record and its Parquet file."""
    memo = SuppressionMemo(None, None)
    memo.start(GROUPS, 3)
    frame = pl.concat(
        [
            rows.with_columns(memo.column(rows, lambda rows=rows: _suppression(rows)))
            for rows in months
        ]
    )
    parquet = tmp_path / "indicators_monthly.parquet"
    frame.select("month", "indicator_code", "geo_level", "geo_code", "suppression").write_parquet(
        parquet
    )
    return memo.record(), parquet


def test_an_unchanged_month_is_taken_and_a_changed_one_computed(tmp_path: Path) -> None:
    record, parquet = _published(tmp_path, [_month(MONTHS[0], 1.0), _month(MONTHS[1], 5.0)])
    assert record["computed"] == ["2026-09", "2026-10"]

    memo = SuppressionMemo(record, parquet)
    memo.start(GROUPS, 3)
    taken = memo.column(_month(MONTHS[0], 1.0), _never)
    revised = _month(MONTHS[1], 2.0)
    computed = memo.column(revised, lambda: _suppression(revised))
    new = _month(date(2026, 11, 1), 9.0)
    memo.column(new, lambda: _suppression(new))

    assert taken.to_list() == [None, None, "primary"]
    assert computed.to_list() == [None, None, "primary"]
    assert memo.record()["computed"] == ["2026-10", "2026-11"]
    assert set(memo.record()["months"]) == {"2026-09", "2026-10", "2026-11"}


@pytest.mark.parametrize(
    "change", ["another threshold", "another hierarchy", "rows missing", "a row of another place"]
)
def test_nothing_is_taken_when_anything_else_differs(tmp_path: Path, change: str) -> None:
    record, parquet = _published(tmp_path, [_month(MONTHS[0], 1.0)])
    threshold, groups = 3, GROUPS
    if change == "another threshold":
        threshold = 4
    if change == "another hierarchy":
        groups = [(("nation", "SE"), [("region", "nord")])]
    if change == "rows missing":  # the recorded fingerprint matches, the file does not
        pl.read_parquet(parquet).head(2).write_parquet(parquet)
    if change == "a row of another place":  # as many rows, one of them not the month's
        pl.read_parquet(parquet).with_columns(
            pl.col("geo_code").replace("syd", "mitt")
        ).write_parquet(parquet)

    memo = SuppressionMemo(record, parquet)
    memo.start(groups, threshold)
    rows = _month(MONTHS[0], 1.0)
    column = memo.column(rows, lambda: _suppression(rows))

    assert column.to_list() == [None, None, "primary"]
    assert memo.record()["computed"] == ["2026-09"]
