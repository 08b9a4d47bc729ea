"""Police resources: staffing per LPO (month-end), presence and cameras per listed area.

Goal (national police chief, Riksrevisionen 2020): at least one områdespolis per 5,000
inhabitants in LPOs with vulnerable areas; about a third of those LPOs do not meet it. Here a
seeded third of them sits persistently below (ratio 0.6–0.9), the rest above (1.08–1.5).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lagesbild.generator.geography import Geography
from lagesbild.generator.reference import Seeds
from lagesbild.generator.timeline import area_effects, rng_for
from lagesbild.generator.writer import decimal_comma

STREAM_RESOURCE_MODEL, STREAM_RESOURCES = 30, 31
INHABITANTS_PER_OMRADESPOLIS = 5000
FUNCTIONS = ("omradespolis", "ingripande", "utredare", "brottsforebyggare")
RATE_PER_1000 = {"ingripande": 0.75, "utredare": 0.55, "brottsforebyggare": 0.06}
OMRADESPOLIS_PER_1000_ELSEWHERE = 0.10
AREA_BOUND_SHARE = 0.6  # of an LPO's områdespoliser, split over its listed areas
STAFF_GROWTH = 0.02  # per year from 2019
PATROL_HOURS_PER_1000 = np.array([0.0, 60.0, 75.0, 120.0])  # by category
CATEGORY_STAFF_WEIGHT = np.array([1.0, 1.0, 1.2, 1.5])
BODYCAM_ROLLOUT = 2022 * 12 + 11  # 2022-12: standard equipment for uniformed officers
BODYCAM_PILOT_REGIONS = {"stockholm": 0.25, "syd": 0.15, "vast": 0.15}


@dataclass(frozen=True)
class ResourceModel:
    """Fixed (per seed) staffing levels of the LPOs and camera bases of the areas."""

    has_areas: np.ndarray  # bool per LPO
    goal_ratio: np.ndarray  # områdespoliser / goal, per LPO (areas) or NaN
    rates: dict[str, np.ndarray]  # per 1000 inhabitants, per LPO
    camera_base: np.ndarray  # per area
    patrol_factor: np.ndarray  # per area


def resource_model(geo: Geography, seed: int) -> ResourceModel:
    """Draw the persistent staffing levels; a third of the area LPOs below the goal."""
    rng = rng_for(seed, STREAM_RESOURCE_MODEL)
    n_lpo = len(geo.lpo_codes)
    has_areas = np.zeros(n_lpo, dtype=bool)
    has_areas[np.unique(geo.lpo_idx[geo.area_idx >= 0])] = True
    area_lpos = np.nonzero(has_areas)[0]
    below = rng.permutation(area_lpos)[: round(len(area_lpos) / 3)]
    ratio = np.full(n_lpo, np.nan)
    ratio[area_lpos] = rng.uniform(1.08, 1.5, len(area_lpos))
    ratio[below] = rng.uniform(0.6, 0.9, len(below))
    rates = {name: rate * rng.lognormal(0.0, 0.1, n_lpo) for name, rate in RATE_PER_1000.items()}
    rates["omradespolis"] = OMRADESPOLIS_PER_1000_ELSEWHERE * rng.lognormal(0.0, 0.2, n_lpo)
    size = np.bincount(
        geo.area_idx[geo.area_idx >= 0],
        weights=geo.size_ref[geo.area_idx >= 0],
        minlength=len(geo.areas),
    )
    return ResourceModel(
        has_areas=has_areas,
        goal_ratio=ratio,
        rates=rates,
        camera_base=np.sqrt(size / 10_000.0) * rng.lognormal(0.0, 0.25, len(geo.areas)),
        patrol_factor=rng.lognormal(0.0, 0.2, len(geo.areas)),
    )


@dataclass(frozen=True)
class ResourceMonth:
    """One month's staffing, presence and cameras files."""

    staffing: pl.DataFrame
    presence: pl.DataFrame
    cameras: pl.DataFrame


def camera_growth(month: int) -> float:
    """Fixed camera sites relative to 2019-01: slow growth, then a steep rise after 2022."""
    years = month / 12 - 2019
    slow = 1.0 + 0.6 * np.clip(years / 3.75, 0, 1)
    fast = 4.4 * np.clip((month - (2022 * 12 + 9)) / 39, 0, 1)
    late = 0.5 * max(month - (2025 * 12 + 12), 0) / 12
    return float(slow + fast + late)


def bodycam_coverage(month: int, region: str) -> float:
    """Share of officers with a body-worn camera (pilots from 2018, roll-out from 2022-12)."""
    pilot = BODYCAM_PILOT_REGIONS.get(region, 0.0) if month >= 2018 * 12 + 2 else 0.0
    if month < BODYCAM_ROLLOUT:
        return pilot
    progress = min((month - BODYCAM_ROLLOUT + 1) / 12, 1.0)
    return (
        pilot + (0.9 - pilot) * progress + 0.05 * min(max(month - BODYCAM_ROLLOUT - 12, 0) / 12, 1)
    )


@dataclass(frozen=True)
class _MonthState:
    """Populations and the listed areas at the end of one month."""

    month: int
    lpo_pop: np.ndarray  # per LPO
    area_pop: np.ndarray  # per area
    area_lpo: np.ndarray  # LPO index per area (-1: LPO not in the geography)
    listed: np.ndarray  # bool per area: on the list in force (and present)
    category: np.ndarray  # category code per area


def _month_state(seeds: Seeds, geo: Geography, month: int) -> _MonthState:
    effects = area_effects(seeds, geo.areas, np.array([month]))
    population = geo.population(month / 12 + 1 / 12)  # month end, in years
    in_area = geo.area_idx >= 0
    lpo_index = {code: i for i, code in enumerate(geo.lpo_codes)}
    area_lpo = np.array([lpo_index.get(area.lpo, -1) for area in geo.areas])
    area_pop = np.bincount(
        geo.area_idx[in_area], weights=population[in_area], minlength=len(geo.areas)
    )
    return _MonthState(
        month=month,
        lpo_pop=np.bincount(geo.lpo_idx, weights=population, minlength=len(geo.lpo_codes)),
        area_pop=area_pop,
        area_lpo=area_lpo,
        listed=effects.listed[:, 0] & (area_lpo >= 0) & (area_pop > 0),
        category=effects.category[:, 0],
    )


def draw_resources(
    seeds: Seeds, geo: Geography, model: ResourceModel, month: int, seed: int
) -> ResourceMonth:
    """Staffing (every LPO), presence and cameras (listed atomic areas) for a month."""
    rng = rng_for(seed, STREAM_RESOURCES, month)
    state = _month_state(seeds, geo, month)
    fte = _function_fte(model, state, rng)
    area_fte, remainder = _omradespolis_split(fte["omradespolis"], state)
    staffing = _staffing_frame(geo, state, fte, area_fte, remainder, rng)
    rows = np.nonzero(state.listed)[0]
    codes = pl.Series("area_code", [geo.areas[i].code for i in rows], pl.String)
    lpo_of = state.area_lpo[rows]
    share_of_lpo = state.area_pop[rows] / state.lpo_pop[lpo_of]
    officers = np.rint(area_fte[rows] + 2.0 * fte["ingripande"][lpo_of] * share_of_lpo)
    return ResourceMonth(
        staffing=staffing,
        presence=pl.DataFrame([codes, _patrol_hours(model, state, rows, rng)]),
        cameras=_cameras(geo, model, state, rows, officers.astype(np.int64)).insert_column(
            0, codes
        ),
    )


def _function_fte(
    model: ResourceModel, state: _MonthState, rng: np.random.Generator
) -> dict[str, np.ndarray]:
    """FTE per LPO and function; områdespoliser of area LPOs follow their goal ratio."""
    growth = np.exp(STAFF_GROWTH * (state.month / 12 - 2019))
    fte = {name: model.rates[name] * state.lpo_pop / 1000 * growth for name in RATE_PER_1000}
    goal = state.lpo_pop / INHABITANTS_PER_OMRADESPOLIS
    elsewhere = model.rates["omradespolis"] * state.lpo_pop / 1000
    omrade = np.where(model.has_areas, model.goal_ratio * goal, elsewhere)
    fte["omradespolis"] = omrade * rng.lognormal(0.0, 0.015, len(omrade))
    return fte


def _omradespolis_split(omrade: np.ndarray, state: _MonthState) -> tuple[np.ndarray, np.ndarray]:
    """(area-bound FTE per area, non-area-bound FTE per LPO)."""
    weight = np.where(state.listed, state.area_pop * CATEGORY_STAFF_WEIGHT[state.category], 0.0)
    lpo_weight = np.bincount(
        state.area_lpo[state.listed], weights=weight[state.listed], minlength=len(omrade)
    )
    area_fte = np.zeros(len(weight))
    lpo_of = state.area_lpo[state.listed]
    area_fte[state.listed] = (
        omrade[lpo_of] * AREA_BOUND_SHARE * weight[state.listed] / lpo_weight[lpo_of]
    )
    remainder = omrade * np.where(lpo_weight > 0, 1 - AREA_BOUND_SHARE, 1.0)
    return area_fte, remainder


def _staffing_frame(
    geo: Geography,
    state: _MonthState,
    fte: dict[str, np.ndarray],
    area_fte: np.ndarray,
    remainder: np.ndarray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """staffing/YYYY-MM.csv: per LPO the area-bound områdespoliser, then one row a function."""
    rows: list[tuple[str, str | None, str, float]] = []
    for i, lpo in enumerate(geo.lpo_codes):
        for a in np.nonzero(state.listed & (state.area_lpo == i))[0]:
            rows.append((lpo, geo.areas[a].code, "omradespolis", float(area_fte[a])))
        rows.append((lpo, None, "omradespolis", float(remainder[i])))
        for name in RATE_PER_1000:
            rows.append((lpo, None, name, float(fte[name][i] * rng.lognormal(0.0, 0.01))))
    lpo_codes, area_codes, functions, values = zip(*rows, strict=True)
    return pl.DataFrame(
        [
            pl.Series("lpo_code", lpo_codes, pl.String),
            pl.Series("area_code", area_codes, pl.String),
            pl.Series("function", functions, pl.String),
            decimal_comma(np.array(values), "fte"),
        ]
    )


def _patrol_hours(
    model: ResourceModel, state: _MonthState, rows: np.ndarray, rng: np.random.Generator
) -> pl.Series:
    """Hours of police presence per listed area (more in särskilt utsatta områden)."""
    growth = np.exp(STAFF_GROWTH * (state.month / 12 - 2019))
    season = 1.0 + 0.08 * np.sin(2 * np.pi * ((state.month % 12) - 3) / 12)
    per_1000 = PATROL_HOURS_PER_1000[state.category[rows]]
    hours = (100 + state.area_pop[rows] / 1000 * per_1000) * season * growth
    hours *= model.patrol_factor[rows] * rng.lognormal(0.0, 0.08, rows.size)
    return decimal_comma(hours, "patrol_hours")


def _cameras(
    geo: Geography, model: ResourceModel, state: _MonthState, rows: np.ndarray, officers: np.ndarray
) -> pl.DataFrame:
    """Fixed camera sites, body-worn cameras and officers per listed area."""
    coverage = np.array([bodycam_coverage(state.month, geo.areas[i].region) for i in rows])
    fixed = model.camera_base[rows] * 1.5 * CATEGORY_STAFF_WEIGHT[state.category[rows]]
    return pl.DataFrame(
        {
            "fixed_camera_sites": np.floor(fixed * camera_growth(state.month)).astype(np.int64),
            "body_worn_cameras": np.rint(officers * coverage).astype(np.int64),
            "officers_in_area": officers,
        }
    )
