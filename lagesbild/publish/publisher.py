"""Blue/green publication of the warehouse: build a new file, verify it, then rename it in place.

Readers open `<data>/publish/lagesbild.duckdb` read-only. They see the old file or the new one,
never a half-written one: the new file is built under `publish/.staging/`, checkpointed, closed,
re-opened read-only and verified, and only then moved into a new version directory
(`publish/versions/`), and the published path — a symbolic link — is pointed at it with
`os.replace` (atomic on POSIX; why a link and not the file itself: `versions`). Every
publication is also kept under `publish/archive/`.

The same publication also writes, each built and verified in staging before anything is
replaced: one file per police region (`publish/regions/<slug>.duckdb`, that region's detail
and the national totals only) with the same tables as Parquet beside it
(`publish/regions/<slug>/<schema>.<table>.parquet`) and the public export (`publish/export/`,
Parquet and CSV with disclosure control; kept as published when nothing it is built from
changed, see `export_reuse`). Nothing is replaced until every candidate has been verified; a
crash at any point leaves each published file either the previous or the new version, whole.
Every DuckDB file is written in storage version `storage.PUBLISHED_STORAGE_VERSION`, which
DuckDB 1.x clients open (DuckDB 2.0's default format they cannot read).
`LAGESBILD_PUBLISH_FAULT=<point>` kills the process with SIGKILL at a named point (fault tests).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb

from lagesbild.progress import report as report_progress
from lagesbild.publish.export import (
    ExportError,
    area_parts_from,
    build_export_frame,
    count_indicator_codes,
    patched_export_frame,
    verify_export,
    write_export,
)
from lagesbild.publish.export_reuse import (
    EXPORT_INPUT_TABLES,
    export_fingerprint,
    kept_export,
    published_parquet,
    record_export,
    suppression_memo,
)
from lagesbild.publish.file_reuse import (
    ReusePlan,
    column_types,
    copy_for_reuse,
    drop_tables,
    layout_digest,
    plan_main_reuse,
    write_layout,
)
from lagesbild.publish.month_patch import (
    MAX_APPENDED_MONTHS,
    combined,
    month_fingerprints,
    month_tables,
    patch_table,
    write_appended,
)
from lagesbild.publish.region_parquet import (
    RegionParquetError,
    parquet_name,
    region_parquet_dir,
    write_region_parquet,
)
from lagesbild.publish.regions import (
    RegionFileError,
    build_region_file,
    table_columns,
    verify_region_file,
)
from lagesbild.publish.storage import (
    StorageVersionError,
    create_published_database,
    duckdb_config,
    open_published_database,
    storage_layout,
    verify_storage_version,
)
from lagesbild.publish.versions import (
    linked_version,
    new_version_dir,
    point_link,
    prune_versions,
    remove_stale_links,
)
from lagesbild.settings import PROJECT_ROOT, REGION_SLUGS, DataPaths

FAULT_ENV = "LAGESBILD_PUBLISH_FAULT"
# Row order of the published copy: regional queries filter by place, then by month, so rows of
# one place lie together and DuckDB's min/max zone maps skip the rest (p95 52 → 37 ms); within a
# place by month, so its recent months are adjacent and a query for them gets its rows in fewer,
# fuller vectors, each of which the client turns into Python objects at a cost (the benchmark's
# slowest query 7.85 → 7.72 ms, 14 → 11 result chunks, file 88 → 84 MB; profile notes, 8th round).
FACT_TABLE = "marts.fct_indicator_month"
DIMENSION_TABLES = frozenset({"marts.dim_geography", "marts.dim_indicator"})
"""The export's dimensions: its rows of a month depend on them and that month's facts."""
PUBLISHED_ORDER = {FACT_TABLE: "geo_level, geo_code, month, indicator_code"}
FAULT_POINTS = (
    "after_build",
    "after_verify",
    "after_regions_built",
    "after_export_built",
    "after_archive",
    "after_version_placed",
    "after_main_replaced",
    "mid_regions_replaced",
    "after_regions_replaced",
)
DEFAULT_DISCLOSURE_THRESHOLD = 3
PUBLISH_WORKERS = 2
"""Tasks built at once after the main file: the export and the region files."""
TASK_THREADS = max(1, (os.cpu_count() or 1) // PUBLISH_WORKERS)
"""DuckDB threads of each task's connection: the workers share the cores instead of each
asking for all of them (on two cores: one each; seventh round of the profile notes)."""

PUBLISHED_SCHEMAS = ("marts", "review")
"""The marts (dbt) and the tertial review's tables (`review`, written by the review)."""
PUBLICATION_LOG_DDL = """
create table if not exists meta.publication_log (
    run_id varchar not null,
    month varchar not null,
    published_at timestamp not null,
    code_version varchar not null,
    file_name varchar not null,
    input_deliveries json,
    check_results json,
    row_counts json,
    table_checksums json,
    kind varchar,                     -- monthly | tertial_review (NULL: logged before kinds)
    covers varchar                    -- the months a monthly run built, or the tertial reviewed
)"""
MONTHLY, TERTIAL_REVIEW = "monthly", "tertial_review"
"""What a publication is: a monthly run's, or the tertial review's republication."""


class PublicationError(RuntimeError):
    """The new publication failed verification; the previous one is untouched."""


@dataclass(frozen=True)
class Publication:
    path: Path
    archived_as: Path
    version: Path
    """The version directory the published links name (`versions`)."""
    month: str
    run_id: str
    row_counts: dict[str, int]
    checksums: dict[str, str]
    size_bytes: int
    input_deliveries: list[dict[str, object]] = field(default_factory=list)
    region_files: dict[str, Path] = field(default_factory=dict)
    region_parquet: dict[str, dict[str, Path]] = field(default_factory=dict)
    """Per region: table → its Parquet file beside the region's DuckDB file."""
    export_files: dict[str, Path] = field(default_factory=dict)
    suppressed_cells: int = 0
    export_kept: bool = False
    """True when the published export was built from the same inputs and left in place."""
    export_patched_months: tuple[str, ...] = ()
    """The export's months built anew (YYYY-MM) when the others' rows were taken from the
    published export (empty: built whole, or kept)."""
    reused_tables: tuple[str, ...] = ()
    """Tables of the main file kept from a copy of the previous one (`file_reuse`)."""
    region_reused_tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per region: tables kept from a copy of its previous file."""
    region_parquet_kept: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per region: tables whose previous Parquet file's rows were kept (footer restamped)."""
    patched_months: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Tables of the main file patched in a copy of the previous one: the months written
    again (`month_patch`), as YYYY-MM."""
    region_patched_tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Per region: tables patched in a copy of its previous file (the same months)."""


def fault_point(name: str) -> None:
    """Die here, like a power cut, when LAGESBILD_PUBLISH_FAULT names this point."""
    if os.environ.get(FAULT_ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)


def region_file(paths: DataPaths, slug: str) -> Path:
    return paths.publish_dir / "regions" / f"{slug}.duckdb"


def export_dir(paths: DataPaths) -> Path:
    return paths.publish_dir / "export"


def code_version(root: Path = PROJECT_ROOT) -> str:
    """The git commit the code runs from (`-dirty` if it has local changes), else 'unknown'."""
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{sha}-dirty" if dirty else sha


def published_tables(conn: duckdb.DuckDBPyConnection, database: str) -> list[str]:
    rows = conn.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_catalog = ? and table_schema in (select unnest(?)) order by 1",
        [database, list(PUBLISHED_SCHEMAS)],
    ).fetchall()
    return [row[0] for row in rows]


def table_fingerprint(conn: duckdb.DuckDBPyConnection, qualified: str) -> tuple[int, str]:
    """Row count and an order-independent checksum of every row's content."""
    count, checksum = conn.execute(
        f"select count(*), coalesce(bit_xor(hash(t)), 0) from {qualified} t"
    ).fetchone()
    return int(count), f"{int(checksum):016x}"


def _current_deliveries(conn: duckdb.DuckDBPyConnection) -> list[dict[str, object]]:
    rows = conn.execute(
        "select source, partition_key, file_name, sha256, rows, vintage "
        "from build.raw.deliveries order by source, partition_key"
    ).fetchall()
    keys = ("source", "partition", "file", "sha256", "rows", "vintage")
    return [dict(zip(keys, row, strict=True)) for row in rows]


def main_layout() -> str:
    """What a published main file's layout depends on (`file_reuse`): reused only if equal."""
    return layout_digest(
        {
            "file": "main",
            **storage_layout(),
            "order": PUBLISHED_ORDER,
            "publication_log": " ".join(PUBLICATION_LOG_DDL.split()),
            "appended_months": MAX_APPENDED_MONTHS,
        }
    )


@dataclass(frozen=True)
class BuiltCandidate:
    """What the new main file must hold (verified next), and what it kept of the previous one."""

    row_counts: dict[str, int]
    checksums: dict[str, str]
    deliveries: list[dict[str, object]]
    reused: frozenset[str] = frozenset()
    """Tables kept from a copy of the published file (`file_reuse`); empty: a new file."""
    reused_from: str | None = None
    """The run that published the file the candidate was copied from."""
    patched: dict[str, tuple[date | None, ...]] = field(default_factory=dict)
    """Tables of the copy of which only these months were written again (`month_patch`)."""
    previous_checksums: dict[str, str] = field(default_factory=dict)
    """The copied publication's table checksums (empty: a new file)."""


def _log_columns(conn: duckdb.DuckDBPyConnection) -> tuple[tuple[str, str], ...]:
    """The publication log's columns as this code writes it (created in the connection's
    in-memory database)."""
    conn.execute("create schema if not exists memory.meta")
    conn.execute(PUBLICATION_LOG_DDL.replace("meta.publication_log", "memory.meta.publication_log"))
    return column_types(conn, "memory")["meta.publication_log"]


def _plan_candidate(
    build_db: Path, previous: Path | None
) -> tuple[dict[str, tuple[int, str]], list[dict[str, object]], ReusePlan | None]:
    """The build database's tables with their fingerprints, its deliveries, and whether the
    publication starts from a copy of the published file."""
    conn = duckdb.connect()
    try:
        conn.execute(f"attach '{build_db}' as build (read_only)")
        tables = published_tables(conn, "build")
        if not tables:
            raise PublicationError(
                f"{build_db} has no tables in {PUBLISHED_SCHEMAS}: nothing to publish"
            )
        by_month = month_tables(conn, "build")
        build_months = {
            table: month_fingerprints(conn, f"build.{table}")
            for table in tables
            if table in by_month
        }
        expected = {
            table: combined(build_months[table])
            if table in build_months
            else table_fingerprint(conn, f"build.{table}")
            for table in tables
        }
        deliveries = _current_deliveries(conn)
        plan = None
        if previous is not None and previous.exists():
            conn.execute(f"attach '{previous}' as previous (read_only)")
            plan = plan_main_reuse(
                conn,
                previous=previous,
                previous_catalog="previous",
                build_catalog="build",
                expected=expected,
                layout=main_layout(),
                schemas=PUBLISHED_SCHEMAS,
                log_columns=_log_columns(conn),
                build_months=build_months,
            )
    finally:
        conn.close()
    return expected, deliveries, plan


def _build_candidate(
    build_db: Path,
    candidate: Path,
    previous: Path | None,
    *,
    month: str,
    run_id: str,
    check_results: list[dict[str, object]],
    kind: str = MONTHLY,
    covers: str | None = None,
) -> BuiltCandidate:
    """Write the new publication file from the build database (opened read-only): a new file,
    or a copy of the published one in which only the changed tables are written again."""
    expected, deliveries, plan = _plan_candidate(build_db, previous)
    if plan is None:
        conn = create_published_database(candidate)
    else:
        copy_for_reuse(plan.source, candidate)
        conn = open_published_database(candidate)
    kept = plan.keep if plan is not None else frozenset()
    patch = plan.patch if plan is not None else {}
    appended = {
        table: set(months)
        for table, months in (plan.appended if plan is not None else {}).items()
        if table in kept or table in patch
    }
    try:
        conn.execute(f"attach '{build_db}' as build (read_only)")
        if plan is not None:
            drop_tables(conn, plan.drop)
        for schema in PUBLISHED_SCHEMAS:
            conn.execute(f"create schema if not exists {schema}")
        for table in expected:
            if table in kept:
                continue
            if table in patch:
                patch_table(conn, table, "build", patch[table], order_by=PUBLISHED_ORDER.get(table))
                appended.setdefault(table, set()).update(patch[table])
                continue
            order = f" order by {PUBLISHED_ORDER[table]}" if table in PUBLISHED_ORDER else ""
            conn.execute(f"create table {table} as select * from build.{table}{order}")
        conn.execute("detach build")
        write_layout(conn, main_layout())
        write_appended(conn, appended)
        if plan is None:
            conn.execute(PUBLICATION_LOG_DDL)
            if previous is not None and previous.exists():
                conn.execute(f"attach '{previous}' as previous (read_only)")
                # by name: a log from before a column was added stays readable (NULL there)
                conn.execute(
                    "insert into meta.publication_log by name "
                    "select * from previous.meta.publication_log"
                )
                conn.execute("detach previous")
        conn.execute(
            "insert into meta.publication_log values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                run_id,
                month,
                datetime.now(tz=UTC).replace(tzinfo=None),
                code_version(),
                candidate.name,
                json.dumps(deliveries),
                json.dumps(check_results),
                json.dumps({t: c for t, (c, _) in expected.items()}),
                json.dumps({t: s for t, (_, s) in expected.items()}),
                kind,
                covers or month,
            ],
        )
        conn.execute("checkpoint")
    finally:
        conn.close()
    return BuiltCandidate(
        {table: count for table, (count, _) in expected.items()},
        {table: checksum for table, (_, checksum) in expected.items()},
        deliveries,
        kept,
        plan.run_id if plan is not None else None,
        dict(patch),
        dict(plan.checksums) if plan is not None else {},
    )


def verify_candidate(
    candidate: Path, row_counts: dict[str, int], checksums: dict[str, str], run_id: str
) -> None:
    """Re-open the finished file read-only and compare every table with the build database."""
    conn = duckdb.connect(str(candidate), read_only=True)
    try:
        database = conn.execute("select current_database()").fetchone()[0]
        verify_storage_version(conn, database, candidate.name)
        for table, expected_count in row_counts.items():
            count, checksum = table_fingerprint(conn, table)
            if count != expected_count or checksum != checksums[table]:
                raise PublicationError(
                    f"verification of {candidate.name} failed for {table}: {count} rows / "
                    f"checksum {checksum}, expected {expected_count} / {checksums[table]}"
                )
        logged = conn.execute(
            "select count(*) from meta.publication_log where run_id = ?", [run_id]
        ).fetchone()[0]
        if logged != 1:
            raise PublicationError(f"{candidate.name}: publication log lacks run {run_id}")
    finally:
        conn.close()


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _clear_staging(staging: Path) -> None:
    """Remove what a killed publication left behind (only the pipeline writes here)."""
    for leftover in staging.iterdir():
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
        else:
            leftover.unlink(missing_ok=True)


@dataclass(frozen=True)
class BuiltRegion:
    """One region's verified files in staging: its DuckDB file and its Parquet files."""

    database: Path
    parquet: dict[str, Path]
    reused: tuple[str, ...] = ()
    """Tables kept from a copy of the published region file (`file_reuse`)."""
    parquet_kept: tuple[str, ...] = ()
    """Tables whose published Parquet file's rows were kept (`region_parquet`)."""
    patched: tuple[str, ...] = ()
    """Tables patched in a copy of the published region file (`month_patch`)."""


def _build_region(
    candidate: Path,
    staging: Path,
    slug: str,
    *,
    month: str,
    run_id: str,
    columns: dict[str, set[str]],
    published: Path | None = None,
    reused_from: str | None = None,
    unchanged: frozenset[str] = frozenset(),
    patched: dict[str, tuple[date | None, ...]] | None = None,
) -> BuiltRegion:
    """One region's DuckDB file and Parquet files in staging, each verified. When the main
    file started as a copy of the one run `reused_from` published and kept its `unchanged`
    tables, the region file may start as a copy of its `published` file too."""
    target = staging / f"region-{slug}-{run_id}.duckdb"
    built = build_region_file(
        candidate,
        target,
        slug,
        run_id=run_id,
        month=month,
        columns=columns,
        threads=TASK_THREADS,
        previous=published,
        previous_run_id=reused_from,
        unchanged=unchanged,
        patched=patched or {},
    )
    verify_region_file(target, candidate, slug, built.counts, columns, threads=TASK_THREADS)
    published_parquet = (
        {}
        if published is None
        else {
            table: region_parquet_dir(published.parent, slug) / parquet_name(table)
            for table in built.reused
        }
    )
    parquet = write_region_parquet(
        target,
        staging / f"region-{slug}-{run_id}-parquet",
        slug=slug,
        run_id=run_id,
        month=month,
        threads=TASK_THREADS,
        published=published_parquet,
        previous_run_id=reused_from,
    )
    return BuiltRegion(
        target,
        parquet.files,
        tuple(sorted(built.reused)),
        parquet.kept,
        tuple(sorted(built.patched)),
    )


def _place_version(
    paths: DataPaths, run_id: str, candidate: Path, regions: dict[str, BuiltRegion]
) -> Path:
    """Move the verified main and region files into a new version directory (`versions`);
    nothing a reader opens changes until the links are swapped."""
    version = new_version_dir(paths.publish_versions, run_id)
    os.replace(candidate, version / paths.publish_db.name)
    for slug, built_region in regions.items():
        os.replace(built_region.database, version / "regions" / region_file(paths, slug).name)
    for folder in (version / "regions", version, paths.publish_versions):
        _fsync_directory(folder)
    return version


def _linked_versions(paths: DataPaths) -> set[Path | None]:
    """The version directories the published links point into now."""
    links = [paths.publish_db, *(region_file(paths, slug) for slug in REGION_SLUGS)]
    return {linked_version(link, paths.publish_versions) for link in links}


def _replace_region_parquet(built: dict[str, Path], folder: Path) -> dict[str, Path]:
    """Move a region's verified Parquet files into place (each whole: `os.replace`), then drop
    files of tables the publication no longer has."""
    folder.mkdir(parents=True, exist_ok=True)
    placed = {table: folder / path.name for table, path in built.items()}
    for table, path in built.items():
        os.replace(path, placed[table])
    current = {path.name for path in placed.values()}
    for stale in folder.glob("*.parquet"):
        if stale.name not in current:
            stale.unlink()
    _fsync_directory(folder)
    return placed


EXPORT_MEMORY_LIMIT = "384MB"
"""DuckDB's buffer limit while the export is read (it spills beyond; measured same speed)."""


@dataclass(frozen=True)
class BuiltExport:
    """The export's files in staging, its suppressed cells and its months' suppression record."""

    files: dict[str, Path]
    suppressed_cells: int
    suppression: dict[str, object]
    patched_months: tuple[date | None, ...] = ()
    """The months built anew when every other month's rows were taken from the published
    export (empty: built whole)."""


@dataclass(frozen=True)
class ExportPatch:
    """Build only `months` of the export; take the others from the `parquet` file."""

    months: tuple[date | None, ...]
    parquet: Path


def _export_patch(
    built: BuiltCandidate, parts: dict[str, list[str]] | None, threshold: int, folder: Path
) -> ExportPatch | None:
    """When the candidate patched some months of the fact table and kept the dimensions, and
    the published export was built from the copied publication's inputs: those months."""
    months = built.patched.get(FACT_TABLE)
    if months is None or parts is None or not DIMENSION_TABLES.issubset(built.reused):
        return None
    if any(table not in built.previous_checksums for table in EXPORT_INPUT_TABLES):
        return None
    previous = export_fingerprint(built.previous_checksums, parts, threshold)
    parquet = published_parquet(folder, previous)
    return None if parquet is None else ExportPatch(months, parquet)


def _build_export(
    candidate: Path,
    parts: dict[str, list[str]] | None,
    staging: Path,
    *,
    run_id: str,
    threshold: int,
    published: Path,
    patch: ExportPatch | None = None,
) -> BuiltExport:
    """Build and verify the export; months unchanged since the `published` export take their
    suppression from it (`suppression_reuse`), or with a `patch` their rows."""
    memo = suppression_memo(published)
    conn = duckdb.connect(str(candidate), read_only=True, config=duckdb_config(TASK_THREADS))
    try:
        # the export's sorted query would otherwise keep ~400 MB of buffers at national scale
        conn.execute(f"set memory_limit = '{EXPORT_MEMORY_LIMIT}'")
        frame = None
        if patch is not None and parts is not None:
            frame = patched_export_frame(conn, parts, threshold, memo, patch.months, patch.parquet)
        if frame is None:
            patch = None
            memo = suppression_memo(published)
            frame = build_export_frame(conn, parts, threshold, memo)
        geographies = conn.sql("select * from marts.dim_geography").pl().to_dicts()
        count_indicators = count_indicator_codes(conn)
    finally:
        conn.close()
    verify_export(frame, geographies, parts, threshold, count_indicators)
    files = write_export(frame, staging / f"export-{run_id}", "")
    return BuiltExport(
        files,
        int(frame.get_column("suppressed").sum()),
        memo.record(),
        patch.months if patch is not None else (),
    )


PUBLICATION_STEPS = 5
"""Progress steps of a publication: built, verified, regions and export built, main file
replaced, region and export files replaced."""


def publish(
    paths: DataPaths,
    *,
    month: str,
    run_id: str,
    check_results: list[dict[str, object]] | None = None,
    disclosure_threshold: int = DEFAULT_DISCLOSURE_THRESHOLD,
    kind: str = MONTHLY,
    covers: str | None = None,
) -> Publication:
    """Publish the marts atomically, with per-region files and the public export.

    `kind` and `covers` say in the publication log what the publication is: a monthly run's
    (covering the months it built, `YYYY-MM` or `YYYY-MM..YYYY-MM`) or the tertial review's
    republication (covering the tertial, `YYYY-Tn`).
    """
    staging = paths.publish_staging
    for folder in (staging, paths.publish_archive, paths.publish_dir / "regions"):
        folder.mkdir(parents=True, exist_ok=True)
    _clear_staging(staging)
    remove_stale_links((paths.publish_dir, paths.publish_dir / "regions"))
    candidate = staging / f"lagesbild-{run_id}.duckdb"
    try:
        built_candidate = _build_candidate(
            paths.warehouse_db,
            candidate,
            paths.publish_db,
            month=month,
            run_id=run_id,
            check_results=check_results or [],
            kind=kind,
            covers=covers,
        )
        row_counts, checksums = built_candidate.row_counts, built_candidate.checksums
        deliveries = built_candidate.deliveries
        fault_point("after_build")
        report_progress("publish", "publication", 1, PUBLICATION_STEPS, "built")
        verify_candidate(candidate, row_counts, checksums, run_id)
        fault_point("after_verify")
        report_progress("publish", "publication", 2, PUBLICATION_STEPS, "verified")
        parts = area_parts_from(paths.warehouse_db)
        export_inputs = export_fingerprint(checksums, parts, disclosure_threshold)
        kept = kept_export(export_dir(paths), export_inputs)
        # Two workers: the export (mostly Python) first, each region file (DuckDB-bound) as its
        # own task, so a worker that is done (or has no export to build) takes the next region.
        columns = table_columns(candidate, list(row_counts))
        with ThreadPoolExecutor(max_workers=PUBLISH_WORKERS, thread_name_prefix="publish") as pool:
            building_export = None
            if kept is None:
                building_export = pool.submit(
                    _build_export,
                    candidate,
                    parts,
                    staging,
                    run_id=run_id,
                    threshold=disclosure_threshold,
                    published=export_dir(paths),
                    patch=_export_patch(
                        built_candidate, parts, disclosure_threshold, export_dir(paths)
                    ),
                )
            building_regions = {
                slug: pool.submit(
                    _build_region,
                    candidate,
                    staging,
                    slug,
                    month=month,
                    run_id=run_id,
                    columns=columns,
                    published=region_file(paths, slug),
                    reused_from=built_candidate.reused_from,
                    unchanged=built_candidate.reused,
                    patched=built_candidate.patched,
                )
                for slug in REGION_SLUGS
            }
            try:
                regions = {slug: building.result() for slug, building in building_regions.items()}
                fault_point("after_regions_built")
                built_export = None if building_export is None else building_export.result()
                exports, suppressed = (
                    kept
                    if built_export is None
                    else (built_export.files, built_export.suppressed_cells)
                )
            except BaseException:
                for building in building_regions.values():
                    building.cancel()  # regions not started yet; staging is cleared below
                raise
            fault_point("after_export_built")
        report_progress("publish", "publication", 3, PUBLICATION_STEPS, "regions and export")
        region_outputs = [
            path for built in regions.values() for path in (built.database, *built.parquet.values())
        ]
        for built in (candidate, *region_outputs, *exports.values()):
            with built.open("rb") as handle:
                os.fsync(handle.fileno())
        archived = paths.publish_archive / f"lagesbild_{month}_{run_id}.duckdb"
        archived.unlink(missing_ok=True)
        os.link(candidate, archived)
        fault_point("after_archive")
        version = _place_version(paths, run_id, candidate, regions)
        fault_point("after_version_placed")
        previous = _linked_versions(paths)
        point_link(paths.publish_db, version / paths.publish_db.name)
        _fsync_directory(paths.publish_dir)
        fault_point("after_main_replaced")
        report_progress("publish", "publication", 4, PUBLICATION_STEPS, "published")
        region_targets: dict[str, Path] = {}
        region_parquet: dict[str, dict[str, Path]] = {}
        for index, (slug, built_region) in enumerate(regions.items()):
            region_targets[slug] = region_file(paths, slug)
            point_link(region_targets[slug], version / "regions" / region_targets[slug].name)
            region_parquet[slug] = _replace_region_parquet(
                built_region.parquet, region_parquet_dir(paths.publish_dir / "regions", slug)
            )
            if index == 0:
                fault_point("mid_regions_replaced")
        _fsync_directory(paths.publish_dir / "regions")
        fault_point("after_regions_replaced")
        prune_versions(paths.publish_versions, {*previous, *_linked_versions(paths)})
        export_folder = export_dir(paths)
        export_folder.mkdir(parents=True, exist_ok=True)
        export_targets: dict[str, Path] = {}
        for kind, built in exports.items():
            export_targets[kind] = export_folder / built.name
            if kept is None:
                os.replace(built, export_targets[kind])
        if built_export is not None:
            record_export(
                export_folder, export_inputs, export_targets, suppressed, built_export.suppression
            )
        _fsync_directory(export_folder)
        report_progress("publish", "publication", 5, PUBLICATION_STEPS, "all files replaced")
    except (RegionFileError, RegionParquetError, ExportError, StorageVersionError) as error:
        _clear_staging(staging)
        raise PublicationError(str(error)) from error
    except BaseException:
        _clear_staging(staging)
        raise
    _clear_staging(staging)
    return Publication(
        path=paths.publish_db,
        archived_as=archived,
        version=version,
        month=month,
        run_id=run_id,
        row_counts=row_counts,
        checksums=checksums,
        size_bytes=paths.publish_db.stat().st_size,
        input_deliveries=deliveries,
        region_files=region_targets,
        region_parquet=region_parquet,
        export_files=export_targets,
        suppressed_cells=suppressed,
        export_kept=kept is not None,
        reused_tables=tuple(sorted(built_candidate.reused)),
        region_reused_tables={slug: built.reused for slug, built in regions.items()},
        region_parquet_kept={slug: built.parquet_kept for slug, built in regions.items()},
        patched_months={
            table: tuple(_month_label(month) for month in months)
            for table, months in built_candidate.patched.items()
        },
        region_patched_tables={slug: built.patched for slug, built in regions.items()},
        export_patched_months=()
        if built_export is None
        else tuple(_month_label(month) for month in built_export.patched_months),
    )


def _month_label(month: date | None) -> str:
    return month.strftime("%Y-%m") if month is not None else "(none)"
