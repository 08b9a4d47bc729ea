"""Coverage completeness: is a unit's delivered count plausible against its own history?

Missing is not zero. A monthly delivery in which every line is valid can still lack a whole
police region, county, municipality, LPO or area; its count then "falls" to zero or far below
what the unit's own history makes plausible. This module computes, for every unit and month at
once (numpy over units × months, no loop per unit-month):

- the **expected count** μ = level × season × trend, from the unit's own history:
  level = mean of the delivered months among the last 12; season = the same calendar month of
  up to three earlier years against the 12-month mean centred on it, pooled and shrunk towards
  1 with a prior of `SEASON_PRIOR_EVENTS`; trend = the ratio of the last 12 months to the 12
  before (shrunk the same way, clipped to [½, 2]), carried forward the 6.5 months from the
  middle of the level window to the checked month;
- the **dispersion** φ (quasi-Poisson, variance φ·μ) from the same predictor's own errors over
  the unit's previous 24 months, (Σ (x − μ)²/μ + ν₀·φ₀) / (n + ν₀), never below 1. Because φ is
  measured on predictions, it covers the estimation error of μ as well as extra-Poisson noise;
- the **lower-tail probability** P(X ≤ delivered) under a negative binomial with that mean and
  variance (Poisson when φ = 1), and the plausible range (its `warn_p` and 1 − `warn_p` quantiles).

A unit-month is only judged with enough history (`min_history_months` delivered months before
it, at least 9 of the last 12, and the same calendar month in an earlier year); otherwise it is
`no_history` — the check says it lacks history instead of guessing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from lagesbild.quality.config import CoverageThresholds

LEVEL_MONTHS = 12
MIN_LEVEL_MONTHS = 9
"""Delivered months the level needs among the last 12."""
SEASON_YEARS = 3
MIN_CENTRED_MONTHS = 6
"""Delivered months a centred 12-month mean needs (the first year of a series has only 6)."""
SEASON_PRIOR_EVENTS = 10.0
"""Pseudo-events pulling the seasonal factor and the trend ratio towards 1 (small units)."""
TREND_CLIP = (0.5, 2.0)
TREND_LEAD_MONTHS = 6.5
"""From the middle of the level window (t − 6.5) to the checked month t."""
DISPERSION_MONTHS = 24
DISPERSION_PRIOR = 2.0
DISPERSION_PRIOR_WEIGHT = 6.0
"""φ₀ and ν₀: a unit with few past predictions starts from φ = 2, worth six months."""

OK, WARN, BLOCK, NO_HISTORY = "ok", "warn", "block", "no_history"


@dataclass(frozen=True)
class Expectation:
    """Per unit × month: expected count, dispersion and whether there is enough history."""

    expected: np.ndarray
    dispersion: np.ndarray
    has_history: np.ndarray
    history_months: np.ndarray
    """Delivered months before the month (the unit's whole history so far)."""


@dataclass(frozen=True)
class Assessment:
    """Per unit × month: the expectation, the tail probability, the range and the status."""

    expectation: Expectation
    observed: np.ndarray
    variance: np.ndarray
    p_lower: np.ndarray
    status: np.ndarray
    """OK, WARN, BLOCK or NO_HISTORY (object array)."""

    def flagged(self) -> np.ndarray:
        """(unit, month) index pairs of every WARN and BLOCK."""
        return np.argwhere((self.status == WARN) | (self.status == BLOCK))


def _cumulative(values: np.ndarray) -> np.ndarray:
    """Prefix sums along the months with a leading zero column: sum over [a, b) = c[b] − c[a]."""
    zeros = np.zeros((values.shape[0], 1))
    return np.concatenate([zeros, np.cumsum(values, axis=1)], axis=1)


def _window(cumulative: np.ndarray, start: int, stop: int) -> np.ndarray:
    """For every month t, the sum over months [t + start, t + stop), clipped to the series."""
    months = cumulative.shape[1] - 1
    t = np.arange(months)
    low = np.clip(t + start, 0, months)
    high = np.clip(t + stop, 0, months)
    return cumulative[:, high] - cumulative[:, low]


def _shifted(values: np.ndarray, lag: int, fill: float = np.nan) -> np.ndarray:
    """values[:, t − lag] at every t (fill where t − lag < 0)."""
    out = np.full(values.shape, fill, dtype=float)
    if lag < values.shape[1]:
        out[:, lag:] = values[:, : values.shape[1] - lag]
    return out


def expected_counts(counts: np.ndarray, min_history_months: int = 12) -> Expectation:
    """Expectation for every unit (row) and month (column) of `counts`.

    `counts` holds the delivered count per unit and month, NaN where the source did not
    deliver that month (missing is not zero; a delivered month without the unit is 0).
    """
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    delivered = np.isfinite(counts)
    values = np.where(delivered, counts, 0.0)
    sums, ns = _cumulative(values), _cumulative(delivered.astype(float))

    with np.errstate(divide="ignore", invalid="ignore"):
        n_level = _window(ns, -LEVEL_MONTHS, 0)
        level_sum = _window(sums, -LEVEL_MONTHS, 0)
        level = np.where(n_level >= MIN_LEVEL_MONTHS, level_sum / n_level, np.nan)

        n_centred = _window(ns, -6, 6)
        centred = np.where(
            n_centred >= MIN_CENTRED_MONTHS, _window(sums, -6, 6) / n_centred, np.nan
        )
        same_month = np.zeros(counts.shape)
        centred_sum = np.zeros(counts.shape)
        years = np.zeros(counts.shape)
        for k in range(1, SEASON_YEARS + 1):
            past = _shifted(counts, 12 * k)
            past_centred = _shifted(centred, 12 * k)
            usable = np.isfinite(past) & np.isfinite(past_centred)
            same_month += np.where(usable, past, 0.0)
            centred_sum += np.where(usable, past_centred, 0.0)
            years += usable
        season = (same_month + SEASON_PRIOR_EVENTS) / (centred_sum + SEASON_PRIOR_EVENTS)

        n_previous = _window(ns, -2 * LEVEL_MONTHS, -LEVEL_MONTHS)
        previous = np.where(
            n_previous >= MIN_LEVEL_MONTHS,
            _window(sums, -2 * LEVEL_MONTHS, -LEVEL_MONTHS) / n_previous,
            np.nan,
        )
        ratio = (LEVEL_MONTHS * level + SEASON_PRIOR_EVENTS) / (
            LEVEL_MONTHS * previous + SEASON_PRIOR_EVENTS
        )
        ratio = np.where(np.isfinite(ratio), np.clip(ratio, *TREND_CLIP), 1.0)
        trend = ratio ** (TREND_LEAD_MONTHS / LEVEL_MONTHS)

    history = _window(ns, -counts.shape[1], 0)
    has_history = (history >= min_history_months) & np.isfinite(level) & (years > 0)
    expected = np.where(has_history, level * season * trend, np.nan)
    dispersion = _dispersion(counts, expected)
    return Expectation(expected, dispersion, has_history, history.astype(int))


def _dispersion(counts: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """φ per unit × month from the squared Pearson errors of the previous 24 predictions."""
    usable = np.isfinite(counts) & np.isfinite(expected) & (expected > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        squared = np.where(usable, (counts - expected) ** 2 / expected, 0.0)
    total = _window(_cumulative(squared), -DISPERSION_MONTHS, 0)
    n = _window(_cumulative(usable.astype(float)), -DISPERSION_MONTHS, 0)
    phi = (total + DISPERSION_PRIOR_WEIGHT * DISPERSION_PRIOR) / (n + DISPERSION_PRIOR_WEIGHT)
    return np.maximum(phi, 1.0)


def variance(expected: np.ndarray, dispersion: np.ndarray, relative_sd: float) -> np.ndarray:
    """φ·μ + (c·μ)²: the unit's own noise plus a floor for level shifts no history predicts."""
    return dispersion * expected + (relative_sd * expected) ** 2


def _negative_binomial_parameters(
    expected: np.ndarray, var: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(n, p) of the negative binomial with mean μ and variance V > μ: n = μ²/(V − μ), p = μ/V."""
    excess = np.maximum(var - expected, 1e-12)
    return expected**2 / excess, expected / np.maximum(var, expected)


def lower_tail(observed: np.ndarray, expected: np.ndarray, var: np.ndarray) -> np.ndarray:
    """P(X ≤ observed) for a negative binomial X with mean `expected` and variance `var`.

    Poisson where the variance equals the mean; 1 where nothing is expected; NaN where there
    is no expectation or no observation. Computed with `scipy.special` — the regularized
    incomplete beta I_p(n, k + 1) and `pdtr` — which is what `scipy.stats.nbinom.cdf` and
    `poisson.cdf` evaluate, bit for bit (tests/unit/test_coverage.py), without importing
    `scipy.stats` (≈ 0.8 s) in the coverage check of every run.
    """
    observed = np.asarray(observed, dtype=float)
    ok = np.isfinite(observed) & np.isfinite(expected) & (expected > 0)
    mu = np.where(ok, expected, 1.0)
    v = np.where(ok, var, 1.0)
    k = np.floor(np.where(ok, observed, 0.0))
    over = v > mu * (1.0 + 1e-9)
    n, p_success = _negative_binomial_parameters(mu, np.where(over, v, 2 * mu))
    p = np.where(over, special.betainc(n, k + 1.0, p_success), special.pdtr(k, mu))
    p = np.clip(p, 0.0, 1.0)
    zero_expected = np.isfinite(observed) & np.isfinite(expected) & (expected <= 0)
    return np.where(ok, p, np.where(zero_expected, 1.0, np.nan))


def plausible_range(
    expected: np.ndarray, var: np.ndarray, tail: float
) -> tuple[np.ndarray, np.ndarray]:
    """The range holding all but `tail` of the probability in each tail: its low and high.

    Only for the flagged unit-months' messages, so `scipy.stats` is imported here, not with
    the module.
    """
    from scipy import stats

    ok = np.isfinite(expected) & (expected > 0)
    mu = np.where(ok, expected, 1.0)
    v = np.where(ok, var, 1.0)
    over = v > mu * (1.0 + 1e-9)
    nb = stats.nbinom(*_negative_binomial_parameters(mu, np.where(over, v, 2 * mu)))
    low = np.where(over, nb.ppf(tail), stats.poisson.ppf(tail, mu))
    high = np.where(over, nb.ppf(1.0 - tail), stats.poisson.ppf(1.0 - tail, mu))
    return np.where(ok, low, np.nan), np.where(ok, high, np.nan)


def assess(counts: np.ndarray, thresholds: CoverageThresholds) -> Assessment:
    """Expectation, tail probability and status for every unit × month."""
    counts = np.atleast_2d(np.asarray(counts, dtype=float))
    expectation = expected_counts(counts, thresholds.min_history_months)
    mu = expectation.expected
    var = variance(mu, expectation.dispersion, thresholds.min_relative_sd)
    p = lower_tail(counts, mu, var)
    judged = expectation.has_history & np.isfinite(counts)
    with np.errstate(invalid="ignore"):
        block = judged & (mu >= thresholds.block_min_expected) & (p < thresholds.block_p)
        warn = judged & ~block & (mu >= thresholds.warn_min_expected) & (p < thresholds.warn_p)
    status = np.full(counts.shape, OK, dtype=object)
    status[~judged] = NO_HISTORY
    status[warn] = WARN
    status[block] = BLOCK
    return Assessment(expectation, counts, var, p, status)
