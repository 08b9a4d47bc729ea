"""The Dagster code location: every stage's assets and checks, the jobs, schedules and sensors.

Policy (owners, groups, kinds, pools, check names) is declared once in `assets/policy.py` and
applied where each stage defines its assets; this module only assembles.
"""

from __future__ import annotations

import dagster as dg

from assets.effects.assets import effects_assets
from assets.ingest.assets import ingest_assets
from assets.publish.assets import lagesbild_warehouse
from assets.quality.checks import quality_checks
from assets.quality.coverage_checks import coverage_checks
from assets.reports.assets import reports_assets
from assets.resources import build_resources
from assets.review.assets import review_assets
from assets.warehouse.dbt_assets import lagesbild_dbt
from lagesbild.settings import DataPaths
from pipelines.jobs import (
    build_publish_job,
    effects_job,
    ingest_job,
    monthly_job,
    register_job,
    tertial_review_job,
)
from pipelines.scb_fetch import scb_population_fetch
from pipelines.schedules import monthly_schedule, tertial_review_schedule
from pipelines.sensors import landing_zone_sensor


def build_definitions(paths: DataPaths | None = None) -> dg.Definitions:
    """Definitions bound to one data directory (default: $LAGESBILD_DATA_DIR or ./data)."""
    return dg.Definitions(
        assets=[
            *ingest_assets,
            lagesbild_dbt,
            lagesbild_warehouse,
            *reports_assets,
            *review_assets,
            *effects_assets,
        ],
        asset_checks=[*quality_checks, coverage_checks],
        jobs=[
            monthly_job,
            ingest_job,
            build_publish_job,
            scb_population_fetch,
            tertial_review_job,
            register_job,
            effects_job,
        ],
        schedules=[monthly_schedule, tertial_review_schedule],
        sensors=[landing_zone_sensor],
        resources=build_resources(paths or DataPaths.from_env()),
    )


defs = build_definitions()
