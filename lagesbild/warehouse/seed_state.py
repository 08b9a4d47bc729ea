"""Is the reference layer in the build database that of the project's files and deliveries?

The reference layer is the seeds (reference lists: regions, municipalities, LPOs, areas,
indicators, …) and the models and tests built only from them and the delivered DeSO geography
(`lagesbild/warehouse/reference_graph.py`). It changes a few times a year, but `dbt build`
rebuilt and re-tested it in every monthly run. After a build in which all of it was built and
every test on it passed, the pipeline records the fingerprint of the files it was built from
and a checksum of its tables (and of the geography they were built from) in the build database
itself; a later run whose fingerprint and tables are the same, and whose landing zone holds no
new geography, may leave it out (see `pipelines/seeds.py` for the other condition: the Dagster
instance still holds those passing evaluations, which the publish gate requires).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from lagesbild.ingest.landing import sha256_of
from lagesbild.ingest.raw_store import current_delivery
from lagesbild.settings import DBT_PROJECT_DIR

SEED_STATE_TABLE = "pipeline_state.seed_build"
"""One row: the fingerprint of the files the reference layer in this build database was built
from, a checksum of its tables and of the geography as built (a table changed since does not
count as current), and the run that built them."""
FINGERPRINTED = ("seeds", "macros", "tests", "dbt_project.yml")
"""What a seed table and its tests are built from: the CSV files and their YAML (columns, types,
tests), the generic tests (macros/, tests/generic) and the project's seed configuration."""


def seed_fingerprint(project_dir: Path = DBT_PROJECT_DIR, model_files: Sequence[str] = ()) -> str:
    """sha256 over the path and bytes of every file the seeds and their tests come from, and of
    `model_files` (the reference models' SQL and YAML, relative to the project)."""
    digest = hashlib.sha256()
    for name in FINGERPRINTED:
        root = project_dir / name
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            digest.update(path.relative_to(project_dir).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    for name in sorted(model_files):
        path = project_dir / name
        digest.update(name.encode() + b"\0")
        digest.update((path.read_bytes() if path.is_file() else b"<missing>") + b"\0")
    return digest.hexdigest()


def seed_tables_checksum(conn: duckdb.DuckDBPyConnection, tables: list[str]) -> str | None:
    """Row counts and order-independent content hashes of the seed tables (None: one missing)."""
    parts = []
    for table in sorted(tables):
        try:
            count, content = conn.execute(
                f"select count(*), coalesce(bit_xor(hash(t)), 0) from {table} t"
            ).fetchone()
        except duckdb.CatalogException:
            return None
        parts.append(f"{table}:{count}:{content}")
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def seeds_current_in(warehouse_db: Path, fingerprint: str, tables: list[str]) -> bool:
    """Were the seeds in `warehouse_db` built from `fingerprint`, and are they untouched since?"""
    conn = _open_read_only(warehouse_db)
    if conn is None:
        return False
    try:
        row = conn.execute(
            f"select fingerprint, tables_checksum from {SEED_STATE_TABLE}"
        ).fetchone()
        return (
            row is not None
            and row[0] == fingerprint
            and row[1] == seed_tables_checksum(conn, tables)
        )
    except duckdb.CatalogException:
        return False
    finally:
        conn.close()


def record_seed_build(warehouse_db: Path, fingerprint: str, tables: list[str], run_id: str) -> None:
    """Record that the seeds of `fingerprint` were built and all their tests passed."""
    conn = duckdb.connect(str(warehouse_db))
    try:
        checksum = seed_tables_checksum(conn, tables)
        conn.execute("create schema if not exists pipeline_state")
        conn.execute(
            f"create or replace table {SEED_STATE_TABLE} (fingerprint varchar not null, "
            "tables_checksum varchar, run_id varchar not null, built_at timestamp not null)"
        )
        conn.execute(
            f"insert into {SEED_STATE_TABLE} values (?, ?, ?, ?)",
            [fingerprint, checksum, run_id, datetime.now(tz=UTC).replace(tzinfo=None)],
        )
    finally:
        conn.close()


def forget_seed_build(warehouse_db: Path) -> None:
    """Make the next build load and test the seeds again (their build or a test failed)."""
    if not warehouse_db.exists():
        return
    conn = duckdb.connect(str(warehouse_db))
    try:
        conn.execute(f"drop table if exists {SEED_STATE_TABLE}")
    finally:
        conn.close()


def geography_delivery_pending(warehouse_db: Path, landing_file: Path | None) -> bool:
    """Does the landing zone hold a geography file other than the one in `raw`?

    The run ingests it before dbt builds, so the reference layer must be built from it: a file
    whose sha256 differs from the accepted geography delivery (or none accepted yet) is pending.
    """
    if landing_file is None:
        return False  # nothing to ingest: the run's geography step fails and says so
    conn = _open_read_only(warehouse_db)
    if conn is None:
        return True
    try:
        accepted = current_delivery(conn, "geography", "current")
    except duckdb.CatalogException:
        return True
    finally:
        conn.close()
    return accepted is None or accepted[0] != sha256_of(landing_file)


def _open_read_only(warehouse_db: Path) -> duckdb.DuckDBPyConnection | None:
    """The build database, read-only; None when it is absent or cannot be opened."""
    if not warehouse_db.exists():
        return None
    try:
        return duckdb.connect(str(warehouse_db), read_only=True)
    except duckdb.Error:
        return None
