"""The effect report's charts (matplotlib, Agg), embedded as PNG data URIs.

Every estimate is drawn with its interval; the start of the measure is a vertical line.
"""

from __future__ import annotations

import math
from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from lagesbild.review.charts import to_data_uri

WIDTH_IN = 7.6
COLOURS = {
    "observed": "#1f4e79",
    "did": "#c0392b",
    "synthetic": "#7d3c98",
    "band": "#f2d7d5",
    "placebo": "#aab7c4",
    "start": "#555555",
    "zero": "#888888",
}


def series_chart(
    months: list[date],
    observed: np.ndarray,
    did_counterfactual: np.ndarray | None,
    synthetic_counterfactual: np.ndarray | None,
    start: date,
    title: str,
) -> str:
    """Monthly counts of the zone with the two counterfactuals (what was expected without it)."""
    figure, ax = plt.subplots(figsize=(WIDTH_IN, 2.6))
    ax.plot(months, observed, color=COLOURS["observed"], lw=1.2, marker="o", ms=2, label="Utfall")
    if did_counterfactual is not None:
        ax.plot(
            months, did_counterfactual, color=COLOURS["did"], lw=1.2, ls="--",
            label="Förväntat utan åtgärden (skillnad-i-skillnader)",
        )  # fmt: skip
    if synthetic_counterfactual is not None:
        ax.plot(
            months, synthetic_counterfactual, color=COLOURS["synthetic"], lw=1.0, ls=":",
            label="Syntetisk kontroll",
        )  # fmt: skip
    ax.axvline(start, color=COLOURS["start"], lw=0.8)
    ax.set_title(title)
    ax.set_ylabel("Händelser per månad")
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left", fontsize=7, frameon=False)
    figure.tight_layout()
    return to_data_uri(figure)


def event_study_chart(
    quarters: list[int],
    ratios: list[float | None],
    lows: list[float | None],
    highs: list[float | None],
    title: str,
) -> str:
    """Observed / expected per quarter relative to the start, with 95 % placebo intervals."""
    figure, ax = plt.subplots(figsize=(WIDTH_IN, 2.4))
    x = np.array(quarters, dtype=float)
    y = np.array([np.nan if v is None else v for v in ratios], dtype=float)
    low = np.array([np.nan if v is None else v for v in lows], dtype=float)
    high = np.array([np.nan if v is None else v for v in highs], dtype=float)
    colours = [COLOURS["observed"] if q < 0 else COLOURS["did"] for q in quarters]
    ax.vlines(x, low, high, colors=colours, lw=1.4)
    ax.scatter(x, y, c=colours, s=14, zorder=3)
    ax.axhline(1.0, color=COLOURS["zero"], lw=0.8, ls="--")
    ax.axvline(-0.5, color=COLOURS["start"], lw=0.8)
    ax.set_yscale("log")
    finite = np.concatenate([low[np.isfinite(low)], high[np.isfinite(high)], [0.8, 1.25]])
    ax.set_ylim(max(finite.min() * 0.9, 0.1), min(finite.max() * 1.1, 10))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.set_xlabel("Kvartal i förhållande till start (före: blått, efter: rött)")
    ax.set_ylabel("Utfall / förväntat")
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:.2g}"))
    ax.set_title(title)
    figure.tight_layout()
    return to_data_uri(figure)


def placebo_chart(placebo_ratios: np.ndarray, estimate: float, title: str) -> str:
    """Where the zone's estimate lies among the comparison units' placebo estimates."""
    figure, ax = plt.subplots(figsize=(WIDTH_IN, 2.2))
    values = np.log(placebo_ratios[np.isfinite(placebo_ratios) & (placebo_ratios > 0)])
    if len(values):
        ax.hist(values, bins=min(30, max(8, len(values) // 3)), color=COLOURS["placebo"])
    if math.isfinite(estimate) and estimate > 0:
        ax.axvline(math.log(estimate), color=COLOURS["did"], lw=2, label="Zonens skattning")
    ax.axvline(0.0, color=COLOURS["zero"], lw=0.8, ls="--")
    ticks = ax.get_xticks()
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{math.exp(t):.2g}" for t in ticks])
    ax.set_xlabel("Kvot utfall / förväntat bland jämförelseenheterna (placebo, ingen åtgärd)")
    ax.set_ylabel("Antal enheter")
    ax.legend(loc="upper right", fontsize=7, frameon=False)
    ax.set_title(title)
    figure.tight_layout()
    return to_data_uri(figure)
