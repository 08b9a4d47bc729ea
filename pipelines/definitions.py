"""The Dagster code location: every stage's assets, the jobs and schedules, and resources."""

from __future__ import annotations

import dagster as dg

from assets.ingest.assets import ingest_assets
from assets.publish.assets import lagesbild_warehouse
from assets.quality.checks import quality_checks
from assets.review.assets import review_assets
from assets.review.jobs import tertial_review_job
from assets.review.schedules import tertial_review_schedule
from assets.warehouse.dbt_assets import lagesbild_dbt
from pipelines.jobs import build_publish_job, ingest_job, monthly_job
from pipelines.resources import build_resources
from pipelines.scb_fetch import scb_population_fetch
from pipelines.schedules import monthly_schedule
from pipelines.sensors import landing_zone_sensor
from pipelines.settings import DataPaths


def build_definitions(paths: DataPaths | None = None) -> dg.Definitions:
    """Definitions bound to one data directory (default: $LAGESBILD_DATA_DIR or ./data)."""
    return dg.Definitions(
        assets=[*ingest_assets, lagesbild_dbt, lagesbild_warehouse, *review_assets],
        asset_checks=quality_checks,
        jobs=[monthly_job, ingest_job, build_publish_job, scb_population_fetch, tertial_review_job],
        schedules=[monthly_schedule, tertial_review_schedule],
        sensors=[landing_zone_sensor],
        resources=build_resources(paths or DataPaths.from_env()),
    )


defs = build_definitions()
