"""The export's fingerprint: every input it is built from, nothing else."""

from __future__ import annotations

from pathlib import Path

from lagesbild.publish.export_reuse import (
    EXPORT_INPUT_TABLES,
    export_fingerprint,
    kept_export,
    record_export,
)

CHECKSUMS = {table: f"{index:016x}" for index, table in enumerate(EXPORT_INPUT_TABLES)}
PARTS = {"K1": ["A2", "A1"], "K2": ["B1"]}


def test_the_fingerprint_changes_with_every_input_and_only_with_them() -> None:
    base = export_fingerprint(CHECKSUMS, PARTS, 3)
    assert export_fingerprint(CHECKSUMS, {"K2": ["B1"], "K1": ["A1", "A2"]}, 3) == base
    assert export_fingerprint({**CHECKSUMS, "marts.mart_resources": "ff"}, PARTS, 3) == base
    changed = [
        export_fingerprint({**CHECKSUMS, table: "0" * 16 + "1"}, PARTS, 3)
        for table in EXPORT_INPUT_TABLES
    ]
    changed.append(export_fingerprint(CHECKSUMS, {"K1": ["A1"], "K2": ["B1"]}, 3))
    changed.append(export_fingerprint(CHECKSUMS, None, 3))
    changed.append(export_fingerprint(CHECKSUMS, PARTS, 5))
    assert base not in changed and len(set(changed)) == len(changed)


def test_recorded_files_are_kept_only_while_untouched(tmp_path: Path) -> None:
    files = {"csv": tmp_path / "e.csv", "parquet": tmp_path / "e.parquet"}
    for path in files.values():
        path.write_bytes(b"x" * 10)
    record_export(tmp_path, "f1", files, 7)

    assert kept_export(tmp_path, "f1") == (files, 7)
    assert kept_export(tmp_path, "f2") is None
    files["csv"].write_bytes(b"y" * 11)
    assert kept_export(tmp_path, "f1") is None
    assert kept_export(tmp_path / "missing", "f1") is None
