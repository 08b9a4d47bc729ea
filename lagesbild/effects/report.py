"""The offline HTML report of one measure: `<data>/reports/effects/<measure_id>.html`.

The view model holds data and chart data URIs, never HTML; the template
(`lagesbild/reports/templates/effects.html.j2`) is autoescaped. Text is Swedish.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from lagesbild.effects import charts
from lagesbild.effects.evaluate import MeasureEvaluation, ZoneEvaluation
from lagesbild.effects.inputs import EffectInputs
from lagesbild.effects.verdict import ALPHA, Verdict
from lagesbild.effects.wording import (
    GENERAL_LIMITS,
    KIND_LIMITS,
    KIND_SV,
    METHOD_SV,
    VERDICT_SV,
    ZONE_SV,
    interval_text,
    p_text,
    ratio_text,
)
from lagesbild.reports.rendering import render, write_page
from lagesbild.review.formatting import number, percent_change


def verdict_sentence(zone: ZoneEvaluation, row: dict[str, Any], name: str) -> str:
    """The zone's conclusion in plain Swedish, never a bare percentage."""
    verdict = Verdict(row["verdict"])
    method = METHOD_SV[row["method"]].lower()
    where = "i området" if zone.zone.zone == "area" else "i omgivningen"
    if verdict in (Verdict.DECREASE, Verdict.INCREASE):
        word = "lägre" if verdict is Verdict.DECREASE else "högre"
        change = abs((row["effect_ratio"] - 1) * 100)
        low, high = sorted(abs((v - 1) * 100) for v in (row["ci_low"], row["ci_high"]))
        return (
            f"{VERDICT_SV[verdict]}: {name} {where} blev {number(change)} % {word} än "
            f"jämförelsen visar att den annars skulle ha blivit (95 % intervall: mellan "
            f"{number(low)} och {number(high)} % {word}; {method}, placebo-p "
            f"{p_text(row['p_value'])} ≤ {number(ALPHA, 2)})."
        )
    if verdict is Verdict.NO_DETECTABLE_CHANGE:
        mde = row["mde_ratio"]
        detectable = (
            f" En förändring på {percent_change(mde)} eller större hade upptäckts med 80 % "
            "sannolikhet."
            if mde is not None
            else ""
        )
        return (
            f"{VERDICT_SV[verdict]} för {name} {where}: kvoten {ratio_text(row['effect_ratio'])} "
            f"(95 % intervall {interval_text(row['ci_low'], row['ci_high'])}) ligger inom vad "
            f"jämförelseenheterna varierar på egen hand ({method}).{detectable} Det betyder inte "
            "att åtgärden saknar effekt."
        )
    return f"{VERDICT_SV[verdict]} för {name} {where}: {zone.verdicts[row['method']].reason_sv}."


def _table(rows: list[dict[str, Any]]) -> dict[str, Any]:
    headers = [
        "Zon", "Metod", "Kvot", "95 % intervall", "p", "Förtrend-p", "Placebo-p", "MDE",
        "Jämförelse-enheter", "Mån. före/efter", "Händelser före/efter", "Bedömning",
    ]  # fmt: skip
    body = []
    for row in rows:
        verdict = Verdict(row["verdict"])
        body.append(
            [
                ZONE_SV[row["zone"]].split(" (")[0],
                METHOD_SV[row["method"]] + (" ★" if row["is_primary"] else ""),
                ratio_text(row["effect_ratio"]),
                interval_text(row["ci_low"], row["ci_high"])
                if row["effect_ratio"] is not None
                else "–",
                p_text(row["p_value"]),
                p_text(row["pre_trend_p"]),
                p_text(row["placebo_p"]),
                ratio_text(row["mde_ratio"]),
                str(row["n_comparison_units"]),
                f"{row['pre_months']}/{row['post_months']}",
                f"{number(row['events_pre'])}/{number(row['events_post'])}",
                {
                    "text": VERDICT_SV[verdict],
                    "css": "sig" if verdict in (Verdict.DECREASE, Verdict.INCREASE) else "",
                },
            ]
        )
    return {"headers": headers, "rows": body}


def _figures(zone: ZoneEvaluation, name: str) -> list[dict[str, str]]:
    panel = zone.zone.panel
    label = ZONE_SV[zone.zone.zone].lower()
    if panel is None or zone.did is None:
        return []
    months = list(panel.months)
    synthetic = zone.synthetic.counterfactual[0] if zone.synthetic is not None else None
    figures = [
        {
            "name": f"series_{zone.indicator}_{zone.zone.zone}",
            "uri": charts.series_chart(
                months,
                panel.counts[0],
                zone.did.counterfactual[0],
                synthetic,
                zone.measure.start,
                f"{name}: {label}",
            ),
            "caption": f"{name}, {label}: utfall per månad och vad som var att vänta utan "
            "åtgärden (zonens egen nivå och trend före start, jämförelseenheternas "
            "månadsvariation). Lodrätt streck: start.",
            "missing": "",
        }
    ]
    if zone.zone.zone == "area" and zone.bins:
        figures.append(
            {
                "name": f"event_study_{zone.indicator}",
                "uri": charts.event_study_chart(
                    [b["event_quarter"] for b in zone.bins],
                    [b["ratio"] for b in zone.bins],
                    [b["ci_low"] for b in zone.bins],
                    [b["ci_high"] for b in zone.bins],
                    f"{name}: händelsestudie per kvartal",
                ),
                "caption": "Utfall/förväntat per kvartal före och efter start med 95 % "
                "placebointervall. Före start ska punkterna ligga kring 1 (förtrendtestet); "
                "efter start visar de hur effekten utvecklas.",
                "missing": "",
            }
        )
    if zone.zone.zone == "area" and zone.did_inference is not None:
        figures.append(
            {
                "name": f"placebo_{zone.indicator}",
                "uri": charts.placebo_chart(
                    np.exp(zone.did_inference.placebo_estimates),
                    math.exp(zone.did_inference.estimate),
                    f"{name}: placebofördelning",
                ),
                "caption": "Samma skattning för varje jämförelseenhet som om den hade fått "
                "åtgärden. Ligger områdets skattning (rött) bland de mest extrema är "
                "förändringen svår att förklara med slumpen.",
                "missing": "",
            }
        )
    return figures


def build_view(
    evaluation: MeasureEvaluation, inputs: EffectInputs, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    measure = evaluation.measure
    names = dict(zip(inputs.areas["geo_code"], inputs.areas["name"], strict=True))
    sections = []
    for indicator in measure.outcome_indicators:
        name = inputs.indicator_name(indicator).lower()
        indicator_rows = [r for r in rows if r["indicator_code"] == indicator]
        zones = [z for z in evaluation.zones if z.indicator == indicator]
        sentences = []
        figures = []
        for zone in zones:
            primary = next(
                r for r in indicator_rows if r["zone"] == zone.zone.zone and r["is_primary"]
            )
            sentences.append(verdict_sentence(zone, primary, name))
            figures += _figures(zone, inputs.indicator_name(indicator))
        sections.append(
            {
                "title": inputs.indicator_name(indicator),
                "code": indicator,
                "sentences": sentences,
                "table": _table(indicator_rows),
                "figures": figures,
            }
        )
    limits = list(GENERAL_LIMITS)
    if measure.kind in KIND_LIMITS:
        limits.insert(0, KIND_LIMITS[measure.kind])
    return {
        "title": f"Effektutvärdering {measure.measure_id}: {measure.name}",
        "is_synthetic": inputs.is_synthetic,
        "measure": {
            "id": measure.measure_id,
            "name": measure.name,
            "kind": KIND_SV.get(measure.kind, measure.kind),
            "areas": ", ".join(f"{names.get(c, c)} ({c})" for c in measure.area_codes),
            "start": f"{measure.start:%Y-%m}",
            "end": f"{measure.end:%Y-%m}" if measure.end else "pågående",
            "direction": "minskning" if measure.expected_direction == "decrease" else "ökning",
            "registered": f"{measure.registered_date:%Y-%m-%d}",
            "is_post_hoc": measure.is_post_hoc,
            "data_through": f"{evaluation.data_through:%Y-%m}",
        },
        "sections": sections,
        "limits": limits,
        "alpha": number(ALPHA, 2),
    }


def report_path(root: Path, measure_id: str) -> Path:
    return root / "reports" / "effects" / f"{measure_id}.html"


def write_report(
    evaluation: MeasureEvaluation,
    inputs: EffectInputs,
    rows: list[dict[str, Any]],
    root: Path,
) -> Path:
    view = build_view(evaluation, inputs, rows)
    return write_page(
        report_path(root, evaluation.measure.measure_id), render("effects.html.j2", **view)
    )
