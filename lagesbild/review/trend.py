"""Three-year trend with seasonality: Poisson regression of monthly counts, fitted by IRLS.

log E[yₜ] = log(exposureₜ) + β₀ + β₁·tₜ + Σ γₘ·[month(t) = m]   (t in years)

The trend is exp(β₁), the rate ratio per year, with a Wald interval whose standard error is
scaled by the Pearson dispersion when the counts are over-dispersed (quasi-Poisson, φ ≥ 1).
Many series are fitted at once: `y` and `exposure` are (series × months) arrays sharing the
month axis; missing months (NaN) get weight zero.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

MIN_EVENTS = 10
"""Series with fewer events in the window get no trend (NaN): too few to say anything."""


@dataclass(frozen=True)
class Trend:
    rate_ratio_per_year: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    dispersion: np.ndarray


def design_matrix(month_numbers: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Intercept, centred time in years, and a dummy for every month-of-year but the first."""
    t = years - years.mean()
    present = sorted(set(int(m) for m in month_numbers))
    columns = [np.ones_like(t), t]
    columns += [(month_numbers == m).astype(float) for m in present[1:]]
    return np.column_stack(columns)


def fit_poisson_trend(
    y: np.ndarray,
    exposure: np.ndarray,
    month_numbers: np.ndarray,
    *,
    confidence: float = 0.95,
    iterations: int = 50,
    tolerance: float = 1e-9,
) -> Trend:
    """Fit every row of `y` (counts) with log-exposure offset and month effects."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    exposure = np.atleast_2d(np.asarray(exposure, dtype=float))
    month_numbers = np.asarray(month_numbers, dtype=float)
    years = np.arange(y.shape[1], dtype=float) / 12.0
    x = design_matrix(month_numbers, years)
    n_series, n_params = y.shape[0], x.shape[1]
    mask = np.isfinite(y) & np.isfinite(exposure) & (exposure > 0)
    yy = np.where(mask, y, 0.0)
    offset = np.log(np.where(mask, exposure, 1.0))
    events = yy.sum(axis=1)
    usable = (events >= MIN_EVENTS) & (mask.sum(axis=1) > n_params + 1)

    beta = np.zeros((n_series, n_params))
    with np.errstate(divide="ignore", invalid="ignore"):
        beta[:, 0] = np.log(np.maximum(events, 0.5) / np.where(mask, exposure, 0).sum(axis=1))
    beta[~np.isfinite(beta)] = 0.0
    ridge = 1e-8 * np.eye(n_params)
    # Xᵀ W X for every series at once as one matrix product: (series × t) @ (t × k·l)
    outer = (x[:, :, None] * x[:, None, :]).reshape(x.shape[0], n_params * n_params)

    def weighted_gram(weights: np.ndarray) -> np.ndarray:
        return (weights @ outer).reshape(len(weights), n_params, n_params) + ridge

    # IRLS on the series still moving: a series whose coefficients changed by less than the
    # tolerance is done, and a series that is not `usable` gets no trend (its coefficients
    # never converge when it has no events, and its results are NaN anyway).
    active = np.flatnonzero(usable)
    for _ in range(iterations):
        if not active.size:
            break
        rows = beta[active]
        eta = np.clip(offset[active] + rows @ x.T, -50, 50)
        mu = np.exp(eta)
        weights = np.where(mask[active], mu, 0.0)
        working = eta - offset[active] + np.where(mask[active], (yy[active] - mu) / mu, 0.0)
        new_rows = np.linalg.solve(weighted_gram(weights), ((weights * working) @ x)[..., None])
        new_rows = new_rows[..., 0]
        change = np.abs(new_rows - rows).max(axis=1)
        beta[active] = new_rows
        active = active[np.isfinite(change) & (change >= tolerance)]
    eta = np.clip(offset + beta @ x.T, -50, 50)
    mu = np.exp(eta)
    weights = np.where(mask, mu, 0.0)
    xtwx = weighted_gram(weights)
    covariance = np.linalg.inv(xtwx)
    dof = np.maximum(mask.sum(axis=1) - n_params, 1)
    pearson = np.where(mask, (yy - mu) ** 2 / mu, 0.0).sum(axis=1) / dof
    dispersion = np.maximum(pearson, 1.0)
    se = np.sqrt(covariance[:, 1, 1] * dispersion)
    z = stats.norm.ppf(0.5 + confidence / 2)
    slope = np.clip(beta[:, 1], -20, 20)
    se = np.minimum(se, 20)
    nan = np.full(n_series, np.nan)
    return Trend(
        rate_ratio_per_year=np.where(usable, np.exp(slope), nan),
        ci_low=np.where(usable, np.exp(slope - z * se), nan),
        ci_high=np.where(usable, np.exp(slope + z * se), nan),
        p_value=np.where(usable, 2 * stats.norm.sf(np.abs(slope / se)), nan),
        dispersion=np.where(usable, pearson, nan),
    )
