"""Partitions: one per calendar month, keyed `YYYY-MM`, in Swedish time."""

from __future__ import annotations

from datetime import date

import dagster as dg

TIMEZONE = "Europe/Stockholm"
PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
WINDOW_START_TAG = "lagesbild/window_start"  # widens a one-month run's dbt window (backfills)
FIRST_MONTH = "2019-01"

monthly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 * *",
    start=FIRST_MONTH,
    fmt="%Y-%m",
    timezone=TIMEZONE,
)


def month_start(partition_key: str) -> date:
    """`2024-03` → date(2024, 3, 1)."""
    year, month = partition_key.split("-")
    return date(int(year), int(month), 1)


def months_in_range(start_key: str, end_key: str) -> list[str]:
    """All month keys from start to end inclusive."""
    return monthly_partitions.get_partition_keys_in_range(dg.PartitionKeyRange(start_key, end_key))


def last_complete_month() -> str:
    """The newest month partition that has ended (Swedish time)."""
    last = monthly_partitions.get_last_partition_key()
    if last is None:
        raise RuntimeError("no complete month yet")
    return last
