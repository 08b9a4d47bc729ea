"""The monthly regional lägesbild: one self-contained HTML page per region and for the nation.

`<data>/reports/monthly/<YYYY-MM>/<slug>.html` (slug `nationell` or the region slug), written
after every publication from the PUBLISHED warehouse. A page shows, for the month and the
rolling 12 months, every indicator at the page's own level (nation or region), for its regions
(national page), LPOs and areas: the change against the same period a year earlier as a rate
ratio with its exact 95 % interval (`review.statistics.rate_ratio_exact`); small numbers
flagged; incomplete months as missing, never zero; områdespoliser per 5,000 against the goal;
and a map of the areas shaded by a chosen indicator's rolling-12-month rate (or the area
index). `MonthlyPages.view` builds the view model (plain data); `templates/monthly.html.j2`
lays it out, autoescaped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from lagesbild.months import add_months
from lagesbild.reports import maps
from lagesbild.reports.monthly_inputs import (
    SERIES_MONTHS,
    WINDOW_MONTHS,
    MonthlyInputs,
    load_monthly_inputs,
)
from lagesbild.reports.rendering import render, write_page
from lagesbild.review.formatting import is_missing, number, percent_change
from lagesbild.review.thresholds import FEW_EVENTS

TEMPLATE = "monthly.html.j2"
NATIONAL_SLUG = "nationell"
AREA_INDEX = "area_index"
"""`map_indicator` value that shades the map by the latest published area index."""
DEFAULT_MAP_INDICATOR = "violent_crime"
MISSING = "saknas"
MONTHS_SV = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)
CATEGORY_TEXT = {"sarskilt": "särskilt utsatt 2025", "utsatt": "utsatt 2025"}
GOAL_PER_5000 = 1.0
LEVEL_HEADER = {"region": "Region", "lpo": "Lokalpolisområde", "area": "Område"}


def reports_dir(root: Path, month: str) -> Path:
    """`<data>/reports/monthly/<YYYY-MM>/`."""
    return root / "reports" / "monthly" / month


def month_label(day: Any) -> str:
    """date(2024, 6, 1) → 'juni 2024'."""
    return f"{MONTHS_SV[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class PageScope:
    """What one page covers: the nation or one region."""

    slug: str
    geo_level: str
    geo_code: str
    title: str


@dataclass(frozen=True)
class IndicatorGroup:
    title: str
    codes: list[str]


def percent(ratio: float) -> str:
    """A rate ratio as a change: whole percent, one decimal within ±1 % (no '−0 %')."""
    return percent_change(ratio, 1 if abs(ratio - 1) < 0.01 else 0)


def change_text(ratio: float | None, low: float | None, high: float | None) -> str:
    """'+12 % (−5 % till +31 %)'; '–' when the ratio is undefined (e.g. none a year earlier)."""
    if is_missing(ratio):
        return "–"
    interval = ""
    if not is_missing(low):
        upper = "–" if is_missing(high) else percent(high)
        interval = f" ({percent(low)} till {upper})"
    return f"{percent(ratio)}{interval}"


def excludes_one(low: float | None, high: float | None) -> bool:
    return (not is_missing(low) and low > 1) or (not is_missing(high) and high < 1)


def with_comparisons(current: pl.DataFrame) -> pl.DataFrame:
    """Add the month's and the rolling 12 months' rate ratios against a year earlier.

    Count indicators only (Poisson counts): the month against the same month a year earlier
    (exposure: the two months' populations) and the 12 months ending with the month against
    the 12 months before them (exposure: mean population of each window). A window with an
    undelivered month gives no ratio (missing is not zero).
    """
    # scipy.stats (≈ 0.6 s to import) loads when pages are drawn, not with the code location
    from lagesbild.review.statistics import rate_ratio_exact

    is_count = current["kind"].to_numpy() == "count"

    def column(name: str) -> np.ndarray:
        return current[name].cast(pl.Float64).fill_null(np.nan).to_numpy()

    full_now = current["months_current"].fill_null(0).to_numpy() == WINDOW_MONTHS
    full_before = current["months_previous"].fill_null(0).to_numpy() == WINDOW_MONTHS
    x1_12 = np.where(is_count & full_now, column("numerator_rolling_12m"), np.nan)
    x0_12 = np.where(is_count & full_before, column("count_previous"), np.nan)
    month = rate_ratio_exact(
        np.where(is_count, column("numerator"), np.nan),
        column("numerator_prev_year"),
        column("denominator"),
        column("denominator_prev_year"),
    )
    rolling = rate_ratio_exact(
        x1_12, x0_12, column("population_current"), column("population_previous")
    )
    return current.with_columns(
        pl.Series("rr_month", month.rate_ratio),
        pl.Series("rr_month_low", month.ci_low),
        pl.Series("rr_month_high", month.ci_high),
        pl.Series("rr_12m", rolling.rate_ratio),
        pl.Series("rr_12m_low", rolling.ci_low),
        pl.Series("rr_12m_high", rolling.ci_high),
        pl.Series("count_12m_previous", x0_12),
    ).fill_nan(None)


class MonthlyPages:
    """The view model of every page of one month."""

    def __init__(self, inputs: MonthlyInputs, *, map_indicator: str, created_at: str) -> None:
        self.inputs = inputs
        self.created_at = created_at
        indicators = inputs.indicators
        self.names = dict(zip(indicators["indicator_code"], indicators["name_sv"], strict=True))
        self.kinds = dict(zip(indicators["indicator_code"], indicators["kind"], strict=True))
        counts = indicators.filter(pl.col("kind") == "count")["indicator_code"].to_list()
        if map_indicator != AREA_INDEX and map_indicator not in counts:
            raise ValueError(
                f"map indicator {map_indicator!r}: expected {AREA_INDEX!r} or a count "
                f"indicator of marts.dim_indicator ({', '.join(sorted(counts))})"
            )
        self.map_indicator = map_indicator
        self.rows = {
            (row["geo_level"], row["geo_code"], row["indicator_code"]): row
            for row in with_comparisons(inputs.current).iter_rows(named=True)
        }
        self.available = {(level, indicator) for level, _, indicator in self.rows}
        """(level, indicator) pairs the mart has (an indicator's `geo_levels`)."""
        self.groups = self._indicator_groups(indicators)
        self.geo = inputs.geography
        self.municipality_names = dict(
            self.geo.filter(pl.col("geo_level") == "municipality")
            .select("geo_code", "name")
            .iter_rows()
        )

    @staticmethod
    def _indicator_groups(indicators: pl.DataFrame) -> list[IndicatorGroup]:
        def codes(condition: pl.Expr) -> list[str]:
            return indicators.filter(condition)["indicator_code"].to_list()

        count = pl.col("kind") == "count"
        return [
            IndicatorGroup("Anmälda brott", codes(count & (pl.col("sources") == "offences"))),
            IndicatorGroup(
                "Skjutningar, explosioner och uppklaring",
                codes((count & (pl.col("sources") != "offences")) | (pl.col("kind") == "ratio")),
            ),
            IndicatorGroup("Resurser", codes(pl.col("kind") == "resource")),
        ]

    # ---- scopes -------------------------------------------------------------------------

    def scopes(self) -> list[PageScope]:
        regions = self.geo.filter(pl.col("geo_level") == "region").sort("geo_code")
        out = [PageScope(NATIONAL_SLUG, "nation", "SE", "hela landet")]
        for row in regions.iter_rows(named=True):
            out.append(
                PageScope(row["geo_code"], "region", row["geo_code"], f"region {row['name']}")
            )
        return out

    def _members(self, scope: PageScope, level: str) -> pl.DataFrame:
        frame = self.geo.filter(pl.col("geo_level") == level)
        if scope.geo_level == "region":
            frame = frame.filter(pl.col("region") == scope.geo_code)
        return frame.sort("name")

    # ---- the page -----------------------------------------------------------------------

    def view(self, scope: PageScope) -> dict[str, Any]:
        """Everything one page shows, as plain data."""
        inputs = self.inputs
        month = inputs.month
        window_start = add_months(month, -(WINDOW_MONTHS - 1))
        publication = inputs.publication
        regions = self._members(scope, "region") if scope.geo_level == "nation" else None
        return {
            "title": f"Månadslägesbild {month_label(month)} – {scope.title}",
            "scope": scope,
            "month": inputs.month_key,
            "month_label": month_label(month),
            "window_label": f"{month_label(window_start)} – {month_label(month)}",
            "created_at": self.created_at,
            "run_id": publication.run_id,
            "published_at": publication.published_at.strftime("%Y-%m-%d %H:%M UTC"),
            "code_version": publication.code_version[:12],
            "is_synthetic": inputs.is_synthetic,
            "summary": self._summary_table(scope),
            "series": self._series_table(scope),
            "regions": self._matrices(regions, "region") if regions is not None else None,
            "lpos": self._matrices(self._members(scope, "lpo"), "lpo"),
            "areas": self._matrices(self._members(scope, "area"), "area"),
            "resources": self._resources_section(scope),
            "map": self._map(scope),
            "few_events": FEW_EVENTS,
        }

    def render(self, scope: PageScope) -> str:
        return render(TEMPLATE, **self.view(scope))

    # ---- formatting of one indicator's figures ------------------------------------------

    def _row(self, level: str, code: str, indicator: str) -> dict[str, Any] | None:
        return self.rows.get((level, code, indicator))

    def _month_cell(self, row: dict[str, Any]) -> dict[str, str]:
        if not row["is_complete"]:
            return {"text": MISSING, "css": "missing"}
        kind = row["kind"]
        if kind == "count":
            text = number(row["numerator"])
            if row["is_small_number"]:
                return {"text": f"{text} (få)", "css": "few"}
            return {"text": text, "css": ""}
        return {"text": self._value(row["indicator_code"], row["value"]), "css": ""}

    def _value(self, indicator: str, value: Any) -> str:
        if is_missing(value):
            return "–"
        if self.kinds.get(indicator) == "ratio":
            return f"{number(value, 1)} %"
        return number(value, 2)

    def _rolling_cell(self, row: dict[str, Any]) -> dict[str, str]:
        """The 12 months: count (count indicators) or value; missing when a month is missing."""
        if row["kind"] == "count":
            count = row["numerator_rolling_12m"]
            if is_missing(count):
                return {"text": MISSING, "css": "missing"}
            if count < FEW_EVENTS:
                return {"text": f"{number(count)} (få)", "css": "few"}
            return {"text": number(count), "css": ""}
        value = row["value_rolling_12m"]
        if is_missing(value):
            return {"text": MISSING, "css": "missing"}
        return {"text": self._value(row["indicator_code"], value), "css": ""}

    def _rolling_rate(self, row: dict[str, Any]) -> str:
        if row["kind"] == "count":
            return number(row["rate_per_1000_rolling_12m"], 2)
        return "–"

    def _change(self, row: dict[str, Any], window: str, *, mark: bool) -> dict[str, str] | str:
        """The change against a year earlier: a rate ratio with its interval for counts, the
        difference of the values for other kinds (no interval: not a Poisson count)."""
        if row["kind"] != "count":
            if window == "month":
                now, before = row["value"], row["value_prev_year"]
            else:
                now, before = row["value_rolling_12m"], row["value_rolling_12m_prev_year"]
            if is_missing(now) or is_missing(before):
                return "–"
            if row["kind"] == "ratio":
                difference = round(now - before, 1)
                sign = "±" if difference == 0 else ("+" if difference > 0 else "−")
                return f"{sign}{number(abs(difference), 1)} p.e."
            return percent_change(now / before) if before else "–"
        ratio, low, high = (
            row[f"rr_{window}"],
            row[f"rr_{window}_low"],
            row[f"rr_{window}_high"],
        )
        text = change_text(ratio, low, high)
        if mark and excludes_one(low, high):
            return {"text": text, "css": "sig"}
        return text

    # ---- sections -----------------------------------------------------------------------

    def _summary_table(self, scope: PageScope) -> dict[str, Any]:
        rows = []
        for group in self.groups:
            for indicator in group.codes:
                row = self._row(scope.geo_level, scope.geo_code, indicator)
                if row is None:
                    continue
                rows.append(
                    [
                        self.names.get(indicator, indicator),
                        self._month_cell(row),
                        number(row["rate_per_1000"], 3) if row["kind"] == "count" else "–",
                        self._change(row, "month", mark=True),
                        self._rolling_cell(row),
                        self._rolling_rate(row),
                        self._change(row, "12m", mark=True),
                    ]
                )
        return {
            "headers": [
                "Indikator",
                "Månaden",
                "Per 1 000",
                "Mot samma månad i fjol (95 % KI)",
                "12 månader",
                "Per 1 000 och år",
                "Mot 12 mån året innan (95 % KI)",
            ],
            "rows": rows,
        }

    def _series_table(self, scope: PageScope) -> dict[str, Any]:
        """Month by month, the last 12 months' counts; an undelivered month says so."""
        series = self.inputs.series.filter(
            (pl.col("geo_level") == scope.geo_level) & (pl.col("geo_code") == scope.geo_code)
        )
        months = sorted(series["month"].unique().to_list())
        lookup = {
            (row["indicator_code"], row["month"]): row for row in series.iter_rows(named=True)
        }
        rows = []
        for group in self.groups[:2]:
            for indicator in group.codes:
                if self.kinds.get(indicator) != "count":
                    continue
                cells: list[Any] = [self.names.get(indicator, indicator)]
                for month in months:
                    row = lookup.get((indicator, month))
                    if row is None or not row["is_complete"]:
                        cells.append({"text": MISSING, "css": "missing"})
                    else:
                        cells.append(number(row["numerator"]))
                rows.append(cells)
        headers = ["Indikator", *[f"{m.year % 100:02d}-{m.month:02d}" for m in months]]
        return {"headers": headers, "rows": rows, "n_months": SERIES_MONTHS}

    def _matrix_cell(self, row: dict[str, Any] | None) -> dict[str, Any]:
        """One geography × indicator: the 12 months (rate or value), the counts of the 12
        months and of the month, the change against the 12 months a year earlier."""
        if row is None:
            return {"text": "–", "css": "", "sub": []}
        month = self._month_cell(row)["text"].removesuffix(" (få)")
        if row["kind"] == "count":
            rolling = row["numerator_rolling_12m"]
            if is_missing(rolling):
                text, css, counts = MISSING, "missing", f"– · {month}"
            else:
                few = rolling < FEW_EVENTS
                text, css = number(row["rate_per_1000_rolling_12m"], 2), "few" if few else ""
                counts = f"{number(rolling)}{' (få)' if few else ''} · {month}"
        else:
            value = row["value_rolling_12m"]
            missing = is_missing(value)
            text = MISSING if missing else self._value(row["indicator_code"], value)
            css, counts = ("missing" if missing else ""), f"mån {month}"
        return {"text": text, "css": css, "sub": [counts, self._compact_change(row)]}

    def _compact_change(self, row: dict[str, Any]) -> str:
        """The 12 months' change in a narrow cell: '+12 % [−5; +31]'."""
        if row["kind"] != "count":
            change = self._change(row, "12m", mark=False)
            return change["text"] if isinstance(change, dict) else change
        ratio, low, high = row["rr_12m"], row["rr_12m_low"], row["rr_12m_high"]
        if is_missing(ratio):
            return "–"

        def bare(value: Any) -> str:
            return "–" if is_missing(value) else percent(value).removesuffix(" %")

        return f"{percent(ratio)} [{bare(low)}; {bare(high)}]"

    def _matrices(self, members: pl.DataFrame, level: str) -> list[dict[str, Any]]:
        """Per indicator group, a table with one row per geography of `level`."""
        tables = []
        for group in self.groups:
            codes = [code for code in group.codes if (level, code) in self.available]
            if not codes or members.is_empty():
                continue
            rows = []
            for member in members.iter_rows(named=True):
                name = {"text": member["name"], "css": "", "sub": self._member_notes(member)}
                cells = [self._matrix_cell(self._row(level, member["geo_code"], c)) for c in codes]
                rows.append([name, *cells])
            tables.append(
                {
                    "title": group.title,
                    "headers": [LEVEL_HEADER[level], *[self.names.get(c, c) for c in codes]],
                    "rows": rows,
                }
            )
        return tables

    @staticmethod
    def _member_notes(member: dict[str, Any]) -> list[str]:
        if member["geo_level"] != "area":
            return ["syntetiskt LPO"] if member.get("is_synthetic") else []
        if member.get("is_composite"):
            return ["delat 2025 (summa av delarna)"]
        return [CATEGORY_TEXT.get(member.get("category_2025"), "ej på 2025 års lista")]

    def _resources_section(self, scope: PageScope) -> dict[str, Any] | None:
        resources = self.inputs.resources
        if resources is None:
            return None
        areas = self._members(scope, "area")
        lpo_codes = set(areas["lpo_code"].drop_nulls().to_list())
        lpos = self._members(scope, "lpo").filter(pl.col("geo_code").is_in(lpo_codes))
        by_key = {(r["geo_level"], r["geo_code"]): r for r in resources.iter_rows(named=True)}

        def rows(members: pl.DataFrame, level: str) -> list[list[Any]]:
            out = []
            for member in members.iter_rows(named=True):
                row = by_key.get((level, member["geo_code"]))
                out.append([member["name"], *self._goal_cells(row)])
            return out

        lpo_rows = rows(lpos, "lpo")
        staffed = [
            by_key.get(("lpo", code))
            for code in lpos["geo_code"].to_list()
            if by_key.get(("lpo", code)) and by_key[("lpo", code)]["meets_goal"] is not None
        ]
        met = sum(1 for row in staffed if row["meets_goal"])
        headers = [
            "Enhet",
            "Invånare",
            "Områdespoliser (årsarbetskrafter)",
            "Per 5 000 invånare",
            "Mål: minst 1 per 5 000",
            "Saknas till målet",
        ]
        return {
            "lpos": {"headers": headers, "rows": lpo_rows},
            "areas": {"headers": headers, "rows": rows(areas, "area")},
            "n_lpos": lpos.height,
            "n_known": len(staffed),
            "n_met": met,
            "goal": number(GOAL_PER_5000),
        }

    @staticmethod
    def _goal_cells(row: dict[str, Any] | None) -> list[Any]:
        if row is None or not row["is_staffing_delivered"]:
            missing = {"text": MISSING, "css": "missing"}
            population = "–" if row is None else number(row["population"])
            return [population, missing, missing, missing, missing]
        meets = row["meets_goal"]
        verdict = (
            {"text": MISSING, "css": "missing"}
            if meets is None
            else {
                "text": "uppnått" if meets else "ej uppnått",
                "css": "goal-met" if meets else "goal-missed",
            }
        )
        return [
            number(row["population"]),
            number(row["omradespolis_fte"], 1),
            number(row["omradespoliser_per_5000"], 2),
            verdict,
            number(row["goal_gap_fte"], 1),
        ]

    # ---- the map ------------------------------------------------------------------------

    def _map_values(
        self,
    ) -> tuple[dict[str, tuple[float | None, str, str | None]], maps.ColourScale, str]:
        """Area code → (value, text, flag) for every area, the colour scale and a caption."""
        areas = self.geo.filter(pl.col("geo_level") == "area")
        if self.map_indicator == AREA_INDEX:
            index = self.inputs.area_index
            label = self.inputs.area_index_label
            scores = (
                {} if index is None else dict(zip(index["geo_code"], index["index"], strict=True))
            )
            values = {
                code: (scores.get(code), number(scores.get(code), 2), None)
                for code in areas["geo_code"]
            }
            scale = maps.diverging_scale(
                "Områdesindex (z, 0 = genomsnittet)", maps.INDEX_BREAKS, lambda v: number(v, 2)
            )
            caption = (
                f"Objektivt områdesindex för 12 månader t.o.m. tertial {label} "
                "(review.fct_area_index; högre = mer brottsbelastat, se tertialrapporten)."
                if label
                else "Inget områdesindex är publicerat ännu (det skrivs av tertialuppföljningen): "
                "områdena visas som saknade."
            )
            return values, scale, caption
        indicator = self.map_indicator
        values = {}
        for code in areas["geo_code"]:
            row = self._row("area", code, indicator)
            rate = None if row is None else row["rate_per_1000_rolling_12m"]
            count = None if row is None else row["numerator_rolling_12m"]
            few = not is_missing(count) and count < FEW_EVENTS
            text = MISSING if is_missing(rate) else f"{number(rate, 2)} per 1 000"
            if few:
                text += " (få händelser)"
            values[code] = (None if is_missing(rate) else rate, text, "few" if few else None)
        atomic = areas.filter(~pl.col("is_composite").fill_null(False))["geo_code"]
        scale = maps.quantile_scale(
            [values[c][0] for c in atomic],
            f"{self.names[indicator]} per 1 000 invånare och år (12 mån)",
            lambda v: number(v, 2),
        )
        caption = (
            f"{self.names[indicator]}: takt per 1 000 invånare under de 12 månaderna t.o.m. "
            f"{month_label(self.inputs.month)}, klassindelad efter kvintiler bland landets alla "
            "områden (samma skala på varje sida). Grått = saknas (någon av de 12 månaderna "
            "inte levererad, eller ingen befolkning). Streckad kant = färre än "
            f"{FEW_EVENTS} händelser: osäker takt."
        )
        return values, scale, caption

    def _map(self, scope: PageScope) -> dict[str, Any]:
        values, scale, caption = self._map_values()
        members = list(self._members(scope, "area").iter_rows(named=True))
        flags = (
            {} if self.map_indicator == AREA_INDEX else {"few": f"färre än {FEW_EVENTS} händelser"}
        )
        return maps.build_map(
            "monthly",
            f"Karta: {scale.title}",
            maps.map_areas(members, values, MISSING),
            scale,
            places=maps.area_places(members, self.municipality_names),
            flags=flags,
            caption=caption + " Polygoner: polisens områdesgränser 2025 (EPSG:3006).",
            empty_text=f"Det finns inga utsatta områden i {scope.title} på polisens lista 2025.",
            detail_min_areas=3 if scope.geo_level == "nation" else 1,
        )


def write_monthly_pages(
    database: Path,
    root: Path,
    month: str,
    *,
    is_synthetic: bool,
    map_indicator: str = DEFAULT_MAP_INDICATOR,
) -> dict[str, Path]:
    """Render every page of `month` from the published file, then write each atomically.

    Raises MonthNotPublished (nothing written) when the month is not in the publication.
    """
    inputs = load_monthly_inputs(database, month, is_synthetic=is_synthetic)
    created = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    pages = MonthlyPages(inputs, map_indicator=map_indicator, created_at=created)
    rendered = {scope.slug: pages.render(scope) for scope in pages.scopes()}
    folder = reports_dir(root, month)
    return {slug: write_page(folder / f"{slug}.html", page) for slug, page in rendered.items()}
