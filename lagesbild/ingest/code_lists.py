"""Code lists the contracts check against: reference seeds plus the delivered geography."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl

from lagesbild.settings import SEEDS_DIR

SEED_CODE_LISTS = {
    "municipality": ("municipalities.csv", "municipality_code"),
    "offence_code": ("offence_codes.csv", "offence_code"),
    "lpo": ("local_police_areas.csv", "lpo_code"),
    "area": ("areas.csv", "area_code"),
}


def seed_code_lists(seeds_dir: Path = SEEDS_DIR) -> dict[str, frozenset[str]]:
    lists: dict[str, frozenset[str]] = {}
    for name, (file_name, column) in SEED_CODE_LISTS.items():
        frame = pl.read_csv(seeds_dir / file_name, infer_schema=False, columns=[column])
        lists[name] = frozenset(frame[column].to_list())
    return lists


def delivered_deso_codes(conn: duckdb.DuckDBPyConnection) -> frozenset[str]:
    rows = conn.execute("select deso_code from raw.geography_deso").fetchall()
    return frozenset(row[0] for row in rows)


def load_code_lists(conn: duckdb.DuckDBPyConnection) -> dict[str, frozenset[str]]:
    """Every code list; `deso` only once a geography has been delivered."""
    lists = seed_code_lists()
    deso = delivered_deso_codes(conn)
    if deso:
        lists["deso"] = deso
    return lists
