"""The tertial schedule, hand-written: the partitioned-schedule builder rejects offsets for
custom crons. 07:00 on the 12th of January, May and September (Swedish time) — after the
monthly run of the tertial's last month (06:00 on the 10th) — it reviews the tertial just
ended, or skips with the reason when that tertial is not completely published yet."""

from __future__ import annotations

import dagster as dg

from assets.review.jobs import tertial_review_job
from pipelines.partitions import TIMEZONE
from pipelines.resources import LagesbildSettings
from pipelines.review.run import NothingPublished, check_complete
from pipelines.review.tertials import label_to_partition_key, tertial_ended_before

TERTIAL_CRON = "0 7 12 1,5,9 *"


@dg.schedule(
    name="lagesbild_tertial_review_schedule",
    cron_schedule=TERTIAL_CRON,
    execution_timezone=TIMEZONE,
    job=tertial_review_job,
    description="Reviews the tertial just ended at 07:00 on the 12th of Jan/May/Sep, once its "
    "four months are published; skips (with the reason) otherwise.",
)
def tertial_review_schedule(
    context: dg.ScheduleEvaluationContext, settings: LagesbildSettings
) -> dg.RunRequest | dg.SkipReason:
    label = tertial_ended_before(context.scheduled_execution_time.date())
    try:
        completeness = check_complete(settings.paths, label)
    except NothingPublished as error:
        return dg.SkipReason(str(error))
    if not completeness.is_complete:
        return dg.SkipReason(completeness.message)
    return dg.RunRequest(run_key=label, partition_key=label_to_partition_key(label))
