"""The estimators on panels whose answer is known exactly (no noise), and the inference rules."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from lagesbild.effects.did import did_all_units, fit_level_and_trend, pooled_month_effects
from lagesbild.effects.inference import critical_rank, placebo_inference, rank_p_value
from lagesbild.effects.panel import Panel
from lagesbild.effects.synthetic import MAX_FIT_RATIO, synthetic_all_units
from lagesbild.months import add_months


def noiseless_panel(
    n_units: int = 30,
    pre: int = 36,
    post: int = 24,
    effect: float = 1.0,
    treated_trend: float = 0.0,
    seed: int = 3,
) -> Panel:
    """Expected counts (not drawn): unit levels, trends, a season and a national trend."""
    rng = np.random.default_rng(seed)
    t = np.arange(pre + post)
    years = (t - pre) / 12.0
    population = rng.uniform(5_000, 20_000, n_units)[:, None] * np.exp(0.01 * years)
    trend = rng.normal(0, 0.05, n_units)
    trend[0] = treated_trend
    level = np.log(rng.uniform(1.0, 3.0, n_units) / 1000)
    season = 0.1 * np.sin(2 * np.pi * t / 12)
    mu = population * np.exp(level[:, None] + trend[:, None] * years + season + 0.03 * years)
    mu[0, pre:] *= effect
    months = tuple(add_months(date(2020, 1, 1), k) for k in range(pre + post))
    units = tuple(f"U{i}" for i in range(n_units))
    return Panel(units, months, mu, population, pre)


def test_two_way_fixed_effects_recover_the_month_effects() -> None:
    rng = np.random.default_rng(1)
    exposure = rng.uniform(1_000, 5_000, (8, 24))
    unit, month = rng.normal(0, 0.3, 8), rng.normal(0, 0.2, 24)
    trend = rng.normal(0, 0.1, 8)
    years = (np.arange(24) - 11.5) / 12
    counts = exposure * np.exp(unit[:, None] + trend[:, None] * years + month[None, :])
    fitted, fitted_month = pooled_month_effects(counts, exposure, years)
    # month effects are identified up to a constant and a linear term (absorbed by the units)
    residual = (fitted_month - month) - np.polyval(
        np.polyfit(years, fitted_month - month, 1), years
    )
    assert np.abs(residual).max() < 1e-7
    assert np.allclose(fitted * np.exp(fitted_month), counts, rtol=1e-7)


def test_the_level_and_trend_fit_is_the_poisson_maximum_likelihood() -> None:
    years = np.linspace(-1.5, 1.5, 36)
    offset = np.log(np.full((1, 36), 2_000.0))
    counts = np.exp(offset + math.log(0.01) + 0.12 * years)
    coefficients, inverse = fit_level_and_trend(counts, offset, years)
    assert coefficients[0] == pytest.approx([math.log(0.01), 0.12], abs=1e-9)
    assert inverse[0, 0, 0] > 0 and inverse[0, 1, 1] > 0


@pytest.mark.parametrize("effect", [0.7, 1.0, 1.3])
def test_a_planted_effect_is_recovered_exactly_without_noise(effect: float) -> None:
    fit = did_all_units(noiseless_panel(effect=effect, treated_trend=-0.12))
    assert fit.effect_ratio[0] == pytest.approx(effect, rel=1e-3)
    # the comparison units, each treated as a placebo, show no effect
    assert np.allclose(fit.effect_ratio[1:], 1.0, atol=1e-3)
    assert fit.trend_per_year[0] == pytest.approx(-0.12 + 0.03, abs=0.01)


def test_an_own_trend_is_not_an_effect_but_without_it_would_be() -> None:
    panel = noiseless_panel(effect=1.0, treated_trend=-0.15)
    assert did_all_units(panel).effect_ratio[0] == pytest.approx(1.0, abs=1e-3)
    plain = did_all_units(panel, with_trend=False).effect_ratio[0]
    assert plain < 0.85  # the trend would be read as a 15+ % "decrease"


def test_event_study_quarters_before_the_start_are_flat_and_after_show_the_effect() -> None:
    fit = did_all_units(noiseless_panel(effect=0.75))
    leads = fit.bin_ids < 0
    assert list(fit.bin_ids) == list(range(-12, 8))
    assert np.allclose(np.exp(fit.bin_log_ratio[0, leads]), 1.0, atol=1e-3)
    assert np.allclose(np.exp(fit.bin_log_ratio[0, ~leads]), 0.75, atol=1e-3)


def test_synthetic_control_reproduces_a_unit_built_from_donors() -> None:
    panel = noiseless_panel(n_units=12, effect=1.0)
    counts, exposure = panel.counts.copy(), panel.exposure.copy()
    rates = counts / exposure
    index = rates / rates[:, : panel.start].mean(axis=1, keepdims=True)
    target = 0.5 * index[3] + 0.5 * index[7]  # the treated path is a mix of two donors
    counts[0] = target * 0.002 * exposure[0]
    counts[0, panel.start :] *= 0.8
    fit = synthetic_all_units(Panel(panel.units, panel.months, counts, exposure, panel.start))
    assert fit.fits and fit.fit_ratio[0] < 0.05
    assert math.exp(fit.log_effect[0]) == pytest.approx(0.8, rel=0.02)
    assert fit.weights.sum() == pytest.approx(1.0) and (fit.weights >= 0).all()


def test_synthetic_control_does_not_fit_a_path_no_donor_mix_can_follow() -> None:
    panel = noiseless_panel(n_units=12)
    counts, exposure = panel.counts.copy(), panel.exposure.copy()
    counts[0] *= 20 * np.exp(0.6 * (np.arange(counts.shape[1]) - panel.start) / 12)  # +80 %/y
    exposure[0] *= 20  # a large zone: its own noise is small, so the misfit shows
    fit = synthetic_all_units(Panel(panel.units, panel.months, counts, exposure, panel.start))
    assert fit.fit_ratio[0] > MAX_FIT_RATIO and not fit.fits


def test_randomisation_p_value_counts_placebos_at_least_as_extreme() -> None:
    assert rank_p_value(5.0, np.array([1.0, 6.0, 5.0, 2.0])) == pytest.approx(3 / 5)
    assert rank_p_value(9.0, np.array([1.0, 6.0, 5.0, 2.0])) == pytest.approx(1 / 5)
    assert math.isnan(rank_p_value(1.0, np.array([])))


def test_the_critical_rank_needs_19_placebos_for_a_5_percent_test() -> None:
    assert critical_rank(18) == 0  # p can never reach 0.05: 1/19 > 0.05
    assert critical_rank(19) == 1  # p = 1/20 = 0.05 when the estimate is the most extreme
    assert critical_rank(59) == 3


def test_placebo_inference_interval_and_p_value_agree() -> None:
    rng = np.random.default_rng(7)
    placebos = rng.normal(0, 0.1, 59)
    variances = np.full(59, 0.01)
    for estimate in (-0.4, -0.2, 0.0, 0.15, 0.3):
        result = placebo_inference(estimate, 0.01, placebos, variances, "decrease")
        excludes_zero = result.ci_high < 0 or result.ci_low > 0
        assert excludes_zero == (result.p_value <= 0.05)
        assert result.ci_low < estimate < result.ci_high
    assert result.mde > 0 and result.mde_ratio("decrease") < 1 < result.mde_ratio("increase")


def test_too_few_placebos_give_an_unbounded_interval() -> None:
    result = placebo_inference(-1.0, 0.01, np.zeros(10) + 0.01, np.full(10, 0.01), "decrease")
    assert result.ci_low == -math.inf and result.ci_high == math.inf
    assert result.p_value == pytest.approx(1 / 11)
    assert math.isnan(result.mde_ratio("decrease"))


def test_a_panel_refuses_missing_or_negative_values() -> None:
    panel = noiseless_panel(n_units=3, pre=4, post=2)
    counts = panel.counts.copy()
    counts[1, 2] = np.nan
    with pytest.raises(ValueError, match="count"):
        Panel(panel.units, panel.months, counts, panel.exposure, panel.start)
    with pytest.raises(ValueError, match="before and one from"):
        Panel(panel.units, panel.months, panel.counts, panel.exposure, 0)
