"""The control charts' small multiples: one artist per layer whatever the number of panels,
and the control limits' band exactly where `fill_between(step="mid")` puts it."""

from __future__ import annotations

from datetime import date

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest

from lagesbild.review import charts


def series(months: int, seed: int) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    rate = rng.uniform(1, 3, months)
    lower = np.where(np.arange(months) % 9 == 4, np.nan, rate.mean() - 0.8)  # gaps in the band
    return pl.DataFrame(
        {
            "month": [date(2023 + (m // 12), m % 12 + 1, 1) for m in range(months)],
            "rate_per_1000": rate,
            "lower_limit": lower,
            "upper_limit": np.full(months, rate.mean() + 0.8),
            "centre": np.full(months, rate.mean()),
            "is_tertial": np.arange(months) >= months - 4,
            "rules": [("above" if r > 2.9 else None) for r in rate],
        }
    )


def drawn_figure(monkeypatch: pytest.MonkeyPatch, panels: int) -> plt.Axes:
    figures: list[plt.Figure] = []
    monkeypatch.setattr(charts, "to_data_uri", lambda figure: figures.append(figure) or "uri")
    keyed = {("area", f"A{i}", "robbery"): series(30, i) for i in range(panels)}
    uri = charts.control_small_multiples(keyed, [(*key, f"Area {key[1]}") for key in keyed])
    assert uri == "uri"
    (ax,) = figures[0].axes
    return ax


def test_the_artists_do_not_grow_with_the_panels(monkeypatch: pytest.MonkeyPatch) -> None:
    few, many = drawn_figure(monkeypatch, 2), drawn_figure(monkeypatch, 12)
    assert len(many.lines) == len(few.lines) == 3  # centre lines, rates, signals
    assert len(many.collections) == len(few.collections) == 3  # tertials, frames, limits
    assert len(many.patches) == len(few.patches) == 0
    # one frame, one tertial shading per panel; the labels stay one text each
    assert len(many.collections[1].get_paths()) == 12
    assert len(many.collections[0].get_paths()) == 12
    assert len(many.texts) == 6 * len(few.texts)


def test_the_control_band_covers_what_fill_between_covers() -> None:
    x = np.arange(12) + 0.5
    lower = np.array([1, 1.2, np.nan, 0.8, 1, 1, 1.1, np.nan, np.nan, 0.9, 1, 1.3])
    upper = lower + 2
    figure, ax = plt.subplots()
    reference = ax.fill_between(x, lower, upper, step="mid")
    plt.close(figure)
    points = np.column_stack(
        [
            np.random.default_rng(0).uniform(0, 13, 4000),
            np.random.default_rng(1).uniform(0, 4, 4000),
        ]
    )
    expected = np.zeros(len(points), dtype=bool)
    for path in reference.get_paths():
        expected |= path.contains_points(points)
    polygons = charts._step_band(x, lower, upper)
    found = np.zeros(len(points), dtype=bool)
    for polygon in polygons:
        found |= plt.Polygon(polygon).get_path().contains_points(points)
    assert len(polygons) == len(reference.get_paths()) == 3
    assert expected.sum() > 500  # a fifth of the points lie in the band
    assert np.array_equal(found, expected)
