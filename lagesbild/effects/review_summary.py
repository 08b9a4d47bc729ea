"""The tertial review's short summary of the measures evaluated so far (one table per page).

Reads `marts.fct_measure_effect` as published; each evaluated indicator and zone is shown by
the method that carries its conclusion, with the interval and the verdict in Swedish.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from lagesbild.effects.verdict import Verdict
from lagesbild.effects.wording import VERDICT_SV, interval_text, ratio_text

ZONE_SHORT_SV = {"area": "området", "surroundings": "omgivningen"}


def measures_section(
    effects: pl.DataFrame | None, region: str | None, indicator_names: dict[str, str]
) -> dict[str, Any] | None:
    """The table of evaluated measures (a region's own when `region` is given), or None."""
    if effects is None or effects.is_empty():
        return None
    rows = effects.filter(pl.col("is_primary"))
    if region is not None:
        rows = rows.filter(pl.col("region") == region)
    if rows.is_empty():
        return None
    body = []
    for row in rows.sort("measure_id", "indicator_code", "zone").iter_rows(named=True):
        verdict = Verdict(row["verdict"])
        estimate = (
            f"{ratio_text(row['effect_ratio'])} ({interval_text(row['ci_low'], row['ci_high'])})"
            if row["effect_ratio"] is not None
            else "–"
        )
        body.append(
            [
                f"{row['measure_id']}: {row['measure_name']}"
                + (" (i efterhand)" if row["is_post_hoc"] else ""),
                f"{row['start_month']:%Y-%m}",
                indicator_names.get(row["indicator_code"], row["indicator_code"]),
                ZONE_SHORT_SV[row["zone"]],
                estimate,
                {
                    "text": VERDICT_SV[verdict],
                    "css": "sig" if verdict in (Verdict.DECREASE, Verdict.INCREASE) else "",
                },
            ]
        )
    headers = ["Åtgärd", "Start", "Indikator", "Zon", "Kvot (95 % intervall)", "Bedömning"]
    evaluated = rows["measure_id"].n_unique()
    return {"table": {"headers": headers, "rows": body}, "n_measures": evaluated}
