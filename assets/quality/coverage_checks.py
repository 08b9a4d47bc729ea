"""Coverage checks on the raw monthly sources: missing is not zero, even when every line is valid.

`coverage_complete` on each `raw/<source>` (required by the publish gate) fails when a unit —
police region, county, municipality, LPO or area — is absent or implausibly low in a month the
run publishes (`lagesbild.quality.delivery_coverage`); `coverage_drop` (severity WARN, never
required) lists the smaller, merely unusual drops of the event sources. Both are evaluated in
one step over every month the run covers: its partition, its partition range, or the widened
window of a backfill's build half.

`coverage_complete` is Dagster-blocking: the run stops before dbt builds anything on a delivery
with a hole (the check's own op reads only raw assets, all upstream of the one dbt step, so
the `dbt build` is not split — unlike a blocking GX suite on a source, whose op also reads the
marts; see `assets/quality/checks.py`). The publish gate requires it as well, so a run that
selects only the publish step (or the tertial review's republication) is refused too.
"""

from collections.abc import Iterator
from datetime import date

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.partitions import PARTITION_TAG, RANGE_END_TAG, RANGE_START_TAG, WINDOW_START_TAG
from assets.policy import BUILD_POOL, COVERAGE_CHECK, COVERAGE_DROP_CHECK
from lagesbild.ingest.raw_store import raw_table
from lagesbild.months import month_start, months_in_range
from lagesbild.quality.config import QualityConfig
from lagesbild.quality.delivery_coverage import EVENT_SOURCES, SourceCoverage, source_coverage
from lagesbild.quality.suites import latest_delivered_month
from lagesbild.settings import MONTHLY_SOURCES

SOURCE_KEYS = {source: dg.AssetKey(["raw", raw_table(source)]) for source in MONTHLY_SOURCES}
"""Monthly source → its raw asset key."""


def _complete_spec(source: str, key: dg.AssetKey) -> dg.AssetCheckSpec:
    rule = (
        "no police region, county, municipality, LPO or area is absent or implausibly low "
        "against its own history (expected count from the same months of earlier years and "
        "the last 12 months, with season and trend)"
        if source in EVENT_SOURCES
        else "no unit delivered last month is absent now, unless the geography says it ceased"
    )
    return dg.AssetCheckSpec(
        name=COVERAGE_CHECK,
        asset=key,
        description=f"Coverage of {source} — required for publication: {rule}. "
        "Thresholds: LAGESBILD_COVERAGE_* (docs/coverage.md).",
        blocking=True,
        metadata={"required_for_publication": True},
    )


def _drop_spec(source: str, key: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        name=COVERAGE_DROP_CHECK,
        asset=key,
        description=f"Unusual but not implausible drops of a unit's {source} against its own "
        "history — a warning, not blocking (LAGESBILD_COVERAGE_WARN_P).",
        metadata={"required_for_publication": False},
    )


SPECS = [_complete_spec(source, key) for source, key in SOURCE_KEYS.items()] + [
    _drop_spec(source, SOURCE_KEYS[source]) for source in EVENT_SOURCES
]


def checked_months(tags: dict[str, str], latest: date | None) -> list[date]:
    """Every month the run publishes: its window, its range, its partition, else the latest."""
    end = tags.get(RANGE_END_TAG) or tags.get(PARTITION_TAG)
    start = tags.get(WINDOW_START_TAG) or tags.get(RANGE_START_TAG) or end
    if end and start:
        return [month_start(key) for key in months_in_range(start, end)]
    return [latest] if latest else []


def _results(
    coverage: SourceCoverage, key: dg.AssetKey, selected: set[dg.AssetCheckKey]
) -> Iterator[dg.AssetCheckResult]:
    metadata = coverage.metadata()
    if dg.AssetCheckKey(key, COVERAGE_CHECK) in selected:
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=COVERAGE_CHECK,
            passed=coverage.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            description=coverage.description(),
            metadata={
                **metadata,
                "blocking_units": dg.MetadataValue.md(
                    "\n".join(f"- {f.summary()}" for f in coverage.blocks) or "none"
                ),
            },
        )
    if dg.AssetCheckKey(key, COVERAGE_DROP_CHECK) in selected:
        yield dg.AssetCheckResult(
            asset_key=key,
            check_name=COVERAGE_DROP_CHECK,
            passed=not coverage.warnings,
            severity=dg.AssetCheckSeverity.WARN,
            description=coverage.warning_description(),
            metadata={
                "source": coverage.source,
                "months": metadata["months"],
                "warnings": metadata["warnings"],
            },
        )


@dg.multi_asset_check(
    name="coverage_checks",
    specs=SPECS,
    can_subset=True,
    pool=BUILD_POOL,
    description="Coverage completeness of the monthly sources (lagesbild.quality.coverage).",
)
def coverage_checks(
    context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource
) -> Iterator[dg.AssetCheckResult]:
    config = QualityConfig.from_env()
    selected = set(context.selected_asset_check_keys)
    with warehouse.get_connection() as conn:
        months = checked_months(dict(context.run.tags), latest_delivered_month(conn))
        for source, key in SOURCE_KEYS.items():
            wanted = {dg.AssetCheckKey(key, name) for name in (COVERAGE_CHECK, COVERAGE_DROP_CHECK)}
            if not wanted & selected:
                continue
            coverage = source_coverage(conn, source, months, config)
            for finding in coverage.blocks:
                context.log.error(f"coverage: {finding.summary()}")
            yield from _results(coverage, key, selected)


REQUIRED_COVERAGE_CHECK_KEYS = [
    spec.key for spec in coverage_checks.check_specs if spec.name == COVERAGE_CHECK
]
"""Every `coverage_complete` check: the publish gate requires each to have passed."""
