"""How many control-chart signals chance alone gives under the rules the review uses.

A review charts thousands of series (geography × indicator) over the four months of a
tertial; every rule has a false-alarm probability, so some signals are expected even where
nothing changed. That probability depends strongly on the size of the counts: a series of
mostly zeros runs "8 in a row below the centre" all the time, and one event lies above a low
upper limit. So it was simulated once, with the review's own chart code
(`control_charts.laney_u_prime`) on in-control series: Poisson counts with a constant mean λ,
the 24 baseline months then the 4 months of the tertial, `SIMULATED_SERIES` series for each λ
of `LAMBDA_GRID` (seed `SIMULATION_SEED`). `CHANCE_TABLE` holds, per λ, the share of series
with any signal in the tertial and the share with a signal in two or more of its months
(`tests/unit/test_review_chance.py` re-runs the simulation and compares). A series' chance
probability is read off the table at its baseline mean count per month (log-linear
interpolation); the expected number of chance signals of a report is the sum over its series.
"""

from __future__ import annotations

import numpy as np

from lagesbild.review.control_charts import RULES, laney_u_prime

BASELINE_MONTHS = 24
WINDOW_MONTHS = 4
SIMULATED_SERIES = 20_000
SIMULATION_SEED = 20241
LAMBDA_GRID = (
    0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 7.5, 10.0,
    15.0, 20.0, 30.0, 50.0, 100.0, 300.0, 1000.0,
)  # fmt: skip
"""Mean counts per month (λ) simulated."""


def simulate_chance(
    lambdas: tuple[float, ...] = LAMBDA_GRID,
    n_series: int = SIMULATED_SERIES,
    seed: int = SIMULATION_SEED,
) -> dict[float, tuple[float, float]]:
    """Simulate the chance signal probabilities for each λ (see the module docstring)."""
    rng = np.random.default_rng(seed)
    months = BASELINE_MONTHS + WINDOW_MONTHS
    baseline = np.arange(months) < BASELINE_MONTHS
    table: dict[float, tuple[float, float]] = {}
    for lam in lambdas:
        counts = rng.poisson(lam, size=(n_series, months)).astype(float)
        chart = laney_u_prime(counts, np.ones_like(counts), baseline)
        fired = np.zeros((n_series, WINDOW_MONTHS), dtype=bool)
        for rule in RULES:
            fired |= chart.fired[rule][:, ~baseline]
        months_fired = fired.sum(axis=1)
        table[lam] = (float((months_fired >= 1).mean()), float((months_fired >= 2).mean()))
    return table


CHANCE_TABLE: dict[float, tuple[float, float]] = {
    0.02: (0.3076, 0.2779),
    0.05: (0.5522, 0.4531),
    0.1: (0.6469, 0.4743),
    0.2: (0.5025, 0.3073),
    0.3: (0.3263, 0.1572),
    0.5: (0.1812, 0.0458),
    0.75: (0.1240, 0.0245),
    1.0: (0.1305, 0.0380),
    1.5: (0.0906, 0.0164),
    2.0: (0.0840, 0.0199),
    3.0: (0.0718, 0.0134),
    5.0: (0.0629, 0.0112),
    7.5: (0.0563, 0.0097),
    10.0: (0.0582, 0.0100),
    15.0: (0.0561, 0.0097),
    20.0: (0.0548, 0.0083),
    30.0: (0.0543, 0.0097),
    50.0: (0.0551, 0.0084),
    100.0: (0.0563, 0.0089),
    300.0: (0.0577, 0.0086),
    1000.0: (0.0548, 0.0087),
}
"""λ → (P(any signal in the tertial), P(signal in ≥ 2 of its months)): `simulate_chance()`
with the defaults above, rounded to 4 decimals."""


def chance_probability(baseline_mean: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(P(any signal), P(signal in ≥ 2 months)) per series from its baseline mean count.

    A series without a baseline mean (NaN) or with mean 0 (no centre line) gets 0 — no chart,
    no signal. Below the smallest λ simulated the probability is scaled down linearly.
    """
    lam = np.asarray(baseline_mean, dtype=float)
    grid = np.array(sorted(CHANCE_TABLE))
    any_p = np.array([CHANCE_TABLE[g][0] for g in grid])
    persist_p = np.array([CHANCE_TABLE[g][1] for g in grid])
    usable = np.isfinite(lam) & (lam > 0)
    x = np.log(np.clip(np.where(usable, lam, grid[0]), grid[0], grid[-1]))
    scale = np.where(usable & (lam < grid[0]), lam / grid[0], 1.0)
    p_any = np.where(usable, np.interp(x, np.log(grid), any_p) * scale, 0.0)
    p_persist = np.where(usable, np.interp(x, np.log(grid), persist_p) * scale, 0.0)
    return p_any, p_persist
