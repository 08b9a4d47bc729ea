"""The publish gate, and the one function every publication goes through.

A blocking check stops downstream steps only inside its run; a run that selects just the
publish step would not be gated. So publication asks the Dagster instance, for every required
check (the GX suites and the dbt tests with severity error on the publication's upstream
assets): is its latest evaluation a pass, and does it belong to the asset's current (latest)
materialization? Anything else — failed, skipped, never evaluated, or evaluated on an older
materialization — refuses publication, naming the check. `publish_through_gate` is the only
way to publish: the monthly publication and the tertial review's republication both call it.
"""

from __future__ import annotations

from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus
from dagster_duckdb import DuckDBResource

from assets.quality.checks import REQUIRED_QUALITY_CHECK_KEYS, REQUIRED_WHEN_PRESENT
from assets.quality.coverage_checks import REQUIRED_COVERAGE_CHECK_KEYS
from assets.warehouse.dbt_assets import lagesbild_dbt
from lagesbild.ingest.raw_store import missing_sources
from lagesbild.months import month_start
from lagesbild.publish.docs_site import (
    discard_publication_docs,
    draw_publication_docs,
    keep_publication_docs,
)
from lagesbild.publish.gate import GateReport
from lagesbild.publish.publisher import MONTHLY, Publication, PublicationError, publish
from lagesbild.quality.config import disclosure_threshold
from lagesbild.settings import MONTHLY_SOURCES, DataPaths


def required_check_keys(present: Collection[str] = ()) -> list[dg.AssetCheckKey]:
    """Every coverage check, GX suite check and blocking dbt test (severity error), sorted —
    and the suite of every Python-written mart among the `present` tables (the effect tables)."""
    dbt_blocking = [spec.key for spec in lagesbild_dbt.check_specs if spec.blocking]
    keys = {*REQUIRED_COVERAGE_CHECK_KEYS, *REQUIRED_QUALITY_CHECK_KEYS, *dbt_blocking}
    keys |= {key for table, key in REQUIRED_WHEN_PRESENT.items() if table in present}
    return sorted(
        keys,
        key=lambda key: (
            # in messages: coverage (a unit missing) first, then the GX suites, then dbt
            key not in REQUIRED_COVERAGE_CHECK_KEYS,
            key not in REQUIRED_QUALITY_CHECK_KEYS,
            key.asset_key.to_user_string(),
            key.name,
        ),
    )


def _targets_current(record: Any, target: Any, materialization: Any) -> bool:
    """The evaluation belongs to the asset's latest materialization.

    Dagster records the materialization a check evaluated; where it does not (it leaves it
    empty for some assets), the evaluation must at least be newer than that materialization.
    """
    if target is not None:
        return target.run_id == materialization.run_id
    return record.event is not None and record.event.timestamp >= materialization.timestamp


EVALUATED = (AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED)


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
        # a PLANNED record carries the planned event, not an evaluation
        evaluated = record is not None and record.status in EVALUATED
        evaluation = record.evaluation if evaluated else None
        target = evaluation.target_materialization_data if evaluation is not None else None
        entry: dict[str, Any] = {"check": label, "run_id": record.run_id if record else None}
        if materialization is None:
            problem = "the asset has never been materialized"
        elif record is None:
            problem = "was never evaluated"
        elif record.status == AssetCheckExecutionRecordStatus.PLANNED:
            problem = f"was planned in run {record.run_id} but not evaluated (the run stopped)"
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
        report.add(entry, label, problem)
    return report


def python_marts_present(conn: duckdb.DuckDBPyConnection) -> set[str]:
    """The Python-written marts (with suites in REQUIRED_WHEN_PRESENT) in the build database."""
    rows = conn.execute(
        "select table_schema || '.' || table_name from information_schema.tables"
    ).fetchall()
    return {row[0] for row in rows} & set(REQUIRED_WHEN_PRESENT)


@dataclass(frozen=True)
class GatedPublication:
    publication: Publication
    gate: GateReport
    docs: Path | None


def _published_line(publication: Publication, month: str) -> str:
    """The log line of a publication: what it kept of the previous one, if anything."""
    line = f"Published {publication.path} for {month}"
    reused = publication.reused_tables
    patched = publication.patched_months
    if not reused and not patched:
        return line
    detail = (
        f"{len(reused)} of {len(publication.row_counts)} tables kept from a copy of the "
        "previous publication"
    )
    if patched:
        months = sorted({month for table_months in patched.values() for month in table_months})
        detail += f", {len(patched)} patched for {', '.join(months)}"
    detail += ", the others written"
    parquet_kept = sum(len(tables) for tables in publication.region_parquet_kept.values())
    if parquet_kept:
        parquet_files = sum(len(files) for files in publication.region_parquet.values())
        detail += f"; {parquet_kept} of {parquet_files} region Parquet files kept their rows"
    return f"{line} ({detail})"


def publish_through_gate(
    context: dg.AssetExecutionContext,
    paths: DataPaths,
    warehouse: DuckDBResource,
    month: str,
    *,
    draw_docs: bool = True,
    kind: str = MONTHLY,
    covers: str | None = None,
) -> GatedPublication:
    """Publish the build database as of `month` — only if the month is complete and the gate
    passes; otherwise raise a `dg.Failure` naming why, leaving the last publication in place.

    The GX Data Docs site (`draw_docs`) is drawn while the publication is built (GX rendering
    is pure Python, the publication mostly DuckDB) and named only if the publication stands.
    A republication (the tertial review's) draws none: its checks are the monthly run's.
    """
    with warehouse.get_connection() as conn:
        absent = missing_sources(conn, month_start(month), MONTHLY_SOURCES)
        present = python_marts_present(conn)
    if absent:
        raise dg.Failure(
            f"Publication refused: {month} is incomplete — no accepted delivery from "
            f"{', '.join(absent)}. Missing is not zero; the previous publication stays in place.",
            allow_retries=False,
        )
    gate = verify_required_checks(context.instance, required_check_keys(present))
    if not gate.passed:
        raise dg.Failure(
            f"Publication refused: {gate.message()}\nThe previous publication stays in place.",
            metadata={"failed_checks": dg.MetadataValue.json(gate.failures)},
            allow_retries=False,
        )
    run_id = context.run_id
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gx-docs") as pool:
        drawing = pool.submit(
            draw_publication_docs if draw_docs else lambda *_: None,
            paths,
            gate.gx_results_dirs(),
            month,
            run_id,
        )
        try:
            publication = publish(
                paths,
                month=month,
                run_id=run_id,
                check_results=gate.results,
                disclosure_threshold=disclosure_threshold(),
                kind=kind,
                covers=covers,
            )
        except BaseException as error:
            wait([drawing])
            discard_publication_docs(paths, month, run_id)
            if isinstance(error, PublicationError):
                raise dg.Failure(f"Publication refused: {error}", allow_retries=False) from error
            raise
        context.log.info(_published_line(publication, month))
        try:
            docs = keep_publication_docs(paths, month, run_id) if drawing.result() else None
        except Exception as error:  # the publication stands; the docs site is a by-product
            context.log.warning(f"GX Data Docs not built: {type(error).__name__}: {error}")
            discard_publication_docs(paths, month, run_id)
            docs = None
    return GatedPublication(publication, gate, docs)
