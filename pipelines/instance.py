"""The Dagster instance of a data directory: `<data>/dagster_home`, on SQLite or PostgreSQL.

Every `lagesbild` command, the webservers, the daemon and the code server use the instance
configured in `<data>/dagster_home/dagster.yaml`, which this module writes (and rewrites when
it is stale). Its storage is selected by one setting: with `LAGESBILD_POSTGRES_URL`
(`postgresql://user:password@host:5432/database`) runs, event log and schedules live in
PostgreSQL — the URL itself is read from the environment and never written to disk; without
it, SQLite files under `<data>/dagster_home` (the embedded default for `make run`).

`python -m pipelines.instance` writes the file and prints the instance's home: the systemd
units run it before starting a service, so a service never starts on a stale configuration.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assets.policy import BUILD_DB_RUN_TAG
from lagesbild.settings import DataPaths

if TYPE_CHECKING:
    import dagster as dg

POSTGRES_URL_ENV = "LAGESBILD_POSTGRES_URL"
"""postgresql://… of the instance's storage; unset = SQLite under `<data>/dagster_home`."""

# A single-run backfill of N months would otherwise log one "materialization planned" event per
# asset *and month* (Dagster does so even for the unpartitioned dbt assets of a partitioned run):
# 54 assets x 94 months = 5,076 event-log writes, ~90 s before the first step starts. With this
# setting Dagster logs one planned event per asset carrying the run's partition range. Trade-off
# (documented by Dagster): if such a run fails, its months show as "missing", not "failed", in
# the partition view; the run itself is marked failed.
# Dagster 1.13 has no instance-configuration key for it: the event log storage reads this
# environment variable (`EventLogStorage.supports_partition_subset_in_asset_materialization_
# planned_events`), in whichever process creates the run — the `lagesbild` command, the
# webserver (launches from the UI) and the daemon (schedules, sensors, backfills). Every process
# Lägesbild starts sets it (`lagesbild ui`, `lagesbild serve`, `deploy/lagesbild.env` for the
# systemd units); set it yourself when you start `dagster-webserver` or `dagster-daemon` by hand.
PLANNED_EVENTS_ENV = "DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS"

MAX_CONCURRENT_RUNS = 4
"""Runs in progress at once: one that writes the build database plus e.g. an SCB fetch."""
RUN_START_TIMEOUT_S = 300
"""A run still STARTING after this long (its launch died with the daemon) is marked failed."""
RUN_MAX_RUNTIME_S = 6 * 3600
"""Backstop: a run STARTED for this long (its worker and code server died) is marked failed.
A national backfill takes ~75 s, a monthly run ~35 s (BENCHMARKS.md)."""

_HEADER = """\
# Written by Lägesbild (pipelines/instance.py) and rewritten by every `lagesbild` command and by
# `python -m pipelines.instance`: change the code, not this file. The `lagesbild` command, the
# webservers, the daemon and the code server all use this instance.
telemetry:
  enabled: false
"""

_POSTGRES_STORAGE = f"""\
# Runs, event log and schedules in PostgreSQL; the URL comes from the environment. The event
# log keeps its connection instead of opening one per event (pipelines/event_log.py).
run_storage:
  module: dagster_postgres.run_storage
  class: PostgresRunStorage
  config:
    postgres_url:
      env: {POSTGRES_URL_ENV}
event_log_storage:
  module: pipelines.event_log
  class: KeptConnectionsPostgresEventLogStorage
  config:
    postgres_url:
      env: {POSTGRES_URL_ENV}
schedule_storage:
  module: dagster_postgres.schedule_storage
  class: PostgresScheduleStorage
  config:
    postgres_url:
      env: {POSTGRES_URL_ENV}
"""

_SETTINGS = f"""\
concurrency:
  pools:
    # Everything that writes the DuckDB build database runs in pool `lagesbild_build_db`:
    # one writer at a time, also across runs.
    default_limit: 1
  runs:
    # The run queue (QueuedRunCoordinator; dagster-daemon dequeues): runs launched from the UI,
    # the schedules and the sensor wait here. A run tagged `{BUILD_DB_RUN_TAG}` (every job that
    # writes the build database) starts only when no other such run is in progress, in the
    # order launched: two publications never overlap, a tertial review waits for a monthly run.
    max_concurrent_runs: {MAX_CONCURRENT_RUNS}
    tag_concurrency_limits:
      - key: {BUILD_DB_RUN_TAG}
        limit: 1
run_monitoring:
  # The daemon watches runs in progress. The default run launcher cannot resume a run whose
  # worker died (the code server that started it marks it failed); these limits catch what
  # is left: a launch that never started, and a run whose worker and code server both died.
  enabled: true
  start_timeout_seconds: {RUN_START_TIMEOUT_S}
  max_runtime_seconds: {RUN_MAX_RUNTIME_S}
  max_resume_run_attempts: 0
  poll_interval_seconds: 30
  # A run whose worker was killed still holds its slot in pool `lagesbild_build_db`; the
  # daemon frees it this long after the run was marked failed, so the queue moves on.
  free_slots_after_run_end_seconds: 30
code_servers:
  # Loading the code location (dbt manifest, GX suites) takes ~10 s; more on a busy machine.
  local_startup_timeout: 300
"""


class InstanceConfigurationError(RuntimeError):
    """The data directory's instance cannot be used as configured (said how to fix it)."""


def postgres_url() -> str | None:
    """The PostgreSQL URL of the instance's storage, from the environment (None: SQLite)."""
    return os.environ.get(POSTGRES_URL_ENV) or None


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy understands: show only its scheme
        return url.split("://", 1)[0] + "://…"


def describe_instance(paths: DataPaths) -> str:
    """Where the instance's runs and events are stored, for an operator (no password)."""
    url = postgres_url()
    if url is not None:
        return f"PostgreSQL {redacted(url)} (configuration in {paths.dagster_home})"
    return f"SQLite in {paths.dagster_home}"


def _sqlite_event_log(home: Path) -> str:
    return f"""\
event_log_storage:
  # Dagster's SQLite event log in its usual place, with its connections kept instead of
  # rebuilt for every event (pipelines/event_log.py). Runs and schedules: Dagster's defaults.
  module: pipelines.event_log
  class: KeptConnectionsSqliteEventLogStorage
  config:
    base_dir: {home.resolve() / "history" / "runs"}
"""


def instance_yaml(on_postgres: bool, home: Path | None = None) -> str:
    """The dagster.yaml of a data directory's instance (also `deploy/dagster.yaml`).

    On SQLite the event log's directory is written out, so `home` is required.
    """
    if on_postgres:
        return _HEADER + _POSTGRES_STORAGE + _SETTINGS
    if home is None:
        raise ValueError("a SQLite instance's dagster.yaml names its home: pass `home`")
    return _HEADER + _sqlite_event_log(home) + _SETTINGS


def _configured_for_postgres(config: Path) -> bool:
    return config.exists() and f"env: {POSTGRES_URL_ENV}" in config.read_text(encoding="utf-8")


def write_instance_yaml(home: Path, on_postgres: bool) -> Path:
    """Write `<home>/dagster.yaml` when it is missing or stale (atomically: other processes
    may be reading it)."""
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    wanted = instance_yaml(on_postgres, home)
    if config.exists() and config.read_text(encoding="utf-8") == wanted:
        return config
    partial = home / f".dagster.yaml.{os.getpid()}.partial"
    partial.write_text(wanted, encoding="utf-8")
    os.replace(partial, config)
    return config


def prepare_dagster_home(paths: DataPaths) -> str:
    """Write `<data>/dagster_home/dagster.yaml` for the configured storage, point DAGSTER_HOME
    at it and set the planned-events setting. Refuses to fall back to SQLite silently when the
    instance was on PostgreSQL and `LAGESBILD_POSTGRES_URL` is not set."""
    home = paths.dagster_home
    on_postgres = postgres_url() is not None
    if not on_postgres and _configured_for_postgres(home / "dagster.yaml"):
        raise InstanceConfigurationError(
            f"the Dagster instance of {paths.root} is on PostgreSQL ({home / 'dagster.yaml'}), "
            f"but {POSTGRES_URL_ENV} is not set. Set it (docs/operations.md; `lagesbild serve` "
            "prints it for its own cluster), or delete that dagster.yaml to go back to the "
            "SQLite instance under dagster_home."
        )
    write_instance_yaml(home, on_postgres)
    os.environ["DAGSTER_HOME"] = str(home)
    os.environ.setdefault(PLANNED_EVENTS_ENV, "true")
    return str(home)


def get_instance(paths: DataPaths) -> dg.DagsterInstance:
    """The data directory's instance; a clear error when its PostgreSQL cannot be reached."""
    import dagster as dg
    from sqlalchemy.exc import SQLAlchemyError

    prepare_dagster_home(paths)
    try:
        return dg.DagsterInstance.get()
    except Exception as error:
        url = postgres_url()
        if url is None:
            raise
        cause = error.__cause__ if not isinstance(error, SQLAlchemyError) else error
        if not isinstance(cause, SQLAlchemyError):
            raise
        reason = str(cause.orig if cause.orig is not None else cause).strip().splitlines()[0]
        raise InstanceConfigurationError(
            f"cannot open the Dagster instance's PostgreSQL storage at {redacted(url)} "
            f"({POSTGRES_URL_ENV}): {reason}"
        ) from error


def main() -> int:
    """Write the instance configuration of $LAGESBILD_DATA_DIR and print DAGSTER_HOME."""
    try:
        print(prepare_dagster_home(DataPaths.from_env()))
    except InstanceConfigurationError as error:
        print(f"lagesbild: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
