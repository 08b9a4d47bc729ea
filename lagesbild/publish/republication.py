"""What a republication (tertial review, effect evaluation) republishes as of."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from lagesbild.settings import DataPaths


def latest_log_entry(publish_db: Path, columns: str) -> tuple[Any, ...] | None:
    """`columns` of the publication log's latest row; None when nothing is published."""
    if not publish_db.exists():
        return None
    conn = duckdb.connect(str(publish_db), read_only=True)
    try:
        return conn.execute(
            f"select {columns} from meta.publication_log order by published_at desc limit 1"
        ).fetchone()
    finally:
        conn.close()


def last_published_month(paths: DataPaths) -> str | None:
    """The month of the current publication (`YYYY-MM`), None when nothing is published."""
    entry = latest_log_entry(paths.publish_db, "month")
    return entry[0] if entry else None
