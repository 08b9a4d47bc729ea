"""Build the reference seeds in dbt_project/seeds/ from the compiled facts in ../shared/reference.

    python -m pipelines.reference.build_seeds [--reference-dir DIR] [--out-dir DIR]

Deterministic: the same reference files give byte-identical seeds. Facts are copied; where the
reference is partial (local police areas, their municipalities, the LPO of removed areas) the
gaps are filled with generated entries that are flagged (`is_synthetic`, `lpo_is_inferred`).
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_REFERENCE_DIR = REPO_ROOT.parent / "shared" / "reference"
DEFAULT_OUT_DIR = REPO_ROOT / "dbt_project" / "seeds"

# (slug, name as in the reference files), in the contract's order.
REGIONS: tuple[tuple[str, str], ...] = (
    ("nord", "Nord"),
    ("mitt", "Mitt"),
    ("bergslagen", "Bergslagen"),
    ("stockholm", "Stockholm"),
    ("ost", "Öst"),
    ("vast", "Väst"),
    ("syd", "Syd"),
)
REGION_SLUG = {name: slug for slug, name in REGIONS}
# Two-digit prefix of police codes per region (Nord has no published code: 58 is ours).
REGION_PREFIX = {
    "mitt": "52",
    "stockholm": "53",
    "ost": "54",
    "vast": "55",
    "syd": "56",
    "bergslagen": "57",
    "nord": "58",
}
ASSESSMENT_YEARS = (2015, 2017, 2019, 2021, 2023, 2025)
CATEGORIES = ("utsatt", "risk", "sarskilt")

# Definitions that were later split, and their atomic parts.
COMPOSITE_PARTS: dict[str, tuple[str, ...]] = {
    "Rinkeby/Tensta": ("Rinkeby", "Tensta", "Hjulsta"),
    "Ronna/Geneta/Lina": ("Ronna", "Geneta", "Lina"),
    "Oxhagen/Varberga": ("Oxhagen", "Varberga"),
    "Rissne/Hallonbergen": ("Rissne", "Hallonbergen"),
    "Alby/Fittja": ("Alby", "Fittja"),
}
# Removed areas in a municipality with several known LPOs: the LPO named by the district.
INFERRED_LPO_OVERRIDES = {"Rannebergen": "550130"}  # Angered → Storgöteborg nordost

# Polisområde of municipalities outside the known LPOs, where the county has known
# polisområden (approximate, by geography). Counties not listed get a synthetic polisområde.
COUNTY_DEFAULT_PO = {
    "01": "5313",
    "03": "5202",
    "04": "5401",
    "05": "5402",
    "06": "5403",
    "07": "5617",
    "08": "5617",  # "Kalmar Kronoberg"
    "10": "5616",  # "Blekinge nordöstra Skåne"
    "18": "5702",
    "19": "5201",
    "20": "5703",
}
MUNICIPALITY_PO = {
    **dict.fromkeys(("0120", "0128", "0140"), "5312"),
    **dict.fromkeys(("1214", "1257", "1260", "1275", "1276", "1277", "1278", "1284"), "5613"),
    **dict.fromkeys(("1292",), "5613"),
    **dict.fromkeys(("1256", "1272", "1273", "1293"), "5616"),
    **dict.fromkeys(("1401", "1402", "1407", "1440", "1441", "1481", "1482"), "5501"),
    **dict.fromkeys(("1442", "1443", "1452", "1463", "1465", "1466", "1489", "1491"), "5502"),
    **dict.fromkeys(
        (
            "1415", "1419", "1421", "1427", "1430", "1435", "1438", "1439",
            "1460", "1461", "1462", "1484", "1485", "1486", "1487", "1492",
        ),
        "5504",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class CitySplit:
    """How a city covered in part by known city-district LPOs is completed."""

    base_share: float  # share of each known district LPO before its areas
    share_per_area: float  # extra share per atomic vulnerable area it holds
    synthetic_pos: tuple[str, ...]  # polisområde of each synthetic LPO for the rest


CITY_SPLITS = {
    "0180": CitySplit(0.08, 0.015, ("5312", "5312", "5313", "5313")),
    "1480": CitySplit(0.13, 0.015, ("5501", "5501")),
    "1280": CitySplit(0.15, 0.02, ("5615",)),
}
TARGET_LPO_POPULATION = 108_000  # synthetic LPOs: about 80–150k inhabitants
SHARE_DECIMALS = 4

OFFENCE_CODES: tuple[tuple[str, str, str, str], ...] = (
    ("0301", "Misshandel utomhus", "assault outdoors", "assault_public"),
    ("0311", "Misshandel inomhus", "assault indoors", "assault_private"),
    ("0321", "Grov misshandel utomhus", "aggravated assault outdoors", "assault_public"),
    ("0331", "Grov misshandel inomhus", "aggravated assault indoors", "assault_private"),
    ("0341", "Mord eller dråp", "murder or manslaughter", "lethal_violence"),
    (
        "0351",
        "Försök till mord eller dråp",
        "attempted murder or manslaughter",
        "lethal_violence",
    ),
    ("0401", "Olaga hot", "unlawful threat", "threat"),
    ("0601", "Våldtäkt", "rape", "sexual"),
    ("0801", "Personrån utomhus", "personal robbery outdoors", "robbery_public"),
    ("0811", "Rån mot butik eller bank", "commercial robbery", "robbery_commercial"),
    ("0901", "Bostadsinbrott", "residential burglary", "theft"),
    ("0911", "Stöld ur eller från fordon", "theft from vehicle", "theft"),
    ("0921", "Butiksstöld", "shoplifting", "theft"),
    ("0931", "Övrig stöld", "other theft", "theft"),
    ("1201", "Skadegörelse", "criminal damage", "vandalism"),
    ("1211", "Klotter", "graffiti", "vandalism"),
    ("1301", "Anlagd brand", "arson", "arson"),
    ("1401", "Bedrägeri", "fraud", "fraud"),
    ("1701", "Våld mot tjänsteman", "violence against a public official", "officials"),
    ("1711", "Hot mot tjänsteman", "threat against a public official", "officials"),
    ("1801", "Övergrepp i rättssak", "witness intimidation", "witness_intimidation"),
    ("5001", "Narkotikabrott, innehav och eget bruk", "drug possession and use", "drugs"),
    ("5011", "Narkotikabrott, överlåtelse", "drug dealing", "drugs"),
    ("6001", "Vapenbrott", "weapons offence", "weapons"),
    ("7001", "Rattfylleri", "drink driving", "traffic"),
    ("9001", "Övriga brott", "other offences", "other"),
)

Row = dict[str, str]


@dataclass
class Lpo:
    """A local police area and the municipalities (with population shares) it covers."""

    code: str
    name: str
    region_slug: str
    po_name: str
    po_code: str
    is_synthetic: bool
    note: str
    shares: list[tuple[str, float]] = field(default_factory=list)


# ---------------------------------------------------------------------------------- reading


def read_csv(path: Path) -> list[Row]:
    """All rows of a UTF-8 CSV file as dicts of strings."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a dbt seed (UTF-8, comma, `\\n`); returns the number of data rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
            count += 1
    return count


def flag(value: bool) -> str:
    """dbt-friendly boolean."""
    return "true" if value else "false"


def normalise_name(name: str) -> str:
    """Compare area names across sources: `A / B` = `A/B`, hyphen = space, any case."""
    name = re.sub(r"\s*/\s*", "/", name.strip()).replace("-", " ")
    return re.sub(r"\s+", " ", name).casefold()


def county_short(county_name: str) -> str:
    """'Gävleborgs län' → 'Gävleborg', 'Skåne län' → 'Skåne'."""
    short = county_name.removesuffix(" län")
    return short[:-1] if short.endswith("s") else short


# --------------------------------------------------------------------- regions, counties, …


def build_regions(regions: list[Row]) -> list[list[str]]:
    """police_regions rows in the contract's order."""
    by_name = {row["police_region"]: row for row in regions}
    return [
        [slug, name, by_name[name]["region_code"], by_name[name]["county_codes"]]
        for slug, name in REGIONS
    ]


def build_counties(municipalities: list[Row]) -> list[list[str]]:
    """counties rows (21), by county code."""
    counties: dict[str, list[str]] = {}
    for row in municipalities:
        slug = REGION_SLUG[row["police_region"]]
        counties.setdefault(row["county_code"], [row["county_code"], row["county_name"], slug])
    return [counties[code] for code in sorted(counties)]


def build_municipalities(municipalities: list[Row]) -> list[list[str]]:
    """municipalities rows (290), by code."""
    return [
        [
            row["municipality_code"],
            row["municipality_name"],
            row["county_code"],
            REGION_SLUG[row["police_region"]],
            row["population_2024"],
            row["population_approx_2025_unverified"],
        ]
        for row in sorted(municipalities, key=lambda r: r["municipality_code"])
    ]


def build_classification_lists(list_totals: list[Row]) -> list[list[str]]:
    """One row per assessment year: the month the list was published and in force from."""
    rows = []
    for row in sorted(list_totals, key=lambda r: int(r["year"])):
        month = row["published"]
        if not re.fullmatch(r"\d{4}-\d{2}", month):
            raise ValueError(f"list_totals {row['year']}: published {month!r} is not YYYY-MM")
        rows.append([row["year"], month, f"{month}-01"])
    return rows


# ------------------------------------------------------------------------ local police areas


def municipality_index(municipalities: list[Row]) -> dict[str, Row]:
    """Municipality rows by code."""
    return {row["municipality_code"]: row for row in municipalities}


def known_lpos(
    lpo_rows: list[Row], municipalities: list[Row]
) -> tuple[list[Lpo], dict[str, list[str]]]:
    """The known LPOs with the municipalities they cover, and the partly covered cities.

    Returns (LPOs with full-municipality shares filled, {city code: [district LPO codes]}).
    """
    code_by_name = {row["municipality_name"]: row["municipality_code"] for row in municipalities}
    lpos: list[Lpo] = []
    partial: dict[str, list[str]] = {}
    for row in sorted(lpo_rows, key=lambda r: r["lpo_code"]):
        lpo = Lpo(
            code=row["lpo_code"],
            name=row["lpo_name"],
            region_slug=REGION_SLUG[row["police_region"]],
            po_name=row["polisomrade"],
            po_code=row["polisomrade_code"],
            is_synthetic=False,
            note="",
        )
        covered = []
        for item in row["municipalities_or_districts_known"].split(";"):
            name = item.replace("(part: city district)", "").strip()
            if name not in code_by_name:
                raise ValueError(f"LPO {lpo.code}: unknown municipality {name!r}")
            code = code_by_name[name]
            if "(part" in item:
                partial.setdefault(code, []).append(lpo.code)
                covered.append(f"{name} (part: city district; share estimated)")
            else:
                lpo.shares.append((code, 1.0))
                covered.append(name)
        lpo.note = "Known LPO (police GeoJSON 2025). Covers: " + "; ".join(covered) + "."
        lpos.append(lpo)
    return lpos, partial


def known_polisomraden(lpos: list[Lpo]) -> dict[str, tuple[str, str]]:
    """{polisområde code: (name, region slug)} of the known LPOs."""
    return {lpo.po_code: (lpo.po_name, lpo.region_slug) for lpo in lpos}


def synthetic_polisomraden(
    municipalities: list[Row], needs: list[str]
) -> dict[str, tuple[str, str, str]]:
    """A synthetic polisområde per county in `needs`: {county: (code, name, region slug)}."""
    counties = {row["county_code"]: row for row in municipalities}
    result: dict[str, tuple[str, str, str]] = {}
    used_per_region: dict[str, int] = {}
    for county in sorted(needs):
        slug = REGION_SLUG[counties[county]["police_region"]]
        number = 90 + used_per_region.get(slug, 0)
        used_per_region[slug] = used_per_region.get(slug, 0) + 1
        name = f"{counties[county]['county_name']} (syntetiskt)"
        result[county] = (f"{REGION_PREFIX[slug]}{number}", name, slug)
    return result


def polisomrade_of(municipality: Row) -> str | None:
    """Known polisområde for an uncovered municipality, or None (county's synthetic one)."""
    code = municipality["municipality_code"]
    return MUNICIPALITY_PO.get(code) or COUNTY_DEFAULT_PO.get(municipality["county_code"])


def partition(populations: Sequence[int], target: float) -> list[int]:
    """Cut an ordered list into contiguous chunks near `target` population: chunk ids.

    Minimises the sum of squared deviations from the target (dynamic programme), so a big
    member may stand alone and small neighbours are grouped.
    """
    n = len(populations)
    prefix = [0]
    for population in populations:
        prefix.append(prefix[-1] + population)
    best = [0.0] + [float("inf")] * n
    cut = [0] * (n + 1)
    for end in range(1, n + 1):
        for start in range(end):
            cost = best[start] + (prefix[end] - prefix[start] - target) ** 2
            if cost < best[end]:
                best[end], cut[end] = cost, start
    bounds = []
    end = n
    while end > 0:
        bounds.append((cut[end], end))
        end = cut[end]
    chunk_ids = [0] * n
    for chunk, (start, stop) in enumerate(reversed(bounds)):
        chunk_ids[start:stop] = [chunk] * (stop - start)
    return chunk_ids


class CodeAllocator:
    """Synthetic LPO codes: polisområde code + two digits from 80, never a used code."""

    def __init__(self, used: Iterable[str]) -> None:
        self.used = set(used)

    def next(self, po_code: str) -> str:
        for suffix in range(80, 100):
            code = f"{po_code}{suffix}"
            if code not in self.used:
                self.used.add(code)
                return code
        raise ValueError(f"no free synthetic LPO code left in polisområde {po_code}")


def group_uncovered(
    municipalities: list[Row], covered: set[str]
) -> dict[tuple[str, str | None], list[Row]]:
    """Municipalities without a known LPO, by (county, known polisområde or None)."""
    buckets: dict[tuple[str, str | None], list[Row]] = {}
    for row in sorted(municipalities, key=lambda r: r["municipality_code"]):
        if row["municipality_code"] in covered:
            continue
        buckets.setdefault((row["county_code"], polisomrade_of(row)), []).append(row)
    return buckets


def county_lpos(
    municipalities: list[Row],
    covered: set[str],
    known_pos: dict[str, tuple[str, str]],
    codes: CodeAllocator,
) -> list[Lpo]:
    """Synthetic LPOs grouping uncovered municipalities within their county (80–150k)."""
    buckets = group_uncovered(municipalities, covered)
    synthetic_pos = synthetic_polisomraden(
        municipalities, sorted({county for county, po in buckets if po is None})
    )
    resolved = {
        key: (synthetic_pos[key[0]] if key[1] is None else (key[1], *known_pos[key[1]]))
        for key in buckets
    }
    counters: dict[str, int] = {}
    lpos: list[Lpo] = []
    for key in sorted(buckets, key=lambda key: (key[0], resolved[key][0])):
        members = buckets[key]
        po_code, po_name, slug = resolved[key]
        populations = [int(row["population_approx_2025_unverified"]) for row in members]
        chunks = partition(populations, TARGET_LPO_POPULATION)
        for chunk in range(max(chunks) + 1):
            chunk_members = [m for m, c in zip(members, chunks, strict=True) if c == chunk]
            county = key[0]
            counters[county] = counters.get(county, 0) + 1
            names = ", ".join(m["municipality_name"] for m in chunk_members)
            lpos.append(
                Lpo(
                    code=codes.next(po_code),
                    name=f"{county_short(members[0]['county_name'])} {counters[county]} "
                    "(syntetiskt LPO)",
                    region_slug=slug,
                    po_name=po_name,
                    po_code=po_code,
                    is_synthetic=True,
                    note="Synthetic LPO generated by Lägesbild to complete municipality "
                    f"coverage; not a real police area. Covers: {names}.",
                    shares=[(m["municipality_code"], 1.0) for m in chunk_members],
                )
            )
    return lpos


def atomic_area_counts(areas: list[Row]) -> dict[str, int]:
    """Atomic vulnerable areas per known LPO code (lpo_code_2025)."""
    counts: dict[str, int] = {}
    for row in areas:
        if row["area_name"] in COMPOSITE_PARTS or not row["lpo_code_2025"]:
            continue
        counts[row["lpo_code_2025"]] = counts.get(row["lpo_code_2025"], 0) + 1
    for lpo_code, count in override_area_counts(areas).items():
        counts[lpo_code] = counts.get(lpo_code, 0) + count
    return counts


def override_area_counts(areas: list[Row]) -> dict[str, int]:
    """Removed areas placed in a known district LPO by override."""
    counts: dict[str, int] = {}
    for row in areas:
        lpo_code = INFERRED_LPO_OVERRIDES.get(row["area_name"])
        if lpo_code and not row["lpo_code_2025"]:
            counts[lpo_code] = counts.get(lpo_code, 0) + 1
    return counts


def round_shares(shares: Sequence[float]) -> list[float]:
    """Round to SHARE_DECIMALS, fixing the rounding on the last entry so the sum is 1."""
    rounded = [round(share, SHARE_DECIMALS) for share in shares[:-1]]
    rounded.append(round(1.0 - sum(rounded), SHARE_DECIMALS))
    if rounded[-1] <= 0:
        raise ValueError(f"shares {shares} leave nothing for the last LPO")
    return rounded


def city_lpos(
    city: Row,
    district_lpos: list[Lpo],
    split: CitySplit,
    area_counts: dict[str, int],
    known_pos: dict[str, tuple[str, str]],
    codes: CodeAllocator,
) -> list[Lpo]:
    """Shares of the known district LPOs of a city, plus synthetic LPOs for the rest."""
    district_shares = [
        split.base_share + split.share_per_area * area_counts.get(lpo.code, 0)
        for lpo in district_lpos
    ]
    rest = 1.0 - sum(district_shares)
    n_synthetic = len(split.synthetic_pos)
    shares = round_shares([*district_shares, *[rest / n_synthetic] * n_synthetic])
    for lpo, share in zip(district_lpos, shares, strict=False):
        lpo.shares.append((city["municipality_code"], share))
    synthetic: list[Lpo] = []
    for number, (po_code, share) in enumerate(
        zip(split.synthetic_pos, shares[len(district_lpos) :], strict=True), start=1
    ):
        po_name, slug = known_pos[po_code]
        synthetic.append(
            Lpo(
                code=codes.next(po_code),
                name=f"{city['municipality_name']} stad {number} (syntetiskt LPO)",
                region_slug=slug,
                po_name=po_name,
                po_code=po_code,
                is_synthetic=True,
                note="Synthetic LPO generated by Lägesbild for the part of "
                f"{city['municipality_name']} outside the known city-district LPOs; "
                "not a real police area; population share estimated.",
                shares=[(city["municipality_code"], share)],
            )
        )
    return synthetic


def build_lpos(lpo_rows: list[Row], municipalities: list[Row], areas: list[Row]) -> list[Lpo]:
    """All LPOs: the 33 known ones completed with synthetic ones to cover every municipality."""
    lpos, partial = known_lpos(lpo_rows, municipalities)
    known_pos = known_polisomraden(lpos)
    codes = CodeAllocator(lpo.code for lpo in lpos)
    by_code = {lpo.code: lpo for lpo in lpos}
    covered = {code for lpo in lpos for code, _ in lpo.shares} | set(partial)
    munis = municipality_index(municipalities)
    synthetic: list[Lpo] = []
    area_counts = atomic_area_counts(areas)
    for city_code in sorted(partial):
        if city_code not in CITY_SPLITS:
            raise ValueError(f"municipality {city_code} is split between LPOs but has no rule")
        synthetic += city_lpos(
            munis[city_code],
            [by_code[code] for code in sorted(partial[city_code])],
            CITY_SPLITS[city_code],
            area_counts,
            known_pos,
            codes,
        )
    synthetic += county_lpos(municipalities, covered, known_pos, codes)
    return sorted(lpos + synthetic, key=lambda lpo: lpo.code)


def lpo_rows_out(lpos: list[Lpo]) -> list[list[str]]:
    """local_police_areas seed rows."""
    return [
        [
            lpo.code,
            lpo.name,
            lpo.region_slug,
            lpo.po_name,
            lpo.po_code,
            flag(lpo.is_synthetic),
            lpo.note,
        ]
        for lpo in lpos
    ]


def lpo_municipality_rows(lpos: list[Lpo]) -> list[list[str]]:
    """lpo_municipalities seed rows, by municipality then LPO."""
    rows = [
        (muni, lpo.code, share, lpo.is_synthetic or share < 1.0)
        for lpo in lpos
        for muni, share in lpo.shares
    ]
    return [
        [lpo_code, muni, f"{share:.{SHARE_DECIMALS}f}", flag(synthetic)]
        for muni, lpo_code, share, synthetic in sorted(rows)
    ]


# ------------------------------------------------------------------------------------ areas


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


# ----------------------------------------------------------------------------------- checks


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


# ------------------------------------------------------------------------------------- main

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


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reference-dir", type=Path, default=DEFAULT_REFERENCE_DIR)
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR)
    args = parser.parse_args(argv)
    counts = build_seeds(args.reference_dir, args.out_dir)
    for name, count in counts.items():
        print(f"{name}: {count} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
