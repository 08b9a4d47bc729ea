"""The publish step's own gate: did every required check pass for the data it publishes?

A blocking check stops downstream steps only inside its run; a run that selects just the
publish step would not be gated. So publish asks the Dagster instance, for every required
check (the blocking GX suites and the dbt tests with severity error on the publication's
upstream assets): is its latest evaluation a pass, and does it belong to the asset's
current (latest) materialization? Anything else — failed, skipped, never evaluated, or
evaluated on an older materialization — refuses publication, naming the check.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

from assets.quality.checks import REQUIRED_QUALITY_CHECK_KEYS
from assets.warehouse.dbt_assets import lagesbild_dbt


def required_check_keys() -> list[dg.AssetCheckKey]:
    """Every GX suite check plus every blocking dbt test (severity error), sorted."""
    dbt_blocking = [spec.key for spec in lagesbild_dbt.check_specs if spec.blocking]
    keys = {*REQUIRED_QUALITY_CHECK_KEYS, *dbt_blocking}
    return sorted(
        keys,
        key=lambda key: (
            key not in REQUIRED_QUALITY_CHECK_KEYS,  # GX suites first in messages
            key.asset_key.to_user_string(),
            key.name,
        ),
    )


@dataclass
class GateReport:
    results: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def message(self, limit: int = 10) -> str:
        """Every failing check by name, then the reasons of the first `limit`."""
        shown = "\n".join(f"  - {failure}" for failure in self.failures[:limit])
        more = len(self.failures) - limit
        tail = f"\n  … and {more} more (see the checks in the UI)" if more > 0 else ""
        return (
            f"{len(self.failures)} required check(s) did not pass: "
            f"{', '.join(self.failed_checks)}\n{shown}{tail}"
        )


def _targets_current(record: Any, target: Any, materialization: Any) -> bool:
    """The evaluation belongs to the asset's latest materialization.

    Dagster records the materialization a check evaluated; where it does not (it leaves it
    empty for some assets), the evaluation must at least be newer than that materialization.
    """
    if target is not None:
        return target.run_id == materialization.run_id
    return record.event is not None and record.event.timestamp >= materialization.timestamp


def verify_required_checks(
    instance: dg.DagsterInstance, keys: list[dg.AssetCheckKey] | None = None
) -> GateReport:
    """Compare each required check's latest evaluation with its asset's latest materialization."""
    keys = keys if keys is not None else required_check_keys()
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    report = GateReport()
    materialized: dict[dg.AssetKey, Any] = {}
    for key in keys:
        asset_key = key.asset_key
        if asset_key not in materialized:
            materialized[asset_key] = instance.get_latest_materialization_event(asset_key)
        materialization = materialized[asset_key]
        label = f"{asset_key.to_user_string()}:{key.name}"
        record = latest.get(key)
        evaluation = record.evaluation if record is not None else None
        target = evaluation.target_materialization_data if evaluation is not None else None
        entry: dict[str, Any] = {"check": label, "run_id": record.run_id if record else None}
        if materialization is None:
            problem = "the asset has never been materialized"
        elif record is None or record.status == AssetCheckExecutionRecordStatus.PLANNED:
            problem = "was never evaluated"
        elif evaluation is None:
            problem = f"has no evaluation (status {record.status.value}) in run {record.run_id}"
        elif not _targets_current(record, target, materialization):
            problem = (
                "was not evaluated on the current materialization (run "
                f"{materialization.run_id or '— reported outside a run'}); "
                f"last evaluated in run {record.run_id}"
            )
        elif not evaluation.passed:
            reason = evaluation.description or "see the check's metadata"
            problem = f"FAILED in run {record.run_id}: {reason}"
        else:
            problem = None
        if evaluation is not None and "gx_results_dir" in evaluation.metadata:
            entry["gx_results_dir"] = str(evaluation.metadata["gx_results_dir"].value)
        entry["passed"] = problem is None
        if problem:
            entry["problem"] = problem
            report.failures.append(f"{label} {problem}")
            report.failed_checks.append(label)
        report.results.append(entry)
    return report
