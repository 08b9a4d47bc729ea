"""A delivery with a hole is never published, though every line of it is valid.

Each case rewrites a landing file of the published small data set (in a private copy) so that
a whole unit is absent — a police region, a county, a large municipality from the offences,
an LPO from the staffing — and runs `lagesbild run --month` on it: the exit status is 1, the
message names source, unit, count and expected range, and every published file is unchanged.
The corrected delivery then publishes with the same command.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable

import dagster as dg
import duckdb
import polars as pl
import pytest

from lagesbild.settings import SEEDS_DIR, DataPaths
from pipelines.cli import main
from pipelines.instance import get_instance
from tests.conftest import PipelineRun
from tests.integration.publication_helpers import (
    fingerprints,
    latest_logged_run,
)

pytestmark = pytest.mark.integration

MONTH = "2024-06"
MUNICIPALITIES = pl.read_csv(SEEDS_DIR / "municipalities.csv", infer_schema=False)


def municipalities_where(column: str, value: str) -> set[str]:
    return set(MUNICIPALITIES.filter(pl.col(column) == value)["municipality_code"])


def drop_rows(paths: DataPaths, source: str, unwanted: Callable[[dict[str, str]], bool]) -> int:
    """Rewrite the month's landing file without the unwanted rows; returns how many went."""
    path = paths.landing_source(source) / f"{MONTH}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=";")
        fields, rows = reader.fieldnames, list(reader)
    kept = [row for row in rows if not unwanted(row)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, delimiter=";", lineterminator="\n")
        writer.writeheader()
        writer.writerows(kept)
    return len(rows) - len(kept)


def run_month(
    paths: DataPaths, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    """`lagesbild run --month MONTH` on the data directory: exit status and stderr."""
    monkeypatch.setenv("LAGESBILD_DATA_DIR", str(paths.root))
    capsys.readouterr()
    status = main(["run", "--month", MONTH])
    return status, capsys.readouterr().err


def in_municipalities(codes: set[str]) -> Callable[[dict[str, str]], bool]:
    return lambda row: row["municipality_code"] in codes


def halland_municipalities() -> set[str]:
    return municipalities_where("county_code", "13")


HOLES = [
    pytest.param(
        "offences",
        in_municipalities(municipalities_where("region_slug", "syd")),
        "offences, region syd (Syd), 2024-06: 0 rows, expected ≈ ",
        id="a police region absent from the offences",
    ),
    pytest.param(
        "offences",
        in_municipalities(halland_municipalities()),
        "offences, county 13 (Hallands län), 2024-06: 0 rows, expected ≈ ",
        id="a county absent from the offences",
    ),
    pytest.param(
        "offences",
        in_municipalities({"1480"}),
        "offences, municipality 1480 (Göteborg), 2024-06: 0 rows, expected ≈ ",
        id="a large municipality absent from the offences",
    ),
    pytest.param(
        "staffing",
        lambda row: row["lpo_code"] == "531350",
        "staffing, LPO 531350 (Järva), 2024-06: no row (delivered in 2024-05, and the "
        "geography says it still exists)",
        id="an LPO absent from the staffing",
    ),
]


@pytest.mark.parametrize(("source", "unwanted", "named"), HOLES)
def test_a_delivery_with_a_unit_missing_is_refused_and_nothing_is_published(
    workspace: DataPaths,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    source: str,
    unwanted: Callable[[dict[str, str]], bool],
    named: str,
) -> None:
    before = fingerprints(workspace)
    published_run = latest_logged_run(workspace.publish_db)
    assert drop_rows(workspace, source, unwanted) > 0

    status, message = run_month(workspace, monkeypatch, capsys)

    assert status == 1
    assert f"raw/{source}:coverage_complete FAILED" in message
    assert named in message, message
    if source != "staffing":  # the expected range is printed with the count
        assert "(plausible range " in message.split(named, 1)[1].split(";")[0]
    assert "the previous publication (if any) is unchanged" in message
    assert fingerprints(workspace) == before
    assert latest_logged_run(workspace.publish_db) == published_run


def coverage_evaluation(paths: DataPaths, source: str) -> dg.AssetCheckEvaluation:
    key = dg.AssetCheckKey(dg.AssetKey(["raw", source]), "coverage_complete")
    record = get_instance(paths).event_log_storage.get_latest_asset_check_execution_by_key([key])
    return record[key].evaluation


def published_count(paths: DataPaths, geo_level: str, geo_code: str) -> float:
    conn = duckdb.connect(str(paths.publish_db), read_only=True)
    try:
        return conn.execute(
            "select numerator from marts.fct_indicator_month where month = ? and geo_level = ? "
            "and geo_code = ? and indicator_code = 'offences_total'",
            [f"{MONTH}-01", geo_level, geo_code],
        ).fetchall()[0][0]
    finally:
        conn.close()


def test_the_corrected_delivery_publishes_with_lagesbild_run(
    workspace: DataPaths, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    landing = workspace.landing_source("offences") / f"{MONTH}.csv"
    original = landing.read_bytes()
    vast_before = published_count(workspace, "region", "vast")
    previous_run = latest_logged_run(workspace.publish_db)
    assert drop_rows(workspace, "offences", in_municipalities(halland_municipalities())) > 0
    refused, _ = run_month(workspace, monkeypatch, capsys)
    assert refused == 1
    assert coverage_evaluation(workspace, "offences").passed is False

    landing.write_bytes(original)  # the economics department delivers the month again
    status, message = run_month(workspace, monkeypatch, capsys)

    assert status == 0, message
    evaluation = coverage_evaluation(workspace, "offences")
    assert evaluation.passed is True
    assert evaluation.metadata["months"].value == [MONTH]
    assert evaluation.metadata["unit_months_judged"].value > 100
    assert published_count(workspace, "region", "vast") == vast_before
    conn = duckdb.connect(str(workspace.publish_db), read_only=True)
    try:
        run_id, checks = conn.execute(
            "select run_id, check_results from meta.publication_log "
            "order by published_at desc limit 1"
        ).fetchall()[0]
    finally:
        conn.close()
    assert run_id != previous_run
    passed = {entry["check"]: entry["passed"] for entry in json.loads(checks)}
    coverage = {check for check in passed if check.endswith(":coverage_complete")}
    assert len(coverage) == 6
    assert all(passed[check] for check in coverage)


def test_the_default_history_publishes_without_a_block(pipeline_run: PipelineRun) -> None:
    """The small data set's whole backfill: every month checked, the first year lacks history."""
    instance = get_instance(pipeline_run.paths)
    for source in ("offences", "clearances", "incidents", "staffing", "presence", "cameras"):
        key = dg.AssetCheckKey(dg.AssetKey(["raw", source]), "coverage_complete")
        record = instance.event_log_storage.get_latest_asset_check_execution_by_key([key])[key]
        evaluation = record.evaluation
        assert record.run_id == pipeline_run.run_id
        assert evaluation.passed, evaluation.description
        months = evaluation.metadata["months"].value
        assert (months[0], months[-1], len(months)) == (pipeline_run.start, pipeline_run.end, 18)
        assert evaluation.metadata["blocks"].value == []
        assert evaluation.metadata["unit_months_judged"].value > 0
        assert evaluation.metadata["without_enough_history"].value > 0
