"""A monthly run leaves the unchanged seeds out of `dbt build` and is still gated and published;
a changed seed table is loaded and tested again."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest

from assets.publish.gate import required_check_keys, verify_required_checks
from assets.warehouse.dbt_assets import seed_check_keys, seed_keys
from lagesbild.settings import DataPaths
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.runner import run_months
from pipelines.seeds import seeds_are_current
from tests.integration.publication_helpers import latest_logged_run

pytestmark = pytest.mark.integration

MONTH = "2024-06"


def materialized_in(instance: dg.DagsterInstance, run_id: str) -> set[dg.AssetKey]:
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    return {record.event_log_entry.dagster_event.asset_key for record in records}


def test_unchanged_seeds_are_left_out_and_a_changed_seed_table_is_rebuilt(
    workspace: DataPaths,
) -> None:
    instance = get_instance(workspace)
    # the session's pipeline run built the seeds and every test on them passed
    assert seeds_are_current(instance, workspace)
    assert len(seed_keys()) == 15 and len(seed_check_keys()) > 50

    lean = run_months(build_definitions(workspace), instance, MONTH, paths=workspace)
    assert lean.success, "\n".join(lean.failures)
    built = materialized_in(instance, lean.run_id)
    assert not built & seed_keys()
    assert dg.AssetKey(["marts", "fct_indicator_month"]) in built
    records = instance.get_records_for_run(
        lean.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluated = {
        record.event_log_entry.dagster_event.event_specific_data.asset_check_key
        for record in records
    }
    assert not evaluated & seed_check_keys() and len(evaluated) > 100
    # the gate took the seeds' earlier passing evaluations, and the month was published
    assert verify_required_checks(instance, required_check_keys()).passed
    assert latest_logged_run(workspace.publish_db) == lean.run_id

    conn = duckdb.connect(str(workspace.warehouse_db))
    conn.execute("update reference.indicators set name_en = name_en || ' (edited)'")
    conn.close()
    assert not seeds_are_current(instance, workspace)

    full = run_months(build_definitions(workspace), instance, MONTH, paths=workspace)
    assert full.success, "\n".join(full.failures)
    assert seed_keys() <= materialized_in(instance, full.run_id)
    conn = duckdb.connect(str(workspace.warehouse_db), read_only=True)
    edited = conn.execute(
        "select count(*) from reference.indicators where name_en like '%(edited)'"
    ).fetchone()[0]
    conn.close()
    assert edited == 0  # the seed was loaded from its file again
    assert seeds_are_current(instance, workspace)
