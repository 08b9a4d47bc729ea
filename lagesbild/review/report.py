"""Self-contained HTML reports of a tertial review (one national, one per region).

`ReportBuilder.view` turns the review's tables into a plain view model (text, numbers, chart
data URIs); `templates/tertial.html.j2` lays it out, HTML-escaped throughout. Inline CSS,
inline PNG charts, no external resources, printable on A4. Every page states when the data is
synthetic.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from lagesbild.effects.review_summary import measures_section
from lagesbild.reports.rendering import render, write_page
from lagesbild.review.area_index import CATEGORY_SV
from lagesbild.review.chart_series import index_chart_series
from lagesbild.review.compute import ALPHA, ReviewTables
from lagesbild.review.control_charts import RULE_TEXT_SV
from lagesbild.review.findings import findings_and_watch
from lagesbild.review.formatting import number, percent_change
from lagesbild.review.inputs import EFFECTS_TABLE, ReviewInputs
from lagesbild.review.report_maps import tertial_maps
from lagesbild.review.report_processes import report_context, report_workers
from lagesbild.review.report_sections import (
    MAX_UNIT_PANELS,
    chance_summary,
    choose_units,
    in_scope,
    order_units,
    panel_titles,
    rank_table,
    section_indicator,
)
from lagesbild.review.statistics import FEW_EVENTS

MAX_FINDINGS = 30
MAX_WATCH = 15
TEMPLATE = "tertial.html.j2"


def _charts() -> ModuleType:
    """The chart module (matplotlib), imported where a page is drawn: in the report workers,
    whose forkserver preloads it, not in the process that runs the review and only hands
    them the builder (≈ 0.3 s of imports there)."""
    from lagesbild.review import charts

    return charts


@dataclass(frozen=True)
class Scope:
    """What one report covers: the nation or one region."""

    slug: str
    geo_level: str
    geo_code: str
    title: str


def figure(uri: str | None, caption: str, name: str, missing: str) -> dict[str, Any]:
    """A chart for the template: its data URI (None: say `missing` instead), caption, name."""
    return {"uri": uri, "caption": caption, "name": name, "missing": missing}


def table(headers: list[str], rows: list[list[Any]]) -> dict[str, Any]:
    """A table for the template; a cell is text or {"text", "css"} for a marked value."""
    return {"headers": headers, "rows": rows}


def _ci(row: dict) -> str:
    if row.get("rr_ci_low") is None:
        return "–"
    if row.get("rr_ci_high") is None:
        return f"{percent_change(row['rr_ci_low'])} till – (fjolårets antal 0)"
    return f"{percent_change(row['rr_ci_low'])} till {percent_change(row['rr_ci_high'])}"


def indicator_table(rows: pl.DataFrame, names: dict[str, str]) -> dict[str, Any]:
    out = []
    for row in rows.sort("indicator_code").iter_rows(named=True):
        change: Any = percent_change(row.get("rate_ratio"))
        if row.get("is_significant"):
            change = {"text": change, "css": "sig"}
        trend = "–"
        if row.get("trend_rr_per_year") is not None:
            trend = (
                f"{percent_change(row['trend_rr_per_year'], 1)}/år "
                f"({percent_change(row['trend_ci_low'], 1)} – "
                f"{percent_change(row['trend_ci_high'], 1)})"
            )
        signal = row.get("control_signal")
        signal_text = "; ".join(RULE_TEXT_SV[r] for r in signal.split(";")) if signal else "–"
        out.append(
            [
                names.get(row["indicator_code"], row["indicator_code"]),
                number(row.get("count_current")),
                number(row.get("count_previous")),
                number(row.get("rate_current"), 2),
                change,
                _ci(row),
                number(row.get("q_value"), 3),
                trend,
                signal_text,
            ]
        )
    headers = [
        "Indikator",
        "Antal",
        "I fjol",
        "Per 1 000",
        "Förändring",
        "95 % KI",
        "q (BH)",
        "Trend 3 år",
        "Kontrolldiagram",
    ]
    return table(headers, out)


class ReportBuilder:
    """The view model of every report of one review."""

    def __init__(self, inputs: ReviewInputs, tables: ReviewTables, completed_at: str) -> None:
        # The pages read the monthly figures from `series` (the chart table, indexed once),
        # never from the month-by-month frames themselves: the builder keeps them empty, so
        # that each report worker is not sent them (national review: 76 → 29 MB pickled).
        self.series = index_chart_series(tables.chart)
        self.inputs = replace(inputs, monthly=inputs.monthly.clear())
        self.tables = replace(tables, chart=tables.chart.clear())
        self.completed_at = completed_at
        ind = inputs.indicators
        self.names = dict(zip(ind["indicator_code"], ind["name_sv"], strict=True))
        self.count_codes = ind.filter(pl.col("kind") == "count")["indicator_code"].to_list()
        weights = tables.area_index.summary.get("weights", {})
        ranked = sorted(self.count_codes, key=lambda c: (-weights.get(c, 0), c))
        self.headline = ranked[0] if ranked else None
        self.geo = inputs.geography

    def scopes(self) -> list[Scope]:
        regions = self.geo.filter(pl.col("geo_level") == "region").sort("geo_code")
        out = [Scope("nationell", "nation", "SE", "hela landet")]
        for row in regions.iter_rows(named=True):
            out.append(Scope(row["geo_code"], "region", row["geo_code"], f"region {row['name']}"))
        return out

    def _findings(self, scope: Scope) -> tuple[pl.DataFrame, pl.DataFrame]:
        """(findings, single-point signals to watch) of the scope, strongest evidence first."""
        findings = self.tables.findings
        if scope.geo_level == "region":
            findings = findings.filter(pl.col("region") == scope.slug)
        else:
            findings = findings.filter(pl.col("geo_level").is_in(["nation", "region", "area"]))
        found, watch = findings_and_watch(findings)
        return found.head(MAX_FINDINGS), watch.head(MAX_WATCH)

    def _chance(self, scope: Scope) -> dict[str, Any]:
        review = in_scope(
            self.tables.review.filter(pl.col("kind") == "count"), scope.geo_level, scope.slug
        )
        findings = in_scope(self.tables.findings, scope.geo_level, scope.slug)
        return chance_summary(review, findings)

    def _areas(self, scope: Scope) -> pl.DataFrame:
        areas = self.geo.filter(
            (pl.col("geo_level") == "area") & ~pl.col("is_composite").fill_null(False)
        )
        if scope.geo_level == "region":
            areas = areas.filter(pl.col("region") == scope.slug)
        return areas

    def view(self, scope: Scope) -> dict[str, Any]:
        """Everything one page shows, as plain data."""
        label = self.inputs.label
        review = self.tables.review
        own = review.filter(
            (pl.col("geo_level") == scope.geo_level) & (pl.col("geo_code") == scope.geo_code)
        )
        found, watch = self._findings(scope)
        return {
            "title": f"Tertialuppföljning {label} – {scope.title}",
            "label": label,
            "scope": scope,
            "months": ", ".join(m.strftime("%Y-%m") for m in self.inputs.tertial),
            "completed_at": self.completed_at,
            "is_synthetic": self.inputs.is_synthetic,
            "n_tests": int(review["p_value"].is_not_null().sum()),
            "n_significant": int(review["is_significant"].fill_null(False).sum()),
            "alpha": f"{ALPHA:g}",
            "findings": [
                {"text": row["text_sv"], "caveat": row["caveat_sv"], "evidence": row["evidence"]}
                for row in found.iter_rows(named=True)
            ],
            "watch": [
                {"text": row["text_sv"], "evidence": row["evidence"]}
                for row in watch.iter_rows(named=True)
            ],
            "chance": self._chance(scope),
            "indicators": indicator_table(own, self.names),
            "control": self._control_figure(scope),
            "areas": self._areas_section(scope),
            "goals": self._goals_section(scope),
            "classification": self._classification_section(scope),
            "measures": measures_section(
                self.inputs.optional.get(EFFECTS_TABLE),
                scope.slug if scope.geo_level == "region" else None,
                self.names,
            ),
            "index": self._index_section(scope),
            "maps": tertial_maps(
                review=review,
                index=self.tables.area_index,
                geography=self.geo,
                names=self.names,
                scope_region=scope.slug if scope.geo_level == "region" else None,
                scope_title=scope.title,
                label=label,
            ),
            "method_notes": list(self.tables.notes),
        }

    def render(self, scope: Scope) -> str:
        return render(TEMPLATE, **self.view(scope))

    def _control_figure(self, scope: Scope) -> dict[str, Any]:
        panels = [
            (scope.geo_level, scope.geo_code, code, self.names.get(code, code))
            for code in self.count_codes
        ]
        return figure(
            _charts().control_small_multiples(self.series, panels),
            f"Månadstakt per 1 000 invånare i {scope.title} med Laney u′-gränser från "
            "basperioden (upp till 24 månader före tertialen); tertialen skuggad, signaler röda.",
            "control",
            "Inga månadsserier att visa.",
        )

    def _areas_section(self, scope: Scope) -> dict[str, Any] | None:
        """The scope's areas — or, for a region without one, its municipalities and LPOs —
        on an indicator with enough events (report_sections.section_indicator)."""
        units = choose_units(self.tables.review, self._areas(scope), scope.slug, scope.title)
        weights = self.tables.area_index.summary.get("weights", {})
        code, median = section_indicator(units.rows, self.count_codes, weights)
        if code is None:
            return {
                "title": units.title,
                "indicator": "",
                "empty": f"Inga enheter i {scope.title}.",
            }
        name = self.names.get(code, code)
        rows = units.rows.filter(pl.col("indicator_code") == code)
        ordered = order_units(rows, units.rank_column)
        with_level = units.rank_column == "rank_in_region"
        panels = [
            (level, geo_code, code, title)
            for level, geo_code, title in panel_titles(ordered, with_level)
        ]
        nation = self.tables.review.filter(
            (pl.col("geo_level") == "nation") & (pl.col("indicator_code") == code)
        )
        national_rate = nation["rate_current"][0] if nation.height else None
        headers, table_rows = rank_table(ordered, units.rank_column, with_level)
        return {
            "title": units.title,
            "indicator": name,
            "empty": None,
            "note": units.note,
            "why": f"{name} visas eftersom enheterna har tillräckligt många händelser "
            f"(median {number(median)} under tertialen; indikatorer med färre än "
            f"{FEW_EVENTS} händelser per enhet säger för lite).",
            "rank_text": units.rank_text,
            "panels": figure(
                _charts().control_small_multiples(self.series, panels),
                f"{name} per enhet (högst krympt takt först, högst {MAX_UNIT_PANELS}): "
                "månadstakt med kontrollgränser.",
                "areas",
                "Inga serier.",
            ),
            "funnel": figure(
                _charts().funnel_chart(
                    rows,
                    national_rate if national_rate is not None else float("nan"),
                    f"{name}: enheternas tertialtakt mot befolkning (trattdiagram)",
                ),
                "Trattdiagram: prickar utanför trattens 99,8 %-gräns avviker "
                "mer än slumpen förklarar.",
                "funnel",
                "Trattdiagram saknas.",
            ),
            "ranks": table(headers, table_rows),
        }

    def _goals_section(self, scope: Scope) -> dict[str, Any] | None:
        goals = self.tables.goals
        if goals is None:
            return None
        if scope.geo_level == "region":
            codes = self.geo.filter(pl.col("region") == scope.slug)["geo_code"]
            goals = goals.filter(pl.col("geo_code").is_in(codes))
        return figure(
            _charts().goal_progress_chart(goals, self.names),
            "Andel av vägen från utgångsvärdet till målet (rullande 12 månader); "
            "100 % = målet nått.",
            "goals",
            f"Inga effektmål för {scope.title}.",
        )

    def _classification_section(self, scope: Scope) -> dict[str, Any] | None:
        history = self.inputs.optional.get("dim_area_classification")
        if history is None:
            return None
        if scope.geo_level == "region":
            codes = self._areas(scope)["geo_code"]
            history = history.filter(pl.col("area_code").is_in(codes))
        changes = (
            history.filter(pl.col("change").is_not_null())
            .group_by(["assessment_year", "change"])
            .len()
            .sort(["assessment_year", "change"])
        )
        return {
            "chart": figure(
                _charts().classification_history_chart(
                    history, f"Listade områden per bedömningsår – {scope.title}"
                ),
                "Polisens lista per bedömningsår och kategori.",
                "classification",
                "Inga listade områden.",
            ),
            "changes": table(
                ["Bedömningsår", "Förändring", "Antal områden"],
                [
                    [str(r["assessment_year"]), r["change"], str(r["len"])]
                    for r in changes.iter_rows(named=True)
                ],
            ),
        }

    def _index_section(self, scope: Scope) -> dict[str, Any] | None:
        index = self.tables.area_index
        scores = index.scores
        summary = index.summary
        if scores.is_empty() or "latest_period" not in summary:
            return None
        period = summary["latest_period"]
        stats = summary["periods"][period]
        latest = scores.filter(pl.col("period") == period)
        if scope.geo_level == "region":
            latest = latest.filter(pl.col("region") == scope.slug)
        rho = stats["rho_listed"]
        weights = summary["weights"]
        listed = latest.filter(pl.col("is_listed")).sort("disagreement", nulls_last=True)
        disagree = pl.concat([listed.head(5), listed.tail(5)]).unique(maintain_order=True)
        candidates = latest.filter(pl.col("is_candidate").fill_null(False)).sort(
            "index", descending=True
        )
        profile_rows = []
        for category in (None, "utsatt", "risk", "sarskilt"):
            part = latest.filter(
                pl.col("category").is_null() if category is None else pl.col("category") == category
            )
            if part.is_empty():
                continue
            profile_rows.append(
                [CATEGORY_SV.get(category, "ej listad / utanför listan"), str(part.height)]
                + [
                    number(part[f"rate_eb_{c}"].mean(), 2)
                    if f"rate_eb_{c}" in part.columns
                    else "–"
                    for c in weights
                ]
            )
        return {
            "period": period,
            "weights": ", ".join(
                f"{self.names.get(c, c)} {number(w, 1)}" for c, w in weights.items()
            ),
            "rho": number(rho, 2),
            "n_listed": stats["n_listed"],
            "classification_source": stats["classification_source"],
            "chart": figure(
                _charts().index_chart(latest, rho),
                "Index per enhet och polisens kategori; ringade = kandidater utanför "
                "listan (index minst som listade områdens nedre kvartil).",
                "index",
                "Index saknas.",
            ),
            "profile": table(
                ["Kategori", "Enheter", *[self.names.get(c, c) for c in weights]], profile_rows
            ),
            "history": table(
                ["Period", "ρ listade", "n listade", "ρ alla områden (ej listad = 0)"],
                [
                    [
                        name,
                        number(values["rho_listed"], 2),
                        str(values["n_listed"]),
                        number(values["rho_areas_incl_unlisted"], 2),
                    ]
                    for name, values in summary["periods"].items()
                ],
            ),
            "sensitivity": table(
                ["Alternativ", "ρ mot huvudindex", "ρ mot kategori"],
                [
                    [name, number(v["rho_with_main_index"], 2), number(v["rho_with_category"], 2)]
                    for name, v in stats["sensitivity"].items()
                ],
            ),
            "disagreement": table(
                ["Område", "Kategori", "Index", "Rang", "Skillnad (percentil)"],
                [
                    [
                        r["name"],
                        CATEGORY_SV.get(r["category"], "–"),
                        number(r["index"], 2),
                        str(r["index_rank"]),
                        number(r["disagreement"], 2),
                    ]
                    for r in disagree.iter_rows(named=True)
                ],
            ),
            "candidates": table(
                ["Enhet", "Typ", "Index", "Rang"],
                [
                    [
                        r["name"],
                        "utanför listan"
                        if r["unit_type"] != "area"
                        else "tidigare/ej listat område",
                        number(r["index"], 2),
                        str(r["index_rank"]),
                    ]
                    for r in candidates.head(15).iter_rows(named=True)
                ],
            ),
            "notes": list(index.notes),
        }


_WORKER_BUILDER: ReportBuilder | None = None


def _init_worker(builder: ReportBuilder) -> None:
    global _WORKER_BUILDER
    _WORKER_BUILDER = builder


def _render_in_worker(scope: Scope) -> str:
    assert _WORKER_BUILDER is not None
    return _WORKER_BUILDER.render(scope)


def render_all(builder: ReportBuilder, scopes: list[Scope]) -> list[str]:
    """Render every scope; in a small process pool (forkserver: a clean process, no inherited
    threads from DuckDB or polars) when more than one worker is allowed."""
    workers = report_workers()
    if workers == 1 or len(scopes) < 2:
        return [builder.render(scope) for scope in scopes]
    context = report_context()
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(builder,)
        ) as pool:
            return list(pool.map(_render_in_worker, scopes))
    except (BrokenProcessPool, OSError, RuntimeError):  # e.g. an unguarded __main__ script
        return [builder.render(scope) for scope in scopes]


def write_reports(inputs: ReviewInputs, tables: ReviewTables, directory: Path) -> dict[str, Path]:
    """Write `nationell.html` and one `<region>.html` per region; return slug → path."""
    completed = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    builder = ReportBuilder(inputs, tables, completed)
    scopes = builder.scopes()
    return {
        scope.slug: write_page(directory / f"{scope.slug}.html", page)
        for scope, page in zip(scopes, render_all(builder, scopes), strict=True)
    }
