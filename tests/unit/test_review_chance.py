"""Chance signals of the control-chart rules: the simulated table, its use, persistence."""

from __future__ import annotations

import numpy as np
import pytest

from lagesbild.review.chance import CHANCE_TABLE, chance_probability, simulate_chance
from lagesbild.review.compute import control_evidence
from lagesbild.review.control_charts import laney_u_prime


def test_the_stored_table_is_what_the_simulation_gives() -> None:
    simulated = simulate_chance()
    assert set(simulated) == set(CHANCE_TABLE)
    for lam, (any_signal, persistent) in CHANCE_TABLE.items():
        assert simulated[lam][0] == pytest.approx(any_signal, abs=1e-4)  # rounded to 4 decimals
        assert simulated[lam][1] == pytest.approx(persistent, abs=1e-4)  # rounded to 4 decimals


def test_with_large_counts_about_one_series_in_eighteen_signals_by_chance() -> None:
    # 3σ limits alone: 1 − (1 − 0.0027)^4 ≈ 1.1 %; the run and trend rules add the rest
    any_signal, persistent = CHANCE_TABLE[1000.0]
    assert 0.045 < any_signal < 0.065
    assert 0.005 < persistent < 0.013
    # a series of mostly zeros signals far more often (runs below a small centre line)
    assert CHANCE_TABLE[0.1][0] > 10 * CHANCE_TABLE[1000.0][0]


def test_a_series_probability_is_read_off_the_table_at_its_baseline_mean() -> None:
    any_p, persistent_p = chance_probability(np.array([10.0, 1000.0, 0.0, np.nan, 4000.0]))
    assert any_p[:2] == pytest.approx([CHANCE_TABLE[10.0][0], CHANCE_TABLE[1000.0][0]])
    assert persistent_p[1] == pytest.approx(CHANCE_TABLE[1000.0][1])
    assert any_p[2] == 0.0 and any_p[3] == 0.0  # no centre line, no chart: no signal
    assert any_p[4] == pytest.approx(CHANCE_TABLE[1000.0][0])  # beyond the grid: its edge
    between = chance_probability(np.array([12.0]))[0][0]
    low, high = sorted((CHANCE_TABLE[10.0][0], CHANCE_TABLE[15.0][0]))
    assert low <= between <= high


def test_persistence_and_direction_of_the_signals_in_the_window() -> None:
    base = np.full(24, 100.0)
    counts = np.array(
        [
            [*base, 100, 160, 165, 100],  # above the upper limit in two months
            [*base, 100, 100, 40, 100],  # below the lower limit once
            [*base, 100, 100, 100, 100],  # nothing
        ]
    )
    counts[:, :24] += np.tile([3.0, -3.0], 12)  # a little noise for the moving range
    baseline = np.arange(28) < 24
    window = ~baseline
    chart = laney_u_prime(counts, np.ones_like(counts), baseline)
    assert chart.months_signalled(window).tolist() == [2, 1, 0]
    assert chart.directions(window) == ["up", "down", None]
    signals = chart.signals(window)
    evidence = control_evidence(
        signals,
        chart.directions(window),
        chart.months_signalled(window),
        significant=np.array([False, True, False]),
        rate_ratio=np.array([1.3, 0.85, 1.0]),
    )
    assert evidence == ["persistent", "agrees", None]
    single = control_evidence(
        signals[1:2], ["down"], np.array([1]), np.array([True]), np.array([1.2])
    )
    assert single == ["single"]  # significant, but the other way
