"""Validating a population file: SCB's JSON-stat2 answer for one year, DeSOs of the geography."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import polars as pl

from lagesbild.ingest.jsonstat import JsonStatError, population_rows
from lagesbild.ingest.validation import DeliveryRejected, ViolationCollector

UNKNOWN_DESO_EXAMPLES = 5


def population_parser(year: int, known_deso: frozenset[str]) -> Callable[[Path], pl.DataFrame]:
    """A parser for `population/<year>.json` that rejects other years and unknown DeSOs."""

    def parse(file: Path) -> pl.DataFrame:
        collector = ViolationCollector(file=f"population/{file.name}")
        try:
            rows = population_rows(file.read_bytes())
        except (JsonStatError, ValueError) as error:
            collector.add(f"not a valid SCB JSON-stat2 population dataset: {error}")
            raise DeliveryRejected("population", collector.file, collector) from None
        years = set(rows["year"].unique().to_list())
        if years != {year}:
            collector.add(f"holds year(s) {sorted(years)}, but the file name says {year}")
        if known_deso:
            unknown = rows.filter(~pl.col("deso_code").is_in(list(known_deso)))
            for code in unknown["deso_code"].unique().sort().head(UNKNOWN_DESO_EXAMPLES):
                collector.add(
                    "unknown DeSO code (not in the delivered geography)",
                    column="Region",
                    value=code,
                )
        if collector.total:
            raise DeliveryRejected("population", collector.file, collector)
        return rows

    return parse
