"""Jobs: the monthly run, and the two halves a long backfill is split into.

`lagesbild_monthly` runs everything for one month (what the schedule, the sensor and the UI
launch). A backfill over many months runs as two single runs: `lagesbild_ingest` over the
partition range, then `lagesbild_build_publish` as of the range's last month with the dbt window
widened to the whole range (tag `lagesbild/window_start`). Same assets, same checks, same gate;
the split only avoids Dagster recording every dbt model and dbt test once per month of the range
(≈32,000 check rows for 94 months), which cost more than the ingest itself.
"""

from __future__ import annotations

import dagster as dg

from assets.ingest.assets import ingest_assets
from pipelines.partitions import monthly_partitions
from pipelines.policy import GROUP_INGEST

MONTHLY_JOB_NAME = "lagesbild_monthly"
INGEST_JOB_NAME = "lagesbild_ingest"
BUILD_PUBLISH_JOB_NAME = "lagesbild_build_publish"

_INGEST = dg.AssetSelection.groups(GROUP_INGEST)
INGEST_KEYS = [asset.key for asset in ingest_assets]
_EVERYTHING_MONTHLY = dg.AssetSelection.all() - dg.AssetSelection.groups("review")

monthly_job = dg.define_asset_job(
    name=MONTHLY_JOB_NAME,
    # everything but the tertial review (group `review`): it has tertial partitions and its own job
    selection=_EVERYTHING_MONTHLY,
    partitions_def=monthly_partitions,
    executor_def=dg.in_process_executor,
    description=(
        "Landing zone → raw → dbt (staging, intermediate, marts, tests) → publication, for one "
        "month or, as a single run, for a range of months (backfill). In-process: one writer "
        "of the DuckDB build database at a time."
    ),
    tags={"dagster/max_retries": 0},
)

ingest_job = dg.define_asset_job(
    name=INGEST_JOB_NAME,
    selection=_INGEST.without_checks(),
    partitions_def=monthly_partitions,
    executor_def=dg.in_process_executor,
    description=(
        "First half of a backfill: validate, archive and load the landing-zone deliveries of a "
        "range of months into `raw` (one single run over the range). Their quality checks run "
        f"in `{BUILD_PUBLISH_JOB_NAME}`, before publication."
    ),
    tags={"dagster/max_retries": 0},
)

build_publish_job = dg.define_asset_job(
    name=BUILD_PUBLISH_JOB_NAME,
    selection=(_EVERYTHING_MONTHLY - _INGEST) | dg.AssetSelection.checks_for_assets(*INGEST_KEYS),
    partitions_def=monthly_partitions,
    executor_def=dg.in_process_executor,
    description=(
        "Second half of a backfill: the checks of the ingested sources, dbt build (window from "
        "tag `lagesbild/window_start` to the run's month), the GX suites and publication as of "
        "the run's month."
    ),
    tags={"dagster/max_retries": 0},
)
