"""The tertial report's maps: the objective area index and the year-over-year change per area.

Both drawn from the police's 2025 polygons (`lagesbild.reports.maps`), for the report's scope
(the nation or one region): the area index of the 12 months ending with the tertial, and the
change of `CHANGE_MAP_INDICATOR` in the tertial against the same tertial a year earlier — the
rate ratio of `review.fct_tertial_review`, outlined bold where it is significant after
Benjamini–Hochberg, dashed where either tertial has few events.
"""

from __future__ import annotations

from typing import Any

import polars as pl

from lagesbild.reports import maps
from lagesbild.review.area_index import AreaIndex
from lagesbild.review.formatting import is_missing, number, percent_change
from lagesbild.review.statistics import FEW_EVENTS

CHANGE_MAP_INDICATOR = "violent_crime"
"""A high-volume count, so the ratio is defined in nearly every area (shootings are mostly 0)."""
MISSING = "saknas"


def _change_text(row: dict[str, Any]) -> str:
    ratio, low, high = row.get("rate_ratio"), row.get("rr_ci_low"), row.get("rr_ci_high")
    if is_missing(ratio):
        return "ej definierad (inga händelser i fjol, eller saknas)"
    interval = ""
    if not is_missing(low):
        interval = (
            f" ({percent_change(low)} till {'–' if is_missing(high) else percent_change(high)})"
        )
    counts = f"; {number(row.get('count_current'))} mot {number(row.get('count_previous'))}"
    return f"{percent_change(ratio)}{interval}{counts}"


def _change_values(review: pl.DataFrame, indicator: str) -> dict[str, maps.AreaValue]:
    rows = review.filter((pl.col("geo_level") == "area") & (pl.col("indicator_code") == indicator))
    values: dict[str, maps.AreaValue] = {}
    for row in rows.iter_rows(named=True):
        ratio = row.get("rate_ratio")
        few = any(
            not is_missing(row.get(c)) and row[c] < FEW_EVENTS
            for c in ("count_current", "count_previous")
        )
        flag = "significant" if row.get("is_significant") else ("few" if few else None)
        values[row["geo_code"]] = (None if is_missing(ratio) else ratio, _change_text(row), flag)
    return values


def _index_values(index: AreaIndex) -> tuple[dict[str, maps.AreaValue], str | None]:
    period = index.summary.get("latest_period")
    if index.scores.is_empty() or period is None:
        return {}, None
    latest = index.scores.filter((pl.col("period") == period) & (pl.col("unit_type") == "area"))
    values = {
        row["geo_code"]: (
            None if is_missing(row["index"]) else row["index"],
            f"{number(row['index'], 2)} (rang {row['index_rank']})",
            None,
        )
        for row in latest.iter_rows(named=True)
    }
    return values, str(period)


def tertial_maps(
    *,
    review: pl.DataFrame,
    index: AreaIndex,
    geography: pl.DataFrame,
    names: dict[str, str],
    scope_region: str | None,
    scope_title: str,
    label: str,
) -> dict[str, Any]:
    """The two map figures of one report (`scope_region` None: the national report)."""
    areas = geography.filter(pl.col("geo_level") == "area")
    if scope_region is not None:
        areas = areas.filter(pl.col("region") == scope_region)
    members = list(areas.sort("name").iter_rows(named=True))
    municipalities = dict(
        geography.filter(pl.col("geo_level") == "municipality")
        .select("geo_code", "name")
        .iter_rows()
    )
    places = maps.area_places(members, municipalities)
    empty = f"Det finns inga utsatta områden i {scope_title} på polisens lista 2025."
    detail = 3 if scope_region is None else 1
    index_values, period = _index_values(index)
    index_scale = maps.diverging_scale(
        "Områdesindex (z, 0 = genomsnittet)", maps.INDEX_BREAKS, lambda v: number(v, 2)
    )
    indicator = CHANGE_MAP_INDICATOR if CHANGE_MAP_INDICATOR in names else next(iter(names))
    indicator_name = names.get(indicator, indicator)
    change_scale = maps.diverging_scale(
        f"{indicator_name}: förändring mot {label} i fjol", maps.RATIO_BREAKS, percent_change
    )
    polygons = " Polygoner: polisens områdesgränser 2025 (EPSG:3006)."
    return {
        "index": maps.build_map(
            "index",
            f"Karta: objektivt områdesindex{f' ({period})' if period else ''}",
            maps.map_areas(members, index_values, MISSING),
            index_scale,
            places=places,
            flags={},
            caption="Områdesindex per område (vägt medel av standardiserade, krympta takter; "
            "högre = mer brottsbelastat än genomsnittsenheten). Samma index som i avsnittet "
            "om årsuppföljningen." + polygons,
            empty_text=empty,
            detail_min_areas=detail,
        ),
        "change": maps.build_map(
            "change",
            f"Karta: {indicator_name.lower()}, tertialen mot samma tertial i fjol",
            maps.map_areas(members, _change_values(review, indicator), MISSING),
            change_scale,
            places=places,
            flags={
                "significant": "signifikant efter Benjamini–Hochberg",
                "few": f"färre än {FEW_EVENTS} händelser (någon av tertialerna)",
            },
            caption=f"Kvoten mellan takterna (per invånare) för {indicator_name.lower()} i "
            f"tertialen {label} och samma tertial ett år tidigare, med exakt 95 %-intervall; "
            "grått = ej definierad (inga händelser i fjol) eller saknas." + polygons,
            empty_text=empty,
            detail_min_areas=detail,
        ),
    }
