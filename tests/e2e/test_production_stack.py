"""The production layout against real servers, all started by this module: the Dagster instance
on PostgreSQL (a throwaway cluster), the gRPC code server, dagster-daemon, the operators' and
the auditors' webservers, and nginx with TLS and a bcrypt login in front of the auditors' one.

The tests follow a month in production, in order: a monthly run and a tertial review from the
command line, stored in PostgreSQL; then the stack — the auditors' login, two runs launched at
once through the queue, the schedule and the sensor fired by the daemon, and the daemon killed
mid-run (with the run's worker) and restarted.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import urllib.error
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import pytest

from assets.policy import COVERAGE_DROP_CHECK, PLAUSIBILITY_CHECK
from assets.review.assets import TERTIAL_REPORTS_KEY
from lagesbild.generator import generate
from lagesbild.settings import MONTHLY_SOURCES, REGION_SLUGS, DataPaths
from pipelines.instance import POSTGRES_URL_ENV
from pipelines.schedules import monthly_schedule
from pipelines.serve.postgres import LocalPostgres
from pipelines.serve.services import Ports
from pipelines.serve.stack import AUDITOR, Stack, StackConfig, https_get
from tests.conftest import SMALL_SEED, PipelineRun
from tests.e2e.conftest import free_port
from tests.e2e.production import (
    IN_PROGRESS,
    LOCATION,
    Production,
    kill_tree,
    lagesbild,
    launch_monthly_run,
    post_graphql,
    wait_for_finished,
    wait_until,
    worker_pid,
)
from tests.integration.publication_helpers import (
    copy_data_dir,
    latest_logged_run,
    verify_published_file,
)
from tests.offline import external_urls, pages

pytestmark = pytest.mark.e2e

LANDING_MONTHS = ("2024-05", "2024-06")
"""The landing zone keeps two months: the sensor's first look launches only what is new."""
RUN_TIMEOUT_S = 600
AUDITOR_PASSWORD = "correct horse battery staple"
LOGIN_HEADER = {
    "Authorization": "Basic " + base64.b64encode(f"{AUDITOR}:{AUDITOR_PASSWORD}".encode()).decode()
}
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture(scope="module")
def production(
    pipeline_run: PipelineRun, postgres_server: LocalPostgres, tmp_path_factory
) -> Production:
    """A copy of the published small data set whose Dagster instance is in PostgreSQL."""
    paths = copy_data_dir(pipeline_run.paths, tmp_path_factory.mktemp("production"))
    for source in MONTHLY_SOURCES:
        for delivery in paths.landing_source(source).iterdir():
            if delivery.stem not in LANDING_MONTHS:
                delivery.unlink()
    return Production(paths, postgres_server.create_database("lagesbild_production"))


@pytest.fixture(scope="module")
def command_line(production: Production) -> dict[str, str]:
    """`lagesbild run --month 2024-06` and `lagesbild tertial 2024-T1 --verbose` on
    PostgreSQL: their output, and the run id each printed."""
    monthly = lagesbild(["run", "--month", "2024-06"], production)
    assert monthly.returncode == 0, monthly.stdout + monthly.stderr
    tertial = lagesbild(["tertial", "2024-T1", "--verbose"], production)
    assert tertial.returncode == 0, tertial.stdout + tertial.stderr
    (monthly_run,) = re.findall(r"runs: ([0-9a-f-]{36})", monthly.stdout)
    (tertial_run,) = re.findall(r"runs: ([0-9a-f-]{36})", tertial.stdout)
    return {
        "monthly": monthly.stdout,
        "tertial": tertial.stdout,
        "tertial_stderr": tertial.stderr,
        "monthly_run": monthly_run,
        "tertial_run": tertial_run,
    }


@contextmanager
def production_instance(production: Production) -> Iterator[dg.DagsterInstance]:
    """The instance as the services see it (its URL from the environment, as they read it)."""
    previous = os.environ.get(POSTGRES_URL_ENV)
    os.environ[POSTGRES_URL_ENV] = production.url
    try:
        with dg.DagsterInstance.from_config(str(production.paths.dagster_home)) as instance:
            yield instance
    finally:
        if previous is None:
            os.environ.pop(POSTGRES_URL_ENV, None)
        else:
            os.environ[POSTGRES_URL_ENV] = previous


# -- the command line on PostgreSQL -----------------------------------------------------------


def test_a_monthly_run_stores_its_run_materializations_and_checks_in_postgresql(
    production: Production, command_line: dict[str, str]
) -> None:
    run_id = command_line["monthly_run"]
    assert production.run_status(run_id) == "SUCCESS"
    assert production.run_tags(run_id)["dagster/partition"] == "2024-06"
    assert production.run_tags(run_id)["lagesbild/build_db"] == "writer"
    materialized = production.materialized(run_id)
    assert '["publish", "lagesbild_warehouse"]' in materialized
    assert '["marts", "fct_indicator_month"]' in materialized
    assert '["raw", "offences"]' in materialized
    checks = dict(
        production.sql(
            "select execution_status, count(*) from asset_check_executions "
            "where run_id = %s group by 1",
            run_id,
        )
    )
    passed = int(re.search(r"checks: (\d+) passed", command_line["monthly"]).group(1))
    warned = int(re.search(r"(\d+) warned", command_line["monthly"]).group(1))
    assert checks["SUCCEEDED"] == passed
    # Dagster also leaves one PLANNED row per check under the run's partition (the checks
    # evaluate unpartitioned); nothing was skipped or is still running, and what failed are
    # the warnings the console counted (checks that only warn, never block)
    assert set(checks) <= {"SUCCEEDED", "PLANNED", "FAILED"}
    assert checks.get("FAILED", 0) == warned
    failed_names = {
        name
        for (name,) in production.sql(
            "select check_name from asset_check_executions "
            "where run_id = %s and execution_status = 'FAILED'",
            run_id,
        )
    }
    assert failed_names <= {COVERAGE_DROP_CHECK, PLAUSIBILITY_CHECK}
    assert passed > 200  # every GX suite and dbt test of the month
    # nothing went to SQLite: the instance's home holds only its configuration and logs
    assert not (production.paths.dagster_home / "history").exists()
    assert (
        "env: LAGESBILD_POSTGRES_URL"
        in (production.paths.dagster_home / "dagster.yaml").read_text()
    )
    assert latest_logged_run(production.paths.publish_db) != ""


def test_the_console_prints_a_screenful_and_writes_the_full_log_to_a_file(
    production: Production, command_line: dict[str, str]
) -> None:
    output = command_line["monthly"]
    lines = output.strip().splitlines()
    assert len(lines) <= 20, output
    for stage in ("✓ Ingest", "✓ dbt build", "✓ Quality checks", "✓ Publication"):
        assert any(line.lstrip().startswith(stage) for line in lines), f"{stage} missing:\n{output}"
    assert "months published: 2024-06" in output
    assert "Dagster instance: PostgreSQL postgresql://lagesbild:***@127.0.0.1" in output
    assert production.url.split(":")[2].split("@")[0] not in output  # never the password
    (log_path,) = re.findall(r"Full Dagster log: (\S+)", output)
    log = Path(log_path).read_text(encoding="utf-8")
    assert Path(log_path).parent == production.paths.root / "logs"
    assert f"{command_line['monthly_run']} - " in log and " - DEBUG - " in log
    assert "RUN_SUCCESS" in log and "Running with dbt=" in log  # Dagster's and dbt's output
    assert log.count("\n") > 10 * len(lines)
    # the same summary for tools (the benchmark's seconds per stage), beside the log
    summary = json.loads(Path(log_path + ".summary.json").read_text(encoding="utf-8"))
    assert summary["success"] is True and summary["run_ids"] == [command_line["monthly_run"]]
    assert summary["published_months"] == ["2024-06"]
    assert summary["checks"]["passed"] == int(re.search(r"checks: (\d+) passed", output).group(1))
    assert {"Ingest", "dbt build", "Quality checks", "Publication"} <= set(summary["stages"])
    assert all(seconds > 0 for seconds in summary["stages"].values())


def test_verbose_brings_dagster_s_full_log_back_to_the_terminal(
    production: Production, command_line: dict[str, str]
) -> None:
    terminal = command_line["tertial"] + command_line["tertial_stderr"]
    assert " - DEBUG - lagesbild_tertial_review - " in terminal
    assert "RUN_SUCCESS" in terminal
    assert "✓ Tertial review" in command_line["tertial"]  # the console is still there
    (log_path,) = re.findall(r"Full Dagster log: (\S+)", command_line["tertial"])
    logged = [
        line
        for line in Path(log_path).read_text(encoding="utf-8").splitlines()
        if " - dagster - " in line
    ]
    assert len(logged) > 10
    shown = {re.sub(r"\x1b\[[0-9;]*m", "", line) for line in terminal.splitlines()}
    assert [line for line in logged if line not in shown] == []  # the whole log, on screen


def test_a_tertial_review_stores_its_run_and_materializations_in_postgresql(
    production: Production, command_line: dict[str, str]
) -> None:
    run_id = command_line["tertial_run"]
    assert production.run_status(run_id) == "SUCCESS"
    materialized = production.materialized(run_id)
    assert '["review", "fct_tertial_review"]' in materialized
    assert TERTIAL_REPORTS_KEY.to_string() in materialized
    folder = production.paths.root / "reports" / "tertial" / "2024-T1"
    reports = sorted(p.stem for p in folder.glob("*.html"))
    assert reports == sorted(["nationell", *REGION_SLUGS])
    assert "✓ Tertial review" in command_line["tertial"]


def test_nothing_served_to_auditors_loads_anything_from_outside(
    production: Production, command_line: dict[str, str]
) -> None:
    docs = production.paths.publish_dir / "docs"
    reports = production.paths.root / "reports"
    assert len(pages(docs)) >= 20 and len(pages(reports)) >= 8
    assert external_urls(docs) == {}
    assert external_urls(reports) == {}


def test_status_names_the_publication_the_months_and_the_quarantine(
    production: Production, command_line: dict[str, str]
) -> None:
    result = lagesbild(["status"], production)
    assert result.returncode == 0, result.stderr
    conn = duckdb.connect(str(production.paths.publish_db), read_only=True)
    try:
        month, run_id, code_version = conn.execute(
            "select month, run_id, code_version from meta.publication_log "
            "order by published_at desc limit 1"
        ).fetchone()
    finally:
        conn.close()
    out = result.stdout
    assert f"Published: {month} · run {run_id} · code {code_version}" in out
    assert run_id == command_line["tertial_run"]  # the review republished
    assert "Months 2023-01..2024-06: 18 complete, 0 incomplete" in out
    assert "Quarantine: 0 delivery(ies) awaiting correction" in out
    assert "Last refused publication: none" in out
    assert "SYNTHETIC" in out


# -- the stack ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stack(production: Production, command_line: dict[str, str]) -> Iterator[Stack]:
    """Code server, daemon, both webservers and nginx on free ports, on the PostgreSQL instance
    the command line used (started after it, so no run of the daemon overlaps those)."""
    ports = Ports(free_port(), free_port(), free_port(), free_port())
    config = StackConfig(
        production.paths, ports, postgres_url=production.url, auditor_password=AUDITOR_PASSWORD
    )
    with Stack(config) as running:
        yield running


def auditors(stack: Stack) -> str:
    return f"https://127.0.0.1:{stack.config.ports.https}"


def test_the_auditors_url_answers_401_without_a_login(stack: Stack) -> None:
    for headers in ({}, {"Authorization": "Basic YXVkaXRvcjp3cm9uZw=="}):  # auditor:wrong
        with pytest.raises(urllib.error.HTTPError) as refused:
            https_get(f"{auditors(stack)}/", stack.certificate, headers)
        assert refused.value.code == 401
        assert refused.value.headers["WWW-Authenticate"] == 'Basic realm="Lagesbild audit"'
    with pytest.raises(urllib.error.HTTPError) as refused:
        https_get(f"{auditors(stack)}/docs/gx/", stack.certificate)
    assert refused.value.code == 401


def test_with_a_login_the_auditors_url_serves_the_read_only_ui(
    stack: Stack, command_line: dict[str, str]
) -> None:
    login = (AUDITOR, AUDITOR_PASSWORD)
    page = https_get(f"{auditors(stack)}/", stack.certificate, LOGIN_HEADER)
    assert b"<title>Dagster</title>" in page or b"Dagster" in page[:5000]
    data = post_graphql(
        auditors(stack),
        """{ runsOrError(limit: 20) { ... on Runs { results { runId status } } }
             permissions { permission value } }""",
        login=login,
        certificate=stack.certificate,
    )
    runs = {run["runId"]: run["status"] for run in data["runsOrError"]["results"]}
    assert runs[command_line["monthly_run"]] == "SUCCESS"
    permissions = {entry["permission"]: entry["value"] for entry in data["permissions"]}
    assert permissions["launch_pipeline_execution"] is False
    assert permissions["start_schedule"] is False


def test_the_auditors_url_refuses_a_launch(stack: Stack, production: Production) -> None:
    before = len(production.runs())
    result = launch_monthly_run(
        auditors(stack), "2024-06", login=(AUDITOR, AUDITOR_PASSWORD), certificate=stack.certificate
    )
    assert result["__typename"] == "UnauthorizedError"
    assert len(production.runs()) == before


def test_the_auditors_read_the_data_docs_with_local_assets(
    stack: Stack, production: Production
) -> None:
    headers = LOGIN_HEADER
    site = sorted(
        p.name
        for p in (production.paths.publish_dir / "docs" / "gx").iterdir()
        if p.is_dir() and p.name[0].isdigit()
    )[-1]
    index = https_get(f"{auditors(stack)}/docs/gx/{site}/index.html", stack.certificate, headers)
    stylesheet = re.search(rb'href="(\.\./_vendor/bootstrap/[^"]+\.css)"', index).group(1)
    css = https_get(
        f"{auditors(stack)}/docs/gx/{site}/{stylesheet.decode()}", stack.certificate, headers
    )
    assert css.startswith(b"/*!\n * Bootstrap v4.3.1")


# -- the run queue, the schedule, the sensor, the daemon ---------------------------------------


def test_two_runs_launched_at_once_run_one_after_the_other_and_publish_in_order(
    stack: Stack, production: Production
) -> None:
    launched = [launch_monthly_run(stack.operators_url, month) for month in LANDING_MONTHS]
    assert [result["__typename"] for result in launched] == ["LaunchRunSuccess"] * 2
    run_ids = [result["run"]["runId"] for result in launched]
    assert [result["run"]["status"] for result in launched] == ["QUEUED", "QUEUED"]

    assert wait_for_finished(production, run_ids, 2 * RUN_TIMEOUT_S) == ["SUCCESS", "SUCCESS"]

    times = {run_id: (start, end) for run_id, _, _, start, end in production.runs()}
    (_, first_end), (second_start, _) = (times[run_id] for run_id in run_ids)
    assert first_end <= second_start  # never overlapping: one build-database run at a time
    conn = duckdb.connect(str(production.paths.publish_db), read_only=True)
    try:
        logged = conn.execute(
            "select run_id, month from meta.publication_log where run_id in (?, ?) "
            "order by published_at",
            run_ids,
        ).fetchall()
    finally:
        conn.close()
    assert logged == list(zip(run_ids, LANDING_MONTHS, strict=True))
    assert verify_published_file(production.paths.publish_db) == run_ids[1]


def latest_monthly_tick(now: datetime) -> datetime:
    """The monthly schedule's latest tick up to `now`: 06:00 on the 10th, Swedish time."""
    assert monthly_schedule.cron_schedule == "0 6 10 * *"
    local = now.astimezone(STOCKHOLM)
    tick = local.replace(day=10, hour=6, minute=0, second=0, microsecond=0)
    if tick > local:
        tick = (tick.replace(day=1) - timedelta(days=1)).replace(day=10)
    return tick


def month_before(moment: datetime) -> str:
    return (moment.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")


def deliver(production: Production, months: list[str], work: Path) -> None:
    """Drop complete synthetic deliveries of `months` (and their population) into the landing
    zone, as the economics department's export would."""
    generate(work, scale="small", start=months[0], end=months[-1], seed=SMALL_SEED)
    generated = DataPaths(work)
    for source in MONTHLY_SOURCES:
        for month in months:
            shutil.copy(
                generated.landing_source(source) / f"{month}.csv",
                production.paths.landing_source(source),
            )
    for population in generated.landing_source("population").iterdir():
        target = production.paths.landing_source("population") / population.name
        if not target.exists():
            shutil.copy(population, target)


def runs_tagged(production: Production, key: str, value: str) -> list[str]:
    return [
        run_id
        for (run_id,) in production.sql(
            "select run_id from run_tags where key = %s and value = %s order by id", key, value
        )
    ]


def test_the_daemon_fires_the_monthly_schedule_and_the_landing_zone_sensor(
    stack: Stack, production: Production, tmp_path: Path
) -> None:
    tick = latest_monthly_tick(datetime.now(tz=UTC))
    scheduled_month = month_before(tick)  # the tick on the 10th runs the month before
    sensed_month = month_before(datetime.strptime(scheduled_month + "-15", "%Y-%m-%d"))
    deliver(production, [sensed_month, scheduled_month], tmp_path / "generated")

    # The schedule is switched on as an operator does (the operators' UI), as if before its
    # latest tick: the daemon (stopped meanwhile, so it starts with no memory) catches that
    # tick up — the month before it, exactly as on the 10th at 06:00.
    stack.stop_service("lagesbild-daemon")
    started = post_graphql(
        stack.operators_url,
        "mutation($s: ScheduleSelector!) { startSchedule(scheduleSelector: $s) { __typename } }",
        {"s": {**LOCATION, "scheduleName": "lagesbild_monthly_schedule"}},
    )
    assert started["startSchedule"]["__typename"] == "ScheduleStateResult"
    from dagster._core.scheduler.instigation import InstigatorType, ScheduleInstigatorData

    with production_instance(production) as instance:
        (state,) = [
            s
            for s in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
            if s.name == "lagesbild_monthly_schedule"
        ]
        instance.update_instigator_state(
            state.with_data(
                ScheduleInstigatorData(
                    state.instigator_data.cron_schedule, start_timestamp=tick.timestamp() - 60
                )
            )
        )
    stack.start_service("lagesbild-daemon")

    scheduled = wait_until(
        lambda: runs_tagged(production, "dagster/schedule_name", "lagesbild_monthly_schedule"),
        RUN_TIMEOUT_S,
        "the schedule's run",
    )
    assert len(scheduled) == 1
    assert wait_for_finished(production, scheduled, RUN_TIMEOUT_S) == ["SUCCESS"]
    assert production.run_tags(scheduled[0])["dagster/partition"] == scheduled_month

    # The sensor: every month in the landing zone is complete; all but one were materialized.
    started = post_graphql(
        stack.operators_url,
        """mutation($s: SensorSelector!) { startSensor(sensorSelector: $s) { __typename } }""",
        {"s": {**LOCATION, "sensorName": "landing_zone_sensor"}},
    )
    assert started["startSensor"]["__typename"] == "Sensor"
    sensed = wait_until(
        lambda: runs_tagged(production, "dagster/sensor_name", "landing_zone_sensor"),
        RUN_TIMEOUT_S,
        "the sensor's run",
    )
    assert wait_for_finished(production, sensed, RUN_TIMEOUT_S) == ["SUCCESS"]
    tags = production.run_tags(sensed[0])
    assert tags["dagster/partition"] == sensed_month
    assert tags["dagster/run_key"].startswith(f"{sensed_month}@")
    assert len(runs_tagged(production, "dagster/sensor_name", "landing_zone_sensor")) == 1


def test_the_daemon_killed_mid_run_and_restarted_leaves_no_run_stuck(
    stack: Stack, production: Production
) -> None:
    killed_run = launch_monthly_run(stack.operators_url, "2024-06")["run"]["runId"]

    def started_steps() -> bool:
        return production.run_status(killed_run) == "STARTED" and bool(
            production.sql(
                "select 1 from event_logs where run_id = %s and dagster_event_type = 'STEP_START'",
                killed_run,
            )
        )

    wait_until(started_steps, RUN_TIMEOUT_S, "the run to start its steps", poll_s=0.5)
    pid = worker_pid(production, killed_run)
    assert pid is not None
    # A crash: the daemon dies, and the run's worker with its dbt process.
    stack.kill_service("lagesbild-daemon")
    assert pid in kill_tree(pid)
    queued_run = launch_monthly_run(stack.operators_url, "2024-05")["run"]["runId"]
    assert production.run_status(queued_run) == "QUEUED"  # nobody dequeues without the daemon

    stack.start_service("lagesbild-daemon")

    assert wait_for_finished(production, [killed_run, queued_run], 2 * RUN_TIMEOUT_S) == [
        "FAILURE",
        "SUCCESS",
    ]
    stuck = [(run_id, status) for run_id, status, *_ in production.runs() if status in IN_PROGRESS]
    assert stuck == []
    explanation = production.sql(
        "select event from event_logs where run_id = %s and dagster_event_type = 'ENGINE_EVENT' "
        "and event like %s",
        killed_run,
        "%Run execution process%",
    )
    assert explanation, "the killed run's failure is not explained"
    assert verify_published_file(production.paths.publish_db) == queued_run
    assert production.sql("select count(*) from concurrency_slots where run_id is not null") == [
        (0,)
    ]


def test_the_sensor_never_launched_again_for_an_unchanged_landing_zone(
    stack: Stack, production: Production
) -> None:
    data = post_graphql(
        stack.operators_url,
        """query($s: SensorSelector!) { sensorOrError(sensorSelector: $s) {
             ... on Sensor { sensorState { ticks(limit: 50) { status timestamp runIds } } } } }""",
        {"s": {**LOCATION, "sensorName": "landing_zone_sensor"}},
    )
    ticks = data["sensorOrError"]["sensorState"]["ticks"]
    launching = [tick for tick in ticks if tick["runIds"]]
    assert len(launching) == 1
    later = [tick for tick in ticks if tick["timestamp"] > launching[0]["timestamp"]]
    assert later and all(tick["status"] == "SKIPPED" for tick in later)
    assert len(runs_tagged(production, "dagster/sensor_name", "landing_zone_sensor")) == 1
