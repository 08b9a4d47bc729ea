"""The tertial review tables, computed from the published monthly marts.

`build_review` returns `review.fct_tertial_review` (contract in docs/handoff_contracts.md) and
its companions: the monthly control-chart series behind the charts, the written findings, goal
progress and the objective area index. Count indicators get the full statistics; ratio and
resource indicators (kind ≠ 'count') get their tertial mean and last year's, untested.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import polars as pl

from lagesbild.review.area_index import AreaIndex, build_area_index
from lagesbild.review.chance import chance_probability
from lagesbild.review.control_charts import laney_u_prime
from lagesbild.review.findings import generate_findings
from lagesbild.review.inputs import ReviewInputs
from lagesbild.review.series import SERIES_KEY, SeriesArrays, to_arrays
from lagesbild.review.statistics import (
    FEW_EVENTS,
    benjamini_hochberg,
    eb_shrink_rates,
    rank_with_intervals,
    rate_ratio_exact,
    wheeler_z,
)
from lagesbild.review.trend import fit_poisson_trend

ALPHA = 0.05
"""False discovery rate (Benjamini–Hochberg) at which a change is called significant."""
BASELINE_MONTHS = 24
MIN_BASELINE_MONTHS = 12
MIN_TREND_MONTHS = 15
TERTIAL_LENGTH = 4
PERSISTENT_MONTHS = 2
"""A control signal persists when rules fire in at least this many months of the tertial."""
AGREES, PERSISTENT, SINGLE = "agrees", "persistent", "single"


@dataclass
class ReviewTables:
    label: str
    review: pl.DataFrame
    chart: pl.DataFrame
    findings: pl.DataFrame
    goals: pl.DataFrame | None
    area_index: AreaIndex
    notes: list[str] = field(default_factory=list)

    def warehouse_tables(self) -> dict[str, pl.DataFrame]:
        tables = {
            "fct_tertial_review": self.review,
            "fct_tertial_control_chart": self.chart,
            "fct_tertial_findings": self.findings,
            "fct_area_index": self.area_index.scores,
        }
        if self.goals is not None:
            tables["fct_tertial_goal_progress"] = self.goals
        return tables


def _window_sum(values: np.ndarray, columns: slice) -> np.ndarray:
    """Sum over the columns; NaN unless every month in the window is present."""
    block = values[:, columns]
    if block.shape[1] == 0:
        return np.full(values.shape[0], np.nan)
    return np.where(np.isfinite(block).all(axis=1), np.nansum(block, axis=1), np.nan)


def control_evidence(
    signals: list[str | None],
    directions: list[str | None],
    months_signalled: np.ndarray,
    significant: np.ndarray,
    rate_ratio: np.ndarray,
) -> list[str | None]:
    """How much a control-chart signal is worth, per series (docs/reviews.md):

    `agrees` — the rate-ratio test is significant (BH) in the same direction; `persistent` —
    rules fired in two or more of the tertial's months; `single` — one month only, to watch.
    """
    out: list[str | None] = []
    for i, signal in enumerate(signals):
        if signal is None:
            out.append(None)
            continue
        rr = rate_ratio[i]
        same_way = (directions[i] == "up" and rr > 1) or (directions[i] == "down" and rr < 1)
        if significant[i] and np.isfinite(rr) and same_way:
            out.append(AGREES)
        elif months_signalled[i] >= PERSISTENT_MONTHS:
            out.append(PERSISTENT)
        else:
            out.append(SINGLE)
    return out


def count_statistics(arrays: SeriesArrays, label: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Review rows and chart rows for count indicators."""
    y, pop = arrays.counts, arrays.population
    n_months = len(arrays.months)
    now = slice(n_months - TERTIAL_LENGTH, n_months)
    before = slice(n_months - TERTIAL_LENGTH - 12, n_months - 12)
    x1, x0 = _window_sum(y, now), _window_sum(y, before)
    e1, e0 = _window_sum(pop, now), _window_sum(pop, before)
    rr = rate_ratio_exact(x1, x0, e1, e0)
    q = benjamini_hochberg(rr.p_value)

    history = np.isfinite(y).sum(axis=1)
    trend = fit_poisson_trend(y, pop / 1000.0, arrays.month_numbers)
    short = history < MIN_TREND_MONTHS
    trend_rr = np.where(short, np.nan, trend.rate_ratio_per_year)

    baseline = np.zeros(n_months, dtype=bool)
    baseline[max(0, now.start - BASELINE_MONTHS) : now.start] = True
    chart = laney_u_prime(y, pop / 1000.0, baseline)
    window = np.zeros(n_months, dtype=bool)
    window[now] = True
    enough_baseline = (np.isfinite(y) & baseline).sum(axis=1) >= MIN_BASELINE_MONTHS
    charted = enough_baseline & np.isfinite(chart.centre) & (chart.centre > 0)
    signals = [s if ok else None for s, ok in zip(chart.signals(window), charted, strict=True)]
    directions = [
        d if ok else None for d, ok in zip(chart.directions(window), charted, strict=True)
    ]
    months_signalled = np.where(charted, chart.months_signalled(window), 0)
    in_baseline = np.isfinite(y) & baseline[None, :]
    with np.errstate(invalid="ignore", divide="ignore"):
        baseline_mean = np.where(in_baseline, y, 0).sum(axis=1) / in_baseline.sum(axis=1)
    chance_any, chance_persistent = chance_probability(np.where(charted, baseline_mean, np.nan))
    significant = np.isfinite(q) & (q < ALPHA)
    evidence = control_evidence(signals, directions, months_signalled, significant, rr.rate_ratio)

    mean_pop1 = e1 / TERTIAL_LENGTH
    mean_pop0 = e0 / TERTIAL_LENGTH
    review = arrays.keys.with_columns(
        pl.lit(label).alias("tertial_label"),
        pl.Series("count_current", x1),
        pl.Series("count_previous", x0),
        pl.Series("population_current", mean_pop1),
        pl.Series("rate_current", x1 / mean_pop1 * 1000),
        pl.Series("rate_previous", x0 / mean_pop0 * 1000),
        pl.Series("rate_ratio", rr.rate_ratio),
        pl.Series("rr_ci_low", rr.ci_low),
        pl.Series("rr_ci_high", rr.ci_high),
        pl.Series("p_value", rr.p_value),
        pl.Series("q_value", q),
        pl.Series("is_significant", significant),
        pl.Series("is_few_events", ~(np.fmin(x1, x0) >= FEW_EVENTS)),
        pl.Series("wheeler_z", wheeler_z(x1, x0)),
        pl.Series("trend_rr_per_year", trend_rr),
        pl.Series("trend_ci_low", np.where(short, np.nan, trend.ci_low)),
        pl.Series("trend_ci_high", np.where(short, np.nan, trend.ci_high)),
        pl.Series("trend_p_value", np.where(short, np.nan, trend.p_value)),
        pl.Series("trend_months", history.astype(np.int64)),
        pl.Series("control_signal", signals, dtype=pl.String),
        pl.Series("control_centre", chart.centre),
        pl.Series("laney_sigma_z", chart.sigma_z),
        pl.Series("control_charted", charted),
        pl.Series("control_signal_months", months_signalled.astype(np.int64)),
        pl.Series("control_direction", directions, dtype=pl.String),
        pl.Series("control_evidence", evidence, dtype=pl.String),
        pl.Series("control_baseline_mean", np.where(charted, baseline_mean, np.nan)),
        pl.Series("control_chance_p", chance_any),
        pl.Series("control_chance_p_persistent", chance_persistent),
    ).fill_nan(None)

    shown = slice(max(0, now.start - BASELINE_MONTHS), n_months)
    months = arrays.months[shown]
    n_shown = len(months)
    rules_by_month = np.full((len(arrays.keys), n_shown), "", dtype=object)
    for rule, fired in chart.fired.items():
        hit = fired[:, shown]
        rules_by_month = np.where(
            hit, np.char.add(rules_by_month.astype(str), rule + ";"), rules_by_month
        )
    s_idx = np.repeat(np.arange(len(arrays.keys)), n_shown)
    chart_frame = pl.concat(
        [
            arrays.keys[s_idx.tolist()],
            pl.DataFrame(
                {
                    "tertial_label": [label] * len(s_idx),
                    "month": months * len(arrays.keys),
                    "count": y[:, shown].ravel(),
                    "population": pop[:, shown].ravel(),
                    "rate_per_1000": (chart.rate[:, shown] * 1.0).ravel(),
                    "centre": np.repeat(chart.centre, n_shown),
                    "lower_limit": chart.lower[:, shown].ravel(),
                    "upper_limit": chart.upper[:, shown].ravel(),
                    "is_baseline": np.tile(baseline[shown], len(arrays.keys)),
                    "is_tertial": np.tile(window[shown], len(arrays.keys)),
                    "rules": [r.rstrip(";") or None for r in rules_by_month.ravel()],
                }
            ),
        ],
        how="horizontal",
    ).fill_nan(None)
    return review, chart_frame


def ratio_statistics(arrays: SeriesArrays, label: str) -> pl.DataFrame:
    """Tertial mean and last year's for indicators that are not counts (no tests)."""
    n_months = len(arrays.months)
    now = slice(n_months - TERTIAL_LENGTH, n_months)
    before = slice(n_months - TERTIAL_LENGTH - 12, n_months - 12)
    current = _window_sum(arrays.value, now) / TERTIAL_LENGTH
    previous = _window_sum(arrays.value, before) / TERTIAL_LENGTH
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(previous > 0, current / previous, np.nan)
    return arrays.keys.with_columns(
        pl.lit(label).alias("tertial_label"),
        pl.Series("rate_current", current),
        pl.Series("rate_previous", previous),
        pl.Series("rate_ratio", ratio),
        pl.lit(False).alias("is_significant"),
    ).fill_nan(None)


def _ranked_groups(
    units: pl.DataFrame, keys: list[str], worse: dict[str, bool], rank: str, rank_n: str
) -> pl.DataFrame | None:
    """EB-shrunk tertial rates ranked with 90 % intervals within each group of `keys` (the
    first key is the indicator), the units of a group in the frame's order: one pass over
    numpy arrays, not a frame per group (≈ 180 groups in the national review)."""
    if units.is_empty():
        return None
    ordered = units.with_row_index("unit_order").sort([*keys, "unit_order"])
    group_id = ordered.select(pl.struct(keys).rle_id())[:, 0].to_numpy()
    starts = np.flatnonzero(np.diff(group_id, prepend=-1))
    ends = np.append(starts[1:], ordered.height)
    counts = ordered["count_current"].to_numpy()
    exposure = ordered["population_current"].to_numpy() * TERTIAL_LENGTH / 1000.0
    indicator_codes = ordered[keys[0]].to_list()
    rate_eb, ranks, low, high = (np.full(ordered.height, np.nan) for _ in range(4))
    sizes = np.empty(ordered.height, dtype=np.int32)
    for first, stop in zip(starts.tolist(), ends.tolist(), strict=True):
        group = slice(first, stop)
        shrunk = eb_shrink_rates(counts[group], exposure[group])
        descending = bool(worse.get(indicator_codes[first], True))
        ranks[group], low[group], high[group] = rank_with_intervals(shrunk, descending=descending)
        rate_eb[group] = shrunk.rate * TERTIAL_LENGTH
        sizes[group] = stop - first
    return ordered.select(SERIES_KEY).with_columns(
        pl.Series("rate_eb", rate_eb),
        pl.Series(rank, ranks),
        pl.Series("rank_ci_low", low),
        pl.Series("rank_ci_high", high),
        pl.Series(rank_n, sizes),
    )


def area_ranks(review: pl.DataFrame, geography: pl.DataFrame, indicators: pl.DataFrame):
    """EB-shrunk tertial rates ranked per indicator with intervals: the (atomic) areas among
    all areas of the country; municipalities and LPOs among those of their own region (what a
    region without a listed area shows instead)."""
    worse = dict(zip(indicators["indicator_code"], indicators["higher_is_worse"], strict=True))
    atomic = geography.filter(
        (pl.col("geo_level") == "area") & ~pl.col("is_composite").fill_null(False)
    ).select("geo_code")
    areas = review.filter(pl.col("geo_level") == "area").join(atomic, on="geo_code")
    regional = review.filter(
        pl.col("geo_level").is_in(["municipality", "lpo"])
        & (pl.col("population_current") > 0)
        & pl.col("count_current").is_not_null()
    ).join(geography.select("geo_level", "geo_code", "region"), on=["geo_level", "geo_code"])
    pieces = [
        _ranked_groups(areas, ["indicator_code"], worse, "rank_among_areas", "rank_n_areas"),
        _ranked_groups(
            regional,
            ["indicator_code", "geo_level", "region"],
            worse,
            "rank_in_region",
            "rank_n_in_region",
        ),
    ]
    pieces = [piece for piece in pieces if piece is not None]
    if not pieces:
        return None
    return pl.concat(pieces, how="diagonal_relaxed").fill_nan(None)


def goal_progress(inputs: ReviewInputs) -> pl.DataFrame | None:
    goals = inputs.optional.get("mart_effect_goals")
    if goals is None or goals.is_empty():
        return None
    end = inputs.tertial[-1]
    latest = goals.filter(pl.col("month") <= end)
    if latest.is_empty():
        return None
    latest = latest.filter(pl.col("month") == pl.col("month").max().over("goal_id"))
    return latest.with_columns(pl.lit(inputs.label).alias("tertial_label"))


def build_review(inputs: ReviewInputs) -> ReviewTables:
    label = inputs.label
    kinds = dict(zip(inputs.indicators["indicator_code"], inputs.indicators["kind"], strict=True))
    count_codes = [code for code, kind in kinds.items() if kind == "count"]
    counts = inputs.monthly.filter(pl.col("indicator_code").is_in(count_codes))
    others = inputs.monthly.filter(~pl.col("indicator_code").is_in(count_codes))
    review, chart = count_statistics(to_arrays(counts, inputs.months), label)
    ranks = area_ranks(review, inputs.geography, inputs.indicators)
    if ranks is not None:
        review = review.join(ranks, on=SERIES_KEY, how="left")
    if not others.is_empty():
        review = pl.concat(
            [review, ratio_statistics(to_arrays(others, inputs.months), label)],
            how="diagonal_relaxed",
        )
    geo = inputs.geography.select("geo_level", "geo_code", "name", "region")
    review = (
        review.join(geo, on=["geo_level", "geo_code"], how="left")
        .join(inputs.indicators.select("indicator_code", "kind"), on="indicator_code", how="left")
        .with_columns(pl.col("rank_among_areas", "rank_in_region").cast(pl.Int64))
    )
    leading = ["tertial_label", *SERIES_KEY]
    review = review.select(*leading, pl.exclude(leading)).sort(SERIES_KEY)
    findings = generate_findings(review, inputs.indicators, label)
    index = build_area_index(inputs)
    notes = list(inputs.notes)
    return ReviewTables(label, review, chart, findings, goal_progress(inputs), index, notes)
