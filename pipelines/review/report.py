"""Self-contained HTML reports (one national, one per region): inline CSS, inline PNG charts,
no external resources, printable on A4. Every page states when the data is synthetic."""

from __future__ import annotations

import html
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipelines.review import charts
from pipelines.review.area_index import CATEGORY_SV
from pipelines.review.compute import ALPHA, ReviewTables
from pipelines.review.control_charts import RULE_TEXT_SV
from pipelines.review.formatting import number, percent_change
from pipelines.review.inputs import ReviewInputs

MAX_FINDINGS = 30
MAX_AREA_PANELS = 12
SYNTHETIC_BANNER = (
    "SYNTETISKA DATA: rapporten bygger på Lägesbilds genererade standarddata "
    "(landningszonen innehåller GENERATED.txt). Siffrorna är inte polisens statistik."
)
CSS = """
@page { size: A4; margin: 14mm 12mm; }
body { font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; color: #222;
       max-width: 190mm; margin: 0 auto; padding: 8px; }
h1 { font-size: 17pt; margin: 0 0 4px; } h2 { font-size: 13pt; margin-top: 18px;
  border-bottom: 1px solid #ccc; break-after: avoid; } h3 { font-size: 11pt; }
.synthetic { border: 3px solid #c0392b; background: #fdecea; color: #922b21; padding: 6px 10px;
  font-weight: bold; margin: 8px 0; }
.note { color: #555; font-style: italic; }
figure { margin: 8px 0; break-inside: avoid; } figure img { width: 100%; height: auto; }
figcaption { font-size: 8.5pt; color: #444; }
table { border-collapse: collapse; width: 100%; font-size: 8pt; margin: 6px 0;
  break-inside: auto; } th, td { border-bottom: 1px solid #ddd; padding: 2px 4px;
  text-align: right; } th:first-child, td:first-child { text-align: left; }
tr { break-inside: avoid; } .sig { font-weight: bold; color: #922b21; }
ol.findings li { margin-bottom: 4px; } .caveat { color: #b9770e; font-size: 8.5pt; }
@media print { .synthetic { -webkit-print-color-adjust: exact; print-color-adjust: exact; } }
"""
MEASURE_SCRIPT = """
<script>
// Records where each chart is drawn (used by the headless-browser test; harmless offline).
function measure() { document.querySelectorAll('img.chart').forEach(function (img) {
  var r = img.getBoundingClientRect();
  img.dataset.box = [Math.round(r.left + window.scrollX), Math.round(r.top + window.scrollY),
                     Math.round(r.width), Math.round(r.height), img.naturalWidth].join(',');
}); }
window.addEventListener('load', measure); measure();
</script>
"""


@dataclass(frozen=True)
class Scope:
    """What one report covers: the nation or one region."""

    slug: str
    geo_level: str
    geo_code: str
    title: str


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value))


def figure(uri: str | None, caption: str, name: str, missing: str) -> str:
    if uri is None:
        return f'<p class="note">{esc(missing)}</p>'
    return (
        f'<figure><img class="chart" data-chart="{esc(name)}" alt="{esc(caption)}" '
        f'src="{uri}"><figcaption>{esc(caption)}</figcaption></figure>'
    )


def table(headers: list[str], rows: list[list[str]], raw: bool = False) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if raw else esc(c)}</td>" for c in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _ci(row: dict) -> str:
    if row.get("rr_ci_low") is None:
        return "–"
    if row.get("rr_ci_high") is None:
        return f"{percent_change(row['rr_ci_low'])} till – (fjolårets antal 0)"
    return f"{percent_change(row['rr_ci_low'])} till {percent_change(row['rr_ci_high'])}"


def indicator_table(rows: pl.DataFrame, names: dict[str, str]) -> str:
    out = []
    for row in rows.sort("indicator_code").iter_rows(named=True):
        significant = bool(row.get("is_significant"))
        change = percent_change(row.get("rate_ratio"))
        if significant:
            change = f'<span class="sig">{esc(change)}</span>'
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
                esc(names.get(row["indicator_code"], row["indicator_code"])),
                esc(number(row.get("count_current"))),
                esc(number(row.get("count_previous"))),
                esc(number(row.get("rate_current"), 2)),
                change,
                esc(_ci(row)),
                esc(number(row.get("q_value"), 3)),
                esc(trend),
                esc(signal_text),
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
    return table(headers, out, raw=True)


class ReportBuilder:
    def __init__(self, inputs: ReviewInputs, tables: ReviewTables, completed_at: str) -> None:
        self.inputs = inputs
        self.tables = tables
        self.completed_at = completed_at
        ind = inputs.indicators
        self.names = dict(zip(ind["indicator_code"], ind["name_sv"], strict=True))
        self.count_codes = ind.filter(pl.col("kind") == "count")["indicator_code"].to_list()
        weights = tables.area_index.summary.get("weights", {})
        ranked = sorted(self.count_codes, key=lambda c: (-weights.get(c, 0), c))
        self.headline = ranked[0] if ranked else None
        self.geo = inputs.geography
        self.series = charts.index_chart_series(
            tables.chart.filter(pl.col("geo_level").is_in(["nation", "region", "area"]))
        )

    def scopes(self) -> list[Scope]:
        regions = self.geo.filter(pl.col("geo_level") == "region").sort("geo_code")
        out = [Scope("nationell", "nation", "SE", "hela landet")]
        for row in regions.iter_rows(named=True):
            out.append(Scope(row["geo_code"], "region", row["geo_code"], f"region {row['name']}"))
        return out

    def _findings(self, scope: Scope) -> pl.DataFrame:
        findings = self.tables.findings
        if scope.geo_level == "region":
            findings = findings.filter(pl.col("region") == scope.slug)
        else:
            findings = findings.filter(pl.col("geo_level").is_in(["nation", "region", "area"]))
        return findings.head(MAX_FINDINGS)

    def _areas(self, scope: Scope) -> pl.DataFrame:
        areas = self.geo.filter(
            (pl.col("geo_level") == "area") & ~pl.col("is_composite").fill_null(False)
        )
        if scope.geo_level == "region":
            areas = areas.filter(pl.col("region") == scope.slug)
        return areas

    def render(self, scope: Scope) -> str:
        label = self.inputs.label
        review = self.tables.review
        own = review.filter(
            (pl.col("geo_level") == scope.geo_level) & (pl.col("geo_code") == scope.geo_code)
        )
        n_tests = review["p_value"].is_not_null().sum()
        n_sig = review["is_significant"].fill_null(False).sum()
        parts = [
            f"<h1>Tertialuppföljning {esc(label)} – {esc(scope.title)}</h1>",
            f"<p>Månader: {esc(', '.join(m.strftime('%Y-%m') for m in self.inputs.tertial))}. "
            f"Jämförelse med samma tertial föregående år. Skapad {esc(self.completed_at)} från "
            "den publicerade databasen (det som passerat kvalitetsgrinden).</p>",
        ]
        if self.inputs.is_synthetic:
            parts.append(f'<div class="synthetic">{esc(SYNTHETIC_BANNER)}</div>')
        parts.append(
            "<h2>Sammanfattning</h2>"
            f"<p>Granskningen omfattar {n_tests} jämförelser (geografi × indikator). För att inte "
            "ropa varg på slumpen kontrolleras andelen falska upptäckter (Benjamini–Hochberg, "
            f"q &lt; {ALPHA:g}) över hela granskningen innan en förändring blir ett fynd: "
            f"{n_sig} förändringar är signifikanta. Antal under 10 markeras som få händelser.</p>"
        )
        parts.append(self._findings_section(scope))
        parts.append("<h2>Indikatorer</h2>" + indicator_table(own, self.names))
        parts.append(self._control_section(scope))
        parts.append(self._areas_section(scope))
        parts.append(self._goals_section(scope))
        parts.append(self._classification_section(scope))
        parts.append(self._index_section(scope))
        parts.append(self._method_section())
        body = "\n".join(parts)
        return (
            '<!DOCTYPE html>\n<html lang="sv"><head><meta charset="utf-8">'
            f"<title>Tertialuppföljning {esc(label)} – {esc(scope.title)}</title>"
            f"<style>{CSS}</style></head><body>{body}{MEASURE_SCRIPT}</body></html>\n"
        )

    def _findings_section(self, scope: Scope) -> str:
        findings = self._findings(scope)
        if findings.is_empty():
            return (
                "<h2>Fynd</h2><p>Inga förändringar, trender eller kontrolldiagramsignaler som "
                "statistiken stödjer.</p>"
            )
        items = []
        for row in findings.iter_rows(named=True):
            caveat = (
                f' <span class="caveat">({esc(row["caveat_sv"])})</span>'
                if row["caveat_sv"]
                else ""
            )
            items.append(f"<li>{esc(row['text_sv'])}{caveat}</li>")
        return (
            "<h2>Fynd</h2><p>Ordnade efter betydelse. Endast det som statistiken stödjer "
            "skrivs ut.</p>"
            f'<ol class="findings">{"".join(items)}</ol>'
        )

    def _control_section(self, scope: Scope) -> str:
        panels = [
            (scope.geo_level, scope.geo_code, code, self.names.get(code, code))
            for code in self.count_codes
        ]
        uri = charts.control_small_multiples(self.series, panels)
        return "<h2>Trender med kontrollgränser</h2>" + figure(
            uri,
            f"Månadstakt per 1 000 invånare i {scope.title} med Laney u′-gränser från "
            "basperioden (upp till 24 månader före tertialen); tertialen skuggad, signaler röda.",
            "control",
            "Inga månadsserier att visa.",
        )

    def _areas_section(self, scope: Scope) -> str:
        if self.headline is None:
            return ""
        areas = self._areas(scope)
        rows = self.tables.review.filter(
            (pl.col("geo_level") == "area") & (pl.col("indicator_code") == self.headline)
        ).join(areas.select("geo_code"), on="geo_code")
        name = self.names.get(self.headline, self.headline)
        if rows.is_empty():
            return f"<h2>Områden</h2><p class='note'>Inga områden i {esc(scope.title)}.</p>"
        ordered = rows.sort("rank_among_areas", nulls_last=True)
        shown = ordered.head(MAX_AREA_PANELS)
        panels = [
            ("area", r["geo_code"], self.headline, r["name"] or r["geo_code"])
            for r in shown.iter_rows(named=True)
        ]
        uri = charts.control_small_multiples(self.series, panels)
        nation = self.tables.review.filter(
            (pl.col("geo_level") == "nation") & (pl.col("indicator_code") == self.headline)
        )
        national_rate = nation["rate_current"][0] if nation.height else float("nan")
        funnel = charts.funnel_chart(
            rows,
            national_rate if national_rate is not None else float("nan"),
            f"{name}: områdenas tertialtakt mot befolkning (trattdiagram)",
        )
        table_rows = [
            [
                r["name"] or r["geo_code"],
                number(r["count_current"]),
                number(r["rate_current"], 2),
                number(r.get("rate_eb"), 2),
                f"{number(r['rank_among_areas'])} ({number(r.get('rank_ci_low'))}–"
                f"{number(r.get('rank_ci_high'))})",
                percent_change(r["rate_ratio"]),
                "ja" if r["is_significant"] else "nej",
            ]
            for r in ordered.iter_rows(named=True)
        ]
        caption = (
            f"{name} per område (högst rangordnade först, högst {MAX_AREA_PANELS}): "
            "månadstakt med kontrollgränser."
        )
        return (
            f"<h2>Områden – {esc(name)}</h2>"
            + figure(uri, caption, "areas", "Inga serier.")
            + figure(
                funnel,
                "Trattdiagram: prickar utanför trattens 99,8 %-gräns avviker "
                "mer än slumpen förklarar.",
                "funnel",
                "Trattdiagram saknas.",
            )
            + "<p>Rang bland alla områden i landet efter empiriskt Bayes-krympt takt (1 = högst), "
            "med 90 % osäkerhetsintervall för rangen.</p>"
            + table(
                [
                    "Område",
                    "Antal",
                    "Per 1 000",
                    "Krympt",
                    "Rang (90 % int.)",
                    "Förändring",
                    "Signifikant",
                ],
                table_rows,
            )
        )

    def _goals_section(self, scope: Scope) -> str:
        goals = self.tables.goals
        if goals is None:
            return (
                "<h2>Effektmål</h2><p class='note'>Måluppfyllelse saknas: "
                "marts.mart_effect_goals är inte publicerad ännu (eller saknar värden för "
                "tertialen). Inget har fyllts i.</p>"
            )
        if scope.geo_level == "region":
            codes = self.geo.filter(pl.col("region") == scope.slug)["geo_code"]
            goals = goals.filter(pl.col("geo_code").is_in(codes))
        uri = charts.goal_progress_chart(goals, self.names)
        return "<h2>Effektmål</h2>" + figure(
            uri,
            "Andel av vägen från utgångsvärdet till målet (rullande 12 månader); "
            "100 % = målet nått.",
            "goals",
            f"Inga effektmål för {scope.title}.",
        )

    def _classification_section(self, scope: Scope) -> str:
        history = self.inputs.optional.get("dim_area_classification")
        if history is None:
            return (
                "<h2>Klassningshistorik</h2><p class='note'>marts.dim_area_classification är inte "
                "publicerad ännu; historiken visas när den finns.</p>"
            )
        if scope.geo_level == "region":
            codes = self._areas(scope)["geo_code"]
            history = history.filter(pl.col("area_code").is_in(codes))
        uri = charts.classification_history_chart(
            history, f"Listade områden per bedömningsår – {scope.title}"
        )
        changes = (
            history.filter(pl.col("change").is_not_null())
            .group_by(["assessment_year", "change"])
            .len()
            .sort(["assessment_year", "change"])
        )
        rows = [
            [str(r["assessment_year"]), r["change"], str(r["len"])]
            for r in changes.iter_rows(named=True)
        ]
        return (
            "<h2>Klassningshistorik</h2>"
            + figure(
                uri,
                "Polisens lista per bedömningsår och kategori.",
                "classification",
                "Inga listade områden.",
            )
            + table(["Bedömningsår", "Förändring", "Antal områden"], rows)
        )

    def _index_section(self, scope: Scope) -> str:
        index = self.tables.area_index
        scores = index.scores
        summary = index.summary
        if scores.is_empty() or "latest_period" not in summary:
            return "<h2>Objektivt områdesindex</h2><p class='note'>Index saknas.</p>"
        period = summary["latest_period"]
        stats = summary["periods"][period]
        latest = scores.filter(pl.col("period") == period)
        if scope.geo_level == "region":
            latest = latest.filter(pl.col("region") == scope.slug)
        rho = stats["rho_listed"]
        uri = charts.index_chart(latest, rho)
        weights = summary["weights"]
        weight_text = ", ".join(
            f"{self.names.get(c, c)} {number(w, 1)}" for c, w in weights.items()
        )
        sensitivity = [
            [name, number(v["rho_with_main_index"], 2), number(v["rho_with_category"], 2)]
            for name, v in stats["sensitivity"].items()
        ]
        listed = latest.filter(pl.col("is_listed")).sort("disagreement", nulls_last=True)
        disagree = pl.concat([listed.head(5), listed.tail(5)]).unique(maintain_order=True)
        disagree_rows = [
            [
                r["name"],
                CATEGORY_SV.get(r["category"], "–"),
                number(r["index"], 2),
                str(r["index_rank"]),
                number(r["disagreement"], 2),
            ]
            for r in disagree.iter_rows(named=True)
        ]
        candidates = latest.filter(pl.col("is_candidate").fill_null(False)).sort(
            "index", descending=True
        )
        candidate_rows = [
            [
                r["name"],
                "utanför listan" if r["unit_type"] != "area" else "tidigare/ej listat område",
                number(r["index"], 2),
                str(r["index_rank"]),
            ]
            for r in candidates.head(15).iter_rows(named=True)
        ]
        profile_rows = []
        for category in (None, "utsatt", "risk", "sarskilt"):
            part = latest.filter(
                pl.col("category").is_null() if category is None else pl.col("category") == category
            )
            if part.is_empty():
                continue
            label = CATEGORY_SV.get(category, "ej listad / utanför listan")
            profile_rows.append(
                [label, str(part.height)]
                + [
                    number(part[f"rate_eb_{c}"].mean(), 2)
                    if f"rate_eb_{c}" in part.columns
                    else "–"
                    for c in weights
                ]
            )
        history_rows = []
        for name, values in summary["periods"].items():
            history_rows.append(
                [
                    name,
                    number(values["rho_listed"], 2),
                    str(values["n_listed"]),
                    number(values["rho_areas_incl_unlisted"], 2),
                ]
            )
        notes = "".join(f"<p class='note'>{esc(n)}</p>" for n in index.notes)
        return (
            f"<h2>Årsuppföljning: objektivt områdesindex ({esc(period)})</h2>"
            f"<p>Vikter: {esc(weight_text)}. Varje indikators takt krymps mot den sammanvägda "
            "takten (empiriskt Bayes), tas som logkvot mot rikets takt och standardiseras (z). "
            f"Överensstämmelse med polisens kategori bland listade områden (hela landet): "
            f"Spearmans ρ = {number(rho, 2)} (n = {stats['n_listed']}); "
            f"klassning: {esc(stats['classification_source'])}.</p>"
            + figure(
                uri,
                "Index per enhet och polisens kategori; ringade = kandidater utanför "
                "listan (index minst som listade områdens nedre kvartil).",
                "index",
                "Index saknas.",
            )
            + "<h3>Indikatorprofil per kategori</h3><p>Medel av krympta takter per 1 000 "
            "invånare och år.</p>"
            + table(["Kategori", "Enheter", *[self.names.get(c, c) for c in weights]], profile_rows)
            + "<h3>Per år</h3>"
            + table(
                ["Period", "ρ listade", "n listade", "ρ alla områden (ej listad = 0)"], history_rows
            )
            + "<h3>Känslighetsanalys</h3>"
            + table(["Alternativ", "ρ mot huvudindex", "ρ mot kategori"], sensitivity)
            + "<h3>Störst oenighet mellan index och kategori</h3>"
            + table(["Område", "Kategori", "Index", "Rang", "Skillnad (percentil)"], disagree_rows)
            + "<h3>Kandidater för granskning</h3>"
            + (
                table(["Enhet", "Typ", "Index", "Rang"], candidate_rows)
                if candidate_rows
                else "<p>Inga kandidater.</p>"
            )
            + notes
        )

    def _method_section(self) -> str:
        notes = "".join(f"<li>{esc(n)}</li>" for n in self.tables.notes)
        return (
            "<h2>Metod</h2><ul>"
            "<li>Förändring: kvot mellan takterna (per invånare) i tertialen och samma tertial i "
            "fjol, med exakt betingat 95 %-intervall (Clopper–Pearson) och exakt p-värde; "
            "odefinierad när fjolårets antal är 0.</li>"
            "<li>Signifikans efter Benjamini–Hochberg över hela granskningen (q &lt; 0,05).</li>"
            "<li>Trend: Poissonregression av månadsantal med befolkningen som offset och "
            "månadseffekter (säsong), 36 månader (minst 15), kvasi-Poisson-justerat intervall.</li>"
            "<li>Kontrolldiagram: Laney u′ med gränser från upp till 24 månader före tertialen; "
            "regler: utanför gränserna, 8 i rad på samma sida, 6 i rad stigande/fallande.</li>"
            "<li>Rang bland områden: empiriskt Bayes-krympta takter med rangintervall.</li>"
            f"{notes}</ul>"
        )


REPORT_WORKERS_ENV = "LAGESBILD_REPORT_WORKERS"
_WORKER_BUILDER: ReportBuilder | None = None


def _init_worker(builder: ReportBuilder) -> None:
    global _WORKER_BUILDER
    _WORKER_BUILDER = builder


def _render_in_worker(scope: Scope) -> str:
    assert _WORKER_BUILDER is not None
    return _WORKER_BUILDER.render(scope)


def report_workers() -> int:
    """Processes that draw reports: $LAGESBILD_REPORT_WORKERS, else up to 2 (one per core)."""
    configured = os.environ.get(REPORT_WORKERS_ENV)
    if configured:
        return max(1, int(configured))
    return max(1, min(2, os.cpu_count() or 1))


def render_all(builder: ReportBuilder, scopes: list[Scope]) -> list[str]:
    """Render every scope; in a small process pool (forkserver: a clean process, no inherited
    threads from DuckDB or polars) when more than one worker is allowed."""
    workers = report_workers()
    if workers == 1 or len(scopes) < 2:
        return [builder.render(scope) for scope in scopes]
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["pipelines.review.report"])
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker, initargs=(builder,)
        ) as pool:
            return list(pool.map(_render_in_worker, scopes))
    except (BrokenProcessPool, OSError, RuntimeError):  # e.g. an unguarded __main__ script
        return [builder.render(scope) for scope in scopes]


def write_reports(inputs: ReviewInputs, tables: ReviewTables, directory: Path) -> dict[str, Path]:
    """Write `nationell.html` and one `<region>.html` per region; return slug → path."""
    directory.mkdir(parents=True, exist_ok=True)
    completed = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
    builder = ReportBuilder(inputs, tables, completed)
    scopes = builder.scopes()
    written = {}
    for scope, page in zip(scopes, render_all(builder, scopes), strict=True):
        path = directory / f"{scope.slug}.html"
        tmp = path.with_suffix(".html.tmp")
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(path)
        written[scope.slug] = path
    return written
