"""Small-count statistics for comparing two periods, many tests at once, and areas fairly.

All functions are vectorised over numpy arrays (one element per geography × indicator).
Methods (see docs/reviews.md and ../shared/STATISTICS.md):
- `rate_ratio_exact`: rate ratio with the exact conditional (Clopper–Pearson) interval and the
  matching two-sided exact p-value (the "central" binomial test, twice the smaller tail), so a
  change is significant at 5 % exactly when its 95 % interval excludes 1.
- `benjamini_hochberg`: false-discovery-rate adjusted p-values (q-values).
- `wheeler_z`: the quick screen 2(√x₁ − √x₀).
- `eb_shrink_rates`: empirical-Bayes (Poisson–gamma, Marshall's moment estimator) rates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from lagesbild.review.thresholds import FEW_EVENTS  # noqa: F401 (the review imports it here)


@dataclass(frozen=True)
class RateRatio:
    rate_ratio: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray


def _as_float(values: object) -> np.ndarray:
    return np.atleast_1d(np.asarray(values, dtype=float))


def rate_ratio_exact(
    x1: object, x0: object, e1: object, e0: object, confidence: float = 0.95
) -> RateRatio:
    """RR = (x₁/E₁)/(x₀/E₀) with the exact interval conditional on x₁ + x₀.

    Given n = x₁ + x₀, x₁ ~ Binomial(n, p) with p = E₁·RR / (E₀ + E₁·RR). The Clopper–Pearson
    interval for p is mapped back by RR = p·E₀ / ((1 − p)·E₁). Undefined (NaN) when x₀ = 0
    (the ratio and its upper limit are infinite), when n = 0, or when an input is missing.
    """
    x1, x0, e1, e0 = (_as_float(v) for v in (x1, x0, e1, e0))
    alpha = 1.0 - confidence
    n = x1 + x0
    valid = np.isfinite(n) & np.isfinite(e1) & np.isfinite(e0) & (e1 > 0) & (e0 > 0) & (n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p_low = np.where(x1 > 0, stats.beta.ppf(alpha / 2, x1, n - x1 + 1), 0.0)
        p_high = np.where(x0 > 0, stats.beta.ppf(1 - alpha / 2, x1 + 1, n - x1), 1.0)
        to_rr = e0 / e1
        rr = np.where(valid & (x0 > 0), (x1 / e1) / (x0 / e0), np.nan)
        low = np.where(valid, p_low / (1 - p_low) * to_rr, np.nan)
        high = np.where(valid & (x0 > 0), p_high / (1 - p_high) * to_rr, np.nan)
        p0 = e1 / (e1 + e0)
        lower_tail = stats.binom.cdf(x1, n, p0)
        upper_tail = stats.binom.sf(x1 - 1, n, p0)
        p_value = np.where(valid, np.minimum(1.0, 2 * np.minimum(lower_tail, upper_tail)), np.nan)
    return RateRatio(rr, low, high, p_value)


def benjamini_hochberg(p_values: object) -> np.ndarray:
    """BH q-values (scipy's `false_discovery_control`); NaN p-values are not tests: they stay
    NaN and do not count in the number of tests m."""
    p = _as_float(p_values)
    q = np.full_like(p, np.nan)
    tested = np.isfinite(p)
    if tested.any():
        q[tested] = stats.false_discovery_control(p[tested], method="bh")
    return q


def wheeler_z(x1: object, x0: object) -> np.ndarray:
    """Wheeler's screen for a change in a Poisson count: 2(√x₁ − √x₀); |z| > 3 is notable."""
    return 2 * (np.sqrt(_as_float(x1)) - np.sqrt(_as_float(x0)))


@dataclass(frozen=True)
class ShrunkRates:
    rate: np.ndarray
    """Posterior mean rate (events per unit of exposure)."""
    prior_mean: float
    prior_variance: float
    shape: np.ndarray
    """Gamma posterior shape; the posterior rate parameter is `rate_param`."""
    rate_param: np.ndarray


def eb_shrink_rates(counts: object, exposure: object) -> ShrunkRates:
    """Empirical-Bayes rates: each unit's rate shrunk towards the pooled rate.

    Poisson–gamma model with Marshall's (1991) moment estimates: m = Σx/Σn,
    s² = Σnᵢ(rᵢ − m)²/Σn − m/n̄. The posterior mean is m + Cᵢ(rᵢ − m) with
    Cᵢ = s²/(s² + m/nᵢ): small populations move most. If s² ≤ 0 every unit gets m.
    Units with missing count or no exposure stay NaN.
    """
    x, n = _as_float(counts), _as_float(exposure)
    ok = np.isfinite(x) & np.isfinite(n) & (n > 0)
    rate = np.full_like(x, np.nan)
    shape = np.full_like(x, np.nan)
    rate_param = np.full_like(x, np.nan)
    if not ok.any():
        return ShrunkRates(rate, float("nan"), float("nan"), shape, rate_param)
    xo, no = x[ok], n[ok]
    m = xo.sum() / no.sum()
    raw = xo / no
    s2 = float((no * (raw - m) ** 2).sum() / no.sum() - m / no.mean())
    if m <= 0:
        rate[ok] = 0.0
        return ShrunkRates(rate, float(m), 0.0, shape, rate_param)
    if s2 <= 0:
        rate[ok] = m
        s2 = 0.0
        shape[ok] = np.inf
        return ShrunkRates(rate, float(m), s2, shape, rate_param)
    alpha, beta = m * m / s2, m / s2
    rate[ok] = (xo + alpha) / (no + beta)
    shape[ok], rate_param[ok] = xo + alpha, no + beta
    return ShrunkRates(rate, float(m), s2, shape, rate_param)


def rank_with_intervals(
    shrunk: ShrunkRates,
    *,
    descending: bool = True,
    draws: int = 400,
    seed: int = 20240101,
    coverage: float = 0.90,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ranks of the shrunk rates (1 = highest when `descending`) with posterior rank intervals.

    The interval comes from drawing every unit's rate from its gamma posterior `draws` times
    and ranking each draw; ties and NaN units get NaN.
    """
    rate = shrunk.rate
    ok = np.isfinite(rate)
    rank = np.full(rate.shape, np.nan)
    low = np.full(rate.shape, np.nan)
    high = np.full(rate.shape, np.nan)
    if not ok.any():
        return rank, low, high
    sign = -1.0 if descending else 1.0
    rank[ok] = stats.rankdata(sign * rate[ok], method="min")
    finite_posterior = ok & np.isfinite(shrunk.shape) & np.isfinite(shrunk.rate_param)
    if finite_posterior.sum() == ok.sum():
        rng = np.random.default_rng(seed)
        sample = rng.gamma(
            shrunk.shape[ok], 1.0 / shrunk.rate_param[ok], size=(draws, int(ok.sum()))
        )
        sample_ranks = stats.rankdata(sign * sample, axis=1, method="min")
        tail = (1 - coverage) / 2 * 100
        low[ok] = np.percentile(sample_ranks, tail, axis=0)
        high[ok] = np.percentile(sample_ranks, 100 - tail, axis=0)
    else:  # no between-unit variance: every rank is equally plausible
        low[ok], high[ok] = 1, ok.sum()
    return rank, low, high
