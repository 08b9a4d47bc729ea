"""Keep the published export when nothing it is built from has changed.

The public export (Parquet and CSV of every month, with disclosure control) is a pure function
of the candidate's `marts.fct_indicator_month`, `marts.dim_geography` and `marts.dim_indicator`,
the composite areas' parts, the disclosure threshold and the code that builds it. Each
publication that builds the export records a fingerprint of those inputs beside it
(`publish/export/.inputs.json`, with each file's size and modification time); a later
publication whose fingerprint is equal — the tertial review's republication, a re-run of a
month — keeps the published files instead of building and verifying the same bytes again.
Any difference, a missing or touched file, or an unreadable record means: build as before.
The record also keeps each month's suppression fingerprints (`suppression_reuse`): an export
that is built again computes the suppression only of months that changed. And when the
publication patched only some months of the fact table and kept the dimensions
(`month_patch`), and the published export was built from the previous publication's inputs,
only those months' rows are built and the others are taken from the published Parquet file
(`export.patched_export_frame`); the whole export is verified either way.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lagesbild.publish.suppression_reuse import SuppressionMemo, export_code_digests

EXPORT_INPUT_TABLES = ("marts.fct_indicator_month", "marts.dim_geography", "marts.dim_indicator")
"""The published tables the export reads (their publication checksums enter the fingerprint)."""
RECORD_NAME = ".inputs.json"


def export_fingerprint(
    checksums: Mapping[str, str], parts: Mapping[str, list[str]] | None, threshold: int
) -> str:
    """sha256 over the export's inputs: table checksums, area parts, threshold, code."""
    digest = hashlib.sha256()
    inputs = {
        "tables": {table: checksums[table] for table in EXPORT_INPUT_TABLES},
        "area_parts": {area: sorted(members) for area, members in sorted((parts or {}).items())},
        "threshold": threshold,
        "code": export_code_digests(),
    }
    digest.update(json.dumps(inputs, sort_keys=True).encode())
    return digest.hexdigest()


def _file_identity(path: Path) -> list[int]:
    stat = path.stat()
    return [stat.st_size, stat.st_mtime_ns]


def _valid_record(folder: Path) -> dict[str, Any] | None:
    """The record of the published export, if its files are the ones it was written with."""
    try:
        record = json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))
        files = {kind: folder / name for kind, name in record["files"].items()}
        if any(_file_identity(path) != record["identity"][kind] for kind, path in files.items()):
            return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    return record


def kept_export(folder: Path, fingerprint: str) -> tuple[dict[str, Path], int] | None:
    """The published export files and their suppressed-cell count, if built from these inputs."""
    record = _valid_record(folder)
    if record is None or record.get("fingerprint") != fingerprint:
        return None
    try:
        files = {kind: folder / name for kind, name in record["files"].items()}
        return files, int(record["suppressed_cells"])
    except (KeyError, TypeError, ValueError):
        return None


def published_parquet(folder: Path, fingerprint: str) -> Path | None:
    """The published export's Parquet file, if the export was built from inputs `fingerprint`
    (its files untouched since)."""
    record = _valid_record(folder)
    if record is None or record.get("fingerprint") != fingerprint:
        return None
    name = record["files"].get("parquet") if isinstance(record["files"], dict) else None
    return folder / name if isinstance(name, str) else None


def suppression_memo(folder: Path) -> SuppressionMemo:
    """What the published export recorded of its months' suppression (empty if unusable)."""
    record = _valid_record(folder)
    if record is None or not isinstance(record.get("suppression"), dict):
        return SuppressionMemo(None, None)
    parquet = record["files"].get("parquet")
    return SuppressionMemo(record["suppression"], folder / parquet if parquet else None)


def record_export(
    folder: Path,
    fingerprint: str,
    files: Mapping[str, Path],
    suppressed_cells: int,
    suppression: Mapping[str, Any] | None = None,
) -> None:
    """Record what the published export files were built from (written atomically)."""
    record = {
        "fingerprint": fingerprint,
        "files": {kind: path.name for kind, path in files.items()},
        "identity": {kind: _file_identity(path) for kind, path in files.items()},
        "suppressed_cells": suppressed_cells,
        "suppression": dict(suppression or {}),
    }
    staged = folder / f"{RECORD_NAME}.{os.getpid()}"
    staged.write_text(json.dumps(record, sort_keys=True), encoding="utf-8")
    os.replace(staged, folder / RECORD_NAME)
