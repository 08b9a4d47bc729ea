"""Findings say only what the review table supports, in plain Swedish."""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from lagesbild.review.findings import (
    FEW_EVENTS_CAVEAT,
    WATCH_CAVEAT,
    findings_and_watch,
    generate_findings,
)
from lagesbild.review.formatting import number, percent_change
from lagesbild.review.statistics import benjamini_hochberg, rate_ratio_exact

INDICATORS = pl.DataFrame(
    {
        "indicator_code": ["shootings", "violent_crime"],
        "name_sv": ["Skjutningar", "Våldsbrott"],
        "higher_is_worse": [True, True],
        "kind": ["count", "count"],
    }
)


def review_rows(rows: list[tuple[str, str, str, str, int, int]]) -> pl.DataFrame:
    """(geo_level, geo_code, name, indicator, now, then) with equal exposures."""
    x1 = np.array([r[4] for r in rows], dtype=float)
    x0 = np.array([r[5] for r in rows], dtype=float)
    exposure = np.full(len(rows), 4_000.0)
    rr = rate_ratio_exact(x1, x0, exposure, exposure)
    q = benjamini_hochberg(rr.p_value)
    return pl.DataFrame(
        {
            "tertial_label": ["2024-T1"] * len(rows),
            "geo_level": [r[0] for r in rows],
            "geo_code": [r[1] for r in rows],
            "name": [r[2] for r in rows],
            "region": [r[1] if r[0] == "region" else None for r in rows],
            "indicator_code": [r[3] for r in rows],
            "count_current": x1,
            "count_previous": x0,
            "rate_ratio": rr.rate_ratio,
            "rr_ci_low": rr.ci_low,
            "rr_ci_high": rr.ci_high,
            "p_value": rr.p_value,
            "q_value": q,
            "is_significant": q < 0.05,
            "is_few_events": np.fmin(x1, x0) < 10,
            "trend_rr_per_year": [None] * len(rows),
            "trend_ci_low": [None] * len(rows),
            "trend_ci_high": [None] * len(rows),
            "trend_months": [36] * len(rows),
            "control_signal": [None] * len(rows),
        }
    ).fill_nan(None)


REVIEW = review_rows(
    [
        ("region", "syd", "Syd", "shootings", 41, 27),
        ("region", "nord", "Nord", "shootings", 12, 11),
        ("nation", "SE", "Sverige", "violent_crime", 2_400, 2_000),
        ("area", "USO001", "Rosengård", "shootings", 9, 1),
    ]
)


def test_the_example_finding_reads_like_the_issue() -> None:
    findings = generate_findings(
        review_rows([("region", "syd", "Syd", "shootings", 410, 270)]), INDICATORS, "2024-T1"
    )
    text = findings["text_sv"][0]
    assert text.startswith("Skjutningar i region Syd: 410 mot 270 samma tertial i fjol, +52 %")
    assert "95 % KI" in text and "signifikant" in text and "försämring" in text


def test_every_change_finding_is_significant_and_quotes_its_own_row() -> None:
    findings = generate_findings(REVIEW, INDICATORS, "2024-T1").filter(
        pl.col("finding_kind") == "change"
    )
    assert findings.height >= 1
    for finding in findings.iter_rows(named=True):
        row = REVIEW.filter(
            (pl.col("geo_code") == finding["geo_code"])
            & (pl.col("indicator_code") == finding["indicator_code"])
        ).row(0, named=True)
        assert row["is_significant"] and row["q_value"] < 0.05
        text = finding["text_sv"]
        assert f"{number(row['count_current'])} mot {number(row['count_previous'])}" in text
        assert percent_change(row["rate_ratio"]) in text
        assert percent_change(row["rr_ci_low"]) in text
        assert percent_change(row["rr_ci_high"]) in text


def test_no_finding_without_support() -> None:
    findings = generate_findings(REVIEW, INDICATORS, "2024-T1")
    assert "nord" not in findings["geo_code"].to_list()  # 12 against 11: not significant
    nothing = review_rows([("region", "nord", "Nord", "shootings", 12, 11)])
    assert generate_findings(nothing, INDICATORS, "2024-T1").is_empty()


def test_few_events_carry_the_caveat_and_rank_below_solid_findings() -> None:
    few = review_rows(
        [
            ("area", "USO001", "Rosengård", "shootings", 30, 2),
            ("region", "syd", "Syd", "shootings", 41, 27),
            ("nation", "SE", "Sverige", "violent_crime", 2_400, 2_000),
        ]
    )
    findings = generate_findings(few, INDICATORS, "2024-T1")
    area = findings.filter(pl.col("geo_code") == "USO001").row(0, named=True)
    assert area["caveat_sv"] == FEW_EVENTS_CAVEAT
    assert area["finding_rank"] == findings.height
    assert findings["finding_rank"].to_list() == list(range(1, findings.height + 1))


def with_signal(review: pl.DataFrame, geo_code: str, rules: str, months: int) -> pl.DataFrame:
    """The review with a control-chart signal on `geo_code`, firing in `months` months."""
    hit = pl.col("geo_code") == geo_code
    direction = "up" if "upper" in rules or "above" in rules or "rising" in rules else "down"
    return review.with_columns(
        pl.when(hit).then(pl.lit(rules)).otherwise(None).alias("control_signal"),
        pl.when(hit).then(months).otherwise(0).alias("control_signal_months"),
        pl.when(hit).then(pl.lit(direction)).otherwise(None).alias("control_direction"),
        pl.when(hit)
        .then(pl.lit("persistent" if months >= 2 else "single"))
        .otherwise(None)
        .alias("control_evidence"),
        pl.when(hit).then(0.009).otherwise(None).alias("control_chance_p_persistent"),
        pl.when(hit).then(0.055).otherwise(None).alias("control_chance_p"),
    )


def test_a_persistent_control_signal_becomes_a_finding_naming_the_rule() -> None:
    signalled = with_signal(REVIEW, "nord", "outside_upper;run_8_above", months=3)
    findings = generate_findings(signalled, INDICATORS, "2024-T1")
    control = findings.filter(pl.col("finding_kind") == "control").row(0, named=True)
    assert control["geo_code"] == "nord"
    assert control["evidence_value"] == 0.009
    assert "i 3 av tertialens 4 månader" in control["text_sv"]
    assert re.search(
        "över övre kontrollgränsen; 8 månader i rad över medellinjen", control["text_sv"]
    )


def test_a_single_point_signal_is_to_watch_after_every_finding() -> None:
    signalled = with_signal(REVIEW, "nord", "outside_upper", months=1)
    findings = generate_findings(signalled, INDICATORS, "2024-T1")
    found, watch = findings_and_watch(findings)
    (single,) = watch.iter_rows(named=True)
    assert single["geo_code"] == "nord" and single["caveat_sv"] == WATCH_CAVEAT
    assert single["finding_rank"] == findings.height
    assert "control" not in found["finding_kind"].to_list()


def test_a_signal_that_agrees_with_a_significant_change_is_quoted_in_it() -> None:
    review = review_rows([("region", "syd", "Syd", "shootings", 410, 270)])
    agreeing = with_signal(review, "syd", "outside_upper", months=1).with_columns(
        pl.lit("agrees").alias("control_evidence")
    )
    findings = generate_findings(agreeing, INDICATORS, "2024-T1")
    assert findings["finding_kind"].to_list() == ["change"]
    assert (
        "Kontrolldiagrammet pekar åt samma håll: över övre kontrollgränsen"
        in (findings["text_sv"][0])
    )


def test_findings_are_ordered_by_strength_of_evidence() -> None:
    review = review_rows(
        [
            ("region", "syd", "Syd", "shootings", 41, 20),  # a weaker change (larger q)
            ("nation", "SE", "Sverige", "violent_crime", 2_400, 2_000),  # the strongest
            ("area", "USO001", "Rosengård", "shootings", 30, 2),  # few events
            ("region", "nord", "Nord", "shootings", 12, 11),  # not significant
        ]
    )
    trend = pl.when(pl.col("geo_code") == "syd")
    review = with_signal(review, "nord", "run_8_above", months=4).with_columns(
        trend.then(1.2).otherwise(None).alias("trend_rr_per_year"),
        trend.then(1.1).otherwise(None).alias("trend_ci_low"),
        trend.then(1.3).otherwise(None).alias("trend_ci_high"),
        trend.then(0.001).otherwise(None).alias("trend_p_value"),
    )
    findings = generate_findings(review, INDICATORS, "2024-T1")
    order = list(zip(findings["finding_kind"], findings["geo_code"], strict=True))
    assert order == [
        ("change", "SE"),
        ("change", "syd"),
        ("control", "nord"),
        ("trend", "syd"),
        ("change", "USO001"),
    ]
    assert findings["evidence_tier"].to_list() == [1, 1, 2, 3, 4]
    changes = findings.filter(pl.col("evidence_tier") == 1)["evidence_value"].to_list()
    assert changes == sorted(changes)
