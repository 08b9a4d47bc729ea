"""The report workers' forkserver, started early by `lagesbild tertial`."""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pytest

from lagesbild.review.report_processes import (
    CHART_MODULE,
    REPORT_MODULE,
    REPORT_WORKERS_ENV,
    report_context,
    report_workers,
    start_report_processes,
)


def forkserver_children() -> list[int]:
    """This process's children running multiprocessing's forkserver (from /proc)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue  # a process that ended while we looked
        if int(fields[1]) == os.getpid() and b"multiprocessing.forkserver" in cmdline:
            children.append(int(stat.parent.name))
    return children


def test_starting_twice_runs_one_forkserver_whose_workers_have_the_report_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(REPORT_WORKERS_ENV, "2")
    start_report_processes()
    start_report_processes()
    assert len(forkserver_children()) == 1
    # a worker forked from it finds the report and chart code imported, not importing it
    with ProcessPoolExecutor(max_workers=1, mp_context=report_context()) as pool:
        loaded = pool.submit(
            eval, f"[m in __import__('sys').modules for m in ({REPORT_MODULE!r}, {CHART_MODULE!r})]"
        ).result()
    assert loaded == [True, True]
    assert len(forkserver_children()) == 1


def test_the_number_of_workers_follows_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REPORT_WORKERS_ENV, "3")
    assert report_workers() == 3
    monkeypatch.setenv(REPORT_WORKERS_ENV, "0")
    assert report_workers() == 1
    monkeypatch.delenv(REPORT_WORKERS_ENV)
    assert report_workers() == min(2, os.cpu_count() or 1)
