"""Running one Great Expectations suite on the build database for the month being checked."""

from __future__ import annotations

import traceback
from datetime import date
from pathlib import Path

import duckdb

from lagesbild.quality.config import EXPECTATIONS_DIR, QualityConfig
from lagesbild.quality.datasets import frame_for, parameters
from lagesbild.quality.gx_runner import ExpectationOutcome, as_batch, load_suite, validate

PLAUSIBILITY_BATCH = "plausibility"
"""The batch of month-on-month jumps: a warning, evaluated apart from the required batches."""


def available_suites(prefix: str) -> list[str]:
    """The suites of `expectations/` for one schema (`raw` or `marts`), by dataset name."""
    return sorted(path.stem for path in EXPECTATIONS_DIR.glob(f"{prefix}.*.json"))


def latest_delivered_month(conn: duckdb.DuckDBPyConnection) -> date | None:
    """The newest month with an accepted monthly delivery."""
    return conn.execute("select max(month) from raw.deliveries").fetchall()[0][0]


def run_suite(
    conn: duckdb.DuckDBPyConnection,
    suite_name: str,
    month: date,
    config: QualityConfig,
    results_dir: Path,
    batches: list[str],
) -> list[ExpectationOutcome]:
    """Every expectation of the suite's `batches`; a frame that cannot be built fails loudly."""
    suite = load_suite(suite_name)
    params = parameters(conn, month, config)
    outcomes: list[ExpectationOutcome] = []
    for batch in batches:
        try:
            # the polars frame lives only until its pandas copy exists (memory: see as_batch)
            data = as_batch(frame_for(conn, suite_name, batch, month, config), suite, batch)
            outcomes.extend(validate(suite, batch, data, params, results_dir))
            del data
        except Exception as error:
            outcomes.append(
                ExpectationOutcome(
                    suite=suite_name,
                    batch=batch,
                    expectation="build_frame",
                    column=None,
                    description="the frame for this batch could be read",
                    success=False,
                    error=f"{type(error).__name__}: {error}",
                    samples=[traceback.format_exc(limit=2)[-500:]],
                )
            )
    return outcomes
