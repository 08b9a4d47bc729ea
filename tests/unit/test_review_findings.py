"""Findings say only what the review table supports, in plain Swedish."""

from __future__ import annotations

import re

import numpy as np
import polars as pl

from lagesbild.review.findings import FEW_EVENTS_CAVEAT, generate_findings
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


def test_a_control_signal_becomes_a_finding_naming_the_rule() -> None:
    signalled = REVIEW.with_columns(
        pl.when(pl.col("geo_code") == "nord")
        .then(pl.lit("outside_upper;run_8_above"))
        .otherwise(None)
        .alias("control_signal")
    )
    findings = generate_findings(signalled, INDICATORS, "2024-T1")
    control = findings.filter(pl.col("finding_kind") == "control").row(0, named=True)
    assert control["geo_code"] == "nord"
    assert re.search(
        "över övre kontrollgränsen; 8 månader i rad över medellinjen", control["text_sv"]
    )
