"""Build the reference seeds in dbt_project/seeds/ from the compiled facts in ../shared/reference.

    python -m lagesbild.reference.build_seeds [--reference-dir DIR] [--out-dir DIR]

Deterministic: the same reference files give byte-identical seeds. Facts are copied; where the
reference is partial (local police areas, their municipalities, the LPO of removed areas) the
gaps are filled with generated entries that are flagged (`is_synthetic`, `lpo_is_inferred`).
"""

from __future__ import annotations

import argparse
import shutil
from collections.abc import Sequence
from pathlib import Path

from lagesbild.reference.administrative import (
    OFFENCE_CODES,
    build_classification_lists,
    build_counties,
    build_municipalities,
    build_regions,
)
from lagesbild.reference.areas import build_area_parts, build_areas, geojson_ids
from lagesbild.reference.csv_io import read_csv, write_csv
from lagesbild.reference.facts import ASSESSMENT_YEARS, SHARE_DECIMALS, Lpo
from lagesbild.reference.lpos import build_lpos, lpo_municipality_rows, lpo_rows_out

REPO_ROOT = Path(__file__).resolve().parents[2]


DEFAULT_REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"


DEFAULT_OUT_DIR = REPO_ROOT / "dbt_project" / "seeds"
PACKAGE_DATA_DIR = Path(__file__).resolve().parent / "data"
"""Reference files shipped unchanged with the package (see data/SOURCES.md)."""
PACKAGE_DATA_FILES = ("police_areas_2025.geojson",)


def check_consistency(area_rows: list[list], lpos: list[Lpo], n_municipalities: int) -> None:
    """Every municipality fully shared out; every area's LPO covers its municipality."""
    totals: dict[str, float] = {}
    for lpo in lpos:
        for muni, share in lpo.shares:
            totals[muni] = totals.get(muni, 0.0) + round(share, SHARE_DECIMALS)
    if len(totals) != n_municipalities:
        raise ValueError(f"{n_municipalities - len(totals)} municipalities have no LPO")
    wrong = {muni: total for muni, total in totals.items() if abs(total - 1.0) > 1e-9}
    if wrong:
        raise ValueError(f"LPO shares do not sum to 1: {wrong}")
    cover = {(lpo.code, muni) for lpo in lpos for muni, _ in lpo.shares}
    for row in area_rows:
        if (row[4], row[2]) not in cover:
            raise ValueError(f"area {row[1]}: LPO {row[4]} does not cover {row[2]}")
    if not 90 <= len(lpos) <= 98:
        raise ValueError(f"{len(lpos)} LPOs; expected 90–98")


SEED_HEADERS = {
    "police_regions": ("region_slug", "region_name", "region_code", "county_codes"),
    "counties": ("county_code", "county_name", "region_slug"),
    "municipalities": (
        "municipality_code",
        "municipality_name",
        "county_code",
        "region_slug",
        "population_2024",
        "population_approx_2025",
    ),
    "local_police_areas": (
        "lpo_code",
        "lpo_name",
        "region_slug",
        "polisomrade_name",
        "polisomrade_code",
        "is_synthetic",
        "note",
    ),
    "lpo_municipalities": ("lpo_code", "municipality_code", "population_share", "is_synthetic"),
    "areas": (
        "area_code",
        "area_name",
        "municipality_code",
        "region_slug",
        "lpo_code",
        "police_area_id",
        "is_composite",
        *(f"cat_{year}" for year in ASSESSMENT_YEARS),
        "other_names",
        "lpo_is_inferred",
        "notes",
    ),
    "area_parts": ("area_code", "part_area_code"),
    "classification_lists": ("assessment_year", "published_month", "in_force_from"),
    "offence_codes": ("offence_code", "name_sv", "name_en", "category"),
}


COPIED = ("list_totals", "calibration", "facts")


def build_seeds(reference_dir: Path, out_dir: Path) -> dict[str, int]:
    """Write every seed; returns {seed name: number of data rows}."""
    municipalities = read_csv(reference_dir / "municipalities.csv")
    areas = read_csv(reference_dir / "areas.csv")
    lpos = build_lpos(read_csv(reference_dir / "local_police_areas.csv"), municipalities, areas)
    area_rows = build_areas(areas, geojson_ids(reference_dir / "police_areas_2025.geojson"), lpos)
    check_consistency(area_rows, lpos, len(municipalities))
    tables: dict[str, list] = {
        "police_regions": build_regions(read_csv(reference_dir / "police_regions.csv")),
        "counties": build_counties(municipalities),
        "municipalities": build_municipalities(municipalities),
        "local_police_areas": lpo_rows_out(lpos),
        "lpo_municipalities": lpo_municipality_rows(lpos),
        "areas": area_rows,
        "area_parts": build_area_parts(area_rows),
        "classification_lists": build_classification_lists(
            read_csv(reference_dir / "list_totals.csv")
        ),
        "offence_codes": [list(row) for row in OFFENCE_CODES],
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = {
        name: write_csv(out_dir / f"{name}.csv", SEED_HEADERS[name], rows)
        for name, rows in tables.items()
    }
    for name in COPIED:
        source = reference_dir / f"{name}.csv"
        source.read_text(encoding="utf-8")  # must be UTF-8
        shutil.copyfile(source, out_dir / f"{name}.csv")
        counts[name] = len(read_csv(source))
    return counts


def copy_package_data(reference_dir: Path, out_dir: Path = PACKAGE_DATA_DIR) -> list[Path]:
    """Copy the reference files the package ships unchanged (the 2025 area polygons)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    return [
        Path(shutil.copyfile(reference_dir / name, out_dir / name)) for name in PACKAGE_DATA_FILES
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-dir", type=Path, default=DEFAULT_REFERENCE_DIR)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)
    counts = build_seeds(args.reference_dir, args.out_dir)
    for name, count in counts.items():
        print(f"{name}: {count} rows")
    for path in copy_package_data(args.reference_dir):
        print(f"copied {path.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
