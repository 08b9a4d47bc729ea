"""What the monthly lägesbild reads: the PUBLISHED warehouse (what passed the gate), read-only.

For the month M, at the levels the page shows (nation, region, LPO, area), every indicator's
row of `marts.fct_indicator_month` with its comparison columns, plus what the rate ratios need
and the mart does not carry: the mean population of the 12 months ending with M and of the 12
months before (exposures), and the population of the same month a year earlier. A window
counts only when all its 12 months were delivered (`months_current` / `months_previous`);
otherwise it is missing, never a partial sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl

from lagesbild.months import add_months, month_key, month_start
from lagesbild.review.tertials import tertial_months

PAGE_LEVELS = ("nation", "region", "lpo", "area")
SERIES_MONTHS = 12
WINDOW_MONTHS = 12

CURRENT_SQL = """
with series as (
    select geo_level, geo_code, indicator_code, month, numerator, denominator, is_complete
    from marts.fct_indicator_month
    where month between $first and $month and geo_level in (select unnest($levels))
),
windows as (
    select geo_level, geo_code, indicator_code,
        count(*) filter (where month > $year_ago and is_complete) as months_current,
        avg(denominator) filter (where month > $year_ago) as population_current,
        count(*) filter (where month <= $year_ago and is_complete) as months_previous,
        sum(numerator) filter (where month <= $year_ago) as count_previous,
        avg(denominator) filter (where month <= $year_ago) as population_previous,
        max(denominator) filter (where month = $year_ago) as denominator_prev_year
    from series
    group by all
)
select f.geo_level, f.geo_code, f.indicator_code, f.kind, f.numerator, f.denominator, f.value,
    f.rate_per_1000, f.is_complete, f.is_small_number, f.numerator_prev_year, f.value_prev_year,
    f.numerator_rolling_12m, f.rate_per_1000_rolling_12m, f.value_rolling_12m,
    f.value_rolling_12m_prev_year,
    w.months_current, w.population_current, w.months_previous,
    w.count_previous, w.population_previous, w.denominator_prev_year
from marts.fct_indicator_month f
join windows w using (geo_level, geo_code, indicator_code)
where f.month = $month and f.geo_level in (select unnest($levels))
"""


class MonthNotPublished(RuntimeError):
    """The month has not been published: no page is written for it."""


@dataclass(frozen=True)
class Publication:
    run_id: str
    published_through: str
    published_at: datetime
    code_version: str


@dataclass
class MonthlyInputs:
    month: date
    indicators: pl.DataFrame
    geography: pl.DataFrame
    current: pl.DataFrame
    """One row per geography (PAGE_LEVELS) × indicator for the month, with window columns."""
    series: pl.DataFrame
    """The 12 months ending with M at nation and region level (the month-by-month table)."""
    resources: pl.DataFrame | None
    area_index: pl.DataFrame | None
    """`review.fct_area_index` of the latest tertial ended by M (12-month period, areas)."""
    area_index_label: str | None
    publication: Publication
    is_synthetic: bool

    @property
    def month_key(self) -> str:
        return month_key(self.month)


def _tables(conn: duckdb.DuckDBPyConnection) -> set[str]:
    rows = conn.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
    ).fetchall()
    return {row[0] for row in rows}


def latest_publication(conn: duckdb.DuckDBPyConnection) -> Publication:
    """The newest row of the publication log and the latest month ever published."""
    row = conn.execute(
        "select run_id, published_at, code_version, "
        "(select max(month) from meta.publication_log) "
        "from meta.publication_log order by published_at desc limit 1"
    ).fetchone()
    if row is None:
        raise MonthNotPublished("the publication log is empty: nothing has been published")
    run_id, published_at, version, through = row
    return Publication(run_id, through, published_at.replace(tzinfo=UTC), version)


def check_month_published(conn: duckdb.DuckDBPyConnection, month: str) -> Publication:
    """Raise MonthNotPublished unless `month` is in the published warehouse."""
    publication = latest_publication(conn)
    if month > publication.published_through:
        raise MonthNotPublished(
            f"{month} has not been published (the published warehouse runs to "
            f"{publication.published_through}, run {publication.run_id}): no monthly pages are "
            "written for a month whose publication was refused or has not run"
        )
    known = conn.execute(
        "select count(*) from marts.dim_month where month = ?", [month_start(month)]
    ).fetchone()[0]
    if not known:
        raise MonthNotPublished(f"{month} is not a month of the published marts.dim_month")
    return publication


def _latest_index(
    conn: duckdb.DuckDBPyConnection, month: date
) -> tuple[pl.DataFrame | None, str | None]:
    labels = [
        row[0]
        for row in conn.execute(
            "select distinct tertial_label from review.fct_area_index order by 1 desc"
        ).fetchall()
    ]
    ended = [label for label in labels if tertial_months(label)[-1] <= month]
    if not ended:
        return None, None
    label = max(ended, key=lambda lab: tertial_months(lab)[-1])
    frame = conn.sql(
        "select geo_code, name, region, category, index, index_rank from review.fct_area_index "
        "where tertial_label = ? and unit_type = 'area' and period like '12 mån%'",
        params=[label],
    ).pl()
    return frame, label


def load_monthly_inputs(database: Path, month: str, *, is_synthetic: bool) -> MonthlyInputs:
    """Read everything one month's pages show from the published file (read-only)."""
    first_day = month_start(month)
    if not database.exists():
        raise MonthNotPublished(f"no published warehouse at {database}: nothing to report on")
    conn = duckdb.connect(str(database), read_only=True)
    try:
        publication = check_month_published(conn, month)
        present = _tables(conn)
        params = {
            "first": add_months(first_day, -(2 * WINDOW_MONTHS - 1)),
            "year_ago": add_months(first_day, -WINDOW_MONTHS),
            "month": first_day,
            "levels": list(PAGE_LEVELS),
        }
        current = conn.sql(CURRENT_SQL, params=params).pl()
        series = conn.sql(
            "select month, geo_level, geo_code, indicator_code, numerator, value, is_complete "
            "from marts.fct_indicator_month where month between ? and ? "
            "and geo_level in ('nation', 'region') order by month",
            params=[add_months(first_day, -(SERIES_MONTHS - 1)), first_day],
        ).pl()
        indicators = conn.sql("select * from marts.dim_indicator order by indicator_code").pl()
        geography = conn.sql("select * from marts.dim_geography").pl()
        resources = None
        if "marts.mart_resources" in present:
            resources = conn.sql(
                "select * from marts.mart_resources where month = ?", params=[first_day]
            ).pl()
        area_index, index_label = None, None
        if "review.fct_area_index" in present:
            area_index, index_label = _latest_index(conn, first_day)
    finally:
        conn.close()
    return MonthlyInputs(
        month=first_day,
        indicators=indicators,
        geography=geography,
        current=current,
        series=series,
        resources=resources,
        area_index=area_index,
        area_index_label=index_label,
        publication=publication,
        is_synthetic=is_synthetic,
    )
