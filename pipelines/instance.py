"""The persistent Dagster instance under `<data>/dagster_home`, shared by CLI runs and the UI."""

from __future__ import annotations

import os

import dagster as dg

from lagesbild.settings import DataPaths

# A single-run backfill of N months would otherwise log one "materialization planned" event per
# asset *and month* (Dagster does so even for the unpartitioned dbt assets of a partitioned run):
# 54 assets x 94 months = 5,076 SQLite writes, ~90 s before the first step starts. With this
# setting Dagster logs one planned event per asset carrying the run's partition range. Trade-off
# (documented by Dagster): if such a run fails, its months show as "missing", not "failed", in
# the partition view; the run itself is marked failed.
PLANNED_EVENTS_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"

DAGSTER_YAML = """\
# Written by Lägesbild. Runs started by the `lagesbild` command and by the UI share this instance.
telemetry:
  enabled: false
concurrency:
  pools:
    # Everything that writes the DuckDB build database runs in pool `lagesbild_build_db`:
    # one writer at a time.
    default_limit: 1
"""


def prepare_dagster_home(paths: DataPaths) -> str:
    """Create `<data>/dagster_home` with its dagster.yaml and point DAGSTER_HOME at it."""
    home = paths.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault(PLANNED_EVENTS_ENV, "true")
    return str(home)


def get_instance(paths: DataPaths) -> dg.DagsterInstance:
    prepare_dagster_home(paths)
    return dg.DagsterInstance.get()
