"""Helpers shared by the gate, fault and reader tests: private copies and file fingerprints."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb

from lagesbild.settings import REGION_SLUGS, DataPaths


def copy_data_dir(source: DataPaths, target: Path, *, with_instance: bool = False) -> DataPaths:
    """A private copy of a data directory after a pipeline run (optionally its Dagster home);
    the published links stay links (they are relative: into the copy's own versions)."""
    names = ["landing", "warehouse", "publish", "archive", "quality"]
    if with_instance:
        names.append("dagster_home")
    for name in names:
        if (source.root / name).exists():
            shutil.copytree(source.root / name, target / name, symlinks=True)
    return DataPaths(target)


def in_warehouse(paths: DataPaths, *statements: str) -> None:
    """Change the build database behind the pipeline's back (a revision, or what the checks
    must catch)."""
    conn = duckdb.connect(str(paths.warehouse_db))
    try:
        for statement in statements:
            conn.execute(statement)
    finally:
        conn.close()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def published_files(paths: DataPaths) -> list[Path]:
    regions = [paths.publish_dir / "regions" / f"{slug}.duckdb" for slug in REGION_SLUGS]
    parquet = sorted((paths.publish_dir / "regions").glob("*/*.parquet"))
    exports = sorted((paths.publish_dir / "export").glob("indicators_monthly.*"))
    return [paths.publish_db, *regions, *parquet, *exports]


def fingerprints(paths: DataPaths) -> dict[str, str]:
    return {str(path.relative_to(paths.root)): sha256(path) for path in published_files(paths)}


def latest_logged_run(path: Path) -> str:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(
            "select run_id from meta.publication_log order by published_at desc limit 1"
        ).fetchall()[0][0]
    finally:
        conn.close()


def verify_published_file(path: Path) -> str:
    """Open read-only; every table matches the row count and checksum its log recorded."""
    conn = duckdb.connect(str(path), read_only=True)
    try:
        run_id, counts, checksums = conn.execute(
            "select run_id, row_counts, table_checksums from meta.publication_log "
            "order by published_at desc limit 1"
        ).fetchall()[0]
        for table, expected in json.loads(counts).items():
            count, checksum = conn.execute(
                f"select count(*), coalesce(bit_xor(hash(t)), 0) from {table} t"
            ).fetchall()[0]
            assert count == expected, f"{path}: {table} has {count} rows, logged {expected}"
            assert f"{int(checksum):016x}" == json.loads(checksums)[table], f"{path}: {table}"
    finally:
        conn.close()
    return run_id


def region_parquet_runs(paths: DataPaths, slug: str) -> set[str]:
    """The publication runs a region's Parquet files name (one, unless files are mixed)."""
    import pyarrow.parquet as pq

    files = sorted((paths.publish_dir / "regions" / slug).glob("*.parquet"))
    return {pq.read_metadata(path).metadata[b"lagesbild.run_id"].decode() for path in files}


def region_run(path: Path) -> str:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute("select run_id from meta.publication").fetchall()[0][0]
    finally:
        conn.close()


class DagsterHome:
    """Point DAGSTER_HOME at a copied instance for a test, and back afterwards."""

    def __init__(self) -> None:
        self.previous = os.environ.get("DAGSTER_HOME")

    def restore(self) -> None:
        if self.previous is None:
            os.environ.pop("DAGSTER_HOME", None)
        else:
            os.environ["DAGSTER_HOME"] = self.previous
