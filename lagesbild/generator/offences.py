"""Reported offences and their clearances (personuppklarade), drawn per DeSO × code × month.

Intensity = population × municipality and DeSO heterogeneity × vulnerable-area effect (by the
classification in force) × area trend × season, normalised per year and offence code to the
calibrated national total and offence mix. Counts are Poisson; rows are expanded with np.repeat.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from lagesbild.generator.geography import Geography
from lagesbild.generator.measures import PlantedEffects
from lagesbild.generator.reference import Seeds, yearly_target
from lagesbild.generator.timeline import (
    area_effects,
    days_in_month,
    epoch_day,
    mid_month_years,
    rng_for,
)
from lagesbild.generator.writer import coded_ids, dates

STREAM_OFFENCE_MODEL, STREAM_OFFENCES = 10, 11
MISSING_DESO_SHARE = 0.04
SMALL_VOLUME = 0.1  # small scale: a tenth of the national intensities
TREND_REFERENCE_YEAR = 2022.5
MAX_LAG_MONTHS = 9

# Share of all offences (%) per offence code (our own categorisation, see seed offence_codes).
CODE_SHARES = {
    "0301": 2.2, "0311": 3.0, "0321": 0.3, "0331": 0.5, "0341": 0.01, "0351": 0.03,
    "0401": 4.0, "0601": 0.6, "0801": 0.8, "0811": 0.1, "0901": 1.0, "0911": 6.0,
    "0921": 5.0, "0931": 18.0, "1201": 9.0, "1211": 4.0, "1301": 0.3, "1401": 17.0,
    "1701": 0.25, "1711": 0.25, "1801": 0.2, "5001": 6.0, "5011": 1.0, "6001": 0.3,
    "7001": 6.0, "9001": 14.0,
}  # fmt: skip
# Vulnerable-area effect per group: [not listed, utsatt, risk, särskilt].
GROUP_EFFECTS = {
    "violence": np.array([1.0, 2.0, 2.3, 3.7]),
    "drugs": np.array([1.0, 2.0, 2.2, 4.0]),
    "disorder": np.array([1.0, 1.5, 1.6, 2.2]),
    "theft": np.array([1.0, 1.05, 1.05, 1.1]),
    "fraud": np.array([1.0, 0.95, 0.95, 0.9]),
    "other": np.array([1.0, 1.15, 1.15, 1.3]),
}
GROUPS = tuple(GROUP_EFFECTS)
SEASONS = {
    "summer": [0.88, 0.84, 0.93, 0.97, 1.06, 1.10, 1.12, 1.12, 1.04, 1.00, 0.97, 0.97],
    "theft": [0.92, 0.86, 0.95, 0.97, 1.03, 1.07, 1.10, 1.10, 1.05, 1.02, 1.00, 0.93],
    "fraud": [1.02, 0.95, 1.03, 0.98, 1.00, 0.98, 0.94, 0.98, 1.02, 1.05, 1.06, 0.99],
    "drugs": [1.00, 1.00, 1.05, 1.03, 1.02, 0.98, 0.90, 0.95, 1.05, 1.06, 1.04, 0.92],
    "flat": [0.98, 0.95, 1.02, 0.99, 1.02, 1.03, 0.98, 1.02, 1.03, 1.04, 1.01, 0.93],
}
# category: (effect group, season, clearance rate, monthly decay of the decision lag)
CATEGORIES = {
    "assault_public": ("violence", "summer", 0.15, 0.6),
    "assault_private": ("violence", "summer", 0.25, 0.6),
    "lethal_violence": ("violence", "summer", 0.45, 0.7),
    "robbery_public": ("violence", "summer", 0.15, 0.6),
    "robbery_commercial": ("violence", "flat", 0.25, 0.6),
    "officials": ("violence", "summer", 0.40, 0.5),
    "weapons": ("violence", "flat", 0.60, 0.45),
    "drugs": ("drugs", "drugs", 0.80, 0.35),
    "witness_intimidation": ("drugs", "flat", 0.40, 0.6),
    "threat": ("disorder", "summer", 0.12, 0.6),
    "sexual": ("disorder", "summer", 0.12, 0.7),
    "vandalism": ("disorder", "summer", 0.04, 0.6),
    "arson": ("disorder", "summer", 0.05, 0.6),
    "theft": ("theft", "theft", 0.05, 0.55),
    "fraud": ("fraud", "fraud", 0.08, 0.6),
    "traffic": ("other", "flat", 0.70, 0.35),
    "other": ("other", "flat", 0.25, 0.6),
}


def municipality_multiplier(population: np.ndarray) -> np.ndarray:
    """Bigger towns have somewhat higher rates per inhabitant."""
    return np.clip((population / 60_000.0) ** 0.12, 0.8, 1.35)


def lag_cdf(decay: float) -> np.ndarray:
    """Cumulative distribution of the decision lag, 0–MAX_LAG_MONTHS months (geometric)."""
    weights = decay ** np.arange(MAX_LAG_MONTHS + 1)
    return np.cumsum(weights) / weights.sum()


class OffenceModel:
    """Monthly intensities per DeSO × offence code."""

    def __init__(
        self,
        seeds: Seeds,
        geo: Geography,
        seed: int,
        scale: str,
        planted: PlantedEffects | None = None,
    ) -> None:
        self.seeds, self.geo = seeds, geo
        self.planted = planted
        self.codes = [code for code, _ in seeds.offence_codes]
        categories = [CATEGORIES[category] for _, category in seeds.offence_codes]
        shares = np.array([CODE_SHARES[code] for code in self.codes])
        self.shares = shares / shares.sum()
        self.group = np.array([GROUPS.index(group) for group, _, _, _ in categories])
        self.season = np.array([SEASONS[season] for _, season, _, _ in categories])
        self.season /= self.season.mean(axis=1, keepdims=True)
        self.clearance_rate = np.array([rate for _, _, rate, _ in categories])
        self.lag_cdf = np.array([lag_cdf(decay) for _, _, _, decay in categories])
        rng = rng_for(seed, STREAM_OFFENCE_MODEL)
        self.heterogeneity = rng.lognormal(0.0, 0.3, (geo.size, len(GROUPS)))
        slopes = np.log1p(rng.uniform(-0.15, 0.15, len(geo.areas)))
        self.in_area = geo.area_idx >= 0
        self.area_of = np.where(self.in_area, geo.area_idx, 0)
        self.slope = np.where(self.in_area, slopes[self.area_of], 0.0)
        self.base = municipality_multiplier(geo.muni_population)[geo.muni_idx]
        self.volume = 1.0
        if scale == "small":
            self.volume = SMALL_VOLUME * geo.muni_population.sum() / geo.national_population
        self._year: tuple[int, np.ndarray] | None = None

    def year_intensity(self, year: int) -> np.ndarray:
        """Expected counts (12, n_deso, n_code) for a whole year."""
        months = year * 12 + np.arange(12)
        effects = area_effects(self.seeds, self.geo.areas, months)
        t = np.array([mid_month_years(int(m)) for m in months])[:, None]
        base = self.geo.population(t) * self.base * np.exp(self.slope * (t - TREND_REFERENCE_YEAR))
        expected = np.empty((12, self.geo.size, len(self.codes)))
        for g, group in enumerate(GROUPS):
            area_mult = effects.multiplier(GROUP_EFFECTS[group])[self.area_of].T
            mult = np.where(self.in_area, area_mult, 1.0) * self.heterogeneity[:, g]
            columns = np.nonzero(self.group == g)[0]
            expected[:, :, columns] = (base * mult)[:, :, None] * self.season[columns].T[:, None]
        total = yearly_target(self.seeds.calibration, "reported_offences_total", year)
        target = total * self.shares * self.volume
        return expected * (target / expected.sum(axis=(0, 1)))

    def month_intensity(self, month: int) -> np.ndarray:
        """Expected counts (n_deso, n_code) for one month index (years are cached), with the
        effects of the example measures planted (lagesbild/generator/measures.py)."""
        year = month // 12
        if self._year is None or self._year[0] != year:
            self._year = (year, self.year_intensity(year))
        intensity = self._year[1][month % 12]
        return intensity if self.planted is None else self.planted.apply(month, intensity)


@dataclass(frozen=True)
class OffenceMonth:
    """One month's offences and the clearances they will get: {decision month: rows}."""

    offences: pl.DataFrame
    clearances: dict[int, pl.DataFrame]


def draw_month(model: OffenceModel, month: int, first_id: int, seed: int) -> OffenceMonth:
    """Draw the offences registered in a month and their later clearances."""
    rng = rng_for(seed, STREAM_OFFENCES, month)
    n_code = len(model.codes)
    counts = rng.poisson(model.month_intensity(month))
    flat = np.repeat(np.arange(counts.size), counts.ravel())
    day = rng.integers(0, days_in_month(month), flat.size)
    order = np.lexsort((rng.random(flat.size), day))
    flat, day = flat[order], day[order]
    deso, code = flat // n_code, flat % n_code
    geocoded = rng.random(flat.size) >= MISSING_DESO_SHARE
    geo = model.geo
    offences = pl.DataFrame(
        [
            coded_ids("K", first_id + np.arange(flat.size), 9, month // 12, "offence_id"),
            dates(epoch_day(month) + day, "registered_date"),
            pl.Series("offence_code", model.codes).gather(code),
            pl.Series("municipality_code", geo.municipalities).gather(geo.muni_idx[deso]),
            geo.deso_codes.gather(deso).alias("deso_code"),
        ]
    ).with_columns(
        pl.when(pl.Series(geocoded)).then(pl.col("deso_code")).otherwise(None).alias("deso_code")
    )
    return OffenceMonth(offences, _clearances(model, rng, month, offences, code, day))


def _clearances(
    model: OffenceModel,
    rng: np.random.Generator,
    month: int,
    offences: pl.DataFrame,
    code: np.ndarray,
    day: np.ndarray,
) -> dict[int, pl.DataFrame]:
    """Cleared offences with a decision date 0–9 months later, by decision month."""
    rows = np.nonzero(rng.random(code.size) < model.clearance_rate[code])[0]
    lag = (rng.random(rows.size)[:, None] > model.lag_cdf[code[rows]]).sum(axis=1)
    lag = np.minimum(lag, MAX_LAG_MONTHS)
    starts = np.array([epoch_day(month + k) for k in range(MAX_LAG_MONTHS + 1)])
    lengths = np.array([days_in_month(month + k) for k in range(MAX_LAG_MONTHS + 1)])
    share = rng.random(rows.size)
    same_month = day[rows] + np.floor(share * (lengths[0] - day[rows]))
    decision_day = np.where(lag == 0, same_month, np.floor(share * lengths[lag]))
    cleared = offences.select(pl.all().gather(rows)).with_columns(
        dates(starts[lag] + decision_day.astype(np.int64), "registered_date")
    )
    cleared = cleared.rename({"registered_date": "decision_date"}).with_columns(
        pl.Series("lag", lag)
    )
    return {
        month + k: cleared.filter(pl.col("lag") == k).drop("lag") for k in range(MAX_LAG_MONTHS + 1)
    }
