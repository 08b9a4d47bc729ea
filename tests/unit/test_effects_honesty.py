"""Honesty of the effect evaluation, by simulation with named seeds (the acceptance criterion).

- With a planted effect, the 95 % interval covers the truth in about 95 % of replications,
  and the verdict finds the effect when it is larger than the minimum detectable effect.
- Without an effect, the share called `decrease` or `increase` stays near 5 % — also when the
  treated area has a strong trend of its own (a trend is never reported as an effect), while
  the same data through a plain Poisson difference-in-differences with model-based errors
  calls most of them (the failure this method exists to avoid).
- A planted displacement is found in the surroundings.

Each replication draws a fresh world of areas with trends, level shifts and extra-Poisson
noise (tests/unit/effects_simulation.py) and runs the production estimator on it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from lagesbild.effects.did import did_all_units
from lagesbild.effects.inference import (
    placebo_inference,
    rank_p_value,
    standardised_sum_of_squares,
)
from lagesbild.effects.panel import Panel
from lagesbild.effects.verdict import Verdict, did_verdict
from tests.unit.effects_simulation import World, simulate_panel, surroundings_world

SEED_COVERAGE = 20261130
SEED_NULL = 16_000_001
SEED_TRENDING_NULL = 16_000_002
SEED_POWER = 16_000_003
SEED_DISPLACEMENT = 16_000_004
REPLICATIONS = 200


def evaluate(panel: Panel, direction: str = "decrease", with_trend: bool = True):
    """The production DiD path: estimate, placebo inference, pre-trend test, verdict."""
    fit = did_all_units(panel, with_trend=with_trend)
    inference = placebo_inference(
        float(fit.log_effect[0]), float(fit.variance[0]), fit.log_effect[1:], fit.variance[1:],
        direction,
    )  # fmt: skip
    leads = fit.bin_ids < 0
    statistic, placebos = standardised_sum_of_squares(
        fit.bin_log_ratio[0, leads], fit.bin_variance[0, leads],
        fit.bin_log_ratio[1:, leads], fit.bin_variance[1:, leads],
    )  # fmt: skip
    pre_trend_p = rank_p_value(statistic, placebos)
    verdict = did_verdict(inference.p_value, inference.estimate, pre_trend_p)
    return inference, verdict


def called(verdict) -> bool:
    return verdict.verdict in (Verdict.DECREASE, Verdict.INCREASE)


def test_the_95_percent_interval_covers_a_planted_effect_in_about_95_percent() -> None:
    rng = np.random.default_rng(SEED_COVERAGE)
    truth = 0.8
    covered = []
    for _ in range(REPLICATIONS):
        inference, _ = evaluate(simulate_panel(rng, effect=truth))
        covered.append(inference.ci_low <= math.log(truth) <= inference.ci_high)
    coverage = float(np.mean(covered))
    assert 0.91 <= coverage <= 0.99, f"coverage {coverage:.3f}"


def test_without_an_effect_about_5_percent_are_called_a_change() -> None:
    rng = np.random.default_rng(SEED_NULL)
    calls = [called(evaluate(simulate_panel(rng))[1]) for _ in range(REPLICATIONS)]
    share = float(np.mean(calls))
    assert REPLICATIONS >= 40
    assert 0.01 <= share <= 0.09, f"false-positive share {share:.3f}"


def test_an_areas_own_trend_is_not_reported_as_an_effect() -> None:
    rng = np.random.default_rng(SEED_TRENDING_NULL)
    ours, plain = [], []
    for _ in range(60):
        panel = simulate_panel(rng, treated_trend_per_year=-0.15)  # improving on its own
        ours.append(called(evaluate(panel)[1]))
        naive = did_all_units(panel, with_trend=False)  # unit + month effects only
        z = naive.log_effect[0] / math.sqrt(naive.variance[0])  # model-based Poisson error
        plain.append(z < -1.96)
    assert np.mean(ours) <= 0.12, f"trend called an effect in {np.mean(ours):.2f}"
    # the same areas through a plain Poisson DiD with model-based errors: "a decrease"
    assert np.mean(plain) >= 0.8, f"plain DiD called {np.mean(plain):.2f}"


def test_an_effect_larger_than_the_minimum_detectable_effect_is_found() -> None:
    rng = np.random.default_rng(SEED_POWER)
    null_mdes = [evaluate(simulate_panel(rng))[0].mde_ratio("decrease") for _ in range(40)]
    mde = float(np.median(null_mdes))
    planted = mde**1.5  # half as large again as the MDE (on the log scale)
    found = []
    for _ in range(100):
        _, verdict = evaluate(simulate_panel(rng, effect=planted))
        found.append(verdict.verdict is Verdict.DECREASE)
    assert 0.5 < mde < 0.95
    assert np.mean(found) >= 0.8, f"found {np.mean(found):.2f} of effects {planted:.2f}"


@pytest.mark.parametrize(("displaced", "expected_share"), [(1.3, (0.8, 1.0)), (1.0, (0, 0.1))])
def test_a_planted_displacement_is_found_in_the_surroundings(
    displaced: float, expected_share: tuple[float, float]
) -> None:
    rng = np.random.default_rng(SEED_DISPLACEMENT)
    world = surroundings_world()
    increases = []
    for _ in range(60):
        _, verdict = evaluate(simulate_panel(rng, world, effect=displaced), direction="increase")
        increases.append(verdict.verdict is Verdict.INCREASE)
    low, high = expected_share
    assert low <= np.mean(increases) <= high, f"increase in {np.mean(increases):.2f}"


def test_a_world_without_dynamics_gives_the_same_honest_rate() -> None:
    """Pure Poisson areas with no trends or shifts: still about 5 % (no over-correction)."""
    rng = np.random.default_rng(SEED_NULL + 10)
    quiet = World(trend_sd_per_year=0.0, overdispersion_cv=0.01, shift_share=0.0)
    calls = [called(evaluate(simulate_panel(rng, quiet))[1]) for _ in range(100)]
    assert np.mean(calls) <= 0.09
