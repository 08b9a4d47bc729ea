"""Files in the landing zone: finding a month's delivery, hashing, archiving, quarantining."""

from __future__ import annotations

import hashlib
import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

from lagesbild.ingest.raw_store import Delivery

DELIVERY_SUFFIXES = (".csv", ".parquet")


def find_delivery(source_dir: Path, stem: str) -> Path | None:
    """The file `<stem>.csv` or `<stem>.parquet`; refuses to guess when both exist."""
    found = [source_dir / f"{stem}{suffix}" for suffix in DELIVERY_SUFFIXES]
    present = [path for path in found if path.is_file()]
    if len(present) > 1:
        raise ValueError(
            f"{source_dir}: both {present[0].name} and {present[1].name} were delivered for "
            f"{stem}; remove one so the delivery is unambiguous"
        )
    return present[0] if present else None


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def describe_delivery(source: str, partition_key: str, path: Path) -> Delivery:
    stat = path.stat()
    return Delivery(
        source=source,
        partition_key=partition_key,
        file_name=path.name,
        sha256=sha256_of(path),
        size_bytes=stat.st_size,
        delivered_at=datetime.fromtimestamp(stat.st_mtime, tz=UTC).replace(tzinfo=None),
    )


def archive_delivery(archive_root: Path, delivery: Delivery, path: Path) -> Path:
    """Keep an immutable copy at `<archive>/<source>/<partition>/<sha256><ext>`."""
    target = (
        archive_root
        / delivery.source
        / delivery.partition_key
        / (f"{delivery.sha256}{path.suffix}")
    )
    if target.exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".partial")
    shutil.copyfile(path, partial)
    os.chmod(partial, 0o444)
    os.replace(partial, target)
    return target


def quarantine_delivery(quarantine_root: Path, delivery: Delivery, path: Path, reason: str) -> Path:
    """Move a rejected file out of the landing zone, with a reason file beside it."""
    folder = quarantine_root / delivery.source / delivery.partition_key
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{delivery.sha256[:12]}-{path.name}"
    shutil.move(path, target)
    reason_file = target.with_name(target.name + ".reason.txt")
    reason_file.write_text(
        f"source: {delivery.source}\npartition: {delivery.partition_key}\n"
        f"file: {delivery.file_name}\nsha256: {delivery.sha256}\n"
        f"rejected_at: {datetime.now(tz=UTC).isoformat()}\n\n{reason}\n",
        encoding="utf-8",
    )
    return target
