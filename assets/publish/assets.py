"""The publish asset: the read-only warehouse file the regions query."""

import os
import shutil
from concurrent.futures import ThreadPoolExecutor, wait
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.publish.publisher import PublicationError, publish
from assets.quality.config import disclosure_threshold
from assets.quality.data_docs import build_data_docs
from assets.quality.gate import verify_required_checks
from assets.warehouse.dbt_assets import lagesbild_dbt
from pipelines.partitions import month_start, monthly_partitions
from pipelines.policy import BUILD_POOL, ECONOMICS_DEPARTMENT, GROUP_PUBLISH
from pipelines.resources import LagesbildSettings
from pipelines.settings import MONTHLY_SOURCES, DataPaths

PUBLISHED_WAREHOUSE_KEY = dg.AssetKey(["publish", "lagesbild_warehouse"])
MART_KEYS = sorted(
    (key for key in lagesbild_dbt.keys if key.path[0] == "marts"), key=lambda k: k.to_user_string()
)


def missing_sources(warehouse: DuckDBResource, month_key: str) -> list[str]:
    """Monthly sources with no accepted delivery for the month: a partial month."""
    with warehouse.get_connection() as conn:
        delivered = {
            row[0]
            for row in conn.execute(
                "select source from raw.deliveries where month = ?", [month_start(month_key)]
            ).fetchall()
        }
    return [source for source in MONTHLY_SOURCES if source not in delivered]


def build_publication_docs(
    paths: DataPaths, results: list[dict[str, object]], month: str, run_id: str
) -> Path | None:
    """The GX Data Docs site of this publication, from the results of its GX checks.

    Built under a hidden `.partial` name; `keep_publication_docs` gives it its final name once
    the publication stands, `discard_publication_docs` removes it when it was refused.
    """
    folders = sorted({Path(str(r["gx_results_dir"])) for r in results if r.get("gx_results_dir")})
    gx_sites = paths.publish_dir / "docs" / "gx"
    for stale in gx_sites.glob(".*.partial"):  # left by a killed run (one publication at a time)
        shutil.rmtree(stale, ignore_errors=True)
    return build_data_docs(
        [folder for folder in folders if folder.exists()],
        _docs_site(paths, month, run_id, True),
        run_id,
    )


def _docs_site(paths: DataPaths, month: str, run_id: str, partial: bool = False) -> Path:
    name = f"{month}_{run_id}"
    return paths.publish_dir / "docs" / "gx" / (f".{name}.partial" if partial else name)


def keep_publication_docs(paths: DataPaths, month: str, run_id: str) -> Path:
    site = _docs_site(paths, month, run_id)
    shutil.rmtree(site, ignore_errors=True)
    os.replace(_docs_site(paths, month, run_id, partial=True), site)
    return site / "index.html"


def discard_publication_docs(paths: DataPaths, month: str, run_id: str) -> None:
    shutil.rmtree(_docs_site(paths, month, run_id, partial=True), ignore_errors=True)


@dg.asset(
    key=PUBLISHED_WAREHOUSE_KEY,
    description=(
        "The published warehouse `<data>/publish/lagesbild.duckdb`: the marts plus "
        "`meta.publication_log`, built as a new file, verified (row counts and checksums, "
        "re-opened read-only) and moved over the published path atomically, so readers never "
        "see a half-written file. Every vintage is kept in `publish/archive/` by month and run id. "
        "Also writes one file per region (`publish/regions/<slug>.duckdb`), the public export "
        "with disclosure control (`publish/export/`) and a GX Data Docs site "
        "(`publish/docs/gx/<month>_<run id>/`). Refuses to publish a month for which any monthly "
        "source is missing, and — checking the Dagster instance itself, so a run that selects "
        "only this step is gated too — unless every required check (blocking GX suites, dbt "
        "tests with severity error) passed on the current materialization of its asset."
    ),
    group_name=GROUP_PUBLISH,
    owners=[ECONOMICS_DEPARTMENT],
    kinds={"python", "duckdb"},
    deps=MART_KEYS,
    partitions_def=monthly_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
    pool=BUILD_POOL,
)
def lagesbild_warehouse(
    context: dg.AssetExecutionContext, settings: LagesbildSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    month = context.partition_keys[-1]
    absent = missing_sources(warehouse, month)
    if absent:
        raise dg.Failure(
            f"Publication refused: {month} is incomplete — no accepted delivery from "
            f"{', '.join(absent)}. Missing is not zero; the previous publication stays in place.",
            allow_retries=False,
        )
    gate = verify_required_checks(context.instance)
    if not gate.passed:
        raise dg.Failure(
            f"Publication refused: {gate.message()}\nThe previous publication stays in place.",
            metadata={"failed_checks": dg.MetadataValue.json(gate.failures)},
            allow_retries=False,
        )
    # The Data Docs site (GX rendering, pure Python) is drawn while the publication is built
    # (mostly DuckDB); it gets its final name only if the publication stands.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="gx-docs") as pool:
        drawing = pool.submit(
            build_publication_docs, settings.paths, gate.results, month, context.run_id
        )
        try:
            publication = publish(
                settings.paths,
                month=month,
                run_id=context.run_id,
                check_results=gate.results,
                disclosure_threshold=disclosure_threshold(),
            )
        except BaseException as error:
            wait([drawing])
            discard_publication_docs(settings.paths, month, context.run_id)
            if isinstance(error, PublicationError):
                raise dg.Failure(f"Publication refused: {error}", allow_retries=False) from error
            raise
        context.log.info(f"Published {publication.path} for {month}")
        try:
            docs = (
                keep_publication_docs(settings.paths, month, context.run_id)
                if drawing.result()
                else None
            )
        except Exception as error:  # the publication stands; the docs site is a by-product
            context.log.warning(f"GX Data Docs not built: {type(error).__name__}: {error}")
            discard_publication_docs(settings.paths, month, context.run_id)
            docs = None
    return dg.MaterializeResult(
        metadata={
            "path": dg.MetadataValue.path(str(publication.path)),
            "archived_as": dg.MetadataValue.path(str(publication.archived_as)),
            "month": month,
            "size_bytes": publication.size_bytes,
            "dagster/row_count": sum(publication.row_counts.values()),
            "row_counts": dg.MetadataValue.json(publication.row_counts),
            "checksums": dg.MetadataValue.json(publication.checksums),
            "input_deliveries": len(publication.input_deliveries),
            "required_checks_passed": len(gate.results),
            "region_files": dg.MetadataValue.json(
                {slug: str(path) for slug, path in publication.region_files.items()}
            ),
            "export_files": dg.MetadataValue.json(
                {kind: str(path) for kind, path in publication.export_files.items()}
            ),
            "suppressed_cells": publication.suppressed_cells,
            "gx_data_docs": dg.MetadataValue.path(str(docs) if docs else "not built"),
        }
    )
