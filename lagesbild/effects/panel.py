"""The monthly panel one evaluation works on: the treated zone (row 0) and its comparison units.

Counts and exposures (population) are arrays of units × months; `start` is the index of the
measure's first month. Everything the estimators need and nothing they should not see: the
panel holds no measure of the same kind, no surroundings of the treated area and no month
with a missing delivery (missing is not zero — such a unit is left out, never filled in).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

QUARTER = 3
"""Months per event-study bin (leads and lags are quarters relative to the start)."""


@dataclass(frozen=True)
class Panel:
    """Unit 0 is the treated zone; units 1… are the comparison units."""

    units: tuple[str, ...]
    months: tuple[date, ...]
    counts: np.ndarray  # (n_units, n_months), events per month
    exposure: np.ndarray  # (n_units, n_months), mid-month population
    start: int  # index of the first month of the measure in `months`

    def __post_init__(self) -> None:
        shape = (len(self.units), len(self.months))
        if self.counts.shape != shape or self.exposure.shape != shape:
            raise ValueError(f"counts and exposure must be {shape}")
        if not 0 < self.start < len(self.months):
            raise ValueError("the panel needs at least one month before and one from the start")
        if np.any(self.exposure <= 0) or not np.all(np.isfinite(self.exposure)):
            raise ValueError("every exposure must be a positive number")
        if np.any(self.counts < 0) or not np.all(np.isfinite(self.counts)):
            raise ValueError("every count must be a non-negative number")

    @property
    def n_units(self) -> int:
        return len(self.units)

    @property
    def n_comparison(self) -> int:
        return len(self.units) - 1

    @property
    def pre_months(self) -> int:
        return self.start

    @property
    def post_months(self) -> int:
        return len(self.months) - self.start

    @property
    def event_time(self) -> np.ndarray:
        """Months relative to the start (0 = first month of the measure)."""
        return np.arange(len(self.months)) - self.start

    @property
    def event_bins(self) -> np.ndarray:
        """Quarter relative to the start for every month (−1 = the last quarter before)."""
        return np.floor_divide(self.event_time, QUARTER)

    def treated_events(self) -> tuple[int, int]:
        """Events of the treated zone before and from the start."""
        row = self.counts[0]
        return int(row[: self.start].sum()), int(row[self.start :].sum())
