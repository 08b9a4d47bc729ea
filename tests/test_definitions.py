"""The code location loads, and its asset graph is recorded as a reviewable snapshot.

Regenerate the snapshot after a deliberate change to the graph:
    LAGESBILD_UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/test_definitions.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from assets.partitions import tertial_partitions
from assets.warehouse.dbt_assets import dbt_vars_for_run
from lagesbild.settings import PROJECT_ROOT
from lagesbild.warehouse.dbt_invocation import WINDOW_ENVIRONMENT, set_window_environment
from pipelines.definitions import defs

SNAPSHOT = Path(__file__).parent / "snapshots" / "asset_graph.json"


def asset_graph_snapshot(definitions: dg.Definitions) -> dict[str, object]:
    graph = definitions.resolve_asset_graph()
    assets = {}
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        if not node.is_materializable:
            continue
        assets[key.to_user_string()] = {
            "group": node.group_name,
            "owners": list(node.owners),
            "kinds": sorted(node.kinds),
            "partitioned": node.partitions_def is not None,
            "deps": sorted(parent.to_user_string() for parent in node.parent_keys),
        }
    checks = sorted(key.to_user_string() for key in graph.asset_check_keys)
    jobs = sorted(
        job.name for job in definitions.resolve_all_job_defs() if job.name != "__ASSET_JOB"
    )
    schedules = {
        schedule.name: {"cron": schedule.cron_schedule, "timezone": schedule.execution_timezone}
        for schedule in definitions.schedules or []
    }
    return {"assets": assets, "checks": checks, "jobs": jobs, "schedules": schedules}


def test_asset_graph_matches_the_recorded_snapshot() -> None:
    current = asset_graph_snapshot(defs)
    if os.environ.get("LAGESBILD_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(current, indent=2, ensure_ascii=False) + "\n")
    assert SNAPSHOT.exists(), (
        f"{SNAPSHOT} is missing: review the graph, then write it with LAGESBILD_UPDATE_SNAPSHOTS=1"
    )
    assert current == json.loads(SNAPSHOT.read_text())


def test_every_asset_has_a_description_owner_group_and_kind() -> None:
    graph = defs.resolve_asset_graph()
    lacking = []
    for key in graph.materializable_asset_keys:
        node = graph.get(key)
        if not (node.description and node.owners and node.group_name and node.kinds):
            lacking.append(key.to_user_string())
    assert lacking == []


def test_the_graph_runs_from_ingest_through_dbt_to_publication() -> None:
    graph = defs.resolve_asset_graph()
    publish = dg.AssetKey(["publish", "lagesbild_warehouse"])
    upstream = graph.get_ancestor_asset_keys(publish)
    assert dg.AssetKey(["marts", "fct_indicator_month"]) in upstream
    assert dg.AssetKey(["raw", "offences"]) in upstream
    assert dg.AssetKey(["raw", "population"]) in upstream
    assert dg.AssetKey(["raw", "geography_deso"]) in upstream


def test_dbt_tests_appear_as_asset_checks_on_the_marts() -> None:
    checked = {key.asset_key for key in defs.resolve_asset_graph().asset_check_keys}
    assert dg.AssetKey(["marts", "fct_indicator_month"]) in checked


def test_the_monthly_schedule_runs_at_six_on_the_tenth_in_swedish_time() -> None:
    schedule = defs.get_schedule_def("lagesbild_monthly_schedule")
    assert schedule.cron_schedule == "0 6 10 * *"
    assert schedule.execution_timezone == "Europe/Stockholm"


def test_the_dbt_window_comes_from_the_runs_month_partitions() -> None:
    range_tags = {
        "dagster/asset_partition_range_start": "2023-01",
        "dagster/asset_partition_range_end": "2024-06",
    }
    assert dbt_vars_for_run(range_tags) == {"start_month": "2023-01-01", "end_month": "2024-06-01"}
    assert dbt_vars_for_run({"dagster/partition": "2024-06"}) == {
        "start_month": "2024-06-01",
        "end_month": "2024-06-01",
    }
    assert dbt_vars_for_run({}) == {}


@pytest.mark.e2e
def test_workspace_yaml_loads_with_the_dagster_cli() -> None:
    dagster = Path(sys.executable).with_name("dagster")
    result = subprocess.run(
        [str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "lagesbild" in result.stdout + result.stderr


def test_the_dbt_resource_skips_dagster_dbts_version_probe_and_adapter() -> None:
    """The two dagster-dbt hooks LagesbildDbtCli overrides still exist and are overridden."""
    import importlib.metadata

    from dagster_dbt import DbtCliResource

    from assets.resources import LagesbildDbtCli

    for hook in ("_cli_version", "_initialize_dbt_core_adapter"):
        assert hook in vars(DbtCliResource), f"dagster-dbt no longer has {hook}"
        assert hook in vars(LagesbildDbtCli)
    cli = defs.resources["dbt"]
    assert isinstance(cli, LagesbildDbtCli)
    assert str(cli._cli_version) == importlib.metadata.version("dbt-core")
    assert cli._initialize_dbt_core_adapter(["build"]) is None


def test_the_tertial_partitions_are_keyed_by_first_month_in_swedish_time() -> None:
    keys = tertial_partitions.get_partition_keys_in_range(
        dg.PartitionKeyRange("2024-01", "2024-09")
    )
    assert keys == ["2024-01", "2024-05", "2024-09"]
    assert tertial_partitions.timezone == "Europe/Stockholm"


def test_the_window_reaches_dbt_in_the_environment_and_is_cleared_after(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in WINDOW_ENVIRONMENT.values():
        monkeypatch.delenv(variable, raising=False)
    set_window_environment(dbt_vars_for_run({"dagster/partition": "2024-06"}))
    assert os.environ["LAGESBILD_DBT_START_MONTH"] == "2024-06-01"
    assert os.environ["LAGESBILD_DBT_END_MONTH"] == "2024-06-01"
    set_window_environment(dbt_vars_for_run({}))  # a run without months: every month
    assert "LAGESBILD_DBT_START_MONTH" not in os.environ
    assert "LAGESBILD_DBT_END_MONTH" not in os.environ


def test_every_dbt_test_is_a_check_the_publish_gate_requires() -> None:
    """A dbt test dagster-dbt cannot attach (e.g. a `meta.dagster.ref` to a model the test
    does not read) would run in `dbt build` but never be required by the gate."""
    from assets.publish.gate import required_check_keys
    from assets.warehouse.dbt_assets import lagesbild_dbt
    from assets.warehouse.project import dbt_project

    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    tests = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    checks = {key.name for key in lagesbild_dbt.check_keys}
    assert tests == checks
    required = {key.name for key in required_check_keys()}
    assert checks <= required
