"""Jobs: the monthly run, the two halves a long backfill is split into, and the tertial review.

`lagesbild_monthly` runs everything for one month (what the schedule, the sensor and the UI
launch). A backfill over many months runs as two single runs: `lagesbild_ingest` over the
partition range, then `lagesbild_build_publish` as of the range's last month with the dbt window
widened to the whole range (tag `lagesbild/window_start`). Same assets, same checks, same gate;
the split only avoids Dagster recording every dbt model and dbt test once per month of the range
(≈32,000 check rows for 94 months), which cost more than the ingest itself.
`lagesbild_tertial_review` reviews one complete tertial. `lagesbild_measures_register` then
`lagesbild_effects` evaluate registered measures (`lagesbild evaluate`). Every job runs
in-process: one writer of the DuckDB build database at a time; every job carries the run tag
`lagesbild/build_db`, which the instance's run queue admits one at a time.
"""

from __future__ import annotations

import dagster as dg

from assets.ingest.assets import INGEST_KEYS, MEASURES_KEY
from assets.partitions import measure_partitions, monthly_partitions, tertial_partitions
from assets.policy import EFFECTS, INGEST, REVIEW, WRITER_RUN_TAGS

MONTHLY_JOB_NAME = "lagesbild_monthly"
INGEST_JOB_NAME = "lagesbild_ingest"
BUILD_PUBLISH_JOB_NAME = "lagesbild_build_publish"
TERTIAL_JOB_NAME = "lagesbild_tertial_review"
REGISTER_JOB_NAME = "lagesbild_measures_register"
EFFECTS_JOB_NAME = "lagesbild_effects"

_EVERYTHING_MONTHLY = dg.AssetSelection.all() - REVIEW.selection - EFFECTS.selection

monthly_job = dg.define_asset_job(
    name=MONTHLY_JOB_NAME,
    # everything but the tertial review and the effect evaluation: they have their own
    # partitions (tertials, measures) and jobs
    selection=_EVERYTHING_MONTHLY,
    partitions_def=monthly_partitions,
    executor_def=dg.in_process_executor,
    description=(
        "Landing zone → raw → dbt (staging, intermediate, marts, tests) → publication, for one "
        "month or, as a single run, for a range of months (backfill). In-process: one writer "
        "of the DuckDB build database at a time."
    ),
    tags=WRITER_RUN_TAGS,
)

ingest_job = dg.define_asset_job(
    name=INGEST_JOB_NAME,
    selection=INGEST.selection.without_checks(),
    partitions_def=monthly_partitions,
    executor_def=dg.in_process_executor,
    description=(
        "First half of a backfill: validate, archive and load the landing-zone deliveries of a "
        "range of months into `raw` (one single run over the range). Their quality checks run "
        f"in `{BUILD_PUBLISH_JOB_NAME}`, before publication."
    ),
    tags=WRITER_RUN_TAGS,
)

build_publish_job = dg.define_asset_job(
    name=BUILD_PUBLISH_JOB_NAME,
    selection=(_EVERYTHING_MONTHLY - INGEST.selection)
    | dg.AssetSelection.checks_for_assets(*INGEST_KEYS),
    partitions_def=monthly_partitions,
    executor_def=dg.in_process_executor,
    description=(
        "Second half of a backfill: the checks of the ingested sources, dbt build (window from "
        "tag `lagesbild/window_start` to the run's month), the GX suites and publication as of "
        "the run's month."
    ),
    tags=WRITER_RUN_TAGS,
)

tertial_review_job = dg.define_asset_job(
    name=TERTIAL_JOB_NAME,
    selection=REVIEW.selection,
    partitions_def=tertial_partitions,
    executor_def=dg.in_process_executor,
    description=(
        "Tertial review for one complete tertial: statistics tables, findings, area index, "
        "republication and the national and regional HTML reports."
    ),
    tags=WRITER_RUN_TAGS,
)

register_job = dg.define_asset_job(
    name=REGISTER_JOB_NAME,
    selection=dg.AssetSelection.assets(MEASURES_KEY),
    executor_def=dg.in_process_executor,
    description=(
        "The register of measures alone: validate and load `landing/measures/measures.csv` "
        "into raw.measures with its GX suite, and bring the `measures` partitions in step "
        f"(the first half of `lagesbild evaluate`; `{EFFECTS_JOB_NAME}` is the second)."
    ),
    tags=WRITER_RUN_TAGS,
)

effects_job = dg.define_asset_job(
    name=EFFECTS_JOB_NAME,
    selection=EFFECTS.selection,
    partitions_def=measure_partitions,
    executor_def=dg.in_process_executor,
    description=(
        "Effect evaluation of one measure or, as a single run, of a range of measures: the "
        "tables marts.fct_measure_effect and marts.fct_measure_event_study, their GX suites, "
        "the HTML reports, and republication through the gate."
    ),
    tags=WRITER_RUN_TAGS,
)
