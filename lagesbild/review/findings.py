"""Plain-language Swedish findings, written only where the statistics support them.

A finding is one of:
- `change`: the tertial against the same tertial a year earlier, significant after
  Benjamini–Hochberg (q < 0.05) across the whole review. Counts below 10 in either period get
  a small-number caveat and a lower place in the list.
- `control`: a control-chart rule fired during the tertial (nation, region and areas), and
  the tertial has at least 10 events (a signal on a handful of events is not a finding).
- `trend`: the three-year trend's 95 % interval excludes 1 (nation and regions).
Every number in a sentence is taken from the same row of `review.fct_tertial_review`.
Ordered by importance (level of geography × size of the change); findings with a
small-number caveat come after all the others.
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
FINDINGS_SCHEMA = {
    "tertial_label": pl.String,
    "finding_rank": pl.Int64,
    "finding_kind": pl.String,
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
}


def _direction(ratio: float, higher_is_worse: bool | None) -> str:
    if higher_is_worse is None:
        return "ökning" if ratio > 1 else "minskning"
    worse = (ratio > 1) == bool(higher_is_worse)
    change = "ökning" if ratio > 1 else "minskning"
    return f"{change}, {'en försämring' if worse else 'en förbättring'}"


def change_sentence(row: dict, name_sv: str, higher_is_worse: bool | None) -> str:
    """'Skjutningar i region Syd: 41 mot 27, +52 % (95 % KI +8 till +115 %), signifikant …'."""
    where = place(row["geo_level"], row.get("name"), row["geo_code"])
    return (
        f"{name_sv} i {where}: {number(row['count_current'])} mot "
        f"{number(row['count_previous'])} samma tertial i fjol, "
        f"{percent_change(row['rate_ratio'])} räknat per invånare "
        f"(95 % KI {percent_change(row['rr_ci_low'])} till {percent_change(row['rr_ci_high'])}), "
        f"signifikant (q = {number(row['q_value'], 3)}) – "
        f"{_direction(row['rate_ratio'], higher_is_worse)}."
    )


def control_sentence(row: dict, name_sv: str) -> str:
    where = place(row["geo_level"], row.get("name"), row["geo_code"])
    rules = "; ".join(RULE_TEXT_SV[rule] for rule in row["control_signal"].split(";"))
    return (
        f"{name_sv} i {where}: kontrolldiagrammet (Laney u′) signalerar under tertialen – "
        f"{rules}. Tertialen: {number(row['count_current'])} händelser."
    )


def trend_sentence(row: dict, name_sv: str) -> str:
    where = place(row["geo_level"], row.get("name"), row["geo_code"])
    return (
        f"{name_sv} i {where}: trend över {row['trend_months']} månader (säsongsjusterad) "
        f"{percent_change(row['trend_rr_per_year'], 1)} per år "
        f"(95 % KI {percent_change(row['trend_ci_low'], 1)} till "
        f"{percent_change(row['trend_ci_high'], 1)})."
    )


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
            size = abs(math.log(row["rate_ratio"])) if row["rate_ratio"] > 0 else 1.0
            rows.append(
                base
                | {
                    "finding_kind": "change",
                    "importance": 10 * level_weight * size * (0.2 if few else 1.0),
                    "text_sv": change_sentence(row, name, worse.get(code)),
                    "caveat_sv": FEW_EVENTS_CAVEAT if few else None,
                }
            )
        if (
            row.get("control_signal")
            and row["geo_level"] in CONTROL_LEVELS
            and (row.get("count_current") or 0) >= FEW_EVENTS
        ):
            rows.append(
                base
                | {
                    "finding_kind": "control",
                    "importance": level_weight,
                    "text_sv": control_sentence(row, name),
                    "caveat_sv": None,
                }
            )
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
                    "importance": 0.5 * level_weight * abs(math.log(row["trend_rr_per_year"])) * 10,
                    "text_sv": trend_sentence(row, name),
                    "caveat_sv": None,
                }
            )
    frame = pl.DataFrame(
        [r | {"tertial_label": label, "finding_rank": 0} for r in rows],
        schema=FINDINGS_SCHEMA,
    )
    # findings built on few events never outrank solid ones (they are not headlines)
    frame = frame.sort(
        [pl.col("caveat_sv").is_not_null(), "importance", "geo_code"],
        descending=[False, True, False],
    )
    return frame.with_columns(pl.int_range(1, frame.height + 1).alias("finding_rank")).select(
        list(FINDINGS_SCHEMA)
    )
