"""The quality gate: GX suites and dbt tests must pass before anything is published.

A deliberately broken mart (a negative rate; one region's rows removed) is checked by the
real GX asset checks or dbt tests, then a run that selects only the publish step is started:
it must refuse, name the failing check, and leave every published file byte-for-byte unchanged.
A mart materialized without its checks is refused the same way.
"""

from __future__ import annotations

import json

import dagster as dg
import duckdb
import pytest

from assets.publish.assets import PUBLISHED_WAREHOUSE_KEY
from assets.publish.gate import required_check_keys
from assets.quality.checks import gx_quality_checks
from assets.warehouse.dbt_assets import lagesbild_dbt
from lagesbild.settings import DataPaths
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.runner import failure_messages
from tests.conftest import PipelineRun
from tests.integration.publication_helpers import fingerprints, in_warehouse

pytestmark = pytest.mark.integration

MONTH = "2024-06"
FCT = dg.AssetKey(["marts", "fct_indicator_month"])


def run_selection(
    paths: DataPaths, name: str, selection: dg.AssetSelection
) -> tuple[bool, str, dict[str, bool]]:
    """Run a job of just `selection` on the copied instance: success, failures, check results."""
    job = dg.define_asset_job(name, selection=selection, executor_def=dg.in_process_executor)
    defs = dg.Definitions.merge(build_definitions(paths), dg.Definitions(jobs=[job]))
    job_def = defs.resolve_job_def(name)
    kwargs: dict[str, object] = {"tags": {"dagster/partition": MONTH}}
    if job_def.partitions_def is not None:
        kwargs = {"partition_key": MONTH}
    result = job_def.execute_in_process(
        instance=get_instance(paths), raise_on_error=False, **kwargs
    )
    checks = {
        f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}": evaluation.passed
        for evaluation in result.get_asset_check_evaluations()
    }
    return result.success, "\n".join(failure_messages(result)), checks


def publish_only(paths: DataPaths) -> tuple[bool, str]:
    success, message, _ = run_selection(
        paths, "publish_only", dg.AssetSelection.assets(PUBLISHED_WAREHOUSE_KEY)
    )
    return success, message


def gx_checks(paths: DataPaths) -> dict[str, bool]:
    _, _, checks = run_selection(
        paths, "gx_checks_only", dg.AssetSelection.checks(*gx_quality_checks.check_keys)
    )
    return checks


def test_the_pipeline_run_published_only_after_every_required_check_passed(
    pipeline_run: PipelineRun,
) -> None:
    conn = duckdb.connect(str(pipeline_run.paths.publish_db), read_only=True)
    try:
        results = json.loads(
            conn.execute(
                "select check_results from meta.publication_log where run_id = ?",
                [pipeline_run.run_id],
            ).fetchall()[0][0]
        )
    finally:
        conn.close()
    checks = {result["check"]: result["passed"] for result in results}
    assert len(checks) == len(required_check_keys())
    assert all(checks.values())
    for required in ("marts/fct_indicator_month:gx_suite", "raw/offences:gx_suite"):
        assert checks[required]
    docs = pipeline_run.paths.publish_dir / "docs" / "gx"
    assert list(docs.glob(f"{MONTH}_{pipeline_run.run_id}/index.html"))


FCT_SUITE = "marts/fct_indicator_month:gx_suite"
OFFENCES_SUITE = "raw/offences:gx_suite"
BROKEN_TABLES = [
    pytest.param(
        "update marts.fct_indicator_month set rate_per_1000 = -0.25 "
        "where geo_level = 'nation' and indicator_code = 'offences_total' "
        f"and month = '{MONTH}-01'",
        FCT_SUITE,
        [FCT_SUITE, "rate_per_1000", "-0.25"],
        id="a negative rate",
    ),
    pytest.param(  # past the ingest contract, straight into raw
        "update raw.offences set deso_code = '0180C9999' where offence_id = (select "
        f"min(offence_id) from raw.offences where month = date '{MONTH}-01' "
        "and deso_code like '0180%')",
        OFFENCES_SUITE,
        ["expect_column_values_to_be_null(rows.unlisted_deso_code)", "1 of", "0180C9999"],
        id="a DeSO code missing from the geography",
    ),
]


@pytest.mark.parametrize(("breakage", "failing", "expected"), BROKEN_TABLES)
def test_a_broken_table_never_reaches_the_published_files(
    workspace: DataPaths, breakage: str, failing: str, expected: list[str]
) -> None:
    before = fingerprints(workspace)
    in_warehouse(workspace, breakage)

    checks = gx_checks(workspace)
    published, message = publish_only(workspace)

    assert checks[failing] is False
    for other in {FCT_SUITE, OFFENCES_SUITE} - {failing}:
        assert checks[other] is True
    assert not published
    assert "Publication refused" in message
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in:\n{message}"
    assert fingerprints(workspace) == before


def test_a_run_of_only_the_publish_step_cannot_skip_the_checks(workspace: DataPaths) -> None:
    before = fingerprints(workspace)
    get_instance(workspace).report_runless_asset_event(
        dg.AssetMaterialization(asset_key=FCT, description="rebuilt outside the monthly job")
    )

    published, message = publish_only(workspace)

    assert not published
    assert "marts/fct_indicator_month:gx_suite was not evaluated on the current" in message
    assert fingerprints(workspace) == before


def dbt_check_key(asset: dg.AssetKey, name_start: str) -> dg.AssetCheckKey:
    """The one dbt test on `asset` whose name starts with `name_start`."""
    (key,) = [
        k
        for k in lagesbild_dbt.check_keys
        if k.asset_key == asset and k.name.startswith(name_start)
    ]
    return key


def evaluate_alone(paths: DataPaths, key: dg.AssetCheckKey) -> dg.AssetCheckEvaluation:
    """Run one dbt test as the only check of a job, as the run of month MONTH."""
    job = dg.define_asset_job(
        "one_dbt_check",
        selection=dg.AssetSelection.checks(key),
        executor_def=dg.in_process_executor,
    )
    defs = dg.Definitions.merge(build_definitions(paths), dg.Definitions(jobs=[job]))
    result = defs.resolve_job_def("one_dbt_check").execute_in_process(
        instance=get_instance(paths), raise_on_error=False, tags={"dagster/partition": MONTH}
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.asset_check_key == key
    return evaluation


def test_a_region_missing_from_the_mart_fails_the_dbt_identities_and_is_not_published(
    workspace: DataPaths,
) -> None:
    """Grid completeness and regions = nation are dbt tests (their one home), not GX."""
    before = fingerprints(workspace)
    in_warehouse(
        workspace,
        "delete from marts.fct_indicator_month where geo_level = 'region' and geo_code = 'syd'",
    )
    grid = evaluate_alone(
        workspace, dbt_check_key(FCT, "assert_fct_indicator_month_grid_is_complete")
    )
    nation = evaluate_alone(
        workspace, dbt_check_key(FCT, "national_equals_sum_of_regions_fct_indicator_month_num")
    )

    published, message = publish_only(workspace)

    assert grid.passed is False and nation.passed is False
    assert not published
    assert "Publication refused" in message
    assert "assert_fct_indicator_month_grid_is_complete FAILED" in message
    assert fingerprints(workspace) == before


def test_one_not_null_test_per_model_fails_on_the_columns_with_nulls(workspace: DataPaths) -> None:
    """`columns_not_null` (dbt_project/tests/generic): one failing row per column with NULLs."""
    hierarchy = dg.AssetKey(["intermediate", "int_geography__deso_hierarchy"])
    in_warehouse(
        workspace,
        "update intermediate.int_geography__deso_hierarchy set lpo_code = null, "
        "county_code = null where deso_code in (select deso_code from "
        "intermediate.int_geography__deso_hierarchy order by deso_code limit 3)",
    )

    evaluation = evaluate_alone(workspace, dbt_check_key(hierarchy, "columns_not_null"))

    assert evaluation.passed is False
    assert evaluation.metadata["dagster_dbt/failed_row_count"].value == 2  # lpo and county


def test_one_non_negative_test_per_model_fails_on_the_column_below_zero(
    workspace: DataPaths,
) -> None:
    resources = dg.AssetKey(["marts", "mart_resources"])
    in_warehouse(
        workspace, "update marts.mart_resources set patrol_hours = -2.5 where geo_level = 'area'"
    )

    evaluation = evaluate_alone(workspace, dbt_check_key(resources, "columns_non_negative"))

    assert evaluation.passed is False
    assert evaluation.metadata["dagster_dbt/failed_row_count"].value == 1  # patrol_hours only


@pytest.mark.parametrize(
    "copied_from",
    [pytest.param("2024-05", id="id of an earlier month"), pytest.param(MONTH, id="id twice")],
)
def test_a_repeated_offence_id_fails_the_windowed_uniqueness_test(
    workspace: DataPaths, copied_from: str
) -> None:
    """`unique_in_history` on a monthly run: the month's ids among themselves and in history."""
    offences = dg.AssetKey(["staging", "stg_offences__offences"])
    key = dbt_check_key(offences, "unique_in_history_stg_offences__offences_offence_id")
    assert evaluate_alone(workspace, key).passed is True
    # an offence delivered again in the run's month (past the ingest contract)
    in_warehouse(
        workspace,
        f"insert into raw.offences select * replace (date '{MONTH}-01' as month) "
        f"from raw.offences where month = date '{copied_from}-01' order by offence_id limit 1",
    )

    evaluation = evaluate_alone(workspace, key)

    assert evaluation.passed is False
    assert evaluation.metadata["dagster_dbt/failed_row_count"].value == 1
