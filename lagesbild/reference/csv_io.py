"""Reading the reference CSVs and writing dbt seeds (UTF-8, comma, `\n`)."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

Row = dict[str, str]


def read_csv(path: Path) -> list[Row]:
    """All rows of a UTF-8 CSV file as dicts of strings."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write a dbt seed (UTF-8, comma, `\\n`); returns the number of data rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(["" if value is None else value for value in row])
            count += 1
    return count


def flag(value: bool) -> str:
    """dbt-friendly boolean."""
    return "true" if value else "false"


def normalise_name(name: str) -> str:
    """Compare area names across sources: `A / B` = `A/B`, hyphen = space, any case."""
    name = re.sub(r"\s*/\s*", "/", name.strip()).replace("-", " ")
    return re.sub(r"\s+", " ", name).casefold()


def county_short(county_name: str) -> str:
    """'Gävleborgs län' → 'Gävleborg', 'Skåne län' → 'Skåne'."""
    short = county_name.removesuffix(" län")
    return short[:-1] if short.endswith("s") else short
