"""Charts rendered offline with matplotlib (Agg) and embedded as base64 PNG data URIs.

Every chart of a rate shows its uncertainty or its control limits; the tertial is shaded.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import polars as pl
from matplotlib import cbook
from matplotlib.collections import PolyCollection

from lagesbild.review.area_index import CATEGORY_ORDER, CATEGORY_SV
from lagesbild.review.chart_series import index_chart_series

DPI = 96
WIDTH_IN = 7.6
COLOURS = {
    "rate": "#1f4e79",
    "centre": "#555555",
    "limits": "#c9d6e3",
    "tertial": "#fde9c9",
    "signal": "#c0392b",
}
CATEGORY_COLOURS = {"utsatt": "#f0b27a", "risk": "#e67e22", "sarskilt": "#a93226", None: "#95a5a6"}
plt.rcParams.update(
    {"font.size": 8, "axes.titlesize": 9, "axes.spines.top": False, "axes.spines.right": False}
)


def to_data_uri(figure: plt.Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


PANEL_W, PANEL_H, GAP_X, GAP_Y = 1.0, 0.55, 0.08, 0.24


def _arrays(series: pl.DataFrame, column: str) -> np.ndarray:
    return series[column].cast(pl.Float64).fill_null(np.nan).to_numpy()


@dataclass
class _PanelLayers:
    """Every panel's shapes of one small-multiples figure, drawn as one artist per layer.

    A matplotlib artist costs far more to draw than its points do: one Line2D, collection or
    patch per panel made the figure's drawing grow with the panels (≈ 10 artists each). The
    panels share one axes and never overlap, so each layer — frames, tertial shading, control
    limits, centre lines, rates, signals — is one artist whose panels are separated by NaN
    (lines) or are separate polygons (collections). The texts stay one per label.
    """

    frames: list[np.ndarray] = field(default_factory=list)
    tertials: list[np.ndarray] = field(default_factory=list)
    limits: list[np.ndarray] = field(default_factory=list)
    centre_x: list[np.ndarray] = field(default_factory=list)
    centre_y: list[np.ndarray] = field(default_factory=list)
    rate_x: list[np.ndarray] = field(default_factory=list)
    rate_y: list[np.ndarray] = field(default_factory=list)
    signal_x: list[np.ndarray] = field(default_factory=list)
    signal_y: list[np.ndarray] = field(default_factory=list)

    def draw(self, ax: plt.Axes) -> None:
        ax.add_collection(
            PolyCollection(self.tertials, facecolors=COLOURS["tertial"], linewidths=0, zorder=0)
        )
        ax.add_collection(
            PolyCollection(self.frames, facecolors="none", edgecolors="#999", linewidths=0.4)
        )
        ax.add_collection(PolyCollection(self.limits, facecolors=COLOURS["limits"], linewidths=0))
        ax.plot(
            _joined(self.centre_x), _joined(self.centre_y), color=COLOURS["centre"], lw=0.6, ls="--"
        )
        ax.plot(
            _joined(self.rate_x),
            _joined(self.rate_y),
            color=COLOURS["rate"],
            lw=1.0,
            marker="o",
            ms=1.6,
        )
        if self.signal_x:
            ax.plot(
                np.concatenate(self.signal_x),
                np.concatenate(self.signal_y),
                "o",
                color=COLOURS["signal"],
                ms=3,
            )


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """The parts as one array, a NaN between two: one line that breaks between panels."""
    gap = np.array([np.nan])
    joined: list[np.ndarray] = []
    for part in parts:
        joined += [part, gap]
    return np.concatenate(joined[:-1]) if joined else np.empty(0)


def _box(x0: float, y0: float, width: float, height: float) -> np.ndarray:
    return np.array([(x0, y0), (x0 + width, y0), (x0 + width, y0 + height), (x0, y0 + height)])


def _step_band(x: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> list[np.ndarray]:
    """The band between lower and upper as step-mid polygons, one per run of finite values
    (what `fill_between(..., step="mid")` draws)."""
    finite = np.isfinite(lower) & np.isfinite(upper)
    polygons = []
    edges = np.flatnonzero(np.diff(np.concatenate([[0], finite.astype(np.int8), [0]])))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        xs, low, high = x[start:stop], lower[start:stop], upper[start:stop]
        steps_x, steps_low, steps_high = cbook.pts_to_midstep(xs, low, high)
        polygons.append(
            np.column_stack(
                [
                    np.concatenate([steps_x, steps_x[::-1]]),
                    np.concatenate([steps_low, steps_high[::-1]]),
                ]
            )
        )
    return polygons


def _add_panel(
    layers: _PanelLayers, ax: plt.Axes, x0: float, y0: float, series: pl.DataFrame, title: str
) -> None:
    """One small multiple at (x0, y0): its shapes into `layers`, its labels into `ax`."""
    rate = _arrays(series, "rate_per_1000")
    lower, upper = _arrays(series, "lower_limit"), _arrays(series, "upper_limit")
    centre = _arrays(series, "centre")
    top = np.nanmax(np.concatenate([rate, upper, [0.0]]))
    top = top * 1.08 if np.isfinite(top) and top > 0 else 1.0
    n = len(rate)
    x = x0 + (np.arange(n) + 0.5) / n * PANEL_W

    def y(values: np.ndarray) -> np.ndarray:
        return y0 + np.clip(values / top, 0, 1) * PANEL_H

    tertial = series["is_tertial"].to_numpy()
    layers.frames.append(_box(x0, y0, PANEL_W, PANEL_H))
    if tertial.any():
        first = int(np.argmax(tertial))
        layers.tertials.append(
            _box(x0 + first / n * PANEL_W, y0, (n - first) / n * PANEL_W, PANEL_H)
        )
    layers.limits += _step_band(x, y(lower), y(upper))
    layers.centre_x.append(x)
    layers.centre_y.append(y(centre))
    layers.rate_x.append(x)
    layers.rate_y.append(y(rate))
    flagged = series["rules"].is_not_null().to_numpy()
    if flagged.any():
        layers.signal_x.append(x[flagged])
        layers.signal_y.append(y(rate)[flagged])
    ax.text(x0, y0 + PANEL_H + 0.02, title[:34], fontsize=6.5, va="bottom", ha="left")
    scale = f"0–{top:.2f}".replace(".", ",")
    ax.text(
        x0 + PANEL_W,
        y0 + PANEL_H + 0.02,
        scale,
        fontsize=5.5,
        va="bottom",
        ha="right",
        color="#666",
    )
    months = series["month"].to_list()
    for i, month in enumerate(months):
        if month.month == 1:
            ax.text(
                x[i], y0 - 0.015, str(month.year), fontsize=5, ha="center", va="top", color="#666"
            )


def control_small_multiples(
    chart: pl.DataFrame | Mapping[tuple[str, str, str], pl.DataFrame],
    panels: list[tuple[str, str, str, str]],
    *,
    columns: int = 4,
) -> str | None:
    """Panels of (geo_level, geo_code, indicator_code, title): monthly rate per 1 000 with
    the Laney u′ limits from the baseline, signals in red, the tertial shaded. Each panel has
    its own scale, printed at its top right (0–max per 1 000 and month)."""
    keyed = index_chart_series(chart) if isinstance(chart, pl.DataFrame) else chart
    found = [(panel, keyed.get(panel[:3])) for panel in panels]
    found = [(panel, series) for panel, series in found if series is not None]
    if not found:
        return None
    rows = math.ceil(len(found) / columns)
    width = columns * (PANEL_W + GAP_X)
    height = rows * (PANEL_H + GAP_Y) + 0.12
    figure = plt.figure(figsize=(WIDTH_IN, WIDTH_IN * height / width + 0.25))
    ax = figure.add_axes((0.01, 0.01, 0.98, 0.98 - 0.25 / (WIDTH_IN * height / width + 0.25)))
    layers = _PanelLayers()
    for i, ((_, _, _, title), series) in enumerate(found):
        row, col = divmod(i, columns)
        x0 = col * (PANEL_W + GAP_X)
        y0 = (rows - 1 - row) * (PANEL_H + GAP_Y) + 0.06
        _add_panel(layers, ax, x0, y0, series, title)
    layers.draw(ax)
    ax.set_xlim(-0.01, width)
    ax.set_ylim(0, height)
    ax.axis("off")
    handles = [
        plt.Line2D([], [], color=COLOURS["rate"], marker="o", ms=2, label="månad per 1 000"),
        plt.Line2D([], [], color=COLOURS["centre"], ls="--", label="medellinje (bas)"),
        plt.Rectangle((0, 0), 1, 1, color=COLOURS["limits"], label="kontrollgränser (u′)"),
        plt.Rectangle((0, 0), 1, 1, color=COLOURS["tertial"], label="tertialen"),
        plt.Line2D([], [], color=COLOURS["signal"], marker="o", ls="", label="signal"),
    ]
    figure.legend(handles=handles, loc="upper center", ncols=5, fontsize=6, frameon=False)
    return to_data_uri(figure)


def goal_progress_chart(goals: pl.DataFrame, names: dict[str, str]) -> str | None:
    """Horizontal bars: the share of the way from baseline to target, per goal."""
    if goals is None or goals.is_empty():
        return None
    goals = goals.sort("goal_id").head(30)
    progress = goals["progress"].cast(pl.Float64).fill_null(np.nan).to_numpy() * 100
    labels = [
        f"{names.get(ind, ind)} – {code}"
        for ind, code in zip(goals["indicator_code"], goals["geo_code"], strict=True)
    ]
    colours = {
        "on_track": "#27ae60",
        "achieved": "#1e8449",
        "off_track": "#e67e22",
        "missed": "#c0392b",
    }
    figure, ax = plt.subplots(figsize=(WIDTH_IN, 0.28 * len(labels) + 1), layout="constrained")
    y = np.arange(len(labels))
    ax.barh(y, np.nan_to_num(progress), color=[colours.get(s, "#7f8c8d") for s in goals["status"]])
    ax.axvline(100, color="black", lw=0.8)
    ax.set_yticks(y, labels, fontsize=6)
    ax.invert_yaxis()
    ax.set_xlabel("andel av vägen från utgångsvärde till mål (%)")
    status_sv = {
        "on_track": "i fas",
        "achieved": "uppnått",
        "off_track": "efter plan",
        "missed": "missat",
    }
    ax.legend(
        handles=[
            plt.Rectangle((0, 0), 1, 1, color=colours[k], label=v) for k, v in status_sv.items()
        ],
        fontsize=6,
        frameon=False,
        loc="lower right",
    )
    return to_data_uri(figure)


def classification_history_chart(history: pl.DataFrame, title: str) -> str | None:
    """Stacked bars: listed areas per assessment year and category."""
    if history is None or history.is_empty():
        return None
    listed = history.filter(pl.col("category").is_not_null())
    if listed.is_empty():
        return None
    counts = listed.group_by(["assessment_year", "category"]).len().sort("assessment_year")
    years = sorted(counts["assessment_year"].unique().to_list())
    figure, ax = plt.subplots(figsize=(WIDTH_IN, 2.6), layout="constrained")
    bottom = np.zeros(len(years))
    for category in sorted(CATEGORY_ORDER, key=CATEGORY_ORDER.get):
        values = np.array(
            [
                counts.filter(
                    (pl.col("assessment_year") == year) & (pl.col("category") == category)
                )["len"].sum()
                for year in years
            ],
            dtype=float,
        )
        ax.bar(
            [str(y) for y in years],
            values,
            bottom=bottom,
            color=CATEGORY_COLOURS[category],
            label=CATEGORY_SV[category],
        )
        bottom += values
    ax.set_title(title, loc="left")
    ax.set_ylabel("antal områden")
    ax.legend(fontsize=7, frameon=False, ncols=3)
    return to_data_uri(figure)


def index_chart(scores: pl.DataFrame, rho: float | None) -> str | None:
    """The index per unit by police category (strip plot); unlisted candidates marked."""
    if scores is None or scores.is_empty():
        return None
    groups = [("ej listad", None), *[(CATEGORY_SV[c], c) for c in ("utsatt", "risk", "sarskilt")]]
    figure, ax = plt.subplots(figsize=(WIDTH_IN, 2.8), layout="constrained")
    rng = np.random.default_rng(1)
    for position, (label, category) in enumerate(groups):
        part = scores.filter(
            pl.col("category").is_null() if category is None else pl.col("category") == category
        )
        values = part["index"].cast(pl.Float64).fill_null(np.nan).to_numpy()
        jitter = rng.uniform(-0.18, 0.18, len(values))
        colour = CATEGORY_COLOURS[category]
        ax.scatter(values, position + jitter, s=10, color=colour, alpha=0.8, label=label)
        if category is None and "is_candidate" in part.columns:
            cand = part["is_candidate"].fill_null(False).to_numpy()
            ax.scatter(
                values[cand],
                position + jitter[cand],
                s=28,
                facecolors="none",
                edgecolors="black",
                lw=0.8,
                label="kandidat",
            )
    ax.set_yticks(range(len(groups)), [g[0] for g in groups])
    ax.axvline(0, color="#888", lw=0.6)
    title = "Objektivt områdesindex (z, viktat) per polisens kategori"
    if rho is not None and np.isfinite(rho):
        title += f" – Spearmans ρ = {rho:.2f}".replace(".", ",")
    ax.set_title(title, loc="left")
    ax.set_xlabel("index (0 = medel över enheterna; högre = mer brottsbelastat)")
    return to_data_uri(figure)


def funnel_chart(rows: pl.DataFrame, national_rate: float, title: str) -> str | None:
    """Funnel plot (Spiegelhalter): tertial rate against population with 95 % / 99.8 %
    Poisson limits around the national rate."""
    rows = rows.filter(
        pl.col("population_current").is_not_null() & pl.col("rate_current").is_not_null()
    )
    if rows.is_empty() or not np.isfinite(national_rate) or national_rate <= 0:
        return None
    from scipy import stats

    population = rows["population_current"].to_numpy()
    rate = rows["rate_current"].to_numpy()
    grid = np.linspace(max(population.min() * 0.8, 100), population.max() * 1.1, 200)
    expected = national_rate / 1000 * grid
    figure, ax = plt.subplots(figsize=(WIDTH_IN, 2.8), layout="constrained")
    for level, style in ((0.95, "--"), (0.998, ":")):
        lo = stats.poisson.ppf((1 - level) / 2, expected) / grid * 1000
        hi = stats.poisson.ppf(1 - (1 - level) / 2, expected) / grid * 1000
        ax.plot(grid, lo, style, color="#555", lw=0.8)
        ax.plot(grid, hi, style, color="#555", lw=0.8, label=f"{level * 100:g} %".replace(".", ","))
    ax.axhline(national_rate, color="black", lw=0.8)
    ax.scatter(population, rate, s=12, color=COLOURS["rate"])
    ax.set_xlabel("befolkning")
    ax.set_ylabel("per 1 000 inv. och tertial")
    ax.set_title(title, loc="left")
    ax.legend(fontsize=6, frameon=False)
    return to_data_uri(figure)


def month_label(month: date) -> str:
    return month.strftime("%Y-%m")
