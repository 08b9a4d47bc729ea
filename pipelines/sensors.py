"""The landing-zone sensor: launch a month's run once its delivery is complete.

A month is complete when every monthly source has a file for it. Each launch carries a run key
made of the month and a fingerprint of its files (name, size, modification time), so the same
delivery never runs twice, while a corrected file (a revision) launches a new run. Months that
were already ingested when the sensor first looks are recorded, not re-run.
"""

import json
from datetime import UTC, datetime

import dagster as dg

from assets.partitions import monthly_partitions
from assets.resources import LagesbildSettings
from lagesbild.ingest.landing import find_delivery
from lagesbild.settings import MONTHLY_SOURCES, DataPaths
from pipelines.jobs import monthly_job

OFFENCES_KEY = dg.AssetKey(["raw", "offences"])


def delivery_fingerprints(paths: DataPaths) -> dict[str, str]:
    """month → fingerprint of its files, for every month with a complete delivery."""
    candidate_months = {
        path.stem
        for path in paths.landing_source(MONTHLY_SOURCES[0]).glob(
            "[0-9][0-9][0-9][0-9]-[0-9][0-9].*"
        )
    }
    complete: dict[str, str] = {}
    for month in sorted(candidate_months):
        parts = []
        for source in MONTHLY_SOURCES:
            try:
                file = find_delivery(paths.landing_source(source), month)
            except ValueError:
                file = None
            if file is None:
                break
            stat = file.stat()
            parts.append(f"{source}/{file.name}:{stat.st_size}:{stat.st_mtime_ns}")
        else:
            complete[month] = "|".join(parts)
    return complete


def plan_runs(
    fingerprints: dict[str, str],
    seen: dict[str, str],
    materialized: set[str],
    valid_months: set[str],
) -> tuple[list[tuple[str, str]], dict[str, str], list[str]]:
    """Decide which months to launch: (month, run_key) pairs, the new cursor, skipped months."""
    requests: list[tuple[str, str]] = []
    skipped: list[str] = []
    cursor = dict(seen)
    first_look = not seen
    for month, fingerprint in sorted(fingerprints.items()):
        if month not in valid_months:
            skipped.append(month)
            continue
        if seen.get(month) == fingerprint:
            continue
        cursor[month] = fingerprint
        if first_look and month in materialized:
            continue
        requests.append((month, f"{month}@{fingerprint}"))
    return requests, cursor, skipped


@dg.sensor(
    job=monthly_job,
    minimum_interval_seconds=30,
    description="Launches the monthly run when all monthly sources have delivered a month "
    "(and again when a delivered file is corrected).",
)
def landing_zone_sensor(
    context: dg.SensorEvaluationContext, settings: LagesbildSettings
) -> dg.SensorResult:
    seen = json.loads(context.cursor) if context.cursor else {}
    now = datetime.now(tz=UTC)
    valid_months = set(monthly_partitions.get_partition_keys(current_time=now))
    materialized = set(context.instance.get_materialized_partitions(OFFENCES_KEY))
    requests, cursor, skipped = plan_runs(
        delivery_fingerprints(settings.paths), seen, materialized, valid_months
    )
    for month in skipped:
        context.log.warning(f"{month}: delivery for a month that has not ended yet — ignored")
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(run_key=run_key, partition_key=month) for month, run_key in requests
        ],
        cursor=json.dumps(cursor, sort_keys=True),
    )
