"""Months, random streams and the classification in force for every area and month."""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import numpy as np

from lagesbild.generator.reference import Area, Seeds

REF_YEAR = 2025  # DeSO sizes are set at 31 December of this year
PRE_LISTING_WEIGHT = 0.5  # share of its later effect an area shows before it is first listed
DECAY_MONTHS = 12.0  # e-folding time of the drift back to 1 after an area leaves the list
EPOCH = dt.date(1970, 1, 1)


def rng_for(seed: int, *keys: int) -> np.random.Generator:
    """An independent, reproducible random stream for (seed, keys…)."""
    return np.random.default_rng([seed, *keys])


def parse_month(text: str) -> int:
    """'YYYY-MM' → month index (year * 12 + month - 1)."""
    year, month = (int(part) for part in text.split("-"))
    if not 1 <= month <= 12:
        raise ValueError(f"not a month: {text!r}")
    return year * 12 + month - 1


def month_label(index: int) -> str:
    """Month index → 'YYYY-MM'."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_start(index: int) -> dt.date:
    """First day of a month index."""
    return dt.date(index // 12, index % 12 + 1, 1)


def days_in_month(index: int) -> int:
    """Number of days of a month index."""
    return calendar.monthrange(index // 12, index % 12 + 1)[1]


def epoch_day(index: int) -> int:
    """Days since 1970-01-01 of the first day of a month index."""
    return (month_start(index) - EPOCH).days


def last_complete_month(today: dt.date | None = None) -> str:
    """The month before the current one, 'YYYY-MM'."""
    today = today or dt.date.today()
    return month_label(today.year * 12 + today.month - 2)


def mid_month_years(index: int) -> float:
    """Time in years at the middle of a month (31 Dec of year Y is Y + 1.0)."""
    return index // 12 + (index % 12 + 0.5) / 12


@dataclass(frozen=True)
class AreaEffects:
    """Per atomic area and month: the category whose effect applies and its weight.

    multiplier = 1 + weight * (M[category] - 1), with M the category effects of a measure.
    """

    category: np.ndarray  # int8 (n_area, n_month): 0 none, 1 utsatt, 2 risk, 3 särskilt
    weight: np.ndarray  # float (n_area, n_month)
    listed: np.ndarray  # bool (n_area, n_month): on the list in force that month

    def multiplier(self, effects: np.ndarray) -> np.ndarray:
        """(n_area, n_month) multipliers for category effects [1, utsatt, risk, särskilt]."""
        return 1.0 + self.weight * (effects[self.category] - 1.0)


def list_category(area: Area, year: int, by_code: dict[str, Area]) -> int:
    """Category of an atomic area on a list; a part inherits its composite's category."""
    own = area.categories.get(year, 0)
    if own or area.parent is None:
        return own
    return by_code[area.parent].categories.get(year, 0)


def area_effects(seeds: Seeds, areas: list[Area], months: np.ndarray) -> AreaEffects:
    """Classification in force (and drift before/after listing) for areas × months."""
    by_code = seeds.area_by_code()
    starts = [d.year * 12 + d.month - 1 for _, d in seeds.lists]
    shape = (len(areas), len(months))
    category = np.zeros(shape, dtype=np.int8)
    weight = np.zeros(shape)
    listed = np.zeros(shape, dtype=bool)
    for a, area in enumerate(areas):
        cats = [list_category(area, year, by_code) for year, _ in seeds.lists]
        for m, month in enumerate(months):
            category[a, m], weight[a, m], listed[a, m] = _effect(cats, starts, int(month))
    return AreaEffects(category, weight, listed)


def _effect(cats: list[int], starts: list[int], month: int) -> tuple[int, float, bool]:
    """(category, weight, listed) of one area in one month."""
    in_force = [i for i, start in enumerate(starts) if start <= month]
    current = in_force[-1] if in_force else -1
    if current >= 0 and cats[current]:
        return cats[current], 1.0, True
    earlier = [i for i in range(current + 1) if cats[i]]
    if earlier:
        last = earlier[-1]
        removed_at = starts[last + 1]
        return cats[last], float(np.exp(-(month - removed_at) / DECAY_MONTHS)), False
    later = [i for i in range(current + 1, len(cats)) if cats[i]]
    if later:
        return cats[later[0]], PRE_LISTING_WEIGHT, False
    return 0, 0.0, False
