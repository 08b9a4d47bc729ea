"""Load the reference seeds (dbt_project/seeds/*.csv) the generator builds on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl

SEED_DIR = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
CATEGORY_CODES = {"": 0, "utsatt": 1, "risk": 2, "sarskilt": 3}


@dataclass(frozen=True)
class Area:
    """One row of the `areas` seed."""

    code: str
    name: str
    municipality: str
    region: str
    lpo: str
    is_composite: bool
    categories: dict[int, int]  # assessment year → category code (0 = not listed)
    parent: str | None  # the composite this atomic area was part of, if any


@dataclass(frozen=True)
class Seeds:
    """The seeds the generator needs, as plain Python structures."""

    municipalities: list[dict[str, str]]
    lpo_shares: list[tuple[str, str, float]]  # (lpo_code, municipality_code, share)
    areas: list[Area]
    lists: list[tuple[int, dt.date]]  # (assessment year, in force from), by date
    offence_codes: list[tuple[str, str]]  # (offence_code, category)
    calibration: dict[tuple[str, int], float]  # (measure, year) → value

    @property
    def atomic_areas(self) -> list[Area]:
        """Areas that are not composites (the ones that own DeSOs)."""
        return [area for area in self.areas if not area.is_composite]

    def area_by_code(self) -> dict[str, Area]:
        """Areas by area_code."""
        return {area.code: area for area in self.areas}


def _read(seed_dir: Path, name: str) -> pl.DataFrame:
    frame = pl.read_csv(seed_dir / f"{name}.csv", infer_schema=False)
    return frame.with_columns(pl.all().fill_null(""))


def _areas(seed_dir: Path) -> list[Area]:
    frame = _read(seed_dir, "areas")
    parents = {
        row["part_area_code"]: row["area_code"]
        for row in _read(seed_dir, "area_parts").iter_rows(named=True)
    }
    years = sorted(int(column[4:]) for column in frame.columns if column.startswith("cat_"))
    return [
        Area(
            code=row["area_code"],
            name=row["area_name"],
            municipality=row["municipality_code"],
            region=row["region_slug"],
            lpo=row["lpo_code"],
            is_composite=row["is_composite"] == "true",
            categories={year: CATEGORY_CODES[row[f"cat_{year}"]] for year in years},
            parent=parents.get(row["area_code"]),
        )
        for row in frame.iter_rows(named=True)
    ]


def _calibration(seed_dir: Path) -> dict[tuple[str, int], float]:
    values: dict[tuple[str, int], float] = {}
    for row in _read(seed_dir, "calibration").iter_rows(named=True):
        values.setdefault((row["measure"], int(row["year"])), float(row["value"]))
    return values


def load_seeds(seed_dir: Path = SEED_DIR) -> Seeds:
    """Read the seed CSVs the generator uses."""
    lists = sorted(
        (int(row["assessment_year"]), dt.date.fromisoformat(row["in_force_from"]))
        for row in _read(seed_dir, "classification_lists").iter_rows(named=True)
    )
    return Seeds(
        municipalities=list(_read(seed_dir, "municipalities").iter_rows(named=True)),
        lpo_shares=[
            (row["lpo_code"], row["municipality_code"], float(row["population_share"]))
            for row in _read(seed_dir, "lpo_municipalities").iter_rows(named=True)
        ],
        areas=_areas(seed_dir),
        lists=lists,
        offence_codes=[
            (row["offence_code"], row["category"])
            for row in _read(seed_dir, "offence_codes").iter_rows(named=True)
        ],
        calibration=_calibration(seed_dir),
    )


def yearly_target(
    calibration: dict[tuple[str, int], float], measure: str, year: int, after_last: float = 1.0
) -> float:
    """A calibration measure for a year: the value, else interpolated between known years,
    else the nearest known year (times `after_last` per year beyond the last one)."""
    known = sorted(y for m, y in calibration if m == measure)
    if not known:
        raise KeyError(f"calibration has no measure {measure!r}")
    if (measure, year) in calibration:
        return calibration[(measure, year)]
    if year < known[0]:
        return calibration[(measure, known[0])]
    if year > known[-1]:
        return calibration[(measure, known[-1])] * after_last ** (year - known[-1])
    before = max(y for y in known if y < year)
    after = min(y for y in known if y > year)
    weight = (year - before) / (after - before)
    low, high = calibration[(measure, before)], calibration[(measure, after)]
    return low + weight * (high - low)
