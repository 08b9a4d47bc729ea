"""One tertial review end to end: completeness → statistics → reports → tables → republish.

Called by the Dagster asset (inside the build-database pool) and nothing else; the command
line goes through the asset so every review is a recorded materialization.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import polars as pl

from lagesbild.review.completeness import Completeness, tertial_completeness
from lagesbild.review.inputs import ReviewInputs, is_synthetic_data, load_inputs
from lagesbild.review.tertials import parse_label
from lagesbild.settings import DataPaths

if TYPE_CHECKING:
    from lagesbild.review.compute import ReviewTables

REVIEW_SCHEMA = "review"
"""The schema of the review's tables, in the build database and in the publication."""
REVIEW_TABLES = {
    "fct_tertial_review": "per geography and indicator: tertial count and rate, the change "
    "against the same tertial a year earlier with its exact interval and BH q-value, trend, "
    "control-chart signal and rank (contract in docs/handoff_contracts.md).",
    "fct_tertial_control_chart": "the monthly series behind the control charts, with centre "
    "line, Laney u′ limits and the signals.",
    "fct_tertial_findings": "the written findings, ordered by strength of evidence.",
    "fct_area_index": "the objective area index per unit and assessment period.",
    "fct_tertial_goal_progress": "progress against each effect goal at the tertial's end.",
}
"""Every table the review writes, with what it holds."""


class TertialNotComplete(RuntimeError):
    """The tertial's four months are not all published; the review does not run."""


class NothingPublished(RuntimeError):
    """There is no published warehouse to review."""


@dataclass
class ReviewOutcome:
    label: str
    inputs: ReviewInputs
    tables: ReviewTables
    reports: dict[str, Path]
    row_counts: dict[str, int]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def report_dir(self) -> Path:
        return next(iter(self.reports.values())).parent


def report_dir(paths: DataPaths, label: str) -> Path:
    parse_label(label)
    return paths.root / "reports" / "tertial" / label


def check_complete(paths: DataPaths, label: str) -> Completeness:
    """The completeness rule, on the published warehouse (read-only)."""
    parse_label(label)
    if not paths.publish_db.exists():
        raise NothingPublished(
            f"no published warehouse at {paths.publish_db}: run the monthly pipeline first"
        )
    conn = duckdb.connect(str(paths.publish_db), read_only=True)
    try:
        return tertial_completeness(conn, label)
    finally:
        conn.close()


def replace_label_rows(
    conn: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, label: str
) -> int:
    """Replace this tertial's rows of `review.<table>`, keeping other tertials' rows.

    The table is rewritten whole (old rows + new, columns unioned), so a new column or a new
    indicator never breaks an older review's rows. An empty frame removes the tertial's rows.
    """
    qualified = f"{REVIEW_SCHEMA}.{table}"
    exists = conn.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [REVIEW_SCHEMA, table],
    ).fetchall()[0][0]
    if frame.is_empty():
        if exists:
            conn.execute(f"delete from {qualified} where tertial_label = ?", [label])
        return 0
    combined = frame
    if exists:
        kept = conn.sql(
            f"select * from {qualified} where tertial_label is distinct from ?", params=[label]
        ).pl()
        if not kept.is_empty():
            combined = pl.concat([kept, frame], how="diagonal_relaxed")
    conn.register("review_frame", combined.to_arrow())
    try:
        conn.execute(f"create or replace table {qualified} as select * from review_frame")
    finally:
        conn.unregister("review_frame")
    return combined.filter(pl.col("tertial_label") == label).height


def write_tables(conn: duckdb.DuckDBPyConnection, tables: ReviewTables) -> dict[str, int]:
    conn.execute(f"create schema if not exists {REVIEW_SCHEMA}")
    counts = {}
    conn.execute("begin transaction")
    try:
        for name, frame in tables.warehouse_tables().items():
            if not frame.is_empty() and "tertial_label" not in frame.columns:
                raise ValueError(f"review table {name} has no tertial_label column")
            counts[f"{REVIEW_SCHEMA}.{name}"] = replace_label_rows(
                conn, name, frame, label=tables.label
            )
        conn.execute("commit")
    except BaseException:
        conn.execute("rollback")
        raise
    return counts


def run_review(
    paths: DataPaths,
    label: str,
    *,
    connect_build: Callable[[], duckdb.DuckDBPyConnection],
    republish: Callable[[], object] | None = None,
) -> ReviewOutcome:
    """Review `label`; raises TertialNotComplete (with the clear message) when incomplete."""
    # The statistics and chart stack (scipy, matplotlib) loads here, not with the code
    # location: every monthly run imports this module and would pay ≈ 0.8 s for it.
    from lagesbild.review.compute import build_review
    from lagesbild.review.report import write_reports

    timings: dict[str, float] = {}
    started = time.perf_counter()
    completeness = check_complete(paths, label)
    if not completeness.is_complete:
        raise TertialNotComplete(completeness.message)
    inputs = load_inputs(paths.publish_db, label, is_synthetic=is_synthetic_data(paths))
    timings["read"] = time.perf_counter() - started
    step = time.perf_counter()
    tables = build_review(inputs)
    timings["statistics"] = time.perf_counter() - step

    def store() -> dict[str, int]:
        """Tables into the build database, then the republication (DuckDB-bound)."""
        step = time.perf_counter()
        conn = connect_build()
        try:
            counts = write_tables(conn, tables)
        finally:
            conn.close()
        timings["tables"] = time.perf_counter() - step
        if republish is not None:
            step = time.perf_counter()
            republish()
            timings["republish"] = time.perf_counter() - step
        return counts

    # The reports are drawn in worker processes while this process stores and republishes.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="review-store") as pool:
        storing = pool.submit(store)
        step = time.perf_counter()
        reports = write_reports(inputs, tables, report_dir(paths, label))
        timings["reports"] = time.perf_counter() - step
        row_counts = storing.result()
    timings["total"] = time.perf_counter() - started
    return ReviewOutcome(label, inputs, tables, reports, row_counts, timings)


def summary_markdown(outcome: ReviewOutcome, limit: int = 8) -> str:
    review = outcome.tables.review
    findings = outcome.tables.findings
    index = outcome.tables.area_index.summary
    lines = [
        f"### Tertialuppföljning {outcome.label}",
        "",
        f"- Jämförelser: {review['p_value'].is_not_null().sum()}, signifikanta efter "
        f"Benjamini–Hochberg: {review['is_significant'].fill_null(False).sum()}",
        f"- Fynd: {findings.height}",
        f"- Rapporter: `{outcome.report_dir}` ({len(outcome.reports)} filer)",
    ]
    if outcome.inputs.is_synthetic:
        lines.append("- **Syntetiska data** (standarddata från generatorn)")
    latest = index.get("latest_period")
    if latest:
        rho = index["periods"][latest]["rho_listed"]
        lines.append(f"- Områdesindex ({latest}): Spearmans ρ mot polisens kategori = {rho:.2f}")
    lines += [f"- {note}" for note in outcome.tables.notes]
    if findings.height:
        lines += ["", "**Viktigaste fynden**", ""]
        lines += [f"{i}. {text}" for i, text in enumerate(findings["text_sv"].head(limit), 1)]
    return "\n".join(lines)
