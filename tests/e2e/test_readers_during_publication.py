"""Readers never see an error or a torn file while the warehouse is republished.

Eight reader processes query the published files in a loop — the main warehouse (row
counts compared with the counts its own publication log recorded) and a region file —
while the main process publishes ten times. Every query must succeed and every file must
be whole: a reader opens the old file or the new one, never a half-written one, and
never blocks the publisher.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lagesbild.publish.publisher import publish
from lagesbild.settings import REGION_SLUGS, DataPaths
from tests.conftest import PipelineRun
from tests.integration.publication_helpers import copy_data_dir, verify_published_file

pytestmark = pytest.mark.e2e

READERS = 8
PUBLICATIONS = 10
READER = r"""
import json, sys, time
from pathlib import Path
import duckdb

main, region, stop, out = (Path(arg) for arg in sys.argv[1:5])
queries, errors, torn, runs = 0, [], 0, set()
while not stop.exists():
    try:
        conn = duckdb.connect(str(main), read_only=True)
        try:
            run_id, counts = conn.execute(
                "select run_id, row_counts from meta.publication_log "
                "order by published_at desc limit 1").fetchall()[0]
            counts = json.loads(counts)
            for table in ("marts.fct_indicator_month", "marts.dim_geography"):
                n = conn.execute(f"select count(*) from {table}").fetchall()[0][0]
                queries += 1
                if n != counts[table]:
                    torn += 1
            queries += 1
            runs.add(run_id)
        finally:
            conn.close()
        conn = duckdb.connect(str(region), read_only=True)
        try:
            foreign = conn.execute(
                "select count(*) from marts.dim_geography "
                "where geo_level <> 'nation' and region <> (select region from meta.publication)"
            ).fetchall()[0][0]
            queries += 1
            if foreign:
                torn += 1
        finally:
            conn.close()
    except Exception as error:
        errors.append(f"{type(error).__name__}: {error}")
    time.sleep(0.1)  # leave the 2-core CI machine to the publisher
out.write_text(json.dumps({"queries": queries, "errors": errors, "torn": torn,
                           "runs": sorted(runs)}))
"""


def test_readers_see_no_error_and_no_torn_file_during_ten_publications(
    pipeline_run: PipelineRun, tmp_path: Path
) -> None:
    paths = copy_data_dir(pipeline_run.paths, tmp_path / "data")
    stop = tmp_path / "stop"
    outputs = [tmp_path / f"reader-{index}.json" for index in range(READERS)]
    readers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                READER,
                str(paths.publish_db),
                str(paths.publish_dir / "regions" / f"{REGION_SLUGS[index % 7]}.duckdb"),
                str(stop),
                str(output),
            ]
        )
        for index, output in enumerate(outputs)
    ]
    published: list[str] = []
    try:
        time.sleep(1.0)
        for number in range(PUBLICATIONS):
            run_id = f"reader-test-{number}"
            publish(DataPaths(paths.root), month="2024-06", run_id=run_id)
            published.append(run_id)
    finally:
        stop.touch()
        for reader in readers:
            reader.wait(timeout=120)
    results = [json.loads(output.read_text()) for output in outputs]
    queries = sum(result["queries"] for result in results)
    errors = [error for result in results for error in result["errors"]]
    torn = sum(result["torn"] for result in results)
    seen_runs = {run for result in results for run in result["runs"]}
    print(f"{READERS} readers made {queries} queries during {len(published)} publications")

    assert len(published) == PUBLICATIONS
    assert errors == []
    assert torn == 0
    assert queries > READERS * PUBLICATIONS
    assert len(seen_runs & set(published)) >= 2, "readers should see several publications"
    assert verify_published_file(paths.publish_db) == published[-1]
