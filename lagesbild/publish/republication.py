"""What a republication (tertial review, effect evaluation) republishes as of."""

from __future__ import annotations

import duckdb

from lagesbild.settings import DataPaths


def last_published_month(paths: DataPaths) -> str | None:
    """The month of the current publication (`YYYY-MM`), None when nothing is published."""
    if not paths.publish_db.exists():
        return None
    conn = duckdb.connect(str(paths.publish_db), read_only=True)
    try:
        rows = conn.execute(
            "select month from meta.publication_log order by published_at desc limit 1"
        ).fetchall()
    finally:
        conn.close()
    return rows[0][0] if rows else None
