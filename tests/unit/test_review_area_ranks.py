"""The review's area ranks: each group ranked by itself, its units in the review's order."""

from __future__ import annotations

import numpy as np
import polars as pl

from lagesbild.review.compute import TERTIAL_LENGTH, area_ranks
from lagesbild.review.statistics import eb_shrink_rates, rank_with_intervals

GEOGRAPHY = pl.DataFrame(
    {
        "geo_level": ["area"] * 5 + ["municipality"] * 5,
        "geo_code": ["a1", "a2", "a3", "a4", "a-composite", "m1", "m2", "m3", "m4", "m5"],
        "is_composite": [False, False, False, None, True, None, None, None, None, None],
        "region": ["syd", "syd", "vast", "vast", "syd", "syd", "syd", "vast", "vast", "vast"],
    }
)
INDICATORS = pl.DataFrame(
    {"indicator_code": ["robbery", "clearance"], "higher_is_worse": [True, False]}
)


def review_rows() -> pl.DataFrame:
    """Both indicators for every geography, in an order that is not the groups' order."""
    rows = []
    # close rates: the rank intervals depend on which unit gets which posterior draws
    counts = {"a1": 30, "a2": 60, "a3": 45, "a4": 75, "a-composite": 49, "m1": 300}
    counts |= {"m2": 380, "m3": 410, "m4": None, "m5": 520}
    population = {code: 2_000 + 50 * i for i, code in enumerate(counts)}
    for code in ["m3", "a2", "m1", "a-composite", "a4", "m5", "a1", "m4", "m2", "a3"]:
        for indicator, scale in [("clearance", 0.5), ("robbery", 1.0)]:
            level = "area" if code.startswith("a") else "municipality"
            count = counts[code]
            rows.append(
                {
                    "geo_level": level,
                    "geo_code": code,
                    "indicator_code": indicator,
                    "count_current": None if count is None else int(count * scale),
                    "population_current": float(population[code]),
                }
            )
    return pl.DataFrame(rows)


def expected(review: pl.DataFrame, codes: list[str], indicator: str, descending: bool):
    """Ranks of one group computed directly, its units in the review's order."""
    group = review.filter(pl.col("geo_code").is_in(codes) & (pl.col("indicator_code") == indicator))
    shrunk = eb_shrink_rates(
        group["count_current"].to_numpy(),
        group["population_current"].to_numpy() * TERTIAL_LENGTH / 1000.0,
    )
    rank, low, high = rank_with_intervals(shrunk, descending=descending)
    return group["geo_code"].to_list(), shrunk.rate * TERTIAL_LENGTH, rank, low, high


def test_each_group_is_ranked_by_itself_in_the_review_s_order() -> None:
    review = review_rows()
    ranks = area_ranks(review, GEOGRAPHY, INDICATORS)
    assert ranks is not None
    groups = [
        (["a1", "a2", "a3", "a4"], "robbery", True, "rank_among_areas", "rank_n_areas"),
        (["a1", "a2", "a3", "a4"], "clearance", False, "rank_among_areas", "rank_n_areas"),
        (["m1", "m2"], "robbery", True, "rank_in_region", "rank_n_in_region"),
        (["m3", "m5"], "clearance", False, "rank_in_region", "rank_n_in_region"),
    ]
    for codes, indicator, descending, rank_column, size_column in groups:
        order, rate, rank, low, high = expected(review, codes, indicator, descending)
        got = (
            ranks.filter(
                pl.col("geo_code").is_in(codes)
                & (pl.col("indicator_code") == indicator)
                & pl.col(rank_column).is_not_null()
            )
            .join(pl.DataFrame({"geo_code": order}).with_row_index("at"), on="geo_code")
            .sort("at")
        )
        assert got["geo_code"].to_list() == order
        np.testing.assert_array_equal(got["rate_eb"].to_numpy(), rate)
        np.testing.assert_array_equal(got[rank_column].to_numpy(), rank)
        np.testing.assert_array_equal(got["rank_ci_low"].to_numpy(), low)
        np.testing.assert_array_equal(got["rank_ci_high"].to_numpy(), high)
        assert got[size_column].to_list() == [len(codes)] * len(codes)
        if len(codes) > 2:  # intervals drawn, neither a point nor "any rank"
            low_high = got.select("rank_ci_low", "rank_ci_high").rows()
            assert any(low < high for low, high in low_high)
            assert any((low, high) != (1, len(codes)) for low, high in low_high)
    # the robbery ranks are 1 = most: the area with the highest shrunk rate comes first
    areas = ranks.filter(
        (pl.col("indicator_code") == "robbery") & pl.col("rank_among_areas").is_not_null()
    )
    assert areas.sort("rank_among_areas")["geo_code"][0] == areas.sort("rate_eb")["geo_code"][-1]


def test_composites_and_units_without_a_count_are_not_ranked() -> None:
    ranks = area_ranks(review_rows(), GEOGRAPHY, INDICATORS)
    assert ranks is not None
    assert "a-composite" not in ranks["geo_code"].to_list()
    assert "m4" not in ranks["geo_code"].to_list()
    assert ranks.height == 2 * 4 + 2 * 4  # four atomic areas, four counted municipalities
    assert ranks.schema["rank_n_areas"] == pl.Int32


def test_nothing_to_rank_gives_none() -> None:
    review = review_rows().filter(pl.col("geo_level") == "nation")
    assert area_ranks(review, GEOGRAPHY, INDICATORS) is None
