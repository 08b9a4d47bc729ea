"""What the publication log says about each publication, and the review's refused republication.

The tertial review republishes the build database through the same gate as the monthly
publication; after a month the gate refused, the build database holds what was refused, so
the review's republication must be refused too — leaving every published file unchanged.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from lagesbild.publish.publisher import publish
from lagesbild.settings import DataPaths
from pipelines.cli import main, run_tertial
from tests.conftest import PipelineRun
from tests.integration.publication_helpers import (
    fingerprints,
    latest_logged_run,
    verify_published_file,
)
from tests.integration.test_coverage_gate import drop_rows, halland_municipalities

pytestmark = pytest.mark.integration

MONTH = "2024-06"


def log_rows(path: Path) -> list[dict[str, object]]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        relation = conn.sql("select * from meta.publication_log order by published_at")
        return [dict(zip(relation.columns, row, strict=True)) for row in relation.fetchall()]
    finally:
        conn.close()


def test_a_monthly_publication_logs_the_months_it_covers(pipeline_run: PipelineRun) -> None:
    (row,) = [
        r for r in log_rows(pipeline_run.paths.publish_db) if r["run_id"] == pipeline_run.run_id
    ]
    assert row["kind"] == "monthly"
    assert row["covers"] == f"{pipeline_run.start}..{pipeline_run.end}"
    assert row["month"] == pipeline_run.end


def test_an_older_publication_log_is_carried_forward_readable(workspace: DataPaths) -> None:
    """A log written before `kind` and `covers` existed: its rows keep NULL there."""
    conn = duckdb.connect(str(workspace.publish_db))
    try:
        conn.execute("alter table meta.publication_log drop column kind")
        conn.execute("alter table meta.publication_log drop column covers")
        older = conn.execute("select run_id from meta.publication_log").fetchall()
    finally:
        conn.close()

    publish(workspace, month=MONTH, run_id="after-the-upgrade")

    rows = log_rows(workspace.publish_db)
    assert [r["run_id"] for r in rows] == [run for (run,) in older] + ["after-the-upgrade"]
    assert [(r["kind"], r["covers"]) for r in rows[:-1]] == [(None, None)] * len(older)
    assert (rows[-1]["kind"], rows[-1]["covers"]) == ("monthly", MONTH)
    assert verify_published_file(workspace.publish_db) == "after-the-upgrade"


def test_a_review_after_a_refused_month_is_not_republished(
    workspace: DataPaths, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("LAGESBILD_DATA_DIR", str(workspace.root))
    drop_rows(
        workspace, "offences", lambda row: row["municipality_code"] in halland_municipalities()
    )
    assert main(["run", "--month", MONTH]) == 1  # refused: county Halland is missing
    before = fingerprints(workspace)
    published_run = latest_logged_run(workspace.publish_db)
    capsys.readouterr()

    status = run_tertial("2024-T1", workspace)

    message = capsys.readouterr().err
    assert status == 1
    assert "Publication refused" in message
    assert "raw/offences:coverage_complete FAILED" in message
    assert "county 13 (Hallands län)" in message
    assert fingerprints(workspace) == before
    assert latest_logged_run(workspace.publish_db) == published_run
    checks = json.loads(log_rows(workspace.publish_db)[-1]["check_results"])
    assert all(entry["passed"] for entry in checks)
