"""The register of measures: validated like every delivery, quarantined whole when wrong."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from lagesbild.effects.register import (
    Measure,
    ingest_register,
    parse_register,
    registered_measures,
)
from lagesbild.ingest.code_lists import seed_code_lists
from lagesbild.ingest.validation import DeliveryRejected
from lagesbild.settings import DataPaths

HEADER = (
    "measure_id;name;kind;area_code;start_month;end_month;outcome_indicators;"
    "expected_direction;registered_date"
)
GOOD = [
    "M1;Handlingsplan;action_plan;USO002;2023-03;;violent_crime,vandalism_arson;decrease;2023-02-10",
    "M2;Kameror;fixed_camera;USO016;2023-05;2024-04;offences_total;decrease;2023-09-01",
    "M2;Kameror;fixed_camera;USO081;2023-05;2024-04;offences_total;decrease;2023-09-01",
]


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "landing" / "measures" / "measures.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_a_good_register_gives_one_measure_per_id_with_its_areas(tmp_path: Path) -> None:
    conn = duckdb.connect()
    paths = DataPaths(tmp_path).ensure()
    write(tmp_path, GOOD)
    outcome = ingest_register(conn, paths, "run-1")
    assert not outcome.rejections and outcome.results[0].outcome.rows == 3
    measures = registered_measures(conn)
    assert [m.measure_id for m in measures] == ["M1", "M2"]
    m1, m2 = measures
    assert m1.area_codes == ("USO002",) and m1.end is None
    assert m1.outcome_indicators == ("violent_crime", "vandalism_arson")
    assert m2.area_codes == ("USO016", "USO081") and m2.end == date(2024, 4, 1)
    assert not m1.is_post_hoc
    assert m2.is_post_hoc  # registered in September for a May start


def test_a_corrected_register_is_a_new_vintage_and_rerunning_changes_nothing(
    tmp_path: Path,
) -> None:
    conn = duckdb.connect()
    paths = DataPaths(tmp_path).ensure()
    write(tmp_path, GOOD)
    ingest_register(conn, paths, "run-1")
    assert ingest_register(conn, paths, "run-2").results[0].outcome.status == "unchanged"
    write(tmp_path, GOOD[:1])
    revised = ingest_register(conn, paths, "run-3").results[0].outcome
    assert (revised.status, revised.vintage, revised.rows_removed) == ("accepted", 2, 2)
    assert [m.measure_id for m in registered_measures(conn)] == ["M1"]


def test_no_register_is_not_an_error(tmp_path: Path) -> None:
    conn = duckdb.connect()
    outcome = ingest_register(conn, DataPaths(tmp_path).ensure(), "run-1")
    assert outcome.missing == ["current"] and not outcome.results
    assert registered_measures(conn) == []


@pytest.mark.parametrize(
    ("line", "column", "rule"),
    [
        (
            "M1;X;action_plan;USO002;2023-03;2022-12;violent_crime;decrease;2023-01-01",
            "end_month",
            "before start_month",
        ),
        (
            "M1;X;action_plan;USO002;2023-03;;violent_crime,clearance_rate;decrease;2023-01-01",
            "outcome_indicators",
            "clearance_rate",
        ),
        (
            "M1;X;helicopter;USO002;2023-03;;violent_crime;decrease;2023-01-01",
            "kind",
            "not one of action_plan",
        ),
        (
            "M1;X;action_plan;USO999;2023-03;;violent_crime;decrease;2023-01-01",
            "area_code",
            "unknown area code",
        ),
        (
            "M1;X;action_plan;USO002;2023-13;;violent_crime;decrease;2023-01-01",
            "start_month",
            "does not match the format",
        ),
        (
            "M1;X;action_plan;USO002;2023-03;;violent_crime;less;2023-01-01",
            "expected_direction",
            "not one of decrease, increase",
        ),
        (
            "M1;X;action_plan;USO002;2023-03;;violent_crime;decrease;2023-02-30",
            "registered_date",
            "not a date",
        ),
    ],
)
def test_a_broken_row_names_file_line_column_and_rule(
    tmp_path: Path, line: str, column: str, rule: str
) -> None:
    path = write(tmp_path, [GOOD[1], line])
    with pytest.raises(DeliveryRejected) as raised:
        parse_register(path, seed_code_lists())
    text = raised.value.render()
    assert "measures.csv" in text and "line 3" in text
    assert f"column '{column}'" in text and rule in text


def test_rows_of_one_measure_must_agree_on_everything_but_the_area(tmp_path: Path) -> None:
    lines = [GOOD[1], GOOD[2].replace("2023-05", "2023-06")]
    with pytest.raises(DeliveryRejected) as raised:
        parse_register(write(tmp_path, lines), seed_code_lists())
    text = raised.value.render()
    assert "column 'start_month'" in text and "same measure_id" in text


def test_a_rejected_register_is_quarantined_and_raw_keeps_the_last_good_one(
    tmp_path: Path,
) -> None:
    conn = duckdb.connect()
    paths = DataPaths(tmp_path).ensure()
    write(tmp_path, GOOD)
    ingest_register(conn, paths, "run-1")
    write(tmp_path, [GOOD[0].replace("USO002", "USO999")])
    outcome = ingest_register(conn, paths, "run-2")
    assert len(outcome.rejections) == 1
    quarantined = list((paths.quarantine / "measures" / "current").glob("*measures.csv"))
    assert len(quarantined) == 1
    reason = quarantined[0].with_name(quarantined[0].name + ".reason.txt").read_text()
    assert "USO999" in reason and "area_code" in reason
    assert [m.measure_id for m in registered_measures(conn)] == ["M1", "M2"]
    logged = conn.execute(
        "select status from raw.ingest_log where source = 'measures' order by ingested_at"
    ).fetchall()
    assert [row[0] for row in logged] == ["accepted", "rejected"]


def test_post_hoc_means_registered_after_the_start_month_ended() -> None:
    def measure(registered: date) -> Measure:
        return Measure(
            "M", "n", "other", ("USO002",), date(2024, 3, 1), None, ("violent_crime",),
            "decrease", registered,
        )  # fmt: skip

    assert not measure(date(2024, 2, 20)).is_post_hoc
    assert not measure(date(2024, 3, 31)).is_post_hoc
    assert measure(date(2024, 4, 1)).is_post_hoc
