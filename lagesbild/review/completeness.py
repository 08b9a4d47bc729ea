"""The completeness rule: a tertial is reviewed only when all four months are published.

A month counts as published when the published `marts.fct_indicator_month` holds it with
`is_complete` true for every row of the count indicators (missing is not zero).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb

from lagesbild.review.tertials import tertial_months

COUNT_KIND = "count"


@dataclass(frozen=True)
class Completeness:
    label: str
    published_months: tuple[date, ...]
    missing_months: tuple[date, ...]

    @property
    def is_complete(self) -> bool:
        return not self.missing_months

    @property
    def message(self) -> str:
        if self.is_complete:
            return f"{self.label} is complete: all four months are published."
        missing = ", ".join(month.strftime("%Y-%m") for month in self.missing_months)
        return (
            f"{self.label} is not complete: {missing} not (completely) published yet. "
            "A tertial review needs all four months; run them first (`lagesbild run --month "
            "YYYY-MM`) — missing months are not counted as zero."
        )


def count_indicator_codes(conn: duckdb.DuckDBPyConnection) -> list[str]:
    """Count indicators of the catalogue (column `kind`, or unit 'count' before it existed)."""
    columns = {
        row[0]
        for row in conn.execute(
            "select column_name from information_schema.columns "
            "where table_schema = 'marts' and table_name = 'dim_indicator'"
        ).fetchall()
    }
    column = "kind" if "kind" in columns else "unit"
    return [
        row[0]
        for row in conn.execute(
            f"select indicator_code from marts.dim_indicator where {column} = ? order by 1",
            [COUNT_KIND],
        ).fetchall()
    ]


def published_complete_months(conn: duckdb.DuckDBPyConnection, months: list[date]) -> set[date]:
    """Those of `months` present and complete for every count indicator."""
    codes = count_indicator_codes(conn)
    if not codes:
        return set()
    rows = conn.execute(
        "select month, bool_and(coalesce(is_complete, false)) and count(*) > 0 "
        "from marts.fct_indicator_month "
        "where month in (select unnest(?)) and indicator_code in (select unnest(?)) "
        "group by month",
        [months, codes],
    ).fetchall()
    return {row[0] for row in rows if row[1]}


def tertial_completeness(conn: duckdb.DuckDBPyConnection, label: str) -> Completeness:
    months = tertial_months(label)
    present = published_complete_months(conn, months)
    return Completeness(
        label,
        tuple(month for month in months if month in present),
        tuple(month for month in months if month not in present),
    )
