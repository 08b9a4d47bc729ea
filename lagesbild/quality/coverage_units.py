"""The units a delivery is checked for: the geography hierarchy, names and the area list in force.

Read from the committed reference seeds (`dbt_project/seeds/`, the same files the ingest
contracts check codes against) and the delivered DeSO geography in `raw.geography_deso`, so
the check needs no dbt model: it runs on the raw tables before dbt builds anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from lagesbild.settings import SEEDS_DIR

LEVELS = ("nation", "region", "county", "municipality", "lpo", "area")
"""Every unit level an event source is counted at, from the largest to the smallest."""
LEVEL_SV = {
    "nation": "riket",
    "region": "region",
    "county": "län",
    "municipality": "kommun",
    "lpo": "LPO",
    "area": "område",
}
CATEGORY_COLUMN = "cat_{year}"


def _read(seeds_dir: Path, name: str) -> pl.DataFrame:
    return pl.read_csv(seeds_dir / f"{name}.csv", infer_schema=False)


def municipality_hierarchy(seeds_dir: Path = SEEDS_DIR) -> pl.DataFrame:
    """municipality_code → county_code, region_slug (seed municipalities)."""
    return _read(seeds_dir, "municipalities").select(
        "municipality_code", "county_code", "region_slug"
    )


@cache
def unit_names(seeds_dir: Path = SEEDS_DIR) -> dict[tuple[str, str], str]:
    """(level, code) → display name, for messages."""
    names: dict[tuple[str, str], str] = {("nation", "SE"): "Sverige"}
    for level, seed, code, name in (
        ("region", "police_regions", "region_slug", "region_name"),
        ("county", "counties", "county_code", "county_name"),
        ("municipality", "municipalities", "municipality_code", "municipality_name"),
        ("lpo", "local_police_areas", "lpo_code", "lpo_name"),
        ("area", "areas", "area_code", "area_name"),
    ):
        frame = _read(seeds_dir, seed)
        names |= {(level, c): n for c, n in zip(frame[code], frame[name], strict=True)}
    return names


@dataclass(frozen=True)
class AreaList:
    """The police's list of vulnerable areas by assessment year, and when each came into force."""

    in_force: list[tuple[date, int]]
    """(in force from, assessment year), by date."""
    categories: dict[str, dict[int, str]]
    """area_code → assessment year → category (absent or empty: not listed)."""
    composite_of: dict[str, str]
    """atomic part → the composite area it was listed as before it was split."""

    def assessment_year(self, month: date) -> int | None:
        """The list in force in `month` (None before the first list)."""
        years = [year for start, year in self.in_force if start <= month]
        return years[-1] if years else None

    def listed(self, month: date) -> set[str]:
        """Every area on the list in force in `month`; a part is listed with its composite."""
        year = self.assessment_year(month)
        if year is None:
            return set()
        listed = {code for code, cats in self.categories.items() if cats.get(year)}
        parts = {part for part, composite in self.composite_of.items() if composite in listed}
        return listed | parts


def area_list(seeds_dir: Path = SEEDS_DIR) -> AreaList:
    lists = _read(seeds_dir, "classification_lists")
    in_force = sorted(
        (date.fromisoformat(start), int(year))
        for start, year in zip(lists["in_force_from"], lists["assessment_year"], strict=True)
    )
    areas = _read(seeds_dir, "areas")
    categories = {
        row["area_code"]: {
            year: row[CATEGORY_COLUMN.format(year=year)]
            for _, year in in_force
            if row.get(CATEGORY_COLUMN.format(year=year))
        }
        for row in areas.iter_rows(named=True)
    }
    parts = _read(seeds_dir, "area_parts")
    composite_of = dict(zip(parts["part_area_code"], parts["area_code"], strict=True))
    return AreaList(in_force, categories, composite_of)


def geography_units(conn: duckdb.DuckDBPyConnection) -> dict[str, set[str]]:
    """The LPOs and areas the delivered DeSO geography has (a unit without a DeSO has ceased)."""
    rows = conn.execute("select distinct lpo_code, area_code from raw.geography_deso").fetchall()
    return {
        "lpo": {lpo for lpo, _ in rows if lpo},
        "area": {area for _, area in rows if area},
    }
