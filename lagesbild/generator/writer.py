"""The landing-zone delivery format: `;`-separated UTF-8 CSV (no BOM), decimal comma."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

SOURCES = ("offences", "clearances", "incidents", "staffing", "presence", "cameras")


def write_delivery(frame: pl.DataFrame, path: Path) -> int:
    """Write one delivery file (empty cell for null); returns the number of rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.write_csv(
        path,
        separator=";",
        line_terminator="\n",
        null_value="",
        include_bom=False,
        quote_style="necessary",
        date_format="%Y-%m-%d",
    )
    return frame.height


def decimal_comma(values: np.ndarray, name: str) -> pl.Series:
    """Non-negative numbers as text with one decimal and a decimal comma ('12,5')."""
    tenths = np.rint(np.maximum(values, 0.0) * 10).astype(np.int64)
    whole = pl.Series(tenths // 10).cast(pl.String)
    return (whole + "," + pl.Series(tenths % 10).cast(pl.String)).alias(name)


def dates(epoch_days: np.ndarray, name: str) -> pl.Series:
    """Days since 1970-01-01 → a Date series."""
    return pl.Series(name, epoch_days.astype(np.int32)).cast(pl.Date)


def timestamps(epoch_seconds: np.ndarray, name: str) -> pl.Series:
    """Seconds since 1970-01-01 (local wall time) → 'YYYY-MM-DD HH:MM:SS' text."""
    series = pl.Series(name, epoch_seconds.astype(np.int64) * 1_000_000).cast(pl.Datetime("us"))
    return series.dt.strftime("%Y-%m-%d %H:%M:%S")


def coded_ids(prefix: str, numbers: np.ndarray, digits: int, year: int, name: str) -> pl.Series:
    """IDs like K000123456-24: prefix, zero-padded running number, '-', two-digit year."""
    padded = pl.Series(numbers.astype(np.int64)).cast(pl.String).str.zfill(digits)
    return (prefix + padded + f"-{year % 100:02d}").alias(name)
