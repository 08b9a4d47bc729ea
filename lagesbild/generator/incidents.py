"""Shootings and explosions: yearly totals from calibration, placed by population, region and
vulnerable-area effects (strongly concentrated in the areas and in Stockholm, Väst and Syd)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lagesbild.generator.geography import Geography
from lagesbild.generator.reference import Seeds, yearly_target
from lagesbild.generator.timeline import area_effects, days_in_month, epoch_day, rng_for
from lagesbild.generator.writer import coded_ids, timestamps

STREAM_INCIDENTS = 20
MISSING_DESO_SHARE = 0.03
SEASON = np.array([0.85, 0.80, 0.90, 0.95, 1.00, 1.05, 1.10, 1.15, 1.10, 1.10, 1.00, 1.00])
HOURS = np.array([6, 5, 4, 3, 2, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 5, 6, 7, 8, 8, 7.0])


@dataclass(frozen=True)
class IncidentKind:
    """Calibration and placement of one incident type."""

    name: str
    measure: str
    after_last: float  # yearly factor beyond the last calibrated year
    region_weight: dict[str, float]
    area_effect: np.ndarray  # [not listed, utsatt, risk, särskilt]


SHOOTING = IncidentKind(
    "shooting",
    "shootings_confirmed",
    0.95,
    {"stockholm": 1.25, "vast": 1.2, "syd": 1.0},
    np.array([1.0, 6.0, 6.5, 11.0]),
)
EXPLOSION = IncidentKind(
    "explosion",
    "explosions_detonations",
    0.8,
    {"stockholm": 1.6, "syd": 1.4, "vast": 0.9},
    np.array([1.0, 3.0, 3.0, 6.0]),
)
OTHER_REGIONS_WEIGHT = 0.55
DEAD_SHARE, INJURED_SHARE = 0.13, 0.30  # of shootings, when calibration lacks the year
EXPLOSION_DEAD_RATE, EXPLOSION_INJURED_RATE = 0.01, 0.06


def yearly_count(seeds: Seeds, geo: Geography, kind: IncidentKind, year: int) -> int:
    """Incidents in a year (national calibration, scaled to the geography's population)."""
    total = yearly_target(seeds.calibration, kind.measure, year, kind.after_last)
    return round(total * geo.muni_population.sum() / geo.national_population)


def casualties(seeds: Seeds, geo: Geography, year: int, shootings: int) -> tuple[int, int]:
    """(dead, injured) in shootings during a year: calibration where given, else shares."""
    factor = geo.muni_population.sum() / geo.national_population
    result = []
    for measure, share in (("shootings_dead", DEAD_SHARE), ("shootings_injured", INJURED_SHARE)):
        value = seeds.calibration.get((measure, year))
        result.append(round(value * factor) if value is not None else round(share * shootings))
    return result[0], result[1]


def placement_weights(
    seeds: Seeds, geo: Geography, kind: IncidentKind, months: np.ndarray
) -> np.ndarray:
    """(12, n_deso) weights: population × region × vulnerable-area effect."""
    effects = area_effects(seeds, geo.areas, months).multiplier(kind.area_effect)
    in_area = geo.area_idx >= 0
    area_mult = np.where(in_area, effects[np.where(in_area, geo.area_idx, 0)].T, 1.0)
    regions = np.array([kind.region_weight.get(r, OTHER_REGIONS_WEIGHT) for r in geo.muni_regions])
    weights = geo.population(months[:, None] / 12 + 1 / 24) * regions[geo.muni_idx] * area_mult
    return weights / weights.sum(axis=1, keepdims=True)


def draw_kind(
    seeds: Seeds, geo: Geography, kind: IncidentKind, year: int, rng: np.random.Generator
) -> pl.DataFrame:
    """All incidents of one kind in a year: month, DeSO, time and casualties."""
    months = year * 12 + np.arange(12)
    total = yearly_count(seeds, geo, kind, year)
    per_month = rng.multinomial(total, SEASON / SEASON.sum())
    weights = placement_weights(seeds, geo, kind, months)
    month = np.repeat(months, per_month)
    deso = np.concatenate(
        [rng.choice(geo.size, size=k, p=weights[m]) for m, k in enumerate(per_month)]
    ).astype(np.int64)
    if kind is SHOOTING:
        dead_total, injured_total = casualties(seeds, geo, year, total)
        uniform = np.full(total, 1.0 / max(total, 1))
        dead = rng.multinomial(dead_total, uniform) if total else np.zeros(0, np.int64)
        injured = rng.multinomial(injured_total, uniform) if total else np.zeros(0, np.int64)
    else:
        dead = rng.binomial(1, EXPLOSION_DEAD_RATE, total)
        injured = rng.poisson(EXPLOSION_INJURED_RATE, total)
    lengths = np.array([days_in_month(int(m)) for m in month], dtype=np.int64)
    starts = np.array([epoch_day(int(m)) for m in month], dtype=np.int64)
    day = np.floor(rng.random(total) * lengths).astype(np.int64)
    hour = rng.choice(24, size=total, p=HOURS / HOURS.sum())
    seconds = (starts + day) * 86400 + hour * 3600 + rng.integers(0, 3600, total)
    return pl.DataFrame(
        {
            "month": month,
            "seconds": seconds,
            "incident_type": [kind.name] * total,
            "deso": deso,
            "geocoded": rng.random(total) >= MISSING_DESO_SHARE,
            "dead": dead.astype(np.int64),
            "injured": injured.astype(np.int64),
        },
        schema_overrides={"incident_type": pl.String},
    )


def draw_year(seeds: Seeds, geo: Geography, year: int, seed: int) -> pl.DataFrame:
    """Shootings and explosions of a year, ordered by time (without ids)."""
    rng = rng_for(seed, STREAM_INCIDENTS, year)
    frames = [draw_kind(seeds, geo, kind, year, rng) for kind in (SHOOTING, EXPLOSION)]
    return pl.concat(frames).sort(["seconds", "incident_type", "deso"])


def month_frame(geo: Geography, rows: pl.DataFrame, first_id: int, year: int) -> pl.DataFrame:
    """The incidents/YYYY-MM.csv content for one month's rows."""
    deso = rows["deso"].to_numpy()

    return pl.DataFrame(
        [
            coded_ids("I", first_id + np.arange(rows.height), 7, year, "incident_id"),
            timestamps(rows["seconds"].to_numpy(), "occurred_at"),
            rows["incident_type"],
            pl.Series("municipality_code", geo.municipalities).gather(geo.muni_idx[deso]),
            geo.deso_codes.gather(deso).alias("deso_code"),
            rows["dead"],
            rows["injured"],
        ]
    ).with_columns(
        pl.when(rows["geocoded"]).then(pl.col("deso_code")).otherwise(None).alias("deso_code")
    )
