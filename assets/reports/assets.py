"""The monthly regional lägesbild as an asset: downstream of the publication, one per month."""

import dagster as dg
from pydantic import Field

from assets.partitions import monthly_partitions
from assets.policy import REPORTS
from assets.publish.assets import PUBLISHED_WAREHOUSE_KEY
from assets.resources import LagesbildSettings
from lagesbild.reports.monthly import (
    AREA_INDEX,
    DEFAULT_MAP_INDICATOR,
    NATIONAL_SLUG,
    reports_dir,
    write_monthly_pages,
)
from lagesbild.reports.monthly_inputs import MonthNotPublished
from lagesbild.review.inputs import is_synthetic_data

MONTHLY_LAGESBILD_KEY = dg.AssetKey(["reports", "monthly_lagesbild"])


class MonthlyLagesbildConfig(dg.Config):
    """What the pages' map is shaded by."""

    map_indicator: str = Field(
        default=DEFAULT_MAP_INDICATOR,
        description=(
            "A count indicator of marts.dim_indicator (its rolling-12-month rate per 1,000 "
            f"inhabitants), or `{AREA_INDEX}` for the latest published objective area index."
        ),
    )


@dg.asset(
    key=MONTHLY_LAGESBILD_KEY,
    description=(
        "The monthly regional lägesbild: one self-contained offline HTML page for the nation "
        "and one per police region at `<data>/reports/monthly/<YYYY-MM>/<slug>.html` (slug "
        "`nationell` or the region slug), printable on A4, read from the PUBLISHED warehouse. "
        "The month and the rolling 12 months of every indicator at region, LPO and area level, "
        "the change against a year earlier with its exact 95 % interval, small numbers flagged, "
        "undelivered months as missing (never zero), områdespoliser per 5,000 against the goal, "
        "and a map of the region's areas from the police's 2025 polygons, shaded by a chosen "
        "indicator (config `map_indicator`). A range run writes only its last month's pages; a "
        "refused publication writes none (this step does not run, and it refuses a month that "
        "is not in the published file)."
    ),
    deps=[PUBLISHED_WAREHOUSE_KEY],
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    **REPORTS.asset_kwargs(),
)
def monthly_lagesbild(
    context: dg.AssetExecutionContext, config: MonthlyLagesbildConfig, settings: LagesbildSettings
) -> dg.MaterializeResult:
    month = context.partition_keys[-1]
    paths = settings.paths
    try:
        pages = write_monthly_pages(
            paths.publish_db,
            paths.root,
            month,
            is_synthetic=is_synthetic_data(paths),
            map_indicator=config.map_indicator,
        )
    except (MonthNotPublished, ValueError) as error:
        raise dg.Failure(
            f"Monthly lägesbild {month} not written: {error}", allow_retries=False
        ) from error
    context.log.info(
        f"Monthly lägesbild {month}: {len(pages)} pages in {reports_dir(paths.root, month)}"
    )
    return dg.MaterializeResult(
        metadata={
            "month": month,
            "report_dir": dg.MetadataValue.path(str(reports_dir(paths.root, month))),
            "national_page": dg.MetadataValue.path(str(pages[NATIONAL_SLUG])),
            "pages": dg.MetadataValue.json({slug: str(path) for slug, path in pages.items()}),
            "page_count": len(pages),
            "map_indicator": config.map_indicator,
            "source": dg.MetadataValue.path(str(paths.publish_db)),
            "synthetic_data": is_synthetic_data(paths),
        }
    )


reports_assets = [monthly_lagesbild]
