"""The objective area index: a transparent composite of crime indicators per area and year.

For every period (each complete calendar year in the review window, and the 12 months ending
with the tertial) and every unit — the atomic vulnerable areas (listed or not) and, as
"districts outside the list", each LPO's remainder outside its areas:
1. count the events of each index indicator over the 12 months and divide by the population;
2. shrink the rate towards the pooled rate (empirical Bayes, so small populations do not
   dominate) and take its log ratio to the national rate;
3. standardise across units (z-score);
4. combine with the stated weights (`WEIGHTS`; indicators not named there weigh 1; only
   count indicators where higher is worse take part).
Then: Spearman's ρ between the index and the police category (utsatt 1 < riskområde 2 <
särskilt utsatt 3) among listed areas; the areas where index and category disagree most;
unlisted units whose index reaches the listed areas' lower quartile are candidates for review.
A sensitivity check recomputes the index with equal weights and leaving out each indicator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl
from scipy import stats

from lagesbild.review.inputs import ReviewInputs
from lagesbild.review.statistics import eb_shrink_rates

WEIGHTS: dict[str, float] = {
    "shootings": 3.0,
    "explosions": 3.0,
    "shooting_dead": 2.0,
    "shooting_injured": 2.0,
    "violent_crime": 2.0,
    "violence_public_place": 2.0,
    "robbery": 2.0,
    "witness_intimidation": 2.0,
    "violence_against_officials": 1.5,
    "drug_offences": 1.5,
    "vandalism_arson": 1.0,
    "offences_total": 0.5,
}
"""Stated weights of the index; a count indicator (higher is worse) not named here weighs 1."""
DEFAULT_WEIGHT = 1.0
CATEGORY_ORDER = {"utsatt": 1, "risk": 2, "sarskilt": 3}
CATEGORY_SV = {"utsatt": "utsatt område", "risk": "riskområde", "sarskilt": "särskilt utsatt"}
CANDIDATE_QUANTILE = 0.25
MIN_OUTSIDE_POPULATION = 1000


@dataclass
class AreaIndex:
    scores: pl.DataFrame
    summary: dict[str, object] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def index_weights(indicators: pl.DataFrame) -> dict[str, float]:
    chosen = indicators.filter(
        (pl.col("kind") == "count") & pl.col("higher_is_worse").fill_null(False)
    )
    return {code: WEIGHTS.get(code, DEFAULT_WEIGHT) for code in chosen["indicator_code"]}


def periods(inputs: ReviewInputs) -> list[tuple[str, list[date]]]:
    """Each complete calendar year in the window, then the 12 months ending with the tertial."""
    out = []
    for year in sorted({month.year for month in inputs.months}):
        months = [m for m in inputs.months if m.year == year]
        if len(months) == 12:
            out.append((str(year), months))
    out.append((f"12 mån t.o.m. {inputs.label}", inputs.months[-12:]))
    return out


def categories(inputs: ReviewInputs, year: int) -> tuple[dict[str, str | None], str]:
    """Area → category in force in `year`, and where that came from."""
    history = inputs.optional.get("dim_area_classification")
    if history is not None and not history.is_empty():
        in_force = history.filter(pl.col("assessment_year") <= year)
        if not in_force.is_empty():
            latest = in_force.filter(
                pl.col("assessment_year") == pl.col("assessment_year").max().over("area_code")
            )
            source = f"klassningen i kraft {year} (marts.dim_area_classification)"
            return dict(zip(latest["area_code"], latest["category"], strict=True)), source
    areas = inputs.geography.filter(pl.col("geo_level") == "area")
    source = "2025 års lista (dim_geography.category_2025; klassningshistorik saknas)"
    return dict(zip(areas["geo_code"], areas["category_2025"], strict=True)), source


def unit_counts(inputs: ReviewInputs, months: list[date], codes: list[str]) -> pl.DataFrame:
    """12-month counts and mean population per atomic area and per LPO remainder."""
    frame = inputs.monthly.filter(
        pl.col("month").is_in(months)
        & pl.col("indicator_code").is_in(codes)
        & pl.col("geo_level").is_in(["area", "lpo", "nation"])
    )
    totals = frame.group_by(["geo_level", "geo_code", "indicator_code"]).agg(
        pl.when(pl.col("is_complete").fill_null(False).all() & (pl.len() == len(months)))
        .then(pl.col("numerator").sum())
        .alias("count"),
        pl.col("denominator").mean().alias("population"),
    )
    geo = inputs.geography
    atomic = geo.filter(
        (pl.col("geo_level") == "area") & ~pl.col("is_composite").fill_null(False)
    ).select("geo_code", "lpo_code", "name", "region")
    areas = totals.filter(pl.col("geo_level") == "area").join(atomic, on="geo_code")
    inside = areas.group_by(["lpo_code", "indicator_code"]).agg(
        pl.col("count").sum().alias("count_in_areas"),
        pl.col("population").sum().alias("population_in_areas"),
    )
    lpo_names = geo.filter(pl.col("geo_level") == "lpo").select("geo_code", "name", "region")
    outside = (
        totals.filter(pl.col("geo_level") == "lpo")
        .join(lpo_names, on="geo_code")
        .join(
            inside,
            left_on=["geo_code", "indicator_code"],
            right_on=["lpo_code", "indicator_code"],
            how="left",
        )
        .with_columns(
            (pl.col("count") - pl.col("count_in_areas").fill_null(0)).alias("count"),
            (pl.col("population") - pl.col("population_in_areas").fill_null(0)).alias("population"),
            (pl.lit("utanför listan: ") + pl.col("name")).alias("name"),
            pl.lit("lpo_outside_areas").alias("unit_type"),
        )
        .filter(pl.col("population") >= MIN_OUTSIDE_POPULATION)
    )
    areas = areas.with_columns(pl.lit("area").alias("unit_type"))
    columns = ["unit_type", "geo_code", "name", "region", "indicator_code", "count", "population"]
    units = pl.concat([areas.select(columns), outside.select(columns)])
    nation = totals.filter(pl.col("geo_level") == "nation").select(
        "indicator_code", (pl.col("count") / pl.col("population")).alias("national_rate")
    )
    return units.join(nation, on="indicator_code", how="left")


def composite(z: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean of the standardised components over the indicators present."""
    present = np.isfinite(z)
    w = np.where(present, weights[None, :], 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(w.sum(axis=1) > 0, np.nansum(z * w, axis=1) / w.sum(axis=1), np.nan)


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.ptp(a[ok]) == 0 or np.ptp(b[ok]) == 0:
        return float("nan")
    return float(stats.spearmanr(a[ok], b[ok]).statistic)


def score_period(units: pl.DataFrame, weights: dict[str, float]) -> tuple[pl.DataFrame, dict]:
    codes = [code for code in weights if code in set(units["indicator_code"])]
    wide_rows = units.select("unit_type", "geo_code", "name", "region").unique(maintain_order=True)
    wide_rows = wide_rows.sort(["unit_type", "geo_code"])
    z_columns, rate_columns = {}, {}
    key = wide_rows.select("unit_type", "geo_code")
    for code in codes:
        part = key.join(
            units.filter(pl.col("indicator_code") == code), on=["unit_type", "geo_code"], how="left"
        )
        count = part["count"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        population = part["population"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        national = part["national_rate"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        shrunk = eb_shrink_rates(count, population / 1000.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            component = np.log(np.maximum(shrunk.rate, 1e-9) / (national * 1000.0))
        sd = np.nanstd(component)
        z_columns[code] = (component - np.nanmean(component)) / sd if sd > 0 else component * 0
        rate_columns[code] = shrunk.rate
    z = np.column_stack([z_columns[c] for c in codes]) if codes else np.zeros((wide_rows.height, 0))
    w = np.array([weights[c] for c in codes])
    index = composite(z, w)
    alternatives = {"lika vikter": composite(z, np.ones_like(w))}
    for i, code in enumerate(codes):
        if len(codes) > 1:
            alternatives[f"utan {code}"] = composite(np.delete(z, i, axis=1), np.delete(w, i))
    frame = wide_rows.with_columns(
        pl.Series("index", index),
        *[pl.Series(f"z_{c}", z_columns[c]) for c in codes],
        *[pl.Series(f"rate_eb_{c}", rate_columns[c]) for c in codes],
    )
    return frame.fill_nan(None), {
        "alternatives": alternatives,
        "index": index,
        "codes": codes,
    }


def build_area_index(inputs: ReviewInputs) -> AreaIndex:
    weights = index_weights(inputs.indicators)
    notes = []
    if not weights:
        return AreaIndex(pl.DataFrame(), {}, ["Inga indikatorer för index."])
    frames, summary = [], {"weights": weights, "periods": {}}
    for period, months in periods(inputs):
        year = months[-1].year
        category_of, source = categories(inputs, year)
        units = unit_counts(inputs, months, list(weights))
        if units.is_empty():
            continue
        scored, extra = score_period(units, weights)
        category = [
            category_of.get(code) if unit == "area" else None
            for unit, code in zip(scored["unit_type"], scored["geo_code"], strict=True)
        ]
        order = np.array([CATEGORY_ORDER.get(c, 0) if c else 0 for c in category], dtype=float)
        listed = order > 0
        index = extra["index"]
        scored = scored.with_columns(
            pl.lit(period).alias("period"),
            pl.lit(inputs.label).alias("tertial_label"),
            pl.Series("category", category, dtype=pl.String),
            pl.Series("category_order", order.astype(np.int64)),
            pl.Series("is_listed", listed),
            pl.Series(
                "index_rank", stats.rankdata(-np.nan_to_num(index, nan=-1e9), method="min")
            ).cast(pl.Int64),
            pl.Series(
                "index_percentile",
                stats.rankdata(np.nan_to_num(index, nan=-1e9)) / len(index) * 100,
            ),
        )
        rho = spearman(index[listed], order[listed])
        rho_all = spearman(
            index[scored["unit_type"].to_numpy() == "area"],
            order[scored["unit_type"].to_numpy() == "area"],
        )
        threshold = (
            float(np.nanquantile(index[listed], CANDIDATE_QUANTILE))
            if listed.any()
            else float("nan")
        )
        disagreement = np.full(len(index), np.nan)
        if listed.sum() >= 3:
            index_pct = stats.rankdata(index[listed]) / listed.sum()
            category_pct = stats.rankdata(order[listed]) / listed.sum()
            disagreement[listed] = index_pct - category_pct
        scored = scored.with_columns(
            pl.Series("disagreement", disagreement),
            pl.Series("is_candidate", (~listed) & (index >= threshold)),
        ).fill_nan(None)
        sensitivity = {
            name: {
                "rho_with_main_index": spearman(index, alt),
                "rho_with_category": spearman(alt[listed], order[listed]),
            }
            for name, alt in extra["alternatives"].items()
        }
        summary["periods"][period] = {
            "rho_listed": rho,
            "rho_areas_incl_unlisted": rho_all,
            "n_listed": int(listed.sum()),
            "n_units": len(index),
            "candidate_threshold": threshold,
            "classification_source": source,
            "sensitivity": sensitivity,
        }
        frames.append(scored)
    if not frames:
        return AreaIndex(pl.DataFrame(), summary, ["Inga kompletta 12-månadersperioder."])
    scores = pl.concat(frames, how="diagonal_relaxed")
    leading = ["tertial_label", "period", "unit_type", "geo_code", "name", "region", "category"]
    summary["latest_period"] = frames[-1]["period"][0]
    notes.append(
        "DeSO-kluster utanför listan bedöms inte: DeSO-nivån publiceras inte i marts; "
        "lokalpolisområdenas delar utanför områdena används i stället."
    )
    return AreaIndex(scores.select(*leading, pl.exclude(leading)), summary, notes)
