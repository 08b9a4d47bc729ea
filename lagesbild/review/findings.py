"""Plain-language Swedish findings, written only where the statistics support them, ordered by
strength of evidence.

A finding is one of, strongest evidence first (`evidence_tier`):
1. `change`: the tertial against the same tertial a year earlier, significant after
   Benjamini–Hochberg (q < 0.05) across the whole review, at least 10 events in both periods.
   A control-chart signal in the same direction is quoted in the same sentence. Ordered by q.
2. `control`: a control-chart signal that persists — rules fired in two or more of the
   tertial's months (nation, regions, areas; at least 10 events in the tertial). By chance
   about 1 % of such series persist, against 5–6 % with any signal. Ordered by the number of
   months signalled.
3. `trend`: the three-year trend's 95 % interval excludes 1 (nation and regions; not corrected
   for the ~100 trends tested). Ordered by p-value.
4. `change` built on few events (under 10 in either period): significant, but with a caveat.
Single-point signals — one month, not agreeing with a significant change — are not findings:
they are listed as `watch` ("att bevaka"), after every finding. Within a tier, ties go to the
larger geography and then the larger change. Every number in a sentence is taken from the
same row of `review.fct_tertial_review`.
"""

from __future__ import annotations

import math

import polars as pl

from lagesbild.review.control_charts import RULE_TEXT_SV
from lagesbild.review.formatting import number, percent_change, place
from lagesbild.review.statistics import FEW_EVENTS

LEVEL_WEIGHT = {"nation": 5.0, "region": 4.0, "area": 3.0, "lpo": 2.0, "municipality": 1.5}
CONTROL_LEVELS = ("nation", "region", "area")
TREND_LEVELS = ("nation", "region")
FEW_EVENTS_CAVEAT = "få händelser (under 10) – tolka med försiktighet"
WATCH_CAVEAT = "enstaka signal – att bevaka, inte ett fynd"
TIER_CHANGE, TIER_CONTROL, TIER_TREND, TIER_FEW_EVENTS, TIER_WATCH = 1, 2, 3, 4, 5
WATCH = "watch"
FINDINGS_SCHEMA = {
    "tertial_label": pl.String,
    "finding_rank": pl.Int64,
    "finding_kind": pl.String,
    "evidence_tier": pl.Int64,
    "evidence": pl.String,
    "region": pl.String,
    "geo_level": pl.String,
    "geo_code": pl.String,
    "indicator_code": pl.String,
    "importance": pl.Float64,
    "text_sv": pl.String,
    "caveat_sv": pl.String,
    "count_current": pl.Float64,
    "count_previous": pl.Float64,
    "rate_ratio": pl.Float64,
    "q_value": pl.Float64,
    "control_signal": pl.String,
    "evidence_value": pl.Float64,
}
"""`evidence_value`: how likely chance alone gives the finding — q for a change, p for a trend,
the simulated chance probability of the signal for a control signal (lagesbild.review.chance).
Smaller is stronger; it orders the findings within their tier."""


def _direction(ratio: float, higher_is_worse: bool | None) -> str:
    if higher_is_worse is None:
        return "ökning" if ratio > 1 else "minskning"
    worse = (ratio > 1) == bool(higher_is_worse)
    change = "ökning" if ratio > 1 else "minskning"
    return f"{change}, {'en försämring' if worse else 'en förbättring'}"


def _rules(row: dict) -> str:
    return "; ".join(RULE_TEXT_SV[rule] for rule in row["control_signal"].split(";"))


def change_sentence(row: dict, name_sv: str, higher_is_worse: bool | None) -> str:
    """'Skjutningar i region Syd: 41 mot 27, +52 % (95 % KI +8 till +115 %), signifikant …'."""
    where = place(row["geo_level"], row.get("name"), row["geo_code"])
    sentence = (
        f"{name_sv} i {where}: {number(row['count_current'])} mot "
        f"{number(row['count_previous'])} samma tertial i fjol, "
        f"{percent_change(row['rate_ratio'])} räknat per invånare "
        f"(95 % KI {percent_change(row['rr_ci_low'])} till {percent_change(row['rr_ci_high'])}), "
        f"signifikant (q = {number(row['q_value'], 3)}) – "
        f"{_direction(row['rate_ratio'], higher_is_worse)}."
    )
    if row.get("control_evidence") == "agrees":
        sentence += f" Kontrolldiagrammet pekar åt samma håll: {_rules(row)}."
    return sentence


def control_sentence(row: dict, name_sv: str) -> str:
    where = place(row["geo_level"], row.get("name"), row["geo_code"])
    months = row.get("control_signal_months") or 1
    when = (
        f"i {months} av tertialens 4 månader"
        if months >= 2
        else "i en av tertialens månader (enstaka)"
    )
    return (
        f"{name_sv} i {where}: kontrolldiagrammet (Laney u′) signalerar {when} – "
        f"{_rules(row)}. Tertialen: {number(row['count_current'])} händelser."
    )


def trend_sentence(row: dict, name_sv: str) -> str:
    where = place(row["geo_level"], row.get("name"), row["geo_code"])
    return (
        f"{name_sv} i {where}: trend över {row['trend_months']} månader (säsongsjusterad) "
        f"{percent_change(row['trend_rr_per_year'], 1)} per år "
        f"(95 % KI {percent_change(row['trend_ci_low'], 1)} till "
        f"{percent_change(row['trend_ci_high'], 1)})."
    )


def _size(ratio: float | None) -> float:
    return abs(math.log(ratio)) if ratio is not None and ratio > 0 else 1.0


def _control_entry(row: dict, name: str) -> dict | None:
    """A persistent signal (finding) or a single one (to watch); None if it is not one."""
    evidence = row.get("control_evidence") or "single"
    if (
        not row.get("control_signal")
        or row["geo_level"] not in CONTROL_LEVELS
        or (row.get("count_current") or 0) < FEW_EVENTS
        or (evidence == "agrees" and row.get("is_significant") and not row.get("is_few_events"))
    ):
        return None  # an agreeing signal is quoted in its change finding
    months = int(row.get("control_signal_months") or 1)
    persistent = months >= 2 or evidence == "agrees"
    chance = row.get("control_chance_p_persistent" if persistent else "control_chance_p")
    return {
        "finding_kind": "control" if persistent else WATCH,
        "evidence_tier": TIER_CONTROL if persistent else TIER_WATCH,
        "evidence": f"signal i {months} av 4 månader",
        "evidence_value": chance,
        "text_sv": control_sentence(row, name),
        "caveat_sv": None if persistent else WATCH_CAVEAT,
    }


def generate_findings(review: pl.DataFrame, indicators: pl.DataFrame, label: str) -> pl.DataFrame:
    names = dict(zip(indicators["indicator_code"], indicators["name_sv"], strict=True))
    worse = dict(zip(indicators["indicator_code"], indicators["higher_is_worse"], strict=True))
    rows: list[dict] = []
    for row in review.iter_rows(named=True):
        code = row["indicator_code"]
        name = names.get(code, code)
        level_weight = LEVEL_WEIGHT.get(row["geo_level"], 1.0)
        base = {
            key: row.get(key)
            for key in ("region", "geo_level", "geo_code", "indicator_code", "count_current")
        }
        base.update(
            count_previous=row.get("count_previous"),
            rate_ratio=row.get("rate_ratio"),
            q_value=row.get("q_value"),
            control_signal=row.get("control_signal"),
        )
        if row.get("is_significant") and row.get("rate_ratio") is not None:
            few = bool(row.get("is_few_events"))
            rows.append(
                base
                | {
                    "finding_kind": "change",
                    "evidence_tier": TIER_FEW_EVENTS if few else TIER_CHANGE,
                    "evidence": f"q = {number(row['q_value'], 3)}",
                    "evidence_value": row["q_value"],
                    "importance": 10 * level_weight * _size(row["rate_ratio"]),
                    "text_sv": change_sentence(row, name, worse.get(code)),
                    "caveat_sv": FEW_EVENTS_CAVEAT if few else None,
                }
            )
        control = _control_entry(row, name)
        if control is not None:
            rows.append(base | control | {"importance": level_weight})
        low, high = row.get("trend_ci_low"), row.get("trend_ci_high")
        if (
            row["geo_level"] in TREND_LEVELS
            and low is not None
            and high is not None
            and (low > 1 or high < 1)
        ):
            rows.append(
                base
                | {
                    "finding_kind": "trend",
                    "evidence_tier": TIER_TREND,
                    "evidence": f"p = {number(row.get('trend_p_value'), 4)}",
                    "evidence_value": row.get("trend_p_value"),
                    "importance": 0.5 * level_weight * _size(row["trend_rr_per_year"]) * 10,
                    "text_sv": trend_sentence(row, name),
                    "caveat_sv": None,
                }
            )
    frame = pl.DataFrame(
        [r | {"tertial_label": label, "finding_rank": 0} for r in rows],
        schema=FINDINGS_SCHEMA,
    )
    frame = frame.sort(
        ["evidence_tier", "evidence_value", "importance", "geo_code"],
        descending=[False, False, True, False],
        nulls_last=True,
    )
    return frame.with_columns(pl.int_range(1, frame.height + 1).alias("finding_rank")).select(
        list(FINDINGS_SCHEMA)
    )


def findings_and_watch(findings: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(the findings, the single-point signals to watch), each in rank order."""
    watch = pl.col("finding_kind") == WATCH
    return findings.filter(~watch), findings.filter(watch)
