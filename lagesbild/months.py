"""Calendar months as Lägesbild counts them: keyed `YYYY-MM`, in Swedish time."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/Stockholm"
FIRST_MONTH = "2019-01"
"""The first month Lägesbild covers (the first monthly partition)."""


def month_start(month_key: str) -> date:
    """`2024-03` → date(2024, 3, 1)."""
    year, month = month_key.split("-")
    return date(int(year), int(month), 1)


def month_key(day: date) -> str:
    """date(2024, 3, 17) → `2024-03`."""
    return f"{day.year:04d}-{day.month:02d}"


def add_months(day: date, months: int) -> date:
    """The first day of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def months_in_range(start_key: str, end_key: str) -> list[str]:
    """All month keys from start to end inclusive (empty when end is before start)."""
    first, last = month_start(start_key), month_start(end_key)
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    return [month_key(add_months(first, offset)) for offset in range(max(count, 0))]


def last_complete_month(now: datetime | None = None) -> str:
    """The newest month that has ended in Swedish time."""
    today = (now or datetime.now(tz=ZoneInfo(TIMEZONE))).astimezone(ZoneInfo(TIMEZONE)).date()
    return month_key(add_months(today, -1))
