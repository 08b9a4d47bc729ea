"""The reference seeds in dbt_project/seeds reproduce the public reference data."""

from __future__ import annotations

import csv
import os
from collections import Counter
from pathlib import Path

import pytest

from lagesbild.reference.build_seeds import DEFAULT_REFERENCE_DIR, build_seeds
from lagesbild.reference.lpos import REGION_PREFIX

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
YEARS = (2015, 2017, 2019, 2021, 2023, 2025)


def rows(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_290_municipalities_in_21_counties_and_7_regions() -> None:
    municipalities = rows("municipalities")
    assert len(municipalities) == 290
    assert len({m["county_code"] for m in municipalities}) == 21
    assert len(rows("counties")) == 21
    regions = {r["region_slug"] for r in rows("police_regions")}
    assert regions == {"nord", "mitt", "bergslagen", "stockholm", "ost", "vast", "syd"}
    assert {m["region_slug"] for m in municipalities} == regions
    assert all(m["population_approx_2025"].isdigit() for m in municipalities)


def test_every_municipality_is_shared_out_over_lpos_exactly_once() -> None:
    totals: Counter[str] = Counter()
    for row in rows("lpo_municipalities"):
        totals[row["municipality_code"]] += float(row["population_share"])
    assert set(totals) == {m["municipality_code"] for m in rows("municipalities")}
    assert all(abs(total - 1.0) <= 1e-9 for total in totals.values()), totals


def test_every_area_has_an_existing_municipality_and_a_covering_lpo() -> None:
    municipalities = {m["municipality_code"] for m in rows("municipalities")}
    cover = {(r["lpo_code"], r["municipality_code"]) for r in rows("lpo_municipalities")}
    lpos = {lpo["lpo_code"] for lpo in rows("local_police_areas")}
    for area in rows("areas"):
        assert area["municipality_code"] in municipalities, area["area_name"]
        assert area["lpo_code"] in lpos, area["area_name"]
        assert (area["lpo_code"], area["municipality_code"]) in cover, area["area_name"]


def test_65_areas_on_the_2025_list_all_with_a_police_code() -> None:
    areas = rows("areas")
    assert len(areas) == 81
    listed = [a for a in areas if a["cat_2025"]]
    assert len(listed) == 65
    assert all(a["area_code"] == f"USO{int(a['police_area_id']):03d}" for a in listed)
    others = [a for a in areas if not a["cat_2025"]]
    assert all(a["area_code"].startswith("LGB") and not a["police_area_id"] for a in others)
    assert len({a["area_code"] for a in areas}) == 81


@pytest.mark.parametrize("year", [2017, 2019, 2021, 2023, 2025])
def test_category_counts_reproduce_the_published_list_totals(year: int) -> None:
    totals = {int(r["year"]): r for r in rows("list_totals")}[year]
    counts = Counter(a[f"cat_{year}"] for a in rows("areas") if a[f"cat_{year}"])
    assert sum(counts.values()) == int(totals["total"])
    for category in ("utsatt", "risk", "sarskilt"):
        assert counts[category] == int(totals[category]), category


def test_2015_reproduces_total_and_sarskilt_only() -> None:
    """2015 risk areas are not identified (documented caveat): utsatt means utsatt-or-risk."""
    totals = {int(r["year"]): r for r in rows("list_totals")}[2015]
    counts = Counter(a["cat_2015"] for a in rows("areas") if a["cat_2015"])
    assert sum(counts.values()) == int(totals["total"])
    assert counts["sarskilt"] == int(totals["sarskilt"])


def test_composites_and_their_parts() -> None:
    areas = {a["area_code"]: a for a in rows("areas")}
    parts = rows("area_parts")
    composites = {p["area_code"] for p in parts}
    assert composites == {code for code, a in areas.items() if a["is_composite"] == "true"}
    assert len(composites) == 5
    for part in parts:
        assert areas[part["part_area_code"]]["is_composite"] == "false"
        assert areas[part["part_area_code"]]["lpo_code"] == areas[part["area_code"]]["lpo_code"]


def test_lpo_count_and_synthetic_flags() -> None:
    lpos = rows("local_police_areas")
    assert 90 <= len(lpos) <= 98
    known = [lpo for lpo in lpos if lpo["is_synthetic"] == "false"]
    assert len(known) == 33
    for lpo in lpos:
        synthetic = lpo["is_synthetic"] == "true"
        assert ("syntetiskt" in lpo["lpo_name"]) == synthetic, lpo["lpo_name"]
        assert ("not a real police area" in lpo["note"]) == synthetic
        assert len(lpo["lpo_code"]) == 6 and lpo["lpo_code"].isdigit()
        assert lpo["lpo_code"].startswith(REGION_PREFIX[lpo["region_slug"]])
        if synthetic:
            assert int(lpo["lpo_code"][-2:]) >= 80
    synthetic_codes = {lpo["lpo_code"] for lpo in lpos if lpo["is_synthetic"] == "true"}
    for row in rows("lpo_municipalities"):
        if row["lpo_code"] in synthetic_codes:
            assert row["is_synthetic"] == "true"


def test_inferred_lpos_are_flagged() -> None:
    for area in rows("areas"):
        if area["lpo_is_inferred"] == "true":
            assert not area["cat_2025"] and area["is_composite"] != "true"
    inferred = {
        a["area_name"]: a["lpo_code"] for a in rows("areas") if a["lpo_is_inferred"] == "true"
    }
    assert inferred["Edsberg"] == "531330"
    assert inferred["Rannebergen"] == "550130"
    assert len(inferred) == 11


def test_offence_codes_and_classification_lists() -> None:
    codes = rows("offence_codes")
    assert len(codes) == 26
    assert all(len(c["offence_code"]) == 4 and c["offence_code"].isdigit() for c in codes)
    assert len({c["offence_code"] for c in codes}) == 26
    lists = rows("classification_lists")
    assert [int(r["assessment_year"]) for r in lists] == list(YEARS)
    assert all(r["in_force_from"] == f"{r['published_month']}-01" for r in lists)


REQUIRE_REFERENCE_ENV = "LAGESBILD_REQUIRE_REFERENCE"
"""Set by .ci/run: CI has ../shared/reference, so there the refresh test must run, not skip."""


def test_build_is_deterministic_and_matches_the_repository(tmp_path: Path) -> None:
    """The committed seeds are exactly what `make seeds` builds from ../shared/reference."""
    if not DEFAULT_REFERENCE_DIR.is_dir():
        if os.environ.get(REQUIRE_REFERENCE_ENV):
            pytest.fail(f"{DEFAULT_REFERENCE_DIR} is absent but {REQUIRE_REFERENCE_ENV} is set")
        pytest.skip(f"shared reference data absent ({DEFAULT_REFERENCE_DIR})")
    counts = build_seeds(DEFAULT_REFERENCE_DIR, tmp_path)
    assert counts["municipalities"] == 290 and counts["police_regions"] == 7
    for path in sorted(tmp_path.glob("*.csv")):
        assert path.read_bytes() == (SEEDS / path.name).read_bytes(), path.name
