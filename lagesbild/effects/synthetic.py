"""Synthetic control (Abadie, Diamond & Hainmueller 2010) as a second opinion, with pysyncon.

The synthetic zone is a weighted average (weights ≥ 0, summing to 1) of comparison units
whose path before the start matches the treated zone's. Paths are compared as an *index*:
each unit's monthly rate divided by its own pre-period mean, averaged per quarter, so units of
any size and level can contribute and the fit is about the shape (trend and season), not the
level. The counterfactual is the synthetic index times the zone's own pre-period rate.
Monthly index values are the predictors (equal importance, so no nested optimisation of V):
with quarterly values a pool of 50 units can trace any short path exactly — noise included —
and the fit would say nothing.

In-space placebos: every comparison unit in turn is treated as the zone, with a synthetic
control built from the other comparison units. Abadie's placebo p-value ranks the treated
zone's post/pre RMSPE ratio among them; the effect estimate itself is put through the same
studentised placebo inference as the difference-in-differences (lagesbild.effects.inference).

The fit is "good" when the pre-period RMSPE of the monthly index is at most
MAX_FIT_RATIO times what Poisson noise alone would give (a perfect path cannot be followed
more closely than the counts' own noise allows).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pysyncon import Synth

from lagesbild.effects.panel import Panel

MAX_FIT_RATIO = 1.5
"""A synthetic control fits when its pre-period RMSPE ≤ 1.5 × the counts' own Poisson noise."""


@dataclass(frozen=True)
class SyntheticFit:
    """Per unit (row 0 = treated zone, rows 1… = comparison units as placebos)."""

    log_effect: np.ndarray  # (n_units,)
    variance: np.ndarray  # (n_units,) Poisson approximation of the variance of log_effect
    counterfactual: np.ndarray  # (n_units, n_months) expected counts without the measure
    pre_rmspe: np.ndarray  # (n_units,) monthly index, pre-period
    post_rmspe: np.ndarray  # (n_units,) monthly index, post-period
    fit_ratio: np.ndarray  # (n_units,) pre_rmspe / Poisson noise of the monthly index
    weights: np.ndarray  # (n_units - 1,) donor weights of the treated zone's synthetic control

    @property
    def fits(self) -> bool:
        """Whether the treated zone's synthetic control follows its pre-period closely."""
        return bool(math.isfinite(self.fit_ratio[0]) and self.fit_ratio[0] <= MAX_FIT_RATIO)

    def rmspe_ratio_p_value(self) -> float:
        """Abadie's placebo p-value: rank of the post/pre RMSPE ratio among all units."""
        ratio = self.post_rmspe / np.maximum(self.pre_rmspe, 1e-12)
        placebos = ratio[1:][np.isfinite(ratio[1:])]
        if not math.isfinite(ratio[0]) or len(placebos) == 0:
            return math.nan
        return (1 + int(np.sum(placebos >= ratio[0] - 1e-12))) / (len(placebos) + 1)


def _weights(donor_paths: np.ndarray, target_path: np.ndarray) -> np.ndarray:
    """pysyncon's Synth weights (equal predictor importance: the monthly pre-period index)."""
    columns = [f"u{i}" for i in range(donor_paths.shape[1])]
    rows = [f"m{i}" for i in range(donor_paths.shape[0])]
    x0 = pd.DataFrame(donor_paths, index=rows, columns=columns)
    x1 = pd.Series(target_path, index=rows, name="treated")
    synth = Synth()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        synth.fit(X0=x0, X1=x1, Z0=x0, Z1=x1, custom_V=np.ones(len(rows)))
    weights = np.clip(np.asarray(synth.W, dtype=float), 0.0, None)
    return weights / weights.sum()


def synthetic_all_units(panel: Panel) -> SyntheticFit:
    """Synthetic control for the treated zone and for every comparison unit as a placebo."""
    counts, exposure, start = panel.counts, panel.exposure, panel.start
    rate = counts / exposure
    pre_rate = rate[:, :start].mean(axis=1)
    safe_rate = np.where(pre_rate > 0, pre_rate, np.nan)
    index = rate / safe_rate[:, None]
    index_pre, index_post = index[:, :start], index[:, start:]
    mean_pre_count = counts[:, :start].mean(axis=1)
    noise = np.sqrt(1.0 / np.maximum(mean_pre_count, 0.5))
    n = panel.n_units
    counterfactual = np.full(counts.shape, np.nan)
    pre_rmspe = np.full(n, np.nan)
    post_rmspe = np.full(n, np.nan)
    treated_weights = np.full(n - 1, np.nan)
    for unit in range(n):
        donors = [j for j in range(1, n) if j != unit]
        if not math.isfinite(safe_rate[unit]) or len(donors) < 2:
            continue
        donors = [j for j in donors if math.isfinite(safe_rate[j])]
        weights = _weights(index_pre[donors].T, index_pre[unit])
        synthetic = weights @ index[donors]
        counterfactual[unit] = synthetic * pre_rate[unit] * exposure[unit]
        pre_rmspe[unit] = math.sqrt(np.mean((index_pre[unit] - weights @ index_pre[donors]) ** 2))
        post_rmspe[unit] = math.sqrt(
            np.mean((index_post[unit] - weights @ index_post[donors]) ** 2)
        )
        if unit == 0:
            treated_weights[[j - 1 for j in donors]] = weights
    post = slice(start, None)
    expected = counterfactual[:, post].sum(axis=1)
    observed = counts[:, post].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_effect = np.log(observed) - np.log(expected)
        variance = 1.0 / expected + 1.0 / counts[:, :start].sum(axis=1)
    return SyntheticFit(
        log_effect=log_effect,
        variance=variance,
        counterfactual=counterfactual,
        pre_rmspe=pre_rmspe,
        post_rmspe=post_rmspe,
        fit_ratio=pre_rmspe / noise,
        weights=treated_weights,
    )
