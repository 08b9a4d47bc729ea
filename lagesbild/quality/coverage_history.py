"""The coverage rule over a build database's whole history: how often it blocks and warns.

    python -m lagesbild.quality.coverage_history [DATA_DIR]

Judges every month of every monthly source exactly as a backfill over the whole history does
and prints, per source, the unit-months judged, the blocks and warnings it raised, and the
false-alarm counts the thresholds imply (threshold × unit-months that could reach it). This is
how the figures in docs/coverage.md were computed on the default data after `make run`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np

from lagesbild.quality.config import QualityConfig
from lagesbild.quality.delivery_coverage import (
    EVENT_SOURCES,
    count_matrix,
    delivered_months,
    event_counts,
    source_coverage,
)
from lagesbild.settings import MONTHLY_SOURCES, DataPaths


@dataclass(frozen=True)
class HistoryRow:
    source: str
    months: int
    judged: int
    blocks: int
    warnings: int
    implied_blocks: float
    """Σ block_p over judged unit-months expected ≥ block_min_expected."""
    implied_warnings: float
    """Σ warn_p over judged unit-months expected ≥ warn_min_expected."""


def history_row(conn: duckdb.DuckDBPyConnection, source: str, config: QualityConfig) -> HistoryRow:
    months = delivered_months(conn, source)
    coverage = source_coverage(conn, source, months, config)
    implied_blocks = implied_warnings = 0.0
    if source in EVENT_SOURCES and months:
        from lagesbild.quality.coverage import expected_counts

        thresholds = config.coverage_thresholds()
        counts = event_counts(conn, source, months[-1])
        _, matrix, _ = count_matrix(counts, months, months[0], months[-1])
        expectation = expected_counts(matrix, thresholds.min_history_months)
        mu = np.where(expectation.has_history & np.isfinite(matrix), expectation.expected, 0.0)
        implied_blocks = thresholds.block_p * float((mu >= thresholds.block_min_expected).sum())
        implied_warnings = thresholds.warn_p * float((mu >= thresholds.warn_min_expected).sum())
    return HistoryRow(
        source,
        len(months),
        coverage.judged,
        len(coverage.blocks),
        len(coverage.warnings),
        implied_blocks,
        implied_warnings,
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    paths = DataPaths(Path(args[0])) if args else DataPaths.from_env()
    config = QualityConfig.from_env()
    conn = duckdb.connect(str(paths.warehouse_db), read_only=True)
    try:
        rows = [history_row(conn, source, config) for source in MONTHLY_SOURCES]
    finally:
        conn.close()
    print("source      months  unit-months judged  blocks  warnings  implied: blocks  warnings")
    for row in rows:
        print(
            f"{row.source:<11} {row.months:>6}  {row.judged:>18}  {row.blocks:>6}  "
            f"{row.warnings:>8}  {row.implied_blocks:>15.3f}  {row.implied_warnings:>8.1f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
