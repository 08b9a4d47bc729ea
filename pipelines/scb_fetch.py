"""The job that fetches population from SCB's live API into the landing zone."""

import dagster as dg

from assets.resources import LagesbildSettings, ScbPopulationResource
from lagesbild.ingest.jsonstat import JsonStatError
from lagesbild.ingest.scb import ScbUnavailable


class FetchPopulationConfig(dg.Config):
    year: int


@dg.op(
    description="Fetch one year of population per DeSO from SCB into the landing zone. "
    "Retried only when SCB is unreachable or overloaded (RetryRequested), never on bad data."
)
def fetch_population_from_scb(
    context: dg.OpExecutionContext,
    config: FetchPopulationConfig,
    scb: ScbPopulationResource,
    settings: LagesbildSettings,
) -> None:
    try:
        path, rows = scb.client.save_year(config.year, settings.paths.landing_source("population"))
    except ScbUnavailable as error:
        raise dg.RetryRequested(max_retries=3, seconds_to_wait=30) from error
    except (JsonStatError, ValueError) as error:
        raise dg.Failure(
            f"SCB's answer for {config.year} is not a usable JSON-stat2 population dataset: "
            f"{error}",
            allow_retries=False,
        ) from error
    context.log.info(f"Wrote {rows} population cells to {path}")


@dg.job(description="Fetch population from SCB's live API into the landing zone (needs network).")
def scb_population_fetch() -> None:
    fetch_population_from_scb()
