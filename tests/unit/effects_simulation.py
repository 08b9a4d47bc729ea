"""A data-generating process for the honesty tests: areas with dynamics of their own.

Monthly counts of `n_units` areas: Poisson with a population offset, a common month effect
(season and a national trend), a level and a linear trend of each area's own, extra-Poisson
noise (gamma, month by month), and for some areas a lasting level shift at a random month —
the things that make a plain difference-in-differences call trends "effects". Unit 0 (the
treated area) is drawn exactly like the others, so under "no effect" it is exchangeable with
them; a planted effect multiplies its intensity from the start month on.

A second panel, `surroundings`, is built the same way for larger units (the rest of an LPO)
and can carry its own planted effect (displacement).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from lagesbild.effects.panel import Panel
from lagesbild.months import add_months

SEASON = np.array([0.9, 0.86, 0.95, 0.98, 1.05, 1.1, 1.12, 1.1, 1.03, 1.0, 0.97, 0.94])


@dataclass(frozen=True)
class World:
    """The knobs of the simulated areas (defaults: like the generated default data)."""

    n_units: int = 50
    pre_months: int = 36
    post_months: int = 24
    rate_per_1000_month: tuple[float, float] = (0.8, 3.0)
    population: tuple[float, float] = (4_000.0, 25_000.0)
    trend_sd_per_year: float = 0.08
    overdispersion_cv: float = 0.08
    shift_share: float = 0.15
    shift_sd: float = 0.15


def simulate_panel(
    rng: np.random.Generator,
    world: World = World(),
    effect: float = 1.0,
    treated_trend_per_year: float | None = None,
) -> Panel:
    """One panel; unit 0 gets `effect` from the start (and, if given, that own trend)."""
    n, pre, post = world.n_units, world.pre_months, world.post_months
    months = pre + post
    t = np.arange(months)
    years = (t - pre) / 12.0
    population = np.exp(rng.uniform(*np.log(world.population), n))[:, None] * np.exp(0.005 * years)
    level = np.log(rng.uniform(*world.rate_per_1000_month, n) / 1000.0)
    trend = rng.normal(0.0, world.trend_sd_per_year, n)
    if treated_trend_per_year is not None:
        trend[0] = treated_trend_per_year
    common = np.log(SEASON[(t + 3) % 12]) + 0.02 * years + rng.normal(0, 0.02, months)
    log_mu = np.log(population) + level[:, None] + trend[:, None] * years + common[None, :]
    shifted = rng.random(n) < world.shift_share
    when = rng.integers(0, months, n)
    size = rng.normal(0.0, world.shift_sd, n)
    log_mu += np.where(shifted[:, None] & (t[None, :] >= when[:, None]), size[:, None], 0.0)
    mu = np.exp(log_mu)
    mu[0, pre:] *= effect
    shape = 1.0 / world.overdispersion_cv**2
    noisy = mu * rng.gamma(shape, 1.0 / shape, mu.shape)
    counts = rng.poisson(noisy).astype(float)
    first = date(2020, 1, 1)
    return Panel(
        units=tuple(f"U{i:03d}" for i in range(n)),
        months=tuple(add_months(first, k) for k in range(months)),
        counts=counts,
        exposure=population,
        start=pre,
    )


def surroundings_world() -> World:
    """The rest of an LPO: larger units, more events; the same kinds of dynamics, smaller
    (a large unit averages over many neighbourhoods)."""
    return World(
        n_units=60,
        population=(40_000.0, 150_000.0),
        rate_per_1000_month=(0.6, 1.2),
        trend_sd_per_year=0.05,
        overdispersion_cv=0.04,
        shift_share=0.10,
        shift_sd=0.08,
    )
