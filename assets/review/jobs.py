"""The tertial review job: one tertial partition, in-process (it writes the build database)."""

from __future__ import annotations

import dagster as dg

from assets.review.assets import GROUP_REVIEW
from pipelines.review.tertials import tertial_partitions

TERTIAL_JOB_NAME = "lagesbild_tertial_review"

tertial_review_job = dg.define_asset_job(
    name=TERTIAL_JOB_NAME,
    selection=dg.AssetSelection.groups(GROUP_REVIEW),
    partitions_def=tertial_partitions,
    executor_def=dg.in_process_executor,
    description=(
        "Tertial review for one complete tertial: statistics tables, findings, area index, "
        "republication and the national and regional HTML reports."
    ),
    tags={"dagster/max_retries": 0},
)
