"""`lagesbild evaluate` on a private copy of the shared small run (2023-01..2024-06): the
register is ingested into partitions, the measures are evaluated, the tables pass their GX
suites, are published through the gate and survive the next monthly dbt build."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import dagster as dg
import duckdb
import pytest

from lagesbild.settings import DataPaths
from pipelines.cli import build_parser, run_tertial
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.runner import run_months
from tests.integration.publication_helpers import DagsterHome, copy_data_dir

pytestmark = pytest.mark.integration
HEADER = (
    "measure_id;name;kind;area_code;start_month;end_month;outcome_indicators;"
    "expected_direction;registered_date"
)
REGISTER = [
    "T1;Handlingsplan Rosengård;action_plan;USO002;2024-01;;violent_crime,offences_total;"
    "decrease;2023-12-15",
    "T2;Närvaro Bergsjön;presence;USO004;2024-01;;drug_offences;decrease;2024-03-01",
    "T3;Kameror Vivalla;fixed_camera;USO016;2024-05;;shootings;decrease;2024-04-01",
]


def write_register(paths: DataPaths, lines: list[str]) -> None:
    target = paths.landing_source("measures") / "measures.csv"
    target.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")


def evaluate(paths: DataPaths, *extra: str) -> int:
    args = build_parser().parse_args(["evaluate", *extra])
    return args.handler(args, paths)


def published(paths: DataPaths, sql: str) -> list[tuple]:
    conn = duckdb.connect(str(paths.publish_db), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def evaluated(pipeline_run, tmp_path_factory) -> Iterator[DataPaths]:
    home = DagsterHome()
    paths = copy_data_dir(
        pipeline_run.paths, tmp_path_factory.mktemp("effects"), with_instance=True
    )
    write_register(paths, REGISTER)
    assert evaluate(paths) == 0
    yield paths
    home.restore()


def test_the_shared_run_ingested_the_generated_register_into_partitions(pipeline_run) -> None:
    conn = duckdb.connect(str(pipeline_run.paths.warehouse_db), read_only=True)
    try:
        ids = [
            r[0] for r in conn.execute("select distinct measure_id from raw.measures").fetchall()
        ]
    finally:
        conn.close()
    assert sorted(ids) == [f"M{i:02d}" for i in range(1, 12)]
    instance = get_instance(pipeline_run.paths)
    assert sorted(instance.get_dynamic_partitions("measures")) == sorted(ids)


def test_evaluate_publishes_one_row_per_measure_indicator_zone_and_method(evaluated) -> None:
    rows = published(
        evaluated,
        "select measure_id, indicator_code, zone, method, verdict, is_post_hoc, "
        "n_comparison_units, pre_months, post_months from marts.fct_measure_effect "
        "order by 1, 2, 3, 4",
    )
    assert [(r[0], r[1], r[2], r[3]) for r in rows if r[0] == "T1"] == [
        ("T1", indicator, zone, method)
        for indicator in ("offences_total", "violent_crime")
        for zone in ("area", "surroundings")
        for method in ("did", "synthetic_control")
    ]
    t1 = [r for r in rows if r[0] == "T1"]
    assert {(r[7], r[8]) for r in t1} == {(12, 6)}  # 2023-01..2023-12 before, 2024-01..06 after
    assert all(r[6] >= 19 for r in t1)
    assert {r[4] for r in t1} <= {"decrease", "increase", "no_detectable_change",
                                  "not_comparable"}  # fmt: skip
    shootings = {r[4] for r in rows if r[0] == "T3"}
    assert shootings == {"insufficient_data"}  # one month after the start, few events
    assert {r[5] for r in rows if r[0] == "T2"} == {True}  # registered in March for January
    assert not any(r[5] for r in t1)


def test_the_effect_tables_passed_their_suites_and_the_gate(evaluated) -> None:
    checks = json.loads(
        published(
            evaluated,
            "select check_results from meta.publication_log order by published_at desc limit 1",
        )[0][0]
    )
    by_name = {entry["check"]: entry["passed"] for entry in checks}
    assert by_name["marts/fct_measure_effect:gx_suite"] is True
    assert by_name["marts/fct_measure_event_study:gx_suite"] is True
    assert by_name["raw/measures:gx_suite"] is True
    quarters = published(
        evaluated,
        "select min(event_quarter), max(event_quarter), count(*) from "
        "marts.fct_measure_event_study where measure_id = 'T1' and zone = 'area' "
        "and indicator_code = 'violent_crime'",
    )
    assert quarters == [(-4, 1, 6)]
    region = duckdb.connect(str(evaluated.publish_dir / "regions" / "syd.duckdb"), read_only=True)
    try:
        in_syd = region.execute(
            "select distinct measure_id from marts.fct_measure_effect"
        ).fetchall()
    finally:
        region.close()
    assert in_syd == [("T1",)]  # Bergsjön (väst) and Vivalla (bergslagen) are other regions


def test_one_offline_report_per_measure(evaluated) -> None:
    for measure_id in ("T1", "T2", "T3"):
        page = (evaluated.root / "reports" / "effects" / f"{measure_id}.html").read_text("utf-8")
        assert "SYNTETISKA DATA" in page and "Vad utvärderingen inte kan säga" in page
        assert not re.search(r"(src|href)=\"(https?:)?//", page)
    t2 = (evaluated.root / "reports" / "effects" / "T2.html").read_text("utf-8")
    assert "Registrerad i efterhand" in t2
    assert "narkotikabrott" in t2 and "hittar fler narkotikabrott" in t2


def test_an_unknown_measure_is_refused_with_the_registered_ones(evaluated, capsys) -> None:
    assert evaluate(evaluated, "--measure", "NOPE") == 1
    err = capsys.readouterr().err
    assert "'NOPE' is not in the register" in err and "T1, T2, T3" in err


def test_a_monthly_run_keeps_the_effect_tables_and_gates_them(evaluated) -> None:
    """dbt builds the marts it owns; the Python-written effect tables survive it, and the
    monthly publication requires their suites because they are published."""
    before = published(
        evaluated, "select count(*), bit_xor(hash(t)) from marts.fct_measure_effect t"
    )
    outcome = run_months(build_definitions(evaluated), get_instance(evaluated), "2024-06")
    assert outcome.success, "\n".join(outcome.failures)
    after = published(
        evaluated, "select count(*), bit_xor(hash(t)) from marts.fct_measure_effect t"
    )
    assert after == before
    run_id, checks = published(
        evaluated,
        "select run_id, check_results from meta.publication_log order by published_at desc limit 1",
    )[0]
    assert run_id == outcome.run_id
    assert "marts/fct_measure_effect:gx_suite" in {c["check"] for c in json.loads(checks)}


def test_a_broken_effect_table_refuses_publication(evaluated, tmp_path) -> None:
    """The effect tables' GX suites fail on broken rows, the gate names them, a publish-only
    run is refused and every published file stays as it was."""
    from assets.publish.gate import python_marts_present, required_check_keys
    from tests.integration.publication_helpers import fingerprints, in_warehouse
    from tests.integration.test_gate import publish_only, run_selection

    home = DagsterHome()
    paths = copy_data_dir(evaluated, tmp_path, with_instance=True)
    try:
        before = fingerprints(paths)
        in_warehouse(
            paths,
            "update marts.fct_measure_effect set measure_name = null "
            "where rowid = (select min(rowid) from marts.fct_measure_effect)",
            "update marts.fct_measure_event_study set observed = null "
            "where rowid = (select min(rowid) from marts.fct_measure_event_study)",
        )
        suites = [
            key
            for key in required_check_keys(
                {"marts.fct_measure_effect", "marts.fct_measure_event_study"}
            )
            if key.asset_key.path[1].startswith("fct_measure_")
        ]
        _, _, checks = run_selection(paths, "effect_suites", dg.AssetSelection.checks(*suites))
        published_now, message = publish_only(paths)
        conn = duckdb.connect(str(paths.warehouse_db), read_only=True)
        try:
            present = python_marts_present(conn)
        finally:
            conn.close()
    finally:
        home.restore()
    assert present == {"marts.fct_measure_effect", "marts.fct_measure_event_study"}
    assert checks == {
        "marts/fct_measure_effect:gx_suite": False,
        "marts/fct_measure_event_study:gx_suite": False,
    }
    assert not published_now
    assert "marts/fct_measure_effect:gx_suite FAILED" in message
    assert "marts/fct_measure_event_study:gx_suite FAILED" in message
    assert fingerprints(paths) == before


def test_the_tertial_review_summarises_the_evaluated_measures(evaluated) -> None:
    assert run_tertial("2024-T1", evaluated) == 0
    folder = evaluated.root / "reports" / "tertial" / "2024-T1"
    national = (folder / "nationell.html").read_text("utf-8")
    assert "Utvärderade åtgärder" in national
    assert "T1: Handlingsplan Rosengård" in national
    assert "T2: Närvaro Bergsjön (i efterhand)" in national
    syd = (folder / "syd.html").read_text("utf-8")
    assert "T1: Handlingsplan Rosengård" in syd and "T2:" not in syd
    assert "Inga åtgärder har utvärderats ännu i regionen" in (folder / "nord.html").read_text(
        "utf-8"
    )


def test_a_measure_removed_from_the_register_leaves_partitions_and_tables(evaluated) -> None:
    write_register(evaluated, REGISTER[:1])
    assert evaluate(evaluated, "--measure", "T1") == 0
    assert sorted(get_instance(evaluated).get_dynamic_partitions("measures")) == ["T1"]
    ids = published(evaluated, "select distinct measure_id from marts.fct_measure_effect")
    assert ids == [("T1",)]
