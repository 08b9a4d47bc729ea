"""Running the jobs from Python (the CLI and the tests): one month, a range, or a tertial review."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import dagster as dg

from assets.partitions import (
    MEASURE_PARTITIONS_NAME,
    RANGE_END_TAG,
    RANGE_START_TAG,
    WINDOW_START_TAG,
)
from lagesbild.review.tertials import label_to_partition_key
from lagesbild.settings import DataPaths
from pipelines.jobs import (
    BUILD_PUBLISH_JOB_NAME,
    EFFECTS_JOB_NAME,
    INGEST_JOB_NAME,
    MONTHLY_JOB_NAME,
    REGISTER_JOB_NAME,
    TERTIAL_JOB_NAME,
)
from pipelines.seeds import reference_is_current, without_reference


@dataclass(frozen=True)
class RunOutcome:
    success: bool
    run_id: str  # the run that built and published (the last run)
    failures: list[str]
    ingest_run_id: str = ""  # the run that loaded the deliveries (same run for one month)

    def __post_init__(self) -> None:
        if not self.ingest_run_id:
            object.__setattr__(self, "ingest_run_id", self.run_id)


def range_tags(start: str, end: str) -> dict[str, str]:
    """Tags that make one run cover the partition range start..end (a single-run backfill)."""
    return {RANGE_START_TAG: start, RANGE_END_TAG: end}


def failure_messages(result: dg.ExecuteInProcessResult) -> list[str]:
    """The user-facing reason of every failed step (Failure descriptions or error messages).

    A failed Dagster-blocking check only says which check failed; its reason (the check's
    description, e.g. the units missing from a delivery) is added below it.
    """
    messages: list[str] = []
    for event in result.all_events:
        if event.event_type != dg.DagsterEventType.STEP_FAILURE:
            continue
        data = event.step_failure_data
        if data.user_failure_data and data.user_failure_data.description:
            messages.append(f"[{event.step_key}] {data.user_failure_data.description}")
        elif data.error is not None:
            cause = data.error.cause.message if data.error.cause else data.error.message
            messages.append(f"[{event.step_key}] {cause.strip()}")
            if data.error.cls_name == BLOCKING_CHECK_FAILED:
                messages += _failed_check_reasons(result, event.step_key)
    return messages


BLOCKING_CHECK_FAILED = "DagsterAssetCheckFailedError"


def _failed_check_reasons(result: dg.ExecuteInProcessResult, step_key: str | None) -> list[str]:
    """`asset:check FAILED: description` for every failed ERROR check of one step."""
    return [
        f"[{step_key}] {evaluation.asset_check_key.asset_key.to_user_string()}:"
        f"{evaluation.check_name} FAILED: {evaluation.description}"
        for evaluation in result.get_asset_check_evaluations()
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
    ]


RunWatcher = Callable[[dg.DagsterInstance, str], None]
"""Called with the instance and the run id just before a run is created (the console)."""


def _execute(
    defs: dg.Definitions,
    job_name: str,
    instance: dg.DagsterInstance,
    watch: RunWatcher | None,
    leave_out_reference: bool = False,
    **kwargs: Any,
) -> dg.ExecuteInProcessResult:
    run_id = str(uuid.uuid4())
    job = defs.resolve_job_def(job_name)
    if leave_out_reference:
        job = without_reference(job)
    if watch is not None:
        watch(instance, run_id)
    return job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False, **kwargs)


def run_months(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    start: str,
    end: str | None = None,
    watch: RunWatcher | None = None,
    paths: DataPaths | None = None,
) -> RunOutcome:
    """Run one month (the monthly job) or `start..end` (ingest run, then build-and-publish run).

    With the data directory's `paths`, a build whose reference layer (seeds, and the models
    built only from them and the geography) is current leaves it out (`pipelines/seeds.py`);
    without, every build builds and tests it.
    """
    leave_out_reference = paths is not None and reference_is_current(instance, paths)
    if end is None or end == start:
        result = _execute(
            defs, MONTHLY_JOB_NAME, instance, watch, leave_out_reference, partition_key=start
        )
        return RunOutcome(result.success, result.run_id, failure_messages(result))
    ingest = _execute(defs, INGEST_JOB_NAME, instance, watch, tags=range_tags(start, end))
    if not ingest.success:
        return RunOutcome(False, ingest.run_id, failure_messages(ingest))
    build = _execute(
        defs,
        BUILD_PUBLISH_JOB_NAME,
        instance,
        watch,
        leave_out_reference,
        partition_key=end,
        tags={WINDOW_START_TAG: start},
    )
    return RunOutcome(build.success, build.run_id, failure_messages(build), ingest.run_id)


def run_tertial_review(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    label: str,
    watch: RunWatcher | None = None,
) -> RunOutcome:
    """Materialize the tertial review partition of `label` (`YYYY-Tn`)."""
    result = _execute(
        defs, TERTIAL_JOB_NAME, instance, watch, partition_key=label_to_partition_key(label)
    )
    return RunOutcome(result.success, result.run_id, failure_messages(result))


@dataclass(frozen=True)
class EvaluationOutcome:
    outcome: RunOutcome
    measure_ids: list[str]  # the measures the run evaluated (empty: nothing registered)


def run_effect_evaluation(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    measure_id: str | None = None,
    watch: RunWatcher | None = None,
) -> EvaluationOutcome:
    """Load the register (one run), then evaluate one measure or all (one single run)."""
    register = _execute(defs, REGISTER_JOB_NAME, instance, watch)
    if not register.success:
        return EvaluationOutcome(RunOutcome(False, register.run_id, failure_messages(register)), [])
    keys = instance.get_dynamic_partitions(MEASURE_PARTITIONS_NAME)
    if measure_id is not None and measure_id not in keys:
        message = (
            f"measure {measure_id!r} is not in the register (registered: "
            f"{', '.join(keys) or 'none'})"
        )
        return EvaluationOutcome(RunOutcome(False, register.run_id, [message]), [])
    if not keys:
        return EvaluationOutcome(RunOutcome(True, register.run_id, []), [])
    if measure_id is not None:
        result = _execute(defs, EFFECTS_JOB_NAME, instance, watch, partition_key=measure_id)
        evaluated = [measure_id]
    else:
        result = _execute(
            defs, EFFECTS_JOB_NAME, instance, watch, tags=range_tags(keys[0], keys[-1])
        )
        evaluated = list(keys)
    outcome = RunOutcome(result.success, result.run_id, failure_messages(result), register.run_id)
    return EvaluationOutcome(outcome, evaluated)


def landing_months(paths: DataPaths, source: str = "offences") -> list[str]:
    """The months for which the landing zone holds a delivery of `source`, sorted."""
    folder = paths.landing_source(source)
    stems = {path.stem for path in folder.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9].*")}
    return sorted(stems)
