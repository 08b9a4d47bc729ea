"""The review's statistics against known values (scipy, hand computation)."""

from __future__ import annotations

from datetime import date

import duckdb
import numpy as np
import pytest
from scipy import optimize, stats

from lagesbild.review.completeness import tertial_completeness
from lagesbild.review.control_charts import laney_u_prime
from lagesbild.review.statistics import (
    benjamini_hochberg,
    eb_shrink_rates,
    rank_with_intervals,
    rate_ratio_exact,
    wheeler_z,
)
from lagesbild.review.tertials import (
    label_to_partition_key,
    partition_key_to_label,
    previous_year_label,
    tertial_ended_before,
    tertial_months,
)
from lagesbild.review.trend import design_matrix, fit_poisson_trend


def test_the_rate_ratio_interval_is_the_clopper_pearson_interval_transformed() -> None:
    x1, x0, e1, e0 = 41, 27, 1_000.0, 1_200.0
    result = rate_ratio_exact(x1, x0, e1, e0)
    ci = stats.binomtest(x1, x1 + x0).proportion_ci(confidence_level=0.95, method="exact")
    to_rr = lambda p: p / (1 - p) * e0 / e1  # noqa: E731
    assert result.rate_ratio[0] == pytest.approx((41 / 1000) / (27 / 1200))
    assert result.ci_low[0] == pytest.approx(to_rr(ci.low), rel=1e-9)
    assert result.ci_high[0] == pytest.approx(to_rr(ci.high), rel=1e-9)


def test_the_p_value_is_the_central_exact_binomial_test() -> None:
    x1, x0, e1, e0 = 41, 27, 1_000.0, 1_000.0
    p0 = e1 / (e1 + e0)
    n = x1 + x0
    expected = 2 * min(stats.binom.cdf(x1, n, p0), stats.binom.sf(x1 - 1, n, p0))
    assert rate_ratio_exact(x1, x0, e1, e0).p_value[0] == pytest.approx(expected)
    # equal exposures: symmetric binomial, so the central and the minimum-likelihood p agree
    assert expected == pytest.approx(stats.binomtest(x1, n, p0).pvalue)


def test_significance_at_five_percent_matches_an_interval_excluding_one() -> None:
    rng = np.random.default_rng(3)
    x1, x0 = rng.poisson(30, 300), rng.poisson(25, 300)
    e1, e0 = rng.uniform(800, 1200, 300), rng.uniform(800, 1200, 300)
    result = rate_ratio_exact(x1, x0, e1, e0)
    ok = np.isfinite(result.ci_high)
    excludes_one = (result.ci_low[ok] > 1) | (result.ci_high[ok] < 1)
    assert np.array_equal(excludes_one, result.p_value[ok] < 0.05)


def test_no_events_last_year_gives_no_ratio_and_no_upper_limit() -> None:
    result = rate_ratio_exact([5, 0], [0, 0], [100, 100], [100, 100])
    assert np.isnan(result.rate_ratio).all()
    assert np.isnan(result.ci_high).all()
    assert result.ci_low[0] > 0 and np.isnan(result.ci_low[1])


def test_benjamini_hochberg_gives_the_textbook_q_values_and_ignores_missing_p_values() -> None:
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    # by hand: q(i) = min over j >= i of p(j) · m / j, with m = 10 tests
    by_hand = [0.01, 0.04, 0.084, 0.084, 0.084, 0.1, 0.074 * 10 / 7, 0.216, 0.216, 0.216]
    assert benjamini_hochberg(p) == pytest.approx(by_hand)
    with_nan = benjamini_hochberg(np.append(p, np.nan))  # a NaN is no test: m stays 10
    assert np.isnan(with_nan[-1])
    assert with_nan[:-1] == pytest.approx(by_hand)


def test_wheeler_z_is_twice_the_difference_of_square_roots() -> None:
    assert wheeler_z(49, 25)[0] == pytest.approx(4.0)


def test_eb_shrinkage_by_hand() -> None:
    counts = np.array([2.0, 60.0, 10.0])
    exposure = np.array([1.0, 10.0, 5.0])
    m = 72 / 16
    raw = counts / exposure
    s2 = (exposure * (raw - m) ** 2).sum() / 16 - m / (16 / 3)
    alpha, beta = m * m / s2, m / s2
    shrunk = eb_shrink_rates(counts, exposure)
    assert s2 > 0
    assert shrunk.prior_mean == pytest.approx(m)
    assert shrunk.rate == pytest.approx((counts + alpha) / (exposure + beta))
    # the smallest unit moves most towards the pooled rate
    moved = np.abs(shrunk.rate - raw) / np.abs(raw - m)
    assert moved[0] == max(moved)


def test_without_between_unit_variance_everything_shrinks_to_the_pooled_rate() -> None:
    shrunk = eb_shrink_rates([10, 10, 10], [10, 10, 10])
    assert shrunk.rate == pytest.approx([1.0, 1.0, 1.0])


def test_ranks_have_intervals_that_contain_them() -> None:
    shrunk = eb_shrink_rates([5, 50, 20, 80, 1], [10, 10, 10, 10, 10])
    rank, low, high = rank_with_intervals(shrunk)
    assert list(rank) == [4, 2, 3, 1, 5]
    assert np.all(low <= rank) and np.all(rank <= high)


def _poisson_nll(beta: np.ndarray, x: np.ndarray, y: np.ndarray, offset: np.ndarray) -> float:
    eta = offset + x @ beta
    return float(np.sum(np.exp(eta) - y * eta))


def test_the_trend_agrees_with_a_direct_maximum_likelihood_fit() -> None:
    rng = np.random.default_rng(11)
    months = np.tile(np.arange(1, 13), 3)
    exposure = np.linspace(50, 55, 36)
    season = 0.3 * np.sin(2 * np.pi * months / 12)
    y = rng.poisson(exposure * 0.8 * np.exp(0.1 * np.arange(36) / 12 + season)).astype(float)
    trend = fit_poisson_trend(y[None, :], exposure[None, :], months)
    x = design_matrix(months.astype(float), np.arange(36) / 12)
    best = optimize.minimize(
        _poisson_nll,
        np.zeros(x.shape[1]),
        args=(x, y, np.log(exposure)),
        method="BFGS",
        options={"gtol": 1e-10, "maxiter": 10_000},
    )
    assert trend.rate_ratio_per_year[0] == pytest.approx(np.exp(best.x[1]), rel=1e-4)
    assert trend.ci_low[0] < trend.rate_ratio_per_year[0] < trend.ci_high[0]


def test_an_exact_seasonal_series_recovers_its_slope() -> None:
    months = np.tile(np.arange(1, 13), 3)
    exposure = np.full(36, 100.0)
    season = np.where(months == 7, 0.5, 0.0)
    y = exposure * 0.5 * np.exp(np.log(1.2) * np.arange(36) / 12 + season)
    trend = fit_poisson_trend(y[None, :], exposure[None, :], months)
    assert trend.rate_ratio_per_year[0] == pytest.approx(1.2, rel=1e-6)


def test_too_few_events_give_no_trend() -> None:
    trend = fit_poisson_trend(np.zeros((1, 36)), np.full((1, 36), 10.0), np.tile(range(1, 13), 3))
    assert np.isnan(trend.rate_ratio_per_year[0])


def test_series_fitted_together_get_the_fit_each_gets_alone() -> None:
    """Series converge in different numbers of iterations (and empty ones never): fitting them
    in one batch gives every series the fit it gets by itself."""
    rng = np.random.default_rng(5)
    months = np.tile(np.arange(1, 13), 3)
    exposure = np.full((4, 36), 40.0)
    y = np.vstack(
        [
            rng.poisson(40 * 0.02 * np.exp(0.4 * np.arange(36) / 12)),  # few events, steep
            np.zeros(36),  # no events: no trend
            rng.poisson(40 * 3.0, 36),  # many events, flat
            rng.poisson(40 * 0.3 * np.exp(-0.2 * np.arange(36) / 12)),
        ]
    ).astype(float)
    y[3, 5:9] = np.nan  # missing months
    together = fit_poisson_trend(y, exposure, months)
    for row in range(4):
        alone = fit_poisson_trend(y[row : row + 1], exposure[row : row + 1], months)
        for field in ("rate_ratio_per_year", "ci_low", "ci_high", "p_value", "dispersion"):
            assert getattr(together, field)[row] == pytest.approx(
                getattr(alone, field)[0], rel=1e-9, nan_ok=True
            ), (row, field)
    assert np.isnan(together.rate_ratio_per_year[1])
    assert np.isfinite(together.rate_ratio_per_year[[0, 2, 3]]).all()


def test_laney_limits_by_hand() -> None:
    y = np.array([[10.0, 12.0, 8.0, 10.0, 30.0]])
    n = np.array([[10.0, 10.0, 10.0, 10.0, 10.0]])
    baseline = np.array([True, True, True, True, False])
    chart = laney_u_prime(y, n, baseline)
    z = (np.array([1.0, 1.2, 0.8, 1.0]) - 1.0) / np.sqrt(1.0 / 10)
    sigma_z = np.mean(np.abs(np.diff(z))) / 1.128
    assert chart.centre[0] == pytest.approx(1.0)
    assert chart.sigma_z[0] == pytest.approx(sigma_z)
    assert chart.upper[0, 4] == pytest.approx(1 + 3 * np.sqrt(0.1) * sigma_z)
    window = ~baseline
    assert chart.signals(window) == ["outside_upper"]


def test_the_run_rules_fire_and_say_which() -> None:
    months = 20
    baseline = np.zeros(months, dtype=bool)
    baseline[:12] = True
    flat = np.tile([10.0, 11.0, 9.0, 10.0], 3)
    above = np.concatenate([flat, np.full(8, 10.6)])
    rising = np.concatenate([flat, [9.0, 9.2, 9.4, 9.6, 9.8, 10.0, 10.1, 10.2]])
    y = np.vstack([above, rising])
    chart = laney_u_prime(y, np.full_like(y, 10.0), baseline)
    signals = chart.signals(~baseline)
    assert "run_8_above" in signals[0]
    assert "trend_6_rising" in signals[1]
    assert "outside_upper" not in signals[1]


def test_tertial_keys_and_labels_map_both_ways() -> None:
    assert label_to_partition_key("2024-T2") == "2024-05"
    assert partition_key_to_label("2024-09") == "2024-T3"
    assert tertial_months("2024-T3")[-1] == date(2024, 12, 1)
    assert previous_year_label("2024-T1") == "2023-T1"
    assert tertial_ended_before(date(2024, 5, 12)) == "2024-T1"
    assert tertial_ended_before(date(2025, 1, 12)) == "2024-T3"
    with pytest.raises(ValueError):
        label_to_partition_key("2024-T4")


def _published(months: list[tuple[date, bool]]) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect()
    conn.execute("create schema marts")
    conn.execute(
        "create table marts.dim_indicator as select * from (values "
        "('shootings', 'count'), ('clearance_rate', 'ratio')) t(indicator_code, kind)"
    )
    conn.execute(
        "create table marts.fct_indicator_month (month date, indicator_code varchar, "
        "is_complete boolean)"
    )
    for month, complete in months:
        conn.execute(
            "insert into marts.fct_indicator_month values (?, 'shootings', ?), "
            "(?, 'clearance_rate', false)",
            [month, complete, month],
        )
    return conn


def test_a_tertial_is_complete_only_with_all_four_months_published_and_complete() -> None:
    four = [(date(2024, m, 1), True) for m in (1, 2, 3, 4)]
    assert tertial_completeness(_published(four), "2024-T1").is_complete
    three = four[:3]
    result = tertial_completeness(_published(three), "2024-T1")
    assert not result.is_complete
    assert "2024-04" in result.message and "not complete" in result.message
    partial = [*four[:3], (date(2024, 4, 1), False)]
    assert not tertial_completeness(_published(partial), "2024-T1").is_complete
