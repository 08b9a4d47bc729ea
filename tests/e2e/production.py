"""Helpers of the production-stack tests: the data directory, SQL on the instance's
PostgreSQL, GraphQL launches, waiting for runs, and killing a run worker like a crash would."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import ssl
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lagesbild.settings import DataPaths
from pipelines.instance import POSTGRES_URL_ENV

LAGESBILD = str(Path(sys.executable).with_name("lagesbild"))
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
IN_PROGRESS = ("QUEUED", "NOT_STARTED", "STARTING", "STARTED", "CANCELING")
LOCATION = {"repositoryLocationName": "lagesbild", "repositoryName": "__repository__"}
LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on UnauthorizedError { message }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""


@dataclass(frozen=True)
class Production:
    """A data directory whose Dagster instance lives in PostgreSQL at `url`."""

    paths: DataPaths
    url: str

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "LAGESBILD_DATA_DIR": str(self.paths.root),
            POSTGRES_URL_ENV: self.url,
        }

    def sql(self, query: str, *params: object) -> list[tuple[Any, ...]]:
        import psycopg2

        conn = psycopg2.connect(self.url)
        try:
            with conn.cursor() as cursor:
                cursor.execute(query, params)
                return cursor.fetchall()
        finally:
            conn.close()

    def run_status(self, run_id: str) -> str:
        (status,) = self.sql("select status from runs where run_id = %s", run_id)[0]
        return status

    def runs(self) -> list[tuple[str, str, str | None, float | None, float | None]]:
        """(run_id, status, partition, start_time, end_time), oldest first."""
        return self.sql(
            "select run_id, status, partition, start_time, end_time from runs order by id"
        )

    def run_tags(self, run_id: str) -> dict[str, str]:
        return dict(self.sql("select key, value from run_tags where run_id = %s", run_id))

    def materialized(self, run_id: str) -> set[str]:
        """The asset keys (as stored: JSON) the run materialized, from the event log."""
        rows = self.sql(
            "select asset_key from event_logs where run_id = %s "
            "and dagster_event_type = 'ASSET_MATERIALIZATION'",
            run_id,
        )
        return {key for (key,) in rows}


def lagesbild(args: list[str], production: Production) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [LAGESBILD, *args],
        env=production.env(),
        capture_output=True,
        text=True,
        timeout=900,
    )


def post_graphql(
    url: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    login: tuple[str, str] | None = None,
    certificate: Path | None = None,
) -> dict[str, Any]:
    """POST to a Dagster webserver's /graphql (optionally through nginx: TLS and a login)."""
    headers = {"Content-Type": "application/json"}
    if login is not None:
        headers["Authorization"] = "Basic " + base64.b64encode(":".join(login).encode()).decode()
    request = urllib.request.Request(
        f"{url}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers=headers,
    )
    context = ssl.create_default_context(cafile=str(certificate)) if certificate else None
    with urllib.request.urlopen(request, timeout=60, context=context) as response:
        payload = json.loads(response.read())
    assert "errors" not in payload, payload
    return payload["data"]


def launch_monthly_run(url: str, month: str, **kwargs: Any) -> dict[str, Any]:
    """Launch `lagesbild_monthly` for `month` as the UI does; the `launchRun` result."""
    params = {
        "selector": {**LOCATION, "jobName": "lagesbild_monthly"},
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": month}]},
    }
    return post_graphql(url, LAUNCH_RUN, {"params": params}, **kwargs)["launchRun"]


def wait_until(condition: Any, timeout_s: float, what: str, poll_s: float = 2.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(poll_s)


def wait_for_finished(production: Production, run_ids: list[str], timeout_s: float) -> list[str]:
    def finished() -> list[str] | None:
        statuses = [production.run_status(run_id) for run_id in run_ids]
        return statuses if all(status in FINISHED for status in statuses) else None

    return wait_until(finished, timeout_s, f"runs {run_ids} to finish")


def worker_pid(production: Production, run_id: str) -> int | None:
    """The run worker's pid, from the engine event its code server recorded."""
    import dagster as dg
    from dagster._serdes import deserialize_value

    rows = production.sql(
        "select event from event_logs where run_id = %s and dagster_event_type = 'ENGINE_EVENT'",
        run_id,
    )
    for (serialized,) in rows:
        entry = deserialize_value(serialized, dg.EventLogEntry)
        metadata = entry.dagster_event.engine_event_data.metadata
        if "pid" in metadata and "Started process for run" in (entry.message or ""):
            return int(metadata["pid"].value)
    return None


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(children.get(current, []))
    return found


def kill_tree(pid: int) -> list[int]:
    """SIGKILL a process and all its descendants (a worker dying with its dbt process)."""
    killed = descendants(pid)
    for process in killed:
        with contextlib.suppress(ProcessLookupError):
            os.kill(process, signal.SIGKILL)
    return killed
