"""The live SCB adapter against a local HTTP server that answers exactly like PxWeb."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import dagster as dg
import pytest

from assets.resources import LagesbildSettings, ScbPopulationResource
from lagesbild.ingest.jsonstat import JsonStatError, population_rows
from lagesbild.ingest.scb import ScbPopulationClient, ScbUnavailable
from lagesbild.settings import DataPaths
from pipelines.scb_fetch import scb_population_fetch

TABLE_PATH = "/OV0104/v1/doris/sv/ssd/START/BE/BE0101/BE0101Y/FolkmDesoAldKonN"


class FakePxWeb:
    """Serves one JSON-stat2 body on POST; records the queries it received."""

    def __init__(self, body: bytes, status: int = 200) -> None:
        self.body = body
        self.status = status
        self.queries: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers["Content-Length"])
                outer.queries.append(json.loads(self.rfile.read(length)))
                self.send_response(outer.status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}{TABLE_PATH}"

    def __enter__(self) -> FakePxWeb:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def population_2023(small_landing: DataPaths) -> bytes:
    return small_landing.landing_source("population").joinpath("2023.json").read_bytes()


def test_fetch_posts_a_jsonstat2_query_and_parses_like_the_file_drop(
    population_2023: bytes, tmp_path: Path
) -> None:
    with FakePxWeb(population_2023) as server:
        client = ScbPopulationClient(table_url=server.url, timeout_s=5)
        path, rows = client.save_year(2023, tmp_path / "population")
    query = server.queries[0]
    assert query["response"] == {"format": "json-stat2"}
    assert {"code": "Tid", "selection": {"filter": "item", "values": ["2023"]}} in query["query"]
    assert path.read_bytes() == population_2023
    assert rows == population_rows(population_2023).height


def test_a_server_error_is_transient_and_a_bad_body_is_not(
    population_2023: bytes, tmp_path: Path
) -> None:
    with (
        FakePxWeb(b"overloaded", status=503) as server,
        pytest.raises(ScbUnavailable, match="HTTP 503"),
    ):
        ScbPopulationClient(table_url=server.url, timeout_s=5).fetch_year(2023)
    with (
        FakePxWeb(b'{"class": "collection"}') as server,
        pytest.raises(JsonStatError, match=r"not a JSON-stat 2\.0 dataset"),
    ):
        ScbPopulationClient(table_url=server.url, timeout_s=5).save_year(2023, tmp_path)
    assert not (tmp_path / "2023.json").exists()


def test_asking_for_one_year_and_getting_another_is_refused(
    population_2023: bytes, tmp_path: Path
) -> None:
    with (
        FakePxWeb(population_2023) as server,
        pytest.raises(JsonStatError, match=r"returned year\(s\) \[2023\] when asked for 2024"),
    ):
        ScbPopulationClient(table_url=server.url, timeout_s=5).save_year(2024, tmp_path)


def test_the_fetch_job_writes_the_landing_file(population_2023: bytes, tmp_path: Path) -> None:
    with FakePxWeb(population_2023) as server:
        result = scb_population_fetch.execute_in_process(
            run_config={"ops": {"fetch_population_from_scb": {"config": {"year": 2023}}}},
            resources={
                "scb": ScbPopulationResource(table_url=server.url, timeout_s=5),
                "settings": LagesbildSettings(data_dir=str(tmp_path)),
            },
        )
    assert result.success
    assert (tmp_path / "landing" / "population" / "2023.json").read_bytes() == population_2023


def test_the_fetch_job_does_not_retry_on_bad_data(tmp_path: Path) -> None:
    with FakePxWeb(b"[]") as server:
        result = scb_population_fetch.execute_in_process(
            run_config={"ops": {"fetch_population_from_scb": {"config": {"year": 2023}}}},
            resources={
                "scb": ScbPopulationResource(table_url=server.url, timeout_s=5),
                "settings": LagesbildSettings(data_dir=str(tmp_path)),
            },
            raise_on_error=False,
        )
    assert not result.success
    assert len(server.queries) == 1
    events = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert (
        "not a usable JSON-stat2 population dataset"
        in events[0].step_failure_data.user_failure_data.description
    )
