"""Partitions: one per calendar month (`YYYY-MM`) and one per tertial, in Swedish time, and
one per registered measure (dynamic).

A tertial partition is keyed by its first month (`2024-05` is 2024-T2); people write the label
(`2024-T2`), which `lagesbild.review.tertials` converts. The run tags below are how a run
names its months: one partition, a partition range (single-run backfill), or a widened dbt
window (the build half of a CLI backfill).
"""

from __future__ import annotations

import dagster as dg

from lagesbild.months import FIRST_MONTH, TIMEZONE

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
WINDOW_START_TAG = "lagesbild/window_start"  # widens a one-month run's dbt window (backfills)

monthly_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 * *",
    start=FIRST_MONTH,
    fmt="%Y-%m",
    timezone=TIMEZONE,
)

tertial_partitions = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1,5,9 *",
    fmt="%Y-%m",
    start=FIRST_MONTH,
    timezone=TIMEZONE,
)
"""One partition per tertial, keyed by the tertial's first month (`2024-05` = 2024-T2)."""

MEASURE_PARTITIONS_NAME = "measures"
measure_partitions = dg.DynamicPartitionsDefinition(name=MEASURE_PARTITIONS_NAME)
"""One partition per registered measure (measure_id); the register's ingest adds new ones and
deletes those no longer registered."""
