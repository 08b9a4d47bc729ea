"""Published DuckDB files are written in the storage version DuckDB 1.x clients read."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from lagesbild.publish.storage import (
    PUBLISHED_ROW_GROUP_SIZE,
    PUBLISHED_STORAGE_VERSION,
    StorageVersionError,
    create_published_database,
    storage_version,
    verify_storage_version,
)


def format_number(path: Path) -> int:
    """The storage format number in the file's main header (what a reader checks first)."""
    header = path.read_bytes()[:64]
    at = header.index(b"DUCK") + 4
    return int.from_bytes(header[at : at + 8], "little")


def test_a_new_published_file_is_written_in_the_1x_storage_format(tmp_path: Path) -> None:
    path = tmp_path / "pub.duckdb"
    path.write_bytes(b"a stale file from a killed run")
    conn = create_published_database(path)
    conn.execute("create schema marts")
    conn.execute("create table marts.t as select range as i, '{}'::json as j from range(10000)")
    conn.execute("checkpoint")
    conn.close()

    assert PUBLISHED_STORAGE_VERSION == "v1.0.0"
    assert format_number(path) == 64  # DuckDB 1.0 … 1.5 read 64; 2.0's default is 69
    reader = duckdb.connect(str(path), read_only=True)
    try:
        database = reader.execute("select current_database()").fetchone()[0]
        assert storage_version(reader, database) == "v1.0.0+"
        verify_storage_version(reader, database, path.name)
        assert reader.execute("select sum(i) from marts.t").fetchone()[0] == 49_995_000
        row_groups = reader.execute(
            "select count(distinct row_group_id) from pragma_storage_info('marts.t')"
        ).fetchone()[0]
        assert PUBLISHED_ROW_GROUP_SIZE == 4096
        assert row_groups == 3  # 4,096 + 4,096 + 1,808 rows (DuckDB's default: one group)
    finally:
        reader.close()


def string_compressions(conn: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = conn.execute(
        f"select distinct compression from pragma_storage_info('{table}') "
        "where segment_type = 'VARCHAR'"
    ).fetchall()
    return {row[0] for row in rows}


def test_published_strings_are_never_fsst_compressed(tmp_path: Path) -> None:
    # ids with a long common tail: DuckDB's own choice for them is FSST
    rows = "select 'K' || lpad(range::varchar, 9, '0') || '-19 Rinkeby area ' || (range % 97) as s"
    reference = duckdb.connect()
    options = (
        f"storage_version '{PUBLISHED_STORAGE_VERSION}', row_group_size {PUBLISHED_ROW_GROUP_SIZE}"
    )
    reference.execute(f"attach '{tmp_path / 'reference.duckdb'}' as ref ({options})")
    reference.execute(f"create table ref.t as {rows} from range(10000)")
    reference.execute("checkpoint ref")
    assert string_compressions(reference, "ref.t") == {"FSST"}
    reference.close()

    path = tmp_path / "pub.duckdb"
    conn = create_published_database(path)
    conn.execute(f"create table t as {rows} from range(10000)")
    conn.execute("checkpoint")
    conn.close()
    reader = duckdb.connect(str(path), read_only=True)
    try:
        assert "FSST" not in string_compressions(reader, "t")
        assert reader.execute("select count(distinct s) from t").fetchone()[0] == 10000
    finally:
        reader.close()


def test_a_file_in_duckdb_2_default_format_fails_verification(tmp_path: Path) -> None:
    path = tmp_path / "default.duckdb"
    duckdb.connect(str(path)).close()
    assert format_number(path) > 68
    reader = duckdb.connect(str(path), read_only=True)
    try:
        with pytest.raises(StorageVersionError, match=r"default\.duckdb is written in DuckDB"):
            verify_storage_version(reader, "default", path.name)
    finally:
        reader.close()
