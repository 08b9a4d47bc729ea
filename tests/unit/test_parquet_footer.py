"""Restamping a Parquet file's key-value metadata keeps every row and every other footer field
(lagesbild/publish/parquet_footer.py)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from lagesbild.publish.parquet_footer import (
    ParquetFooterError,
    restamp,
    with_key_value_metadata,
)

STAMP = {"lagesbild.run_id": "new-run", "lagesbild.month": "2026-08", "lagesbild.region": "syd"}


def _rows(path: Path) -> tuple[int, int]:
    conn = duckdb.connect()
    try:
        return conn.execute(
            f"select count(*), bit_xor(hash(t)) from read_parquet('{path}') t"
        ).fetchone()
    finally:
        conn.close()


def _duckdb_file(path: Path, rows: int = 250_000, row_group_size: int = 40_000) -> Path:
    """Many row groups, page indexes, Bloom filters, nested and boolean columns, statistics."""
    conn = duckdb.connect()
    try:
        conn.execute(
            f"""copy (
                select i, i % 7 = 0 as flag, 'text ' || (i % 50) as label,
                       date '2019-01-01' + (i % 3000)::int as day, i / 3.0 as ratio,
                       case when i % 11 = 0 then null else [i, i + 1] end as pair,
                       {{'a': i % 3, 'b': 'x' || i}} as nested, map([i % 4], [i]) as lookup
                from range({rows}) t(i)
            ) to '{path}' (format parquet, compression zstd, row_group_size {row_group_size},
                           kv_metadata {{'lagesbild.run_id': 'old-run', 'other': 'dropped'}})"""
        )
    finally:
        conn.close()
    return path


def test_a_duckdb_file_keeps_its_rows_and_names_the_new_publication(tmp_path: Path) -> None:
    source = _duckdb_file(tmp_path / "source.parquet")
    target = tmp_path / "target.parquet"

    restamp(source, target, STAMP)

    before, after = pq.read_metadata(source), pq.read_metadata(target)
    assert after.metadata == {key.encode(): value.encode() for key, value in STAMP.items()}
    assert before.metadata[b"lagesbild.run_id"] == b"old-run"  # the source is untouched
    assert _rows(target) == _rows(source)
    assert pq.read_table(target).equals(pq.read_table(source))
    assert after.num_row_groups == before.num_row_groups > 1
    assert after.schema.equals(before.schema) and after.created_by == before.created_by
    for group in range(before.num_row_groups):
        assert after.row_group(group).to_dict() == before.row_group(group).to_dict()
    # the data pages are the same bytes: only the footer differs
    start = source.stat().st_size - 8 - int.from_bytes(source.read_bytes()[-8:-4], "little")
    assert target.read_bytes()[:start] == source.read_bytes()[:start]


def test_a_file_without_key_value_metadata_gets_it(tmp_path: Path) -> None:
    source = tmp_path / "plain.parquet"
    pq.write_table(pa.table({"x": list(range(1000)), "y": ["a", "b"] * 500}), source)
    metadata = {f"key{i:02d}": f"value {i}" for i in range(20)}  # a long list header

    restamp(source, tmp_path / "stamped.parquet", metadata)

    stamped = pq.read_metadata(tmp_path / "stamped.parquet").metadata
    assert {k.decode(): v.decode() for k, v in stamped.items() if k != b"ARROW:schema"} == metadata
    assert _rows(tmp_path / "stamped.parquet") == _rows(source)


def test_what_is_not_a_readable_parquet_file_is_refused(tmp_path: Path) -> None:
    source = _duckdb_file(tmp_path / "source.parquet")
    data = source.read_bytes()
    with pytest.raises(ParquetFooterError, match="not a Parquet file"):
        with_key_value_metadata(b"id;value\n1;2\n", STAMP)
    with pytest.raises(ParquetFooterError, match="does not fit"):
        with_key_value_metadata(data[:4] + (10**6).to_bytes(4, "little") + b"PAR1", STAMP)
    footer_length = int.from_bytes(data[-8:-4], "little")
    cut = data[: len(data) - 8 - footer_length // 2]  # half a footer, a length that claims less
    with pytest.raises(ParquetFooterError):
        with_key_value_metadata(cut + (footer_length // 2).to_bytes(4, "little") + b"PAR1", STAMP)


def test_a_footer_cut_anywhere_is_refused_with_the_module_s_error(tmp_path: Path) -> None:
    """Every cut of a real footer (lists and nested structs of eight column chunks) is refused
    with `ParquetFooterError` — the publication's signal to write the file anew — never with
    an IndexError from reading past the footer."""
    data = _duckdb_file(tmp_path / "source.parquet", rows=3_000, row_group_size=1_024).read_bytes()
    footer_length = int.from_bytes(data[-8:-4], "little")
    assert footer_length > 1_000  # three row groups of eight columns, nested ones among them
    footer = data[len(data) - 8 - footer_length : -8]
    for kept in range(footer_length):  # the column chunks before it play no part in the parse
        cut = b"PAR1" + footer[:kept] + kept.to_bytes(4, "little") + b"PAR1"
        with pytest.raises(ParquetFooterError):
            with_key_value_metadata(cut, STAMP)
    # field 1: a list of two lists; the first holds one binary value whose length reaches the
    # file's last byte, so the second list's header would be read beyond the file
    footer = bytes([0x19, 0x29, 0x18, 8])
    with pytest.raises(ParquetFooterError, match="ends inside"):
        with_key_value_metadata(
            b"PAR1" + footer + len(footer).to_bytes(4, "little") + b"PAR1", STAMP
        )
