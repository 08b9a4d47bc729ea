"""Coverage of one monthly source for the months a run checks: which units block, which warn.

Event sources (offences, clearances, incidents) are counted per unit — nation, police region,
county, municipality (by the row's municipality code), LPO and area (by its DeSO through the
delivered geography) — and judged by `lagesbild.quality.coverage` against each unit's own
history. Per-unit sources (staffing per LPO, presence and cameras per area) follow
`lagesbild.quality.unit_presence`. Everything is read from the `raw` tables of the build
database and the reference seeds.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import numpy as np
import polars as pl

from lagesbild.ingest.raw_store import raw_table
from lagesbild.months import add_months, month_key
from lagesbild.quality.config import QualityConfig
from lagesbild.quality.coverage_units import (
    LEVELS,
    area_list,
    geography_units,
    municipality_hierarchy,
    unit_names,
)

EVENT_SOURCES = ("offences", "clearances", "incidents")
UNIT_SOURCES = {"staffing": "lpo", "presence": "area", "cameras": "area"}
"""Per-unit sources and the unit each row is delivered for."""
LISTED_AREA_SOURCES = ("presence", "cameras")
"""Delivered for the areas on the list in force only: a de-listed area ceases in them."""
BLOCK, WARN = "block", "warn"
LEVEL_TEXT = {
    "nation": "nation",
    "region": "region",
    "county": "county",
    "municipality": "municipality",
    "lpo": "LPO",
    "area": "area",
}

EVENT_COUNTS_SQL = """
select
    events.month,
    events.municipality_code,
    geography.lpo_code,
    geography.area_code,
    count(*) as n
from raw.{table} as events
left join raw.geography_deso as geography
    on geography.deso_code = events.deso_code
where events.month <= ?
group by all
"""


@dataclass(frozen=True)
class UnitFinding:
    """One unit in one month that blocks publication or warns."""

    source: str
    month: date
    level: str
    unit: str
    name: str | None
    status: str
    observed: float
    expected: float | None = None
    plausible_low: float | None = None
    plausible_high: float | None = None
    p_lower: float | None = None
    previous_month: date | None = None

    @property
    def label(self) -> str:
        name = f" ({self.name})" if self.name and self.name != self.unit else ""
        return f"{LEVEL_TEXT[self.level]} {self.unit}{name}"

    def summary(self) -> str:
        """One line naming source, unit, month, count and the expected range."""
        where = f"{self.source}, {self.label}, {month_key(self.month)}"
        if self.expected is None:  # a per-unit source: the unit is absent
            return (
                f"{where}: no row (delivered in {month_key(self.previous_month)}, and the "
                "geography says it still exists)"
            )
        return (
            f"{where}: {self.observed:,.0f} rows, expected ≈ {self.expected:,.0f} "
            f"(plausible range {self.plausible_low:,.0f}–{self.plausible_high:,.0f}; "
            f"P(≤ {self.observed:,.0f}) = {self.p_lower:.1e})"
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "month": month_key(self.month),
            "level": self.level,
            "unit": self.unit,
            "name": self.name,
            "status": self.status,
            "observed": self.observed,
            "expected": None if self.expected is None else round(self.expected, 1),
            "plausible_low": self.plausible_low,
            "plausible_high": self.plausible_high,
            "p_lower": self.p_lower,
            "previous_month": month_key(self.previous_month) if self.previous_month else None,
        }


@dataclass
class SourceCoverage:
    """The coverage verdict on one source for the checked months."""

    source: str
    months: list[date]
    findings: list[UnitFinding] = field(default_factory=list)
    judged: int = 0
    """Unit-months with enough history to be judged."""
    no_history: int = 0
    """Unit-months (event sources) or months (per-unit sources) without enough history."""
    undelivered: list[date] = field(default_factory=list)
    ceased: list[str] = field(default_factory=list)
    """Units absent because the geography says they ceased ('unit (month)')."""

    @property
    def blocks(self) -> list[UnitFinding]:
        return [f for f in self.findings if f.status == BLOCK]

    @property
    def warnings(self) -> list[UnitFinding]:
        return [f for f in self.findings if f.status == WARN]

    @property
    def passed(self) -> bool:
        return not self.blocks

    def _span(self) -> str:
        if not self.months:
            return "no month"
        first, last = month_key(self.months[0]), month_key(self.months[-1])
        return first if first == last else f"{first}..{last}"

    def description(self, limit: int = 5) -> str:
        """The check's one-paragraph verdict: every block (up to `limit`) by name."""
        if self.blocks:
            shown = "; ".join(f.summary() for f in self.blocks[:limit])
            more = len(self.blocks) - limit
            tail = f"; … and {more} more (see metadata 'blocks')" if more > 0 else ""
            return (
                f"{len(self.blocks)} unit(s) missing or implausibly low in {self._span()} — "
                f"missing is not zero: {shown}{tail}"
            )
        history = f", {self.no_history} without enough history to judge" if self.no_history else ""
        return (
            f"{self.source} {self._span()}: every unit covered ({self.judged} judged{history}; "
            f"{len(self.warnings)} warning(s))"
        )

    def warning_description(self, limit: int = 5) -> str:
        if not self.warnings:
            return f"{self.source} {self._span()}: no unusual drop"
        shown = "; ".join(f.summary() for f in self.warnings[:limit])
        more = len(self.warnings) - limit
        tail = f"; … and {more} more" if more > 0 else ""
        return f"{len(self.warnings)} unusual drop(s) (not blocking): {shown}{tail}"

    def metadata(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "months": [month_key(m) for m in self.months],
            "unit_months_judged": self.judged,
            "without_enough_history": self.no_history,
            "blocks": [f.as_dict() for f in self.blocks],
            "warnings": [f.as_dict() for f in self.warnings],
            "months_not_delivered": [month_key(m) for m in self.undelivered],
            "ceased_units": self.ceased,
        }


def delivered_months(conn: duckdb.DuckDBPyConnection, source: str) -> list[date]:
    rows = conn.execute(
        "select distinct month from raw.deliveries where source = ? and month is not null "
        "order by month",
        [source],
    ).fetchall()
    return [row[0] for row in rows]


def event_counts(conn: duckdb.DuckDBPyConnection, source: str, until: date) -> pl.DataFrame:
    """Rows per (level, unit, month) of an event source up to `until`."""
    by_deso = conn.sql(EVENT_COUNTS_SQL.format(table=raw_table(source)), params=[until]).pl()
    rows = by_deso.join(municipality_hierarchy(), on="municipality_code", how="left")
    pieces = [rows.group_by("month").agg(pl.col("n").sum()).with_columns(unit=pl.lit("SE"))]
    for level, column in (
        ("region", "region_slug"),
        ("county", "county_code"),
        ("municipality", "municipality_code"),
        ("lpo", "lpo_code"),
        ("area", "area_code"),
    ):
        pieces.append(
            rows.filter(pl.col(column).is_not_null())
            .group_by("month", column)
            .agg(pl.col("n").sum())
            .rename({column: "unit"})
            .with_columns(level=pl.lit(level))
        )
    pieces[0] = pieces[0].with_columns(level=pl.lit("nation"))
    return pl.concat([piece.select("level", "unit", "month", "n") for piece in pieces])


def count_matrix(
    counts: pl.DataFrame, delivered: Sequence[date], first: date, last: date
) -> tuple[pl.DataFrame, np.ndarray, list[date]]:
    """Units × months: the count, 0 for a delivered month without the unit, NaN undelivered."""
    months = [first]
    while months[-1] < last:
        months.append(add_months(months[-1], 1))
    index = {month: i for i, month in enumerate(months)}
    level_order = {level: i for i, level in enumerate(LEVELS)}
    units = (
        counts.select("level", "unit")
        .unique()
        .with_columns(order=pl.col("level").replace_strict(level_order, return_dtype=pl.Int32))
        .sort("order", "unit")
        .drop("order")
        .with_row_index("row")
    )
    matrix = np.full((units.height, len(months)), np.nan)
    delivered_columns = [index[m] for m in delivered if m in index]
    matrix[:, delivered_columns] = 0.0
    located = counts.join(units, on=["level", "unit"]).filter(pl.col("month").is_in(months))
    columns = np.array([index[m] for m in located["month"].to_list()], dtype=int)
    rows = located["row"].to_numpy()
    delivered_mask = np.isin(columns, delivered_columns)
    matrix[rows[delivered_mask], columns[delivered_mask]] = located["n"].to_numpy()[delivered_mask]
    return units.drop("row"), matrix, months


def event_coverage(
    conn: duckdb.DuckDBPyConnection, source: str, months: Sequence[date], config: QualityConfig
) -> SourceCoverage:
    """Judge every unit of an event source in the checked `months` against its history."""
    from lagesbild.quality.coverage import BLOCK as BLOCKED
    from lagesbild.quality.coverage import NO_HISTORY, assess, plausible_range

    checked = sorted(months)
    outcome = SourceCoverage(source, checked)
    delivered = delivered_months(conn, source)
    outcome.undelivered = [m for m in checked if m not in delivered]
    if not delivered or not checked:
        return outcome
    last = max(checked[-1], delivered[-1])
    counts = event_counts(conn, source, last)
    units, matrix, axis = count_matrix(counts, delivered, min(delivered[0], checked[0]), last)
    thresholds = config.coverage_thresholds()
    assessment = assess(matrix, thresholds)
    columns = {axis.index(m) for m in checked if m in delivered}
    status = assessment.status[:, sorted(columns)]
    outcome.no_history = int((status == NO_HISTORY).sum())
    outcome.judged = status.size - outcome.no_history
    flagged = [(r, c) for r, c in assessment.flagged() if c in columns]
    if not flagged:
        return outcome
    rows, cols = np.array([r for r, _ in flagged]), np.array([c for _, c in flagged])
    mu = assessment.expectation.expected[rows, cols]
    low, high = plausible_range(mu, assessment.variance[rows, cols], thresholds.warn_p)
    names = unit_names()
    for i, (row, col) in enumerate(flagged):
        level, unit = units.row(int(row))
        outcome.findings.append(
            UnitFinding(
                source=source,
                month=axis[col],
                level=level,
                unit=unit,
                name=names.get((level, unit)),
                status=BLOCK if assessment.status[row, col] == BLOCKED else WARN,
                observed=float(matrix[row, col]),
                expected=float(mu[i]),
                plausible_low=float(low[i]),
                plausible_high=float(high[i]),
                p_lower=float(assessment.p_lower[row, col]),
            )
        )
    outcome.findings.sort(
        key=lambda f: (f.status != BLOCK, f.month, LEVELS.index(f.level), f.p_lower, f.unit)
    )
    return outcome


def delivered_units(
    conn: duckdb.DuckDBPyConnection, source: str, column: str
) -> dict[date, set[str]]:
    """Every delivered month of a per-unit source with the units it delivered for."""
    by_month: dict[date, set[str]] = {m: set() for m in delivered_months(conn, source)}
    rows = conn.execute(
        f"select distinct month, {column} from raw.{raw_table(source)} where {column} is not null"
    ).fetchall()
    for month, unit in rows:
        by_month.setdefault(month, set()).add(unit)
    return by_month


def unit_source_coverage(
    conn: duckdb.DuckDBPyConnection, source: str, months: Sequence[date]
) -> SourceCoverage:
    """A unit of the previous delivery absent now blocks, unless the geography says it ceased."""
    from lagesbild.quality.unit_presence import vanished_units

    level = UNIT_SOURCES[source]
    checked = sorted(months)
    outcome = SourceCoverage(source, checked)
    delivered = delivered_units(conn, source, f"{level}_code")
    outcome.undelivered = [m for m in checked if m not in delivered]
    in_geography = geography_units(conn)[level]
    listing = area_list() if source in LISTED_AREA_SOURCES else None

    def existing(month: date) -> set[str]:
        return in_geography & listing.listed(month) if listing else in_geography

    found, no_history = vanished_units(delivered, checked, existing)
    outcome.no_history = len(no_history)
    outcome.judged = len([m for m in checked if m in delivered]) - len(no_history)
    names = unit_names()
    for vanished in found:
        outcome.ceased += [f"{unit} ({month_key(vanished.month)})" for unit in vanished.ceased]
        for unit in vanished.missing:
            outcome.findings.append(
                UnitFinding(
                    source=source,
                    month=vanished.month,
                    level=level,
                    unit=unit,
                    name=names.get((level, unit)),
                    status=BLOCK,
                    observed=0.0,
                    previous_month=vanished.previous_month,
                )
            )
    return outcome


def source_coverage(
    conn: duckdb.DuckDBPyConnection, source: str, months: Sequence[date], config: QualityConfig
) -> SourceCoverage:
    """The coverage verdict on `source` for `months` (the months a run publishes)."""
    if source in EVENT_SOURCES:
        return event_coverage(conn, source, months, config)
    if source in UNIT_SOURCES:
        return unit_source_coverage(conn, source, months)
    raise ValueError(f"no coverage rule for source {source!r}")
