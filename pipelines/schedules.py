"""Schedules: the monthly run at 06:00 on the 10th (Europe/Stockholm) for the previous month."""

from __future__ import annotations

import dagster as dg

from pipelines.jobs import monthly_job

monthly_schedule = dg.build_schedule_from_partitioned_job(
    monthly_job,
    hour_of_day=6,
    day_of_month=10,
    name="lagesbild_monthly_schedule",
    description="Runs the previous month at 06:00 on the 10th, Swedish time.",
)
