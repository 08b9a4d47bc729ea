"""Inference from the comparison units themselves: placebo-in-space, studentised.

With one treated area, model-based or area-clustered standard errors understate the
uncertainty: they know nothing of how much an area's counts wander on their own (trends,
status changes, local events). So the uncertainty is read from the same estimate computed for
every comparison unit as if it had been treated (Conley & Taber 2011; Abadie, Diamond &
Hainmueller 2010; randomisation inference, Fisher). Under "no effect", the treated zone's
estimate is one more draw from that placebo distribution.

Comparison units differ in size, and a small unit's estimate is noisier. Following Ferman &
Pinto (2019, "Inference in differences-in-differences with few treated groups and
heteroskedasticity") each placebo estimate is scaled by its own expected spread,
    Var(estimate) = φ · v + τ²,
with v the unit's Poisson variance (from its counts) and φ (over-dispersion) and τ² (the
unit's own wandering, the same for all) fitted on the placebo estimates by non-negative least
squares. The treated zone's standardised estimate z₀ = estimate / scale is ranked among the
placebos' z:

- p-value: (1 + #{placebos with |z| ≥ |z₀|}) / (1 + number of placebos), two-sided;
- 95 % interval: every effect that, subtracted from the estimate, would not be rejected at
  5 % (test inversion) — estimate ± scale · c, with c the critical |z| of the placebos;
- minimum detectable effect at 80 % power in the expected direction: the effect whose shifted
  placebo distribution crosses c in 80 % of the placebos.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import nnls

ALPHA = 0.05
POWER = 0.80


@dataclass(frozen=True)
class PlaceboInference:
    """Inference for the treated zone on the log scale (exp() gives rate ratios)."""

    estimate: float
    scale: float
    ci_low: float  # −inf when too few placebos to reject anything
    ci_high: float  # +inf likewise
    p_value: float
    rank_p_value: float  # unstudentised: rank of |estimate| among the placebos' |estimates|
    mde: float  # magnitude on the log scale (+inf when nothing is detectable)
    critical_z: float
    placebo_estimates: np.ndarray
    placebo_z: np.ndarray
    overdispersion: float  # φ
    own_variance: float  # τ²

    @property
    def n_placebo(self) -> int:
        return len(self.placebo_estimates)

    def mde_ratio(self, direction: str) -> float:
        """The rate ratio detectable with 80 % power: below 1 for 'decrease'."""
        if not math.isfinite(self.mde):
            return math.nan
        return math.exp(-self.mde if direction == "decrease" else self.mde)


def variance_components(estimates: np.ndarray, model_variance: np.ndarray) -> tuple[float, float]:
    """(φ, τ²) of Var = φ·v + τ², by non-negative least squares of estimate² on (v, 1)."""
    design = np.column_stack([model_variance, np.ones_like(model_variance)])
    (phi, tau2), _ = nnls(design, estimates**2)
    if phi <= 0 and tau2 <= 0:
        return 1.0, 0.0
    return float(phi), float(tau2)


def critical_rank(n_placebo: int, alpha: float = ALPHA) -> int:
    """How many placebos must be at least as extreme for p > alpha: the m-th largest |z|
    bounds the interval (0 when no placebo count can make p ≤ alpha)."""
    return max(math.floor(alpha * (n_placebo + 1) + 1e-9), 0) if n_placebo else 0


def placebo_inference(
    estimate: float,
    model_variance: float,
    placebo_estimates: np.ndarray,
    placebo_variances: np.ndarray,
    direction: str,
    alpha: float = ALPHA,
    power: float = POWER,
) -> PlaceboInference:
    """Studentised placebo-in-space inference for one treated estimate (log scale)."""
    keep = np.isfinite(placebo_estimates) & np.isfinite(placebo_variances)
    placebos, variances = placebo_estimates[keep], placebo_variances[keep]
    n = len(placebos)
    if n == 0 or not math.isfinite(estimate):
        return _undetermined(estimate, placebos)
    phi, tau2 = variance_components(placebos, variances)
    scales = np.sqrt(phi * variances + tau2)
    scale = math.sqrt(phi * model_variance + tau2)
    z = placebos / scales
    z0 = estimate / scale
    p_value = (1 + int(np.sum(np.abs(z) >= abs(z0) - 1e-12))) / (n + 1)
    rank_p = (1 + int(np.sum(np.abs(placebos) >= abs(estimate) - 1e-12))) / (n + 1)
    m = critical_rank(n, alpha)
    if m == 0:
        return PlaceboInference(
            estimate, scale, -math.inf, math.inf, p_value, rank_p, math.inf, math.inf,
            placebos, z, phi, tau2,
        )  # fmt: skip
    critical = float(np.sort(np.abs(z))[::-1][m - 1])
    if direction == "decrease":
        mde = scale * (critical + float(np.quantile(z, power)))
    else:
        mde = scale * (critical - float(np.quantile(z, 1 - power)))
    return PlaceboInference(
        estimate=estimate,
        scale=scale,
        ci_low=estimate - scale * critical,
        ci_high=estimate + scale * critical,
        p_value=p_value,
        rank_p_value=rank_p,
        mde=max(mde, 0.0),
        critical_z=critical,
        placebo_estimates=placebos,
        placebo_z=z,
        overdispersion=phi,
        own_variance=tau2,
    )


def _undetermined(estimate: float, placebos: np.ndarray) -> PlaceboInference:
    return PlaceboInference(
        estimate, math.nan, -math.inf, math.inf, math.nan, math.nan, math.inf, math.inf,
        placebos, np.array([]), math.nan, math.nan,
    )  # fmt: skip


def standardised_sum_of_squares(
    values: np.ndarray, variances: np.ndarray, placebo_values: np.ndarray, placebo_vars: np.ndarray
) -> tuple[float, np.ndarray]:
    """Mean of (value / scale)² over columns, for the treated row and every placebo row.

    Used for the pre-trend test on event-study leads: scales come from variance components
    fitted on all placebo leads pooled, as for the effect itself.
    """
    keep = np.isfinite(placebo_values).all(axis=1) & np.isfinite(placebo_vars).all(axis=1)
    placebo_values, placebo_vars = placebo_values[keep], placebo_vars[keep]
    phi, tau2 = variance_components(placebo_values.ravel(), placebo_vars.ravel())
    treated = float(np.mean(values**2 / (phi * variances + tau2)))
    placebo = np.mean(placebo_values**2 / (phi * placebo_vars + tau2), axis=1)
    return treated, placebo


def rank_p_value(statistic: float, placebo_statistics: np.ndarray) -> float:
    """(1 + #{placebo ≥ statistic}) / (1 + n): a one-sided randomisation p-value."""
    if not math.isfinite(statistic) or len(placebo_statistics) == 0:
        return math.nan
    return (1 + int(np.sum(placebo_statistics >= statistic - 1e-12))) / (
        len(placebo_statistics) + 1
    )
