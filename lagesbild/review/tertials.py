"""Tertials (T1 Jan–Apr, T2 May–Aug, T3 Sep–Dec, Swedish time) and their partition keys.

A tertial partition is keyed by its first month (`2024-05` is 2024-T2); people write the
label (`2024-T2`). The helpers here convert between the two and list a tertial's months.
"""

from __future__ import annotations

import re
from datetime import date

TERTIAL_PATTERN = re.compile(r"^(\d{4})-T([123])$")
MONTHS_PER_TERTIAL = 4


def parse_label(label: str) -> tuple[int, int]:
    """`2024-T2` → (2024, 2); raises ValueError on anything else."""
    match = TERTIAL_PATTERN.match(label)
    if not match:
        raise ValueError(f"expected a tertial as YYYY-Tn (n = 1, 2 or 3), got {label!r}")
    return int(match.group(1)), int(match.group(2))


def label_of(year: int, tertial: int) -> str:
    return f"{year}-T{tertial}"


def label_to_partition_key(label: str) -> str:
    """`2024-T2` → `2024-05`."""
    year, tertial = parse_label(label)
    return f"{year}-{(tertial - 1) * MONTHS_PER_TERTIAL + 1:02d}"


def partition_key_to_label(key: str) -> str:
    """`2024-05` → `2024-T2`; the key must be a tertial's first month."""
    year, month = (int(part) for part in key.split("-"))
    if (month - 1) % MONTHS_PER_TERTIAL:
        raise ValueError(f"{key} is not the first month of a tertial")
    return label_of(year, (month - 1) // MONTHS_PER_TERTIAL + 1)


def tertial_of_month(day: date) -> str:
    """The label of the tertial a date lies in."""
    return label_of(day.year, (day.month - 1) // MONTHS_PER_TERTIAL + 1)


def tertial_months(label: str) -> list[date]:
    """The four first-of-month dates of a tertial."""
    year, tertial = parse_label(label)
    first = (tertial - 1) * MONTHS_PER_TERTIAL + 1
    return [date(year, first + offset, 1) for offset in range(MONTHS_PER_TERTIAL)]


def previous_year_label(label: str) -> str:
    """The same tertial a year earlier."""
    year, tertial = parse_label(label)
    return label_of(year - 1, tertial)


def previous_label(label: str) -> str:
    """The tertial just before (2024-T1 → 2023-T3)."""
    year, tertial = parse_label(label)
    return label_of(year - 1, 3) if tertial == 1 else label_of(year, tertial - 1)


def tertial_ended_before(day: date) -> str:
    """The last tertial that ended before `day` (12 May 2024 → 2024-T1)."""
    return previous_label(tertial_of_month(day))
