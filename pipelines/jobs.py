"""Jobs: the monthly run (also used for single-run backfills of a range)."""

from __future__ import annotations

import dagster as dg

from pipelines.partitions import monthly_partitions

MONTHLY_JOB_NAME = "lagesbild_monthly"

monthly_job = dg.define_asset_job(
    name=MONTHLY_JOB_NAME,
    # everything but the tertial review (group `review`): it has tertial partitions and its own job
    selection=dg.AssetSelection.all() - dg.AssetSelection.groups("review"),
    partitions_def=monthly_partitions,
    executor_def=dg.in_process_executor,
    description=(
        "Landing zone → raw → dbt (staging, intermediate, marts, tests) → publication, for one "
        "month or, as a single run, for a range of months (backfill). In-process: one writer "
        "of the DuckDB build database at a time."
    ),
    tags={"dagster/max_retries": 0},
)
