"""Coverage completeness: expected counts from a unit's own history, tail probabilities, rules."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from lagesbild.quality.config import QualityConfig
from lagesbild.quality.coverage import (
    BLOCK,
    NO_HISTORY,
    OK,
    WARN,
    assess,
    expected_counts,
    lower_tail,
    plausible_range,
    variance,
)
from lagesbild.quality.coverage_units import area_list
from lagesbild.quality.unit_presence import vanished_units

THRESHOLDS = QualityConfig().coverage_thresholds()
SEASON = np.array([0.88, 0.84, 0.93, 0.97, 1.06, 1.10, 1.12, 1.12, 1.04, 1.00, 0.97, 0.97])


def test_a_steady_unit_is_expected_at_its_level() -> None:
    expectation = expected_counts(np.full((1, 30), 100.0))
    assert np.isnan(expectation.expected[0, :12]).all()
    assert not expectation.has_history[0, :12].any()
    assert expectation.expected[0, 12:] == pytest.approx(np.full(18, 100.0))


def test_the_season_comes_from_the_same_month_of_earlier_years() -> None:
    counts = 1000.0 * np.tile(SEASON, 4)[None, :]
    expected = expected_counts(counts).expected[0]
    # from the second year on every month is predicted within 3 % (season prior: 10 events)
    assert expected[24:] == pytest.approx(counts[0, 24:], rel=0.03)
    # a flat prediction would miss the summer peak by > 10 %
    assert abs(np.nanmean(counts[0, 24:]) / counts[0, 30] - 1) > 0.1


def test_the_trend_is_carried_forward_to_the_checked_month() -> None:
    growth = 1.02  # +2 % a month, +27 % a year
    counts = 500.0 * growth ** np.arange(36)[None, :]
    expected = expected_counts(counts).expected[0]
    # with two years of history the trend is known: within 2 %
    assert expected[24:] == pytest.approx(counts[0, 24:], rel=0.02)
    # with one year only the prediction is the level: it lags the growth
    assert expected[12] < 0.95 * counts[0, 12]


def test_an_undelivered_month_is_missing_not_zero() -> None:
    counts = np.full((1, 30), 100.0)
    counts[0, 20] = np.nan  # the source did not deliver that month
    expectation = expected_counts(counts)
    assert expectation.expected[0, 21:] == pytest.approx(np.full(9, 100.0))
    assert expectation.history_months[0, 21] == 20
    assert assess(counts, THRESHOLDS).status[0, 20] == NO_HISTORY


def test_fewer_months_than_the_minimum_history_are_not_judged() -> None:
    counts = np.full((1, 14), 100.0)
    counts[0, 11] = 0.0  # a hole in the 12th month: too early to tell
    counts[0, 13] = 0.0
    status = assess(counts, THRESHOLDS).status[0]
    assert list(status[:12]) == [NO_HISTORY] * 12
    assert status[13] == BLOCK


def test_the_lower_tail_is_poisson_without_excess_variance_and_negative_binomial_with() -> None:
    observed, expected = np.array([3.0, 40.0]), np.array([10.0, 60.0])
    poisson = lower_tail(observed, expected, expected)
    assert poisson == pytest.approx(stats.poisson.cdf(observed, expected))
    var = np.array([25.0, 240.0])
    n, p = expected**2 / (var - expected), expected / var
    assert lower_tail(observed, expected, var) == pytest.approx(stats.nbinom.cdf(observed, n, p))
    assert stats.nbinom.mean(n, p) == pytest.approx(expected)
    assert stats.nbinom.var(n, p) == pytest.approx(var)


def test_the_lower_tail_is_scipy_stats_cdf_bit_for_bit() -> None:
    """`lower_tail` evaluates the distributions with scipy.special: the same values, exactly."""
    rng = np.random.default_rng(17)
    size = 200_000
    expected = np.exp(rng.uniform(-3.0, 10.0, size))
    dispersion = np.where(rng.random(size) < 0.25, 1.0, 1.0 + np.exp(rng.uniform(-6, 3, size)))
    relative_sd = np.where(rng.random(size) < 0.5, 0.0, 0.1)  # half without the floor
    var = dispersion * expected + (relative_sd * expected) ** 2
    observed = rng.poisson(expected * rng.uniform(0.0, 1.5, size)).astype(float)
    over = var > expected * (1.0 + 1e-9)
    n = expected**2 / np.maximum(var - expected, 1e-12)
    p = expected / np.maximum(var, expected)
    reference = np.where(
        over, stats.nbinom.cdf(observed, n, p), stats.poisson.cdf(observed, expected)
    )
    assert over.any() and (~over).any()
    assert np.array_equal(lower_tail(observed, expected, var), reference)


def test_judging_a_delivery_without_flags_does_not_import_scipy_stats() -> None:
    """scipy.stats costs ≈ 0.8 s to import; the coverage check of every run needs only
    scipy.special (the plausible range of a flagged unit imports it)."""
    script = (
        "import sys, numpy as np; "
        "from lagesbild.quality.config import QualityConfig; "
        "from lagesbild.quality.coverage import assess; "
        "status = assess(np.full((2, 40), 100.0), QualityConfig().coverage_thresholds()).status; "
        "assert (status[:, -1] == 'ok').all(), status[:, -1]; "
        "print('scipy.stats' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "False"


def test_the_variance_has_a_floor_of_ten_percent_of_the_expectation() -> None:
    assert variance(np.array([100_000.0]), np.array([1.0]), 0.10) == pytest.approx(100_000 + 1e8)
    low, high = plausible_range(np.array([100_000.0]), np.array([100_000 + 1e8]), 1e-3)
    assert 65_000 < low[0] < 72_000 and 128_000 < high[0] < 136_000


def test_a_large_unit_at_zero_blocks_a_smaller_drop_warns_a_small_unit_only_warns() -> None:
    history = np.full((3, 24), np.nan)
    history[0:2] = 100.0
    history[2] = 10.0
    counts = np.concatenate([history, np.array([[0.0], [50.0], [0.0]])], axis=1)
    assessment = assess(counts, THRESHOLDS)
    assert list(assessment.status[:, -1]) == [BLOCK, WARN, WARN]
    assert assessment.p_lower[0, -1] < 1e-6 < assessment.p_lower[1, -1] < 1e-3
    # the month before, at its usual level, is fine for all three
    assert list(assessment.status[:, -2]) == [OK, OK, OK]


def test_the_thresholds_are_settings_overridable_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAGESBILD_COVERAGE_BLOCK_P", "1e-9")
    monkeypatch.setenv("LAGESBILD_COVERAGE_MIN_HISTORY_MONTHS", "24")
    config = QualityConfig.from_env()
    assert config.coverage_block_p == 1e-9
    assert config.coverage_min_history_months == 24
    assert config.coverage_warn_p == QualityConfig().coverage_warn_p
    history = np.full((1, 24), 100.0)
    counts = np.concatenate([history, [[0.0]]], axis=1)
    assert assess(counts, config.coverage_thresholds()).status[0, -1] == BLOCK
    assert assess(counts[:, 1:], config.coverage_thresholds()).status[0, -1] == NO_HISTORY


JAN, FEB, MAR, APR = (date(2024, m, 1) for m in (1, 2, 3, 4))


def test_a_unit_delivered_last_month_and_absent_now_vanishes_unless_it_ceased() -> None:
    delivered = {JAN: {"A", "B", "C"}, FEB: {"A", "B", "C"}, APR: {"A"}}

    found, no_history = vanished_units(
        delivered, [JAN, FEB, MAR, APR], existing=lambda month: {"A", "B"}
    )

    assert no_history == [JAN]
    (april,) = found  # March was not delivered at all: nothing to compare, no finding
    assert april.previous_month == FEB
    assert april.missing == ["B"]
    assert april.ceased == ["C"]


def test_the_area_list_in_force_follows_the_assessment_years_and_composites() -> None:
    listing = area_list()
    assert listing.assessment_year(date(2023, 11, 1)) == 2021
    assert listing.assessment_year(date(2023, 12, 1)) == 2023
    assert listing.assessment_year(date(2015, 1, 1)) is None
    # Edsberg was listed 2019 and 2021, not 2023
    assert "LGB004" in listing.listed(date(2023, 11, 1))
    assert "LGB004" not in listing.listed(date(2023, 12, 1))
    # Rinkeby (a part of the composite Rinkeby/Tensta) is listed with it before the 2025 split
    assert {"LGB001", "USO074", "USO009"} <= listing.listed(date(2024, 6, 1))
    assert "LGB001" not in listing.listed(date(2025, 12, 1))
    assert "USO074" in listing.listed(date(2025, 12, 1))
