"""The monthly schedule and the landing-zone sensor, evaluated with Dagster's test helpers."""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets.resources import LagesbildSettings
from lagesbild.settings import MONTHLY_SOURCES, DataPaths
from pipelines.definitions import defs
from pipelines.sensors import landing_zone_sensor, plan_runs

STOCKHOLM = ZoneInfo("Europe/Stockholm")


def test_the_schedule_on_the_tenth_runs_the_previous_month() -> None:
    schedule = defs.get_schedule_def("lagesbild_monthly_schedule")
    context = dg.build_schedule_context(
        scheduled_execution_time=datetime(2024, 7, 10, 6, 0, tzinfo=STOCKHOLM)
    )
    requests = list(schedule.evaluate_tick(context).run_requests)
    assert [request.partition_key for request in requests] == ["2024-06"]


def test_plan_launches_new_complete_months_once_and_revisions_again() -> None:
    valid = {"2024-05", "2024-06"}
    first, cursor, skipped = plan_runs({"2024-05": "a", "2024-06": "b"}, {}, set(), valid)
    assert [month for month, _ in first] == ["2024-05", "2024-06"]
    again, cursor_again, _ = plan_runs({"2024-05": "a", "2024-06": "b"}, cursor, set(), valid)
    assert again == [] and cursor_again == cursor
    revised, _, _ = plan_runs({"2024-05": "a", "2024-06": "b2"}, cursor, set(), valid)
    assert revised == [("2024-06", "2024-06@b2")]
    assert skipped == []


def test_plan_records_already_ingested_months_on_first_look_and_skips_future_ones() -> None:
    requests, cursor, skipped = plan_runs(
        {"2024-05": "a", "2024-06": "b", "2099-01": "c"}, {}, {"2024-05"}, {"2024-05", "2024-06"}
    )
    assert requests == [("2024-06", "2024-06@b")]
    assert cursor == {"2024-05": "a", "2024-06": "b"}
    assert skipped == ["2099-01"]


@pytest.fixture()
def two_month_landing(small_landing: DataPaths, tmp_path: Path) -> DataPaths:
    paths = DataPaths(tmp_path)
    for source in MONTHLY_SOURCES:
        target = paths.landing_source(source)
        target.mkdir(parents=True)
        for month in ("2024-05", "2024-06"):
            shutil.copy(small_landing.landing_source(source) / f"{month}.csv", target)
    return paths


def evaluate(paths: DataPaths, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"settings": LagesbildSettings(data_dir=str(paths.root))},
    )
    return landing_zone_sensor(context)


def test_the_sensor_waits_for_a_complete_delivery_then_launches_exactly_one_run(
    two_month_landing: DataPaths,
) -> None:
    paths = two_month_landing
    late_file = paths.landing_source("cameras") / "2024-06.csv"
    held_back = late_file.read_bytes()
    late_file.unlink()
    with dg.instance_for_test() as instance:
        first = evaluate(paths, instance, None)
        assert [r.partition_key for r in first.run_requests] == ["2024-05"]
        late_file.write_bytes(held_back)
        second = evaluate(paths, instance, first.cursor)
        assert [r.partition_key for r in second.run_requests] == ["2024-06"]
        assert second.run_requests[0].run_key.startswith("2024-06@")
        third = evaluate(paths, instance, second.cursor)
        assert third.run_requests == []
        assert set(json.loads(third.cursor)) == {"2024-05", "2024-06"}
