"""The two zones of a measure and their comparison units, as monthly panels.

- `area`: the measure's areas together (summed counts and populations);
  comparison units: other atomic areas.
- `surroundings`: the rest of the measure's local police areas (LPO − the measure's areas);
  comparison units: other LPOs. Counted from LPO and area rows alike (events with a DeSO code),
  so the difference is exact; the rest of the municipality would mix in events without one.

A comparison unit must not share a municipality or LPO with the measure's areas (that is
where displaced crime would go: the surroundings are kept out of the pool); must not be, or
share an LPO with, an area of another measure of the same kind or aimed at the same outcome
in the window (it is not untreated, nor are its surroundings); must not hold an area whose
police classification changed in the window (an event of its own); and must have every
month of the window delivered and at least one event before and after the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from lagesbild.effects.inputs import EffectInputs
from lagesbild.effects.panel import Panel
from lagesbild.effects.register import Measure
from lagesbild.effects.verdict import MAX_POST_MONTHS, MAX_PRE_MONTHS
from lagesbild.months import add_months

ZONES = ("area", "surroundings")


@dataclass(frozen=True)
class Window:
    first: date  # first month used (before the start)
    start: date  # first month of the measure
    last: date  # last month used

    @property
    def months(self) -> list[date]:
        count = (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1
        return [add_months(self.first, offset) for offset in range(max(count, 0))]

    @property
    def pre_months(self) -> int:
        return (self.start.year - self.first.year) * 12 + self.start.month - self.first.month

    @property
    def post_months(self) -> int:
        return max(len(self.months) - self.pre_months, 0)


@dataclass(frozen=True)
class ZonePanel:
    zone: str
    window: Window
    panel: Panel | None  # None when the zone has no complete series
    problem: str | None  # why there is no panel
    status_change: str | None  # the zone's classification changed in the window (what, when)
    treated_geo: tuple[str, ...]  # what the zone is made of (area or LPO codes)


def evaluation_window(measure: Measure, first_month: date, last_month: date) -> Window:
    """Up to MAX_PRE_MONTHS before the start; from it, up to MAX_POST_MONTHS, the measure's
    end and the last published month."""
    first = max(add_months(measure.start, -MAX_PRE_MONTHS), first_month)
    last = add_months(measure.start, MAX_POST_MONTHS - 1)
    if measure.end is not None:
        last = min(last, measure.end)
    return Window(first, measure.start, min(last, last_month))


def _wide(
    inputs: EffectInputs, level: str, indicator: str, window: Window
) -> tuple[list[str], np.ndarray, np.ndarray, np.ndarray]:
    """Codes, counts, exposures and completeness (codes × window months) of one geo level."""
    months = window.months
    rows = inputs.monthly.filter(
        (pl.col("geo_level") == level)
        & (pl.col("indicator_code") == indicator)
        & pl.col("month").is_between(window.first, window.last)
    )
    codes = sorted(rows["geo_code"].unique().to_list())
    index = {code: i for i, code in enumerate(codes)}
    month_index = {month: j for j, month in enumerate(months)}
    counts = np.full((len(codes), len(months)), np.nan)
    exposure = np.full_like(counts, np.nan)
    complete = np.zeros(counts.shape, dtype=bool)
    for code, month, numerator, denominator, is_complete in rows.select(
        "geo_code", "month", "numerator", "denominator", "is_complete"
    ).iter_rows():
        i, j = index[code], month_index[month]
        counts[i, j] = np.nan if numerator is None else numerator
        exposure[i, j] = np.nan if denominator is None else denominator
        complete[i, j] = bool(is_complete) and numerator is not None and denominator is not None
    return codes, counts, exposure, complete


def _changed_areas(inputs: EffectInputs, window: Window) -> set[str]:
    changes = inputs.status_changes.filter(
        (pl.col("published_month") > window.first) & (pl.col("published_month") <= window.last)
    )
    return set(changes["area_code"].to_list())


def _describe_changes(inputs: EffectInputs, window: Window, areas: set[str]) -> str | None:
    changes = inputs.status_changes.filter(
        pl.col("area_code").is_in(list(areas))
        & (pl.col("published_month") > window.first)
        & (pl.col("published_month") <= window.last)
    ).sort("published_month", "area_code")
    if changes.is_empty():
        return None
    return "; ".join(
        f"{code} {change} {month:%Y-%m}"
        for code, month, change in changes.select(
            "area_code", "published_month", "change"
        ).iter_rows()
    )


def _usable(counts: np.ndarray, exposure: np.ndarray, complete: np.ndarray, pre: int) -> np.ndarray:
    """Rows with every month delivered, a population, and events before and after the start."""
    return (
        complete.all(axis=1)
        & (np.nan_to_num(exposure, nan=0.0) > 0).all(axis=1)
        & (np.nan_to_num(counts[:, :pre], nan=0.0).sum(axis=1) > 0)
        & (np.nan_to_num(counts[:, pre:], nan=0.0).sum(axis=1) > 0)
    )


def build_zones(
    measure: Measure, indicator: str, inputs: EffectInputs, others: list[Measure]
) -> list[ZonePanel]:
    """The area and surroundings panels of one measure and indicator."""
    first_month = inputs.monthly["month"].min()
    window = evaluation_window(measure, first_month, inputs.last_month)
    if window.post_months <= 0 or window.pre_months <= 0:
        problem = (
            "no published month from the start yet"
            if window.post_months <= 0
            else "no published month before the start"
        )
        return [ZonePanel(zone, window, None, problem, None, ()) for zone in ZONES]
    areas = inputs.areas
    treated = set(measure.area_codes)
    treated_rows = areas.filter(pl.col("geo_code").is_in(list(treated)))
    municipalities = set(treated_rows["municipality_code"].drop_nulls().to_list())
    treated_lpos = set(treated_rows["lpo_code"].drop_nulls().to_list())
    active = [
        other
        for other in others
        if other.measure_id != measure.measure_id and other.active_in(window.first, window.last)
    ]
    same_kind_areas = {
        code for other in active if other.kind == measure.kind for code in other.area_codes
    }
    same_outcome_areas = {
        code
        for other in active
        if indicator in other.outcome_indicators
        for code in other.area_codes
    }
    changed = _changed_areas(inputs, window)
    lpo_munis = inputs.lpo_municipalities
    lpos_near = (
        set(
            lpo_munis.filter(pl.col("municipality_code").is_in(list(municipalities)))[
                "lpo_code"
            ].to_list()
        )
        | treated_lpos
    )
    atomic = areas.filter(~pl.col("is_composite"))
    area_lpo = dict(zip(areas["geo_code"], areas["lpo_code"], strict=True))
    other_measure_lpos = {area_lpo.get(code) for code in same_kind_areas | same_outcome_areas}
    blocked_lpos = other_measure_lpos | {area_lpo.get(code) for code in changed}
    blocked_lpos.discard(None)
    excluded_areas = (
        treated
        | same_kind_areas
        | changed
        | set(atomic.filter(pl.col("municipality_code").is_in(list(municipalities)))["geo_code"])
        | set(atomic.filter(pl.col("lpo_code").is_in(list(treated_lpos)))["geo_code"])
        | set(atomic.filter(pl.col("lpo_code").is_in(list(other_measure_lpos)))["geo_code"])
    )
    pool_areas = set(atomic["geo_code"].to_list()) - excluded_areas
    pool_lpos = set(inputs.lpos["geo_code"].to_list()) - lpos_near - blocked_lpos

    area_codes, area_counts, area_exposure, area_complete = _wide(inputs, "area", indicator, window)
    lpo_codes, lpo_counts, lpo_exposure, lpo_complete = _wide(inputs, "lpo", indicator, window)
    pre = window.pre_months
    months = tuple(window.months)

    def panel_for(
        zone: str,
        treated_counts: np.ndarray | None,
        treated_exposure: np.ndarray | None,
        codes: list[str],
        counts: np.ndarray,
        exposure: np.ndarray,
        complete: np.ndarray,
        pool: set[str],
        change: str | None,
        geo: tuple[str, ...],
    ) -> ZonePanel:
        if treated_counts is None or treated_exposure is None:
            return ZonePanel(zone, window, None, "a month of the zone is missing", change, geo)
        if (treated_exposure <= 0).any():
            return ZonePanel(zone, window, None, "the zone has no population", change, geo)
        usable = _usable(counts, exposure, complete, pre)
        rows = [i for i, code in enumerate(codes) if code in pool and usable[i]]
        panel = Panel(
            units=(zone, *(codes[i] for i in rows)),
            months=months,
            counts=np.vstack([treated_counts, counts[rows]]),
            exposure=np.vstack([treated_exposure, exposure[rows]]),
            start=pre,
        )
        return ZonePanel(zone, window, panel, None, change, geo)

    def summed(codes: list[str], values: np.ndarray, complete: np.ndarray, wanted: set[str]):
        rows = [i for i, code in enumerate(codes) if code in wanted]
        if len(rows) != len(wanted) or not complete[rows].all():
            return None
        return values[rows].sum(axis=0)

    area_zone = panel_for(
        "area",
        summed(area_codes, area_counts, area_complete, treated),
        summed(area_codes, area_exposure, area_complete, treated),
        area_codes,
        area_counts,
        area_exposure,
        area_complete,
        pool_areas,
        _describe_changes(inputs, window, treated),
        tuple(sorted(treated)),
    )
    lpo_total = summed(lpo_codes, lpo_counts, lpo_complete, treated_lpos)
    lpo_people = summed(lpo_codes, lpo_exposure, lpo_complete, treated_lpos)
    area_total = summed(area_codes, area_counts, area_complete, treated)
    area_people = summed(area_codes, area_exposure, area_complete, treated)
    rest_counts = rest_people = None
    if lpo_total is not None and area_total is not None:
        rest_counts = np.maximum(lpo_total - area_total, 0.0)
        rest_people = lpo_people - area_people
    neighbours = set(atomic.filter(pl.col("lpo_code").is_in(list(treated_lpos)))["geo_code"])
    surroundings = panel_for(
        "surroundings",
        rest_counts,
        rest_people,
        lpo_codes,
        lpo_counts,
        lpo_exposure,
        lpo_complete,
        pool_lpos,
        _describe_changes(inputs, window, neighbours - treated),
        tuple(sorted(treated_lpos)),
    )
    return [area_zone, surroundings]
