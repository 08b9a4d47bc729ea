"""Long monthly marts → dense (series × months) arrays, one series per geography × indicator."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

SERIES_KEY = ["geo_level", "geo_code", "indicator_code"]


@dataclass(frozen=True)
class SeriesArrays:
    keys: pl.DataFrame
    """One row per series (SERIES_KEY), in array order."""
    months: list[date]
    counts: np.ndarray
    """Numerator; NaN where the month is missing or not complete (missing is not zero)."""
    population: np.ndarray
    value: np.ndarray

    @property
    def month_numbers(self) -> np.ndarray:
        return np.array([month.month for month in self.months])


def to_arrays(monthly: pl.DataFrame, months: list[date]) -> SeriesArrays:
    keys = monthly.select(SERIES_KEY).unique().sort(SERIES_KEY).with_row_index("sid")
    month_index = pl.DataFrame(
        {"month": months, "tid": np.arange(len(months), dtype=np.uint32)},
        schema={"month": pl.Date, "tid": pl.UInt32},
    )
    frame = monthly.join(keys, on=SERIES_KEY).join(month_index, on="month")
    shape = (keys.height, len(months))
    sid = frame["sid"].to_numpy()
    tid = frame["tid"].to_numpy()
    complete = frame["is_complete"].fill_null(False).to_numpy()

    def dense(column: str, only_complete: bool) -> np.ndarray:
        out = np.full(shape, np.nan)
        values = frame[column].cast(pl.Float64).fill_null(np.nan).to_numpy()
        if only_complete:
            values = np.where(complete, values, np.nan)
        out[sid, tid] = values
        return out

    return SeriesArrays(
        keys.drop("sid"),
        months,
        dense("numerator", True),
        dense("denominator", False),
        dense("value", True),
    )
