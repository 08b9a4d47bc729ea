"""What an evaluation reads: the PUBLISHED warehouse (what passed the gate), read-only.

Monthly counts and populations of areas and local police areas (`marts.fct_indicator_month`),
the geography (`marts.dim_geography`), the police classification history
(`marts.dim_area_classification`) and the indicator catalogue (`marts.dim_indicator`); which
municipalities each LPO covers comes from the reference seed `lpo_municipalities`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import polars as pl

from lagesbild.settings import SEEDS_DIR

STATUS_CHANGES = ("entry", "exit", "upgrade", "downgrade", "split")
"""Changes of an area's classification that make it a zone with an event of its own."""


class NothingPublished(RuntimeError):
    """There is no published warehouse to evaluate against."""


@dataclass(frozen=True)
class EffectInputs:
    monthly: pl.DataFrame  # month, geo_level, geo_code, indicator_code, numerator, denominator
    areas: pl.DataFrame  # geo_code, name, region, municipality_code, lpo_code, is_composite
    lpos: pl.DataFrame  # geo_code, name, region
    status_changes: pl.DataFrame  # area_code, published_month, change
    lpo_municipalities: pl.DataFrame  # lpo_code, municipality_code
    indicators: pl.DataFrame  # indicator_code, name_sv
    last_month: date
    is_synthetic: bool

    def indicator_name(self, code: str) -> str:
        names = self.indicators.filter(pl.col("indicator_code") == code)["name_sv"]
        return names[0] if len(names) else code


def load_inputs(
    database: Path, indicators: Iterable[str], *, is_synthetic: bool, seeds_dir: Path = SEEDS_DIR
) -> EffectInputs:
    """Read everything the evaluation of `indicators` needs from the published file."""
    if not database.exists():
        raise NothingPublished(
            f"no published warehouse at {database}: run the monthly pipeline first"
        )
    wanted = sorted(set(indicators))
    conn = duckdb.connect(str(database), read_only=True)
    try:
        monthly = conn.sql(
            "select month, geo_level, geo_code, indicator_code, numerator, denominator, "
            "is_complete from marts.fct_indicator_month "
            "where geo_level in ('area', 'lpo') and indicator_code in (select unnest($codes))",
            params={"codes": wanted},
        ).pl()
        areas = conn.sql(
            "select geo_code, name, region, municipality_code, lpo_code, "
            "coalesce(is_composite, false) as is_composite "
            "from marts.dim_geography where geo_level = 'area'"
        ).pl()
        lpos = conn.sql(
            "select geo_code, name, region from marts.dim_geography where geo_level = 'lpo'"
        ).pl()
        changes = conn.sql(
            "select area_code, published_month, change from marts.dim_area_classification "
            "where change in (select unnest($changes))",
            params={"changes": list(STATUS_CHANGES)},
        ).pl()
        catalogue = conn.sql("select indicator_code, name_sv from marts.dim_indicator").pl()
        last_month = conn.execute("select max(month) from marts.fct_indicator_month").fetchall()[0][
            0
        ]
    finally:
        conn.close()
    lpo_municipalities = pl.read_csv(
        seeds_dir / "lpo_municipalities.csv",
        schema_overrides={"lpo_code": pl.String, "municipality_code": pl.String},
        columns=["lpo_code", "municipality_code"],
    )
    return EffectInputs(
        monthly=monthly,
        areas=areas,
        lpos=lpos,
        status_changes=changes,
        lpo_municipalities=lpo_municipalities,
        indicators=catalogue,
        last_month=last_month,
        is_synthetic=is_synthetic,
    )
