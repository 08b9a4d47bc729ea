"""The local police areas (LPO) seed: the known LPOs, completed with flagged synthetic ones so
that every municipality is shared out over LPOs exactly once."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lagesbild.reference.csv_io import Row, county_short, flag
from lagesbild.reference.facts import (
    COMPOSITE_PARTS,
    INFERRED_LPO_OVERRIDES,
    REGION_SLUG,
    SHARE_DECIMALS,
    Lpo,
)

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
