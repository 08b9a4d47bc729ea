"""An evaluation end to end: register → published data → estimates → tables → reports.

Called by the Dagster asset (inside the build-database pool) and nothing else; the command
line goes through the asset, so every evaluation is a recorded materialization.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb

from lagesbild.effects.inputs import load_inputs
from lagesbild.effects.register import Measure, registered_measures
from lagesbild.effects.store import effect_frame, replace_measures
from lagesbild.review.inputs import is_synthetic_data
from lagesbild.settings import DataPaths

if TYPE_CHECKING:  # the estimators import scipy, matplotlib and pysyncon (~2 s)
    from lagesbild.effects.evaluate import MeasureEvaluation


class UnknownMeasure(ValueError):
    """A measure id that is not in the current register."""


@dataclass
class EffectsOutcome:
    evaluations: list[MeasureEvaluation]
    reports: dict[str, Path]
    row_counts: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)

    def primary_verdicts(self) -> list[tuple[str, str, str, str]]:
        """(measure_id, indicator, zone, verdict) of every zone's concluding method."""
        return [
            (e.measure.measure_id, z.indicator, z.zone.zone, z.primary_verdict.verdict.value)
            for e in self.evaluations
            for z in e.zones
        ]


def select_measures(
    register: Sequence[Measure], measure_ids: Sequence[str] | None
) -> list[Measure]:
    if measure_ids is None:
        return list(register)
    known = {measure.measure_id: measure for measure in register}
    unknown = sorted(set(measure_ids) - set(known))
    if unknown:
        raise UnknownMeasure(
            f"not in the current register: {', '.join(unknown)} (registered: "
            f"{', '.join(sorted(known)) or 'none'})"
        )
    return [known[measure_id] for measure_id in sorted(set(measure_ids))]


def run_evaluation(
    paths: DataPaths,
    measure_ids: Sequence[str] | None,
    *,
    connect_build: Callable[[], duckdb.DuckDBPyConnection],
) -> EffectsOutcome:
    """Evaluate the measures (all registered when None) and store tables and reports."""
    # imported here, not at module level: every monthly run loads this module with the code
    # location, and the estimators and charts (scipy, matplotlib, pysyncon) cost ~2 s to import
    from lagesbild.effects.evaluate import evaluate_measure
    from lagesbild.effects.report import write_report

    timings: dict[str, float] = {}
    started = time.perf_counter()
    conn = connect_build()
    try:
        register = registered_measures(conn)
    finally:
        conn.close()
    selected = select_measures(register, measure_ids)
    indicators = {code for measure in selected for code in measure.outcome_indicators}
    inputs = load_inputs(paths.publish_db, indicators, is_synthetic=is_synthetic_data(paths))
    timings["read"] = time.perf_counter() - started
    step = time.perf_counter()
    evaluations = [evaluate_measure(measure, inputs, register) for measure in selected]
    timings["estimate"] = time.perf_counter() - step
    regions = dict(zip(inputs.areas["geo_code"], inputs.areas["region"], strict=True))
    step = time.perf_counter()
    conn = connect_build()
    try:
        row_counts = replace_measures(
            conn, evaluations, [measure.measure_id for measure in register], regions
        )
    finally:
        conn.close()
    timings["tables"] = time.perf_counter() - step
    step = time.perf_counter()
    reports = {}
    for evaluation in evaluations:
        rows = effect_frame([evaluation], regions).to_dicts()
        reports[evaluation.measure.measure_id] = write_report(evaluation, inputs, rows, paths.root)
    timings["reports"] = time.perf_counter() - step
    timings["total"] = time.perf_counter() - started
    return EffectsOutcome(evaluations, reports, row_counts, timings)


def summary_markdown(outcome: EffectsOutcome) -> str:
    lines = ["| measure | indicator | zone | verdict |", "|---|---|---|---|"]
    lines += [f"| {m} | {i} | {z} | {v} |" for m, i, z, v in outcome.primary_verdicts()]
    return "\n".join(lines)
