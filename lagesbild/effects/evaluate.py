"""One measure evaluated: per outcome indicator and zone, both methods, inference and verdicts.

Produces the rows of `marts.fct_measure_effect` (one per indicator × zone × method) and of
`marts.fct_measure_event_study` (one per indicator × zone × quarter relative to the start),
and keeps the series and placebo distributions the report draws.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from lagesbild.effects.did import DidFit, did_all_units
from lagesbild.effects.inference import (
    PlaceboInference,
    placebo_inference,
    rank_p_value,
    standardised_sum_of_squares,
)
from lagesbild.effects.inputs import EffectInputs
from lagesbild.effects.panel import QUARTER
from lagesbild.effects.register import Measure
from lagesbild.effects.synthetic import SyntheticFit, synthetic_all_units
from lagesbild.effects.verdict import (
    MethodVerdict,
    did_verdict,
    insufficiency,
    missing_data,
    primary_method,
    status_changed,
    synthetic_verdict,
)
from lagesbild.effects.zones import ZonePanel, build_zones
from lagesbild.months import add_months

METHODS = ("did", "synthetic_control")
ZONE_PROBLEMS_SV = {
    "a month of the zone is missing": "en månad saknas för zonen (saknad är inte noll)",
    "the zone has no population": "zonen har ingen befolkning",
    "no published month from the start yet": "ingen publicerad månad från start ännu",
    "no published month before the start": "ingen publicerad månad före start",
}


@dataclass
class ZoneEvaluation:
    measure: Measure
    indicator: str
    zone: ZonePanel
    problem: MethodVerdict | None = None  # insufficient data
    did: DidFit | None = None
    did_inference: PlaceboInference | None = None
    pre_trend_p: float = math.nan
    synthetic: SyntheticFit | None = None
    synthetic_inference: PlaceboInference | None = None
    verdicts: dict[str, MethodVerdict] = field(default_factory=dict)
    primary: str = "did"
    bins: list[dict[str, Any]] = field(default_factory=list)

    @property
    def primary_verdict(self) -> MethodVerdict:
        return self.verdicts[self.primary]

    @property
    def events(self) -> tuple[float, float]:
        panel = self.zone.panel
        if panel is None:
            return math.nan, math.nan
        before, after = panel.treated_events()
        return float(before), float(after)

    def inference(self, method: str) -> PlaceboInference | None:
        return self.did_inference if method == "did" else self.synthetic_inference

    def fit(self, method: str) -> DidFit | SyntheticFit | None:
        return self.did if method == "did" else self.synthetic


def _expected_post_at_pre_rate(zone: ZonePanel) -> float:
    panel = zone.panel
    assert panel is not None
    rate = panel.counts[0, : panel.start].sum() / panel.exposure[0, : panel.start].sum()
    return float(rate * panel.exposure[0, panel.start :].sum())


def _event_study(
    fit: DidFit, zone: ZonePanel, window_first: date, start: date
) -> list[dict[str, Any]]:
    """Per quarter relative to the start: observed / counterfactual with a placebo interval."""
    panel = zone.panel
    assert panel is not None
    rows = []
    for column, bin_id in enumerate(fit.bin_ids):
        inference = placebo_inference(
            float(fit.bin_log_ratio[0, column]),
            float(fit.bin_variance[0, column]),
            fit.bin_log_ratio[1:, column],
            fit.bin_variance[1:, column],
            "decrease",
        )
        months = panel.event_bins == bin_id
        first = add_months(start, int(bin_id) * QUARTER)
        first = max(first, window_first)
        rows.append(
            {
                "event_quarter": int(bin_id),
                "period_start": first,
                "period_end": panel.months[int(np.nonzero(months)[0][-1])],
                "observed": float(panel.counts[0, months].sum()),
                "expected": float(fit.counterfactual[0, months].sum()),
                "ratio": _exp(inference.estimate),
                "ci_low": _exp(inference.ci_low),
                "ci_high": _exp(inference.ci_high),
                "is_pre": bool(bin_id < 0),
            }
        )
    return rows


def _exp(value: float) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return math.exp(value)


def evaluate_zone(measure: Measure, indicator: str, zone: ZonePanel) -> ZoneEvaluation:
    evaluation = ZoneEvaluation(measure, indicator, zone)
    panel = zone.panel
    if panel is None:
        evaluation.problem = missing_data(
            zone.problem or "no data", ZONE_PROBLEMS_SV.get(zone.problem or "", "data saknas")
        )
    else:
        events_pre, _ = panel.treated_events()
        evaluation.problem = insufficiency(
            pre_months=panel.pre_months,
            post_months=panel.post_months,
            events_pre=events_pre,
            expected_post_events=_expected_post_at_pre_rate(zone),
            n_comparison=panel.n_comparison,
        )
    if evaluation.problem is not None:
        evaluation.verdicts = {"did": evaluation.problem, "synthetic_control": evaluation.problem}
        return evaluation
    assert panel is not None
    direction = measure.expected_direction
    did = did_all_units(panel)
    evaluation.did = did
    evaluation.did_inference = placebo_inference(
        float(did.log_effect[0]), float(did.variance[0]), did.log_effect[1:], did.variance[1:],
        direction,
    )  # fmt: skip
    leads = did.bin_ids < 0
    statistic, placebo_statistics = standardised_sum_of_squares(
        did.bin_log_ratio[0, leads],
        did.bin_variance[0, leads],
        did.bin_log_ratio[1:, leads],
        did.bin_variance[1:, leads],
    )
    evaluation.pre_trend_p = rank_p_value(statistic, placebo_statistics)
    evaluation.bins = _event_study(did, zone, zone.window.first, measure.start)
    synthetic = synthetic_all_units(panel)
    evaluation.synthetic = synthetic
    evaluation.synthetic_inference = placebo_inference(
        float(synthetic.log_effect[0]), float(synthetic.variance[0]),
        synthetic.log_effect[1:], synthetic.variance[1:], direction,
    )  # fmt: skip
    if zone.status_change:
        verdict = status_changed(zone.status_change)
        evaluation.verdicts = {"did": verdict, "synthetic_control": verdict}
        return evaluation
    evaluation.verdicts = {
        "did": did_verdict(
            evaluation.did_inference.p_value,
            evaluation.did_inference.estimate,
            evaluation.pre_trend_p,
        ),
        "synthetic_control": synthetic_verdict(
            evaluation.synthetic_inference.p_value,
            evaluation.synthetic_inference.estimate,
            synthetic.fits,
            float(synthetic.fit_ratio[0]),
        ),
    }
    evaluation.primary = primary_method(
        evaluation.verdicts["did"], evaluation.verdicts["synthetic_control"]
    )
    return evaluation


@dataclass
class MeasureEvaluation:
    measure: Measure
    zones: list[ZoneEvaluation]
    data_through: date

    def effect_rows(self) -> list[dict[str, Any]]:
        return [_effect_row(self, zone, method) for zone in self.zones for method in METHODS]

    def event_study_rows(self) -> list[dict[str, Any]]:
        rows = []
        for zone in self.zones:
            for entry in zone.bins:
                rows.append(
                    {
                        "measure_id": self.measure.measure_id,
                        "indicator_code": zone.indicator,
                        "zone": zone.zone.zone,
                        **entry,
                    }
                )
        return rows


def _effect_row(evaluation: MeasureEvaluation, zone: ZoneEvaluation, method: str) -> dict[str, Any]:
    measure = evaluation.measure
    inference = zone.inference(method)
    fit = zone.fit(method)
    panel = zone.zone.panel
    window = zone.zone.window
    events_pre, events_post = zone.events
    expected_post = None
    if fit is not None and panel is not None:
        expected_post = float(np.nansum(fit.counterfactual[0, panel.start :]))
    verdict = zone.verdicts[method]
    row: dict[str, Any] = {
        "measure_id": measure.measure_id,
        "indicator_code": zone.indicator,
        "zone": zone.zone.zone,
        "method": method,
        "effect_ratio": None,
        "ci_low": None,
        "ci_high": None,
        "p_value": None,
        "pre_trend_p": None,
        "placebo_p": None,
        "mde_ratio": None,
        "n_comparison_units": panel.n_comparison if panel is not None else 0,
        "pre_months": window.pre_months if panel is not None else 0,
        "post_months": window.post_months if panel is not None else 0,
        "events_pre": None if math.isnan(events_pre) else int(events_pre),
        "events_post": None if math.isnan(events_post) else int(events_post),
        "expected_post": expected_post,
        "verdict": verdict.verdict.value,
        "verdict_reason": verdict.reason,
        "is_primary": method == zone.primary,
        "is_post_hoc": measure.is_post_hoc,
        "pre_fit_ratio": None,
        "window_start": window.first,
        "window_end": window.last,
    }
    if inference is not None:
        row |= {
            "effect_ratio": _exp(inference.estimate),
            "ci_low": _exp(inference.ci_low),
            "ci_high": _exp(inference.ci_high),
            "p_value": _finite(inference.p_value),
            "mde_ratio": _finite(inference.mde_ratio(measure.expected_direction)),
        }
    if method == "did" and zone.did is not None:
        row["pre_trend_p"] = _finite(zone.pre_trend_p)
        row["placebo_p"] = _finite(zone.did_inference.rank_p_value) if zone.did_inference else None
    if method == "synthetic_control" and zone.synthetic is not None:
        row["placebo_p"] = _finite(zone.synthetic.rmspe_ratio_p_value())
        row["pre_fit_ratio"] = _finite(float(zone.synthetic.fit_ratio[0]))
    return row


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


def evaluate_measure(
    measure: Measure, inputs: EffectInputs, register: list[Measure]
) -> MeasureEvaluation:
    """Every outcome indicator × zone of one measure."""
    zones = []
    for indicator in measure.outcome_indicators:
        for zone in build_zones(measure, indicator, inputs, register):
            zones.append(evaluate_zone(measure, indicator, zone))
    return MeasureEvaluation(measure, zones, inputs.last_month)
