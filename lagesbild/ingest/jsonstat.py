"""Parser for SCB's PxWeb JSON-stat2 responses (file drops and the live API share it)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import polars as pl

POPULATION_DIMENSIONS = ("Region", "Alder", "Kon", "ContentsCode", "Tid")


class JsonStatError(ValueError):
    """The document is not a JSON-stat2 dataset of the expected shape."""


def _categories(dimension: Mapping[str, Any], name: str) -> list[str]:
    index = dimension.get("category", {}).get("index")
    if isinstance(index, Mapping):
        return [code for code, _ in sorted(index.items(), key=lambda item: item[1])]
    if isinstance(index, Sequence) and not isinstance(index, str):
        return list(index)
    raise JsonStatError(f"dimension {name!r} has no category index")


def parse_jsonstat2(document: str | bytes | Mapping[str, Any]) -> pl.DataFrame:
    """A JSON-stat2 dataset → one row per cell: a column per dimension (codes) and `value`.

    Values are laid out row-major over `id` (the last dimension varies fastest).
    """
    try:
        data = json.loads(document) if isinstance(document, str | bytes) else document
    except ValueError as error:
        raise JsonStatError(f"not JSON: {error}") from None
    if (
        not isinstance(data, Mapping)
        or data.get("class") != "dataset"
        or not str(data.get("version", "")).startswith("2")
    ):
        raise JsonStatError("not a JSON-stat 2.0 dataset (expected class 'dataset', version 2.0)")
    ids: list[str] = list(data.get("id", []))
    sizes: list[int] = list(data.get("size", []))
    if not ids or len(ids) != len(sizes):
        raise JsonStatError("'id' and 'size' are missing or of different lengths")
    categories = [_categories(data["dimension"][name], name) for name in ids]
    for name, size, codes in zip(ids, sizes, categories, strict=True):
        if len(codes) != size:
            raise JsonStatError(f"dimension {name!r}: size {size} but {len(codes)} categories")
    values = data.get("value")
    if isinstance(values, Mapping):  # sparse form: {"index": value}
        dense: list[float | None] = [None] * math.prod(sizes)
        for position, value in values.items():
            dense[int(position)] = value
        values = dense
    if not isinstance(values, list) or len(values) != math.prod(sizes):
        raise JsonStatError(f"'value' must hold {math.prod(sizes)} cells (product of 'size')")
    columns: dict[str, np.ndarray] = {}
    cells_after = math.prod(sizes)
    cells_before = 1
    for name, codes in zip(ids, categories, strict=True):
        cells_after //= len(codes)
        columns[name] = np.tile(np.repeat(np.array(codes, dtype=object), cells_after), cells_before)
        cells_before *= len(codes)
    frame = pl.DataFrame(
        {name: pl.Series(name, cells, dtype=pl.Utf8) for name, cells in columns.items()}
    )
    return frame.with_columns(pl.Series("value", values, dtype=pl.Float64))


def population_rows(document: str | bytes | Mapping[str, Any]) -> pl.DataFrame:
    """Population per DeSO, age group, sex and year from a FolkmDesoAldKon-shaped dataset."""
    frame = parse_jsonstat2(document)
    missing = [name for name in POPULATION_DIMENSIONS if name not in frame.columns]
    if missing:
        raise JsonStatError(f"population dataset lacks dimension(s) {missing}")
    if frame["value"].is_null().any():
        raise JsonStatError("population dataset has empty cells")
    if (frame["value"] < 0).any():
        raise JsonStatError("population dataset has negative values")
    return frame.select(
        pl.col("Tid").cast(pl.Int32).alias("year"),
        pl.col("Region").alias("deso_code"),
        pl.col("Alder").alias("age_group"),
        pl.col("Kon").alias("sex"),
        pl.col("value").round(0).cast(pl.Int32).alias("population"),
    )
