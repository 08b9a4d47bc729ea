"""View-model sections of a tertial report: the chance signals, the signals to watch, and the
units section (areas, or a region's municipalities and LPOs when it has no listed area).

Plain data for `templates/tertial.html.j2`; `report.ReportBuilder` assembles them per scope.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import polars as pl

from lagesbild.review.findings import CONTROL_LEVELS, findings_and_watch
from lagesbild.review.formatting import number, percent_change
from lagesbild.review.statistics import FEW_EVENTS

MAX_UNIT_PANELS = 12
LEVEL_TAG_SV = {"municipality": "kommun", "lpo": "LPO", "area": "område"}


def in_scope(frame: pl.DataFrame, geo_level: str, slug: str) -> pl.DataFrame:
    """The rows of a report's scope: everything (nation) or the region's own and its units'."""
    if geo_level == "nation":
        return frame
    return frame.filter(pl.col("region") == slug)


def chance_summary(review: pl.DataFrame, findings: pl.DataFrame) -> dict[str, Any]:
    """How many control-chart signals chance alone gives in these series, against the review's.

    `review` and `findings` are already restricted to the report's scope. Expected counts are
    sums of each charted series' simulated chance probability (lagesbild.review.chance).
    """
    charted = review.filter(pl.col("control_charted").fill_null(False))
    eligible = charted.filter(
        pl.col("geo_level").is_in(CONTROL_LEVELS) & (pl.col("count_current") >= FEW_EVENTS)
    )
    from scipy import stats

    expected = float(charted["control_chance_p"].sum())
    signals = int(charted["control_signal"].is_not_null().sum())
    low, high = stats.poisson.ppf([0.025, 0.975], expected) if expected > 0 else (0.0, 0.0)
    if signals > high:
        verdict = "fler än slumpen ensam förklarar"
    elif signals < low:
        verdict = "färre än slumpen ensam brukar ge"
    else:
        verdict = "i nivå med vad slumpen ensam ger: signalerna säger här mest om hur många "
        verdict += "serier som granskas"
    found, watch = findings_and_watch(findings)
    strong = found.filter(pl.col("finding_kind") == "control").height
    agreeing = eligible.filter(pl.col("control_evidence") == "agrees").height
    return {
        "series": charted.height,
        "expected": number(expected),
        "expected_persistent": number(charted["control_chance_p_persistent"].sum()),
        "signals": signals,
        "verdict": verdict,
        "persistent": charted.filter(pl.col("control_signal_months") >= 2).height,
        "eligible_series": eligible.height,
        "eligible_expected": number(eligible["control_chance_p"].sum(), 1),
        "eligible_signals": eligible["control_signal"].is_not_null().sum(),
        "strong": strong + agreeing,
        "agreeing": agreeing,
        "watch": watch.height,
    }


@dataclass(frozen=True)
class UnitChoice:
    """Which units a report's units section shows, and how they are ranked."""

    rows: pl.DataFrame
    """Review rows (every count indicator) of the units."""
    title: str
    rank_column: str
    rank_text: str
    note: str | None


def choose_units(review: pl.DataFrame, areas: pl.DataFrame, slug: str, title: str) -> UnitChoice:
    """The scope's atomic areas; for a region without one, its municipalities and LPOs."""
    if not areas.is_empty():
        rows = review.filter(pl.col("geo_level") == "area").join(
            areas.select("geo_code"), on="geo_code"
        )
        return UnitChoice(
            rows,
            "Områden",
            "rank_among_areas",
            "Rang bland alla områden i landet efter empiriskt Bayes-krympt takt (1 = högst), "
            "med 90 % osäkerhetsintervall för rangen.",
            None,
        )
    rows = review.filter(
        pl.col("geo_level").is_in(["municipality", "lpo"])
        & (pl.col("region") == slug)
        & (pl.col("population_current") > 0)
    )
    return UnitChoice(
        rows,
        "Kommuner och lokalpolisområden",
        "rank_in_region",
        "Rang inom regionen (kommuner och lokalpolisområden var för sig) efter empiriskt "
        "Bayes-krympt takt (1 = högst), med 90 % osäkerhetsintervall för rangen.",
        f"{title[0].upper()}{title[1:]} har inget listat utsatt område; avsnittet visar i stället "
        "regionens kommuner och lokalpolisområden.",
    )


def section_indicator(
    rows: pl.DataFrame, count_codes: list[str], weights: Mapping[str, float]
) -> tuple[str | None, float]:
    """The indicator the units section shows: one with enough events to say something.

    Among the count indicators whose median tertial count over the units is at least 10
    (FEW_EVENTS), the one with the largest area-index weight (ties: more events); when none
    has, the one with the most events. Returns (indicator, its median count).
    """
    medians = {
        code: float(median)
        for code, median in rows.filter(pl.col("indicator_code").is_in(count_codes))
        .group_by("indicator_code")
        .agg(pl.col("count_current").median())
        .iter_rows()
        if median is not None
    }
    if not medians:
        return None, 0.0
    enough = [code for code, median in medians.items() if median >= FEW_EVENTS]
    if enough:
        best = max(enough, key=lambda code: (weights.get(code, 0.0), medians[code], code))
    else:
        best = max(medians, key=lambda code: (medians[code], code))
    return best, medians[best]


def rank_table(
    ordered: pl.DataFrame, rank_column: str, with_level: bool
) -> tuple[list[str], list[list[str]]]:
    headers = [
        "Enhet" if with_level else "Område",
        "Antal",
        "Per 1 000",
        "Krympt",
        "Rang (90 % int.)",
        "Förändring",
        "Signifikant",
    ]
    rows = []
    for r in ordered.iter_rows(named=True):
        name = r["name"] or r["geo_code"]
        if with_level:
            name = f"{name} ({LEVEL_TAG_SV[r['geo_level']]})"
        rows.append(
            [
                name,
                number(r["count_current"]),
                number(r["rate_current"], 2),
                number(r.get("rate_eb"), 2),
                f"{number(r.get(rank_column))} ({number(r.get('rank_ci_low'))}–"
                f"{number(r.get('rank_ci_high'))})",
                percent_change(r["rate_ratio"]),
                "ja" if r["is_significant"] else "nej",
            ]
        )
    return headers, rows


def panel_titles(ordered: pl.DataFrame, with_level: bool) -> list[tuple[str, str, str]]:
    """(geo_level, geo_code, title) of the small multiples, highest ranked first."""
    out = []
    for r in ordered.head(MAX_UNIT_PANELS).iter_rows(named=True):
        title = r["name"] or r["geo_code"]
        if with_level:
            title = f"{title} ({LEVEL_TAG_SV[r['geo_level']]})"
        out.append((r["geo_level"], r["geo_code"], title))
    return out


def order_units(rows: pl.DataFrame, rank_column: str) -> pl.DataFrame:
    """Highest shrunk rate first (a region's municipalities and LPOs interleaved by it)."""
    return rows.sort(["rate_eb", rank_column], descending=[True, False], nulls_last=True)
