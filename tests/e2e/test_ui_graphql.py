"""The Dagster UI's GraphQL API, served by a real dagster-webserver on 127.0.0.1."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from lagesbild.settings import PROJECT_ROOT
from tests.conftest import PipelineRun

pytestmark = pytest.mark.e2e

STARTUP_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def graphql(base_url: str, query: str) -> dict:
    request = urllib.request.Request(
        f"{base_url}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.loads(response.read())
    assert "errors" not in payload, payload
    return payload["data"]


@pytest.fixture(scope="module")
def webserver(pipeline_run: PipelineRun) -> Iterator[str]:
    """dagster-webserver --read-only on the instance the pipeline run wrote to."""
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(pipeline_run.paths.dagster_home),
        "LAGESBILD_DATA_DIR": str(pipeline_run.paths.root),
    }
    command = [
        str(Path(sys.executable).with_name("dagster-webserver")),
        "-w",
        "workspace.yaml",
        "-h",
        "127.0.0.1",
        "-p",
        str(port),
        "--read-only",
    ]
    process = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    try:
        while True:
            if process.poll() is not None:
                pytest.fail(f"webserver exited: {process.stderr.read().decode()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base_url}/server_info", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("webserver did not start in time")
                time.sleep(1)
        yield base_url
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_the_ui_shows_the_graph_from_ingest_to_publish(webserver: str) -> None:
    data = graphql(
        webserver,
        "{ assetNodes { assetKey { path } groupName dependencyKeys { path } } }",
    )
    nodes = {"/".join(n["assetKey"]["path"]): n for n in data["assetNodes"]}
    assert nodes["raw/offences"]["groupName"] == "ingest"
    assert nodes["marts/fct_indicator_month"]["groupName"] == "marts"
    publish_deps = {
        "/".join(d["path"]) for d in nodes["publish/lagesbild_warehouse"]["dependencyKeys"]
    }
    assert "marts/fct_indicator_month" in publish_deps
    staging_deps = {
        "/".join(d["path"]) for d in nodes["staging/stg_offences__offences"]["dependencyKeys"]
    }
    assert staging_deps == {"raw/offences"}


def test_the_ui_shows_the_provenance_of_the_latest_publication(
    webserver: str, pipeline_run: PipelineRun
) -> None:
    data = graphql(
        webserver,
        """{ assetOrError(assetKey: {path: ["publish", "lagesbild_warehouse"]}) {
              ... on Asset { assetMaterializations(limit: 1) {
                  runId partition
                  metadataEntries { label ... on PathMetadataEntry { path } } } } } }""",
    )
    latest = data["assetOrError"]["assetMaterializations"][0]
    assert latest["runId"] == pipeline_run.run_id
    entries = {entry["label"]: entry for entry in latest["metadataEntries"]}
    assert entries["path"]["path"] == str(pipeline_run.paths.publish_db)
    assert {"row_counts", "checksums", "archived_as"} <= set(entries)


def test_the_ui_shows_ingest_provenance_per_delivery(
    webserver: str, pipeline_run: PipelineRun
) -> None:
    data = graphql(
        webserver,
        """{ assetOrError(assetKey: {path: ["raw", "geography_deso"]}) {
              ... on Asset { assetMaterializations(limit: 1) {
                  metadataEntries { label ... on TextMetadataEntry { text } } } } } }""",
    )
    entries = {
        entry["label"]: entry.get("text")
        for entry in data["assetOrError"]["assetMaterializations"][0]["metadataEntries"]
    }
    assert entries["file_name"] == "deso.csv"
    assert len(entries["sha256"]) == 64
