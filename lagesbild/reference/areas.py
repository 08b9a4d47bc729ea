"""The vulnerable areas seed: the police's list 2015–2025 with stable codes (the police's
SPECIALOMRADES_ID where known), their LPO, and the parts of areas that were later split."""

from __future__ import annotations

import json
from pathlib import Path

from lagesbild.reference.csv_io import Row, flag, normalise_name
from lagesbild.reference.facts import (
    ASSESSMENT_YEARS,
    CATEGORIES,
    COMPOSITE_PARTS,
    INFERRED_LPO_OVERRIDES,
    REGION_SLUG,
    Lpo,
)


def geojson_ids(geojson_path: Path) -> dict[str, tuple[int, str]]:
    """{normalised NAMN: (SPECIALOMRADES_ID, KATEGORI)} from the police's 2025 polygons."""
    features = json.loads(geojson_path.read_text(encoding="utf-8"))["features"]
    result: dict[str, tuple[int, str]] = {}
    for feature in features:
        props = feature["properties"]
        key = normalise_name(props["NAMN"])
        if key in result:
            raise ValueError(f"duplicate area name in GeoJSON: {props['NAMN']!r}")
        result[key] = (int(props["SPECIALOMRADES_ID"]), props["KATEGORI"])
    return result


def area_codes(areas: list[Row], ids: dict[str, tuple[int, str]]) -> list[tuple[str, str]]:
    """(area_code, police_area_id) per row of areas.csv; every 2025 area must match."""
    result: list[tuple[str, str]] = []
    matched: list[str] = []
    next_lgb = 1
    for row in areas:
        key = normalise_name(row["area_name"])
        if row["cat_2025"]:
            if key not in ids:
                raise ValueError(f"2025 area {row['area_name']!r} not found in the GeoJSON")
            police_id, kategori = ids[key]
            expected = (
                "Särskilt utsatt område" if row["cat_2025"] == "sarskilt" else "Utsatt område"
            )
            if kategori != expected:
                raise ValueError(f"{row['area_name']}: GeoJSON says {kategori!r}")
            result.append((f"USO{police_id:03d}", str(police_id)))
            matched.append(key)
        else:
            result.append((f"LGB{next_lgb:03d}", ""))
            next_lgb += 1
    if sorted(matched) != sorted(ids):
        raise ValueError("not every GeoJSON area matched exactly one 2025 area")
    return result


def infer_lpo(row: Row, lpos: list[Lpo]) -> tuple[str, bool]:
    """(lpo_code, inferred?) for an area: the 2025 LPO, else the municipality's LPO."""
    if row["lpo_code_2025"]:
        return row["lpo_code_2025"], False
    if row["area_name"] in INFERRED_LPO_OVERRIDES:
        return INFERRED_LPO_OVERRIDES[row["area_name"]], True
    muni = row["municipality_code"]
    holding = [lpo for lpo in lpos if any(code == muni for code, _ in lpo.shares)]
    known = [lpo for lpo in holding if not lpo.is_synthetic]
    if len(known) == 1:
        return known[0].code, True
    synthetic = [lpo for lpo in holding if lpo.is_synthetic]
    if not synthetic:
        raise ValueError(f"cannot infer an LPO for {row['area_name']!r}")
    return synthetic[0].code, True


def build_areas(areas: list[Row], ids: dict[str, tuple[int, str]], lpos: list[Lpo]) -> list[list]:
    """areas seed rows (one per row of areas.csv, file order)."""
    codes = area_codes(areas, ids)
    rows = []
    for row, (area_code, police_id) in zip(areas, codes, strict=True):
        lpo_code, inferred = infer_lpo(row, lpos)
        cats = [row[f"cat_{year}"] for year in ASSESSMENT_YEARS]
        unknown = [cat for cat in cats if cat and cat not in CATEGORIES]
        if unknown:
            raise ValueError(f"{row['area_name']}: unknown category {unknown}")
        rows.append(
            [
                area_code,
                row["area_name"],
                row["municipality_code"],
                REGION_SLUG[row["police_region"]],
                lpo_code,
                police_id,
                flag(row["area_name"] in COMPOSITE_PARTS),
                *cats,
                row["other_names"],
                flag(inferred),
                row["notes"],
            ]
        )
    return rows


def build_area_parts(area_rows: list[list]) -> list[list[str]]:
    """area_parts rows: composite area code → atomic part codes."""
    code_by_name = {row[1]: row[0] for row in area_rows}
    return [
        [code_by_name[composite], code_by_name[part]]
        for composite, parts in COMPOSITE_PARTS.items()
        for part in parts
    ]
