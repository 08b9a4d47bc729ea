"""The objective area index: stated weights, agreement with the classification, candidates."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl
import pytest
from scipy import stats

from lagesbild.review.area_index import (
    DEFAULT_WEIGHT,
    WEIGHTS,
    build_area_index,
    composite,
    index_weights,
    spearman,
)
from lagesbild.review.inputs import ReviewInputs

MONTHS = [date(2023, m, 1) for m in range(1, 13)]
INDICATORS = pl.DataFrame(
    {
        "indicator_code": ["shootings", "violent_crime", "new_indicator", "clearance_rate"],
        "name_sv": ["Skjutningar", "Våldsbrott", "Ny", "Uppklaring"],
        "higher_is_worse": [True, True, True, False],
        "kind": ["count", "count", "count", "ratio"],
    }
)
# area code → (lpo, category, monthly rate per 1 000 of each count indicator, population)
AREAS = {
    "A1": ("L1", "utsatt", 0.5, 4_000),
    "A2": ("L1", "utsatt", 0.6, 5_000),
    "A3": ("L1", "risk", 1.0, 6_000),
    "A4": ("L2", "risk", 1.2, 4_000),
    "A5": ("L2", "sarskilt", 2.0, 8_000),
    "A6": ("L2", "sarskilt", 2.4, 7_000),
}
LPO_OUTSIDE = {"L1": (0.1, 50_000), "L2": (2.2, 20_000)}  # L2's remainder looks listed


def synthetic_inputs() -> ReviewInputs:
    rows = []

    def add(level: str, code: str, rate: float, population: float) -> None:
        for month in MONTHS:
            for indicator in ("shootings", "violent_crime", "new_indicator"):
                count = round(rate * population / 1000 * (2 if indicator == "violent_crime" else 1))
                rows.append((month, level, code, indicator, float(count), float(population)))

    for code, (_, _, rate, population) in AREAS.items():
        add("area", code, rate, population)
    for lpo, (rate, population) in LPO_OUTSIDE.items():
        inside = [(r, p) for (lp, _, r, p) in AREAS.values() if lp == lpo]
        total_population = population + sum(p for _, p in inside)
        total_rate = (rate * population + sum(r * p for r, p in inside)) / total_population
        add("lpo", lpo, total_rate, total_population)
    add("nation", "SE", 0.4, 1_000_000)
    monthly = pl.DataFrame(
        rows,
        schema=["month", "geo_level", "geo_code", "indicator_code", "numerator", "denominator"],
        orient="row",
    ).with_columns(pl.lit(True).alias("is_complete"))
    geography = pl.DataFrame(
        {
            "geo_level": ["area"] * 6 + ["lpo", "lpo", "nation"],
            "geo_code": [*AREAS, "L1", "L2", "SE"],
            "name": [*AREAS, "Lpo 1", "Lpo 2", "Sverige"],
            "region": ["syd"] * 8 + [None],
            "lpo_code": [a[0] for a in AREAS.values()] + [None, None, None],
            "is_composite": [False] * 6 + [None, None, None],
            "category_2025": [a[1] for a in AREAS.values()] + [None, None, None],
        }
    )
    optional = {"dim_area_classification": None}
    return ReviewInputs("2023-T3", MONTHS, monthly, INDICATORS, geography, optional, True)


def test_weights_are_the_stated_ones_and_unknown_indicators_weigh_one() -> None:
    weights = index_weights(INDICATORS)
    assert weights == {
        "shootings": WEIGHTS["shootings"],
        "violent_crime": WEIGHTS["violent_crime"],
        "new_indicator": DEFAULT_WEIGHT,
    }


def test_the_composite_is_the_weighted_mean_over_present_components() -> None:
    z = np.array([[1.0, 3.0], [2.0, np.nan]])
    assert composite(z, np.array([1.0, 3.0])) == pytest.approx([2.5, 2.0])


def test_spearman_matches_scipy() -> None:
    a, b = np.array([1.0, 2, 3, 4, 5]), np.array([1.0, 1, 2, 3, 3])
    assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic)


def test_index_orders_areas_like_their_rates_and_agrees_with_the_categories() -> None:
    index = build_area_index(synthetic_inputs())
    period = index.summary["latest_period"]
    stats_ = index.summary["periods"][period]
    assert stats_["rho_listed"] > 0.9
    scores = index.scores.filter(pl.col("period") == period)
    areas = scores.filter(pl.col("unit_type") == "area").sort("index")
    assert areas["geo_code"].to_list() == ["A1", "A2", "A3", "A4", "A5", "A6"]
    for alternative in stats_["sensitivity"].values():
        assert alternative["rho_with_main_index"] > 0.9


def test_a_district_outside_the_list_that_looks_listed_is_a_candidate() -> None:
    index = build_area_index(synthetic_inputs())
    scores = index.scores.filter(pl.col("period") == index.summary["latest_period"])
    candidates = scores.filter(pl.col("is_candidate"))["geo_code"].to_list()
    assert candidates == ["L2"]
    outside = scores.filter(pl.col("unit_type") == "lpo_outside_areas")
    assert not outside["is_listed"].any()
