"""The processes that draw the tertial reports: how many, and the forkserver they fork from.

Kept apart from `report` so that a command can start the forkserver without importing the
chart stack itself: the forkserver imports it (`REPORT_MODULE`, `CHART_MODULE`), once, on its
own core.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.forkserver
import os

REPORT_WORKERS_ENV = "LAGESBILD_REPORT_WORKERS"
REPORT_MODULE = "lagesbild.review.report"
CHART_MODULE = "lagesbild.review.charts"
"""Imported by the report code only where a page is drawn (matplotlib), so preloaded too."""


def report_workers() -> int:
    """Processes that draw reports: $LAGESBILD_REPORT_WORKERS, else up to 2 (one per core)."""
    configured = os.environ.get(REPORT_WORKERS_ENV)
    if configured:
        return max(1, int(configured))
    return max(1, min(2, os.cpu_count() or 1))


def report_context() -> multiprocessing.context.ForkServerContext:
    """The forkserver context (a clean process, no threads inherited from DuckDB or polars)
    whose server has imported the report code before it forks a worker."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([REPORT_MODULE, CHART_MODULE])
    return context


def start_report_processes() -> None:
    """Start the report workers' forkserver now, when a command knows it will draw reports.

    Its import of the chart stack (≈ 1 s) then runs on the other core while the command is
    still starting up (importing its code, opening the instance) instead of inside the review,
    where both cores are busy. Idempotent; nothing happens with one report worker.
    """
    if report_workers() > 1:
        report_context()
        multiprocessing.forkserver.ensure_running()
