"""A monthly run leaves the unchanged reference layer (seeds, and the models built only from
them and the geography) out of `dbt build` and is still gated and published; a new geography in
the landing zone or a changed seed table builds and tests it again."""

from __future__ import annotations

import dagster as dg
import duckdb
import pytest
from dagster._core.definitions.data_version import StaleStatus
from dagster._utils.test.data_versions import get_stale_status_resolver

from assets.ingest.assets import ingest_assets
from assets.policy import SUITE_CHECK
from assets.publish.gate import required_check_keys, verify_required_checks
from assets.warehouse.dbt_assets import (
    lagesbild_dbt,
    reference_check_keys,
    reference_keys,
    seed_keys,
)
from lagesbild.settings import DataPaths
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.runner import run_months
from pipelines.seeds import reference_is_current
from tests.integration.publication_helpers import latest_logged_run

pytestmark = pytest.mark.integration

MONTH = "2024-06"
DIM_GEOGRAPHY = dg.AssetKey(["marts", "dim_geography"])


def materialized_in(instance: dg.DagsterInstance, run_id: str) -> set[dg.AssetKey]:
    records = instance.get_records_for_run(
        run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    return {record.event_log_entry.dagster_event.asset_key for record in records}


def test_an_unchanged_reference_layer_is_left_out_and_a_changed_one_is_rebuilt(
    workspace: DataPaths,
) -> None:
    instance = get_instance(workspace)
    # the session's pipeline run built the reference layer and every test on it passed
    assert reference_is_current(instance, workspace)
    assert len(seed_keys()) == 15 and len(reference_keys()) == 22
    assert DIM_GEOGRAPHY in reference_keys() and len(reference_check_keys()) > 80

    lean = run_months(build_definitions(workspace), instance, MONTH, paths=workspace)
    assert lean.success, "\n".join(lean.failures)
    built = materialized_in(instance, lean.run_id)
    assert not built & reference_keys()
    assert dg.AssetKey(["marts", "fct_indicator_month"]) in built
    records = instance.get_records_for_run(
        lean.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    evaluated = {
        record.event_log_entry.dagster_event.event_specific_data.asset_check_key
        for record in records
    }
    assert not evaluated & reference_check_keys() and len(evaluated) > 70
    # the GX suite of a reference mart still validates the published table every month
    assert dg.AssetCheckKey(DIM_GEOGRAPHY, SUITE_CHECK) in evaluated
    # the gate took the reference layer's earlier passing evaluations; the month was published
    assert verify_required_checks(instance, required_check_keys()).passed
    assert latest_logged_run(workspace.publish_db) == lean.run_id
    # the geography was ingested again unchanged (same data version): in the UI's lineage the
    # reference models built from it in the earlier run are up to date, not "upstream changed"
    lineage = get_stale_status_resolver(instance, [*ingest_assets, lagesbild_dbt])
    assert {lineage.get_status(key) for key in reference_keys()} == {StaleStatus.FRESH}

    geography = workspace.landing_source("geography") / "deso.csv"
    delivered = geography.read_bytes()
    geography.write_bytes(delivered + b"\n")  # a new file (same rows): the run would ingest it
    assert not reference_is_current(instance, workspace)
    geography.write_bytes(delivered)
    assert reference_is_current(instance, workspace)

    conn = duckdb.connect(str(workspace.warehouse_db))
    conn.execute("update reference.indicators set name_en = name_en || ' (edited)'")
    conn.close()
    assert not reference_is_current(instance, workspace)

    full = run_months(build_definitions(workspace), instance, MONTH, paths=workspace)
    assert full.success, "\n".join(full.failures)
    assert reference_keys() <= materialized_in(instance, full.run_id)
    conn = duckdb.connect(str(workspace.warehouse_db), read_only=True)
    edited = conn.execute(
        "select count(*) from reference.indicators where name_en like '%(edited)'"
    ).fetchone()[0]
    conn.close()
    assert edited == 0  # the seed was loaded from its file again
    assert reference_is_current(instance, workspace)
