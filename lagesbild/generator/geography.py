"""Synthetic DeSO geography in SCB's code format: DeSO → municipality, LPO and atomic area.

Municipality populations are real (approximate, 2025); DeSO codes, sizes and the assignment to
LPOs and vulnerable areas are generated. Each municipality draws from its own random stream,
so a municipality looks the same at every scale.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import polars as pl

from lagesbild.generator.reference import Area, Seeds
from lagesbild.generator.timeline import REF_YEAR, list_category, rng_for

MIN_SIZE, MAX_SIZE, MEAN_SIZE = 780, 2600, 1750  # DeSO inhabitants at REF_YEAR
AREA_POPULATION_2023 = 550_000  # inhabitants of the areas on the 2023 list (police, 2023)
SMALL_EXTRA_MUNICIPALITIES = 2  # per region, besides those holding vulnerable areas
STREAM_GEOGRAPHY, STREAM_SELECTION = 1, 2

# Synthetic inhabitants (2023) of the atomic areas, before scaling to AREA_POPULATION_2023.
# Anchors: Rinkeby + Tensta + Hjulsta ≈ 35,000 (largest); Södra Sofielund/Seved ≈ 4,000.
AREA_SIZES: dict[str, int] = {
    "Rinkeby": 16000, "Tensta": 13500, "Hjulsta": 5500, "Husby": 12000, "Alby": 12500,
    "Fittja": 8000, "Hallunda/Norsborg": 15000, "Storvreten": 6000, "Ronna": 8000,
    "Geneta": 5500, "Lina": 4500, "Hovsjö": 6000, "Fornhöjden": 5000, "Saltskog": 4000,
    "Tureberg": 9000, "Edsberg": 5000, "Sigtuna/Valsta": 8500, "Sångvägen": 3500,
    "Termovägen": 3000, "Finnsta": 5000, "Smedby": 4500, "Rissne": 8000, "Hallonbergen": 7000,
    "Hagalund": 7000, "Skogås": 10500, "Vårby": 8000, "Grantorp/Visättra": 8500,
    "Brandbergen": 9000, "Jordbro": 9500, "Fisksätra": 7500, "Granängsringen": 3000,
    "Bredäng": 10500, "Vårberg": 9500, "Hagsätra/Rågsved": 19000, "Hässelby gård": 14000,
    "Älvsjö/Solberga": 7000, "Östberga": 5500, "Rosengård": 23000,
    "Södra Sofielund/Seved": 4000, "Nydala/Hermodsdal/Lindängen": 19000,
    "Holma/Kroksbäck": 10500, "Dalhem/Drottninghög/Fredriksdal": 11500, "Söder": 11000,
    "Karlslund": 8500, "Gamlegården": 4500, "Charlottesborg": 3500, "Araby": 7500,
    "Bergsjön": 15000, "Biskopsgården": 23000, "Gårdsten": 7500, "Hammarkullen": 7500,
    "Hjällbo": 7500, "Lövgärdet": 6500, "Tynnered/Grevegården/Opaltorget": 17000,
    "Hisings Backa": 14000, "Rannebergen": 4500, "Norrby": 5500, "Hässleholmen": 9500,
    "Kronogården/Lextorp Norra": 7500, "Andersberg": 6500, "Falkagård": 3500,
    "Skäggetorp": 9000, "Navestad": 6500, "Klockaretorpet": 4000, "Hageby": 8500,
    "Råslätt": 6000, "Skiftinge": 7000, "Fröslunda": 5000, "Lagersberg": 4000, "Årby": 4500,
    "Vivalla": 7500, "Oxhagen": 5500, "Varberga": 7000, "Tjärna Ängar": 4500,
    "Gottsunda": 11500, "Bäckby": 9500,
}  # fmt: skip
DEFAULT_AREA_SIZE = {3: 12000, 2: 7000, 1: 6000, 0: 5000}  # by latest category


@dataclass(frozen=True)
class Geography:
    """All DeSOs (sorted by code) with their municipality, LPO, area and size."""

    deso_codes: pl.Series
    muni_idx: np.ndarray  # index into municipalities
    lpo_idx: np.ndarray  # index into lpo_codes
    area_idx: np.ndarray  # index into areas, -1 when in no area
    size_ref: np.ndarray  # inhabitants at 31 Dec REF_YEAR
    growth: np.ndarray  # yearly log growth
    municipalities: list[str]
    muni_regions: list[str]
    muni_population: np.ndarray  # population_approx_2025 of the municipalities
    lpo_codes: list[str]
    areas: list[Area]  # atomic areas present
    national_population: float  # all 290 municipalities, 2025

    @property
    def size(self) -> int:
        """Number of DeSOs."""
        return len(self.muni_idx)

    def population(self, years: float | np.ndarray) -> np.ndarray:
        """Inhabitants per DeSO at a time in years (31 Dec of year Y = Y + 1.0)."""
        return self.size_ref * np.exp(self.growth * (np.asarray(years) - (REF_YEAR + 1.0)))

    def frame(self) -> pl.DataFrame:
        """geography/deso.csv content."""
        munis = pl.Series(self.municipalities)
        lpos = pl.Series(self.lpo_codes)
        area_codes = pl.Series([area.code for area in self.areas] + [None], dtype=pl.String)
        return pl.DataFrame(
            {
                "deso_code": self.deso_codes,
                "municipality_code": munis.gather(self.muni_idx),
                "lpo_code": lpos.gather(self.lpo_idx),
                "area_code": area_codes.gather(
                    np.where(self.area_idx < 0, len(self.areas), self.area_idx)
                ),
            }
        )


def area_targets(seeds: Seeds) -> dict[str, float]:
    """Inhabitants in 2023 per atomic area, scaled so the 2023 list holds 550,000."""
    by_code = seeds.area_by_code()
    sizes = {}
    for area in seeds.atomic_areas:
        latest = max((c for c in area.categories.values()), default=0)
        sizes[area.code] = float(AREA_SIZES.get(area.name, DEFAULT_AREA_SIZE[latest]))
    listed = [a.code for a in seeds.atomic_areas if list_category(a, 2023, by_code)]
    factor = AREA_POPULATION_2023 / sum(sizes[code] for code in listed)
    return {code: size * factor for code, size in sizes.items()}


def select_municipalities(seeds: Seeds, scale: str, seed: int) -> list[dict[str, str]]:
    """All municipalities (national) or those with areas plus a few per region (small)."""
    munis = sorted(seeds.municipalities, key=lambda row: row["municipality_code"])
    if scale == "national":
        return munis
    with_areas = {area.municipality for area in seeds.atomic_areas}
    rng = rng_for(seed, STREAM_SELECTION)
    chosen = [row for row in munis if row["municipality_code"] in with_areas]
    for region in sorted({row["region_slug"] for row in munis}):
        others = [r for r in munis if r["region_slug"] == region and r not in chosen]
        picks = rng.choice(len(others), size=SMALL_EXTRA_MUNICIPALITIES, replace=False)
        chosen += [others[i] for i in sorted(picks)]
    return sorted(chosen, key=lambda row: row["municipality_code"])


def split_sizes(total: float, rng: np.random.Generator) -> np.ndarray:
    """Integer DeSO sizes in [MIN_SIZE, MAX_SIZE] summing to round(total) (total ≥ MIN_SIZE)."""
    low, high = math.ceil(total / MAX_SIZE), max(1, math.floor(total / MIN_SIZE))
    n = min(max(round(total / MEAN_SIZE), low), high)
    mean = total / n
    sizes = mean * rng.uniform(0.5, 1.5, n)
    for _ in range(20):
        sizes = np.clip(sizes * total / sizes.sum(), MIN_SIZE, MAX_SIZE)
    integer = np.floor(sizes).astype(np.int64)
    remainder = round(total) - int(integer.sum())
    order = np.argsort(-(sizes - integer), kind="stable")
    integer[order[: max(remainder, 0)]] += 1
    return integer


def letters_by_density(density: np.ndarray, municipality_population: float) -> np.ndarray:
    """'A'/'B'/'C' by density rank within a municipality (C densest; big towns mostly C)."""
    share_c = float(np.clip((math.log10(municipality_population) - 3.7) / 1.9, 0.1, 0.92))
    share_b = (1.0 - share_c) * 0.5
    rank = np.empty(len(density))
    rank[np.argsort(-density, kind="stable")] = (np.arange(len(density)) + 0.5) / len(density)
    return np.where(rank < share_c, "C", np.where(rank < share_c + share_b, "B", "A"))


@dataclass
class _MunicipalityDesos:
    codes: list[str]
    lpo: list[str]
    area: list[int]
    size: np.ndarray
    growth: np.ndarray


def municipality_desos(
    muni: dict[str, str],
    shares: list[tuple[str, float]],
    areas: list[tuple[int, Area, float]],
    seed: int,
) -> _MunicipalityDesos:
    """DeSOs of one municipality: per LPO segment, its areas' DeSOs and the rest."""
    code = muni["municipality_code"]
    population = float(muni["population_approx_2025"])
    rng = rng_for(seed, STREAM_GEOGRAPHY, int(code))
    growth_m = float(np.clip(rng.normal(0.007, 0.005), -0.01, 0.022))
    lpo, area, sizes = [], [], []
    for lpo_code, share in shares:
        here = [(i, target) for i, a, target in areas if a.lpo == lpo_code]
        targets = [t * math.exp(growth_m * (REF_YEAR - 2023)) for _, t in here]
        rest = population * share - sum(targets)
        if rest < MIN_SIZE and targets:
            targets = [t * (1 + max(rest, 0.0) / sum(targets)) for t in targets]
            rest = 0.0
        for (index, _), target in zip(here, targets, strict=True):
            part = split_sizes(target, rng)
            sizes.append(part)
            area += [index] * len(part)
        if rest >= MIN_SIZE:
            part = split_sizes(rest, rng)
            sizes.append(part)
            area += [-1] * len(part)
        lpo += [lpo_code] * (len(area) - len(lpo))
    size = np.concatenate(sizes).astype(float)
    in_area = np.array(area) >= 0
    density = rng.lognormal(0.0, 0.6, len(size)) * np.where(in_area, 4.0, 1.0)
    letters = letters_by_density(density, population)
    order = np.lexsort((np.arange(len(size)), letters))
    if len(order) > 999:
        raise ValueError(f"municipality {code}: too many DeSOs to number")
    number = np.empty(len(size), dtype=np.int64)
    number[order] = (np.arange(len(size)) + 1) * 10
    codes = [f"{code}{letter}{n:04d}" for letter, n in zip(letters, number, strict=True)]
    growth = growth_m + rng.normal(0.0, 0.004, len(size))
    return _MunicipalityDesos(codes, lpo, area, size, growth)


def build_geography(seeds: Seeds, scale: str, seed: int) -> Geography:
    """The DeSO geography for a scale ('small' or 'national')."""
    munis = select_municipalities(seeds, scale, seed)
    shares: dict[str, list[tuple[str, float]]] = {}
    for lpo_code, muni_code, share in sorted(seeds.lpo_shares):
        shares.setdefault(muni_code, []).append((lpo_code, share))
    atomic = seeds.atomic_areas
    targets = area_targets(seeds)
    parts = [
        municipality_desos(
            muni,
            shares[muni["municipality_code"]],
            [
                (i, a, targets[a.code])
                for i, a in enumerate(atomic)
                if a.municipality == muni["municipality_code"]
            ],
            seed,
        )
        for muni in munis
    ]
    codes = [c for part in parts for c in part.codes]
    order = np.argsort(np.array(codes), kind="stable")
    lpo_list = sorted({c for part in parts for c in part.lpo})
    lpo_index = {c: i for i, c in enumerate(lpo_list)}
    muni_idx = np.concatenate([np.full(len(p.codes), i) for i, p in enumerate(parts)])
    return Geography(
        deso_codes=pl.Series("deso_code", codes).gather(order),
        muni_idx=muni_idx[order],
        lpo_idx=np.array([lpo_index[c] for p in parts for c in p.lpo])[order],
        area_idx=np.array([a for p in parts for a in p.area])[order],
        size_ref=np.concatenate([p.size for p in parts])[order],
        growth=np.concatenate([p.growth for p in parts])[order],
        municipalities=[m["municipality_code"] for m in munis],
        muni_regions=[m["region_slug"] for m in munis],
        muni_population=np.array([float(m["population_approx_2025"]) for m in munis]),
        lpo_codes=lpo_list,
        areas=atomic,
        national_population=sum(float(m["population_approx_2025"]) for m in seeds.municipalities),
    )
