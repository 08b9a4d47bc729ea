"""Schedules: the monthly run, and the tertial review once a tertial is published.

The monthly run starts at 06:00 on the 10th (Europe/Stockholm) for the previous month. The
tertial schedule is hand-written (the partitioned-schedule builder rejects offsets for custom
crons): 07:00 on the 12th of January, May and September — after the monthly run of the
tertial's last month — it reviews the tertial just ended, or skips with the reason when that
tertial is not completely published yet.
"""

from __future__ import annotations

import dagster as dg

from assets.resources import LagesbildSettings
from lagesbild.months import TIMEZONE
from lagesbild.review.run import NothingPublished, check_complete
from lagesbild.review.tertials import label_to_partition_key, tertial_ended_before
from pipelines.jobs import monthly_job, tertial_review_job

TERTIAL_CRON = "0 7 12 1,5,9 *"

monthly_schedule = dg.build_schedule_from_partitioned_job(
    monthly_job,
    hour_of_day=6,
    day_of_month=10,
    name="lagesbild_monthly_schedule",
    description="Runs the previous month at 06:00 on the 10th, Swedish time.",
)


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
