"""Every blocking rule seen failing: each kind of dbt test and each GX suite refuses publication.

One private copy of the published small data set is tampered in many places at once — each
tampering breaks one rule on its own table or rows — and every targeted check is evaluated in
a few Dagster runs (each one `dbt build` of the selected tests — `dbt build` skips the tests
below a failing one, so related tests go to different runs — the GX suites in the first). Each
targeted check must
fail (a dbt test with failing rows, not an error), the publish gate must name it, and a run of
only the publish step must be refused, leaving every published file unchanged.
`test_every_rule_is_targeted` keeps the list honest: each generic test of
`dbt_project/tests/generic/`, each singular test of `dbt_project/tests/singular/` and each GX
suite of `expectations/` has at least one target here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import pytest

from assets.publish.gate import verify_required_checks
from assets.quality.checks import gx_quality_checks
from assets.warehouse.dbt_assets import lagesbild_dbt
from assets.warehouse.project import dbt_project
from lagesbild.settings import DBT_PROJECT_DIR, PROJECT_ROOT, DataPaths
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from tests.integration.publication_helpers import fingerprints, in_warehouse
from tests.integration.test_gate import MONTH, publish_only

pytestmark = pytest.mark.integration

FCT = "marts.fct_indicator_month"


@dataclass(frozen=True)
class Target:
    """A rule, the tampering that breaks it, and the checks that must fail because of it."""

    rule: str
    """A generic test (its file stem without `test_`), a singular test, a GX suite, or a
    dbt built-in test (`unique`, `not_null`, `accepted_values`, `relationships`)."""
    statements: tuple[str, ...]
    checks: tuple[str, ...]


def one_row(table: str, where: str = "true", pick: str = "min") -> str:
    """A predicate selecting one row of `table` by its rowid."""
    return f"rowid = (select {pick}(rowid) from {table} where {where})"


def count_row_update(geo_level: str, geo_code: str, indicator: str, month: str, add: int) -> str:
    """Raise a count row of the mart by `add`, keeping value, rate and small-number flag true."""
    return (
        f"update {FCT} set numerator = numerator + {add}, value = value + {add}, "
        f"rate_per_1000 = (numerator + {add}) / denominator * 1000, "
        f"is_small_number = (numerator + {add} < 10) "
        f"where geo_level = '{geo_level}' and geo_code = '{geo_code}' "
        f"and indicator_code = '{indicator}' and month = date '{month}-01'"
    )


RAW_MONTH = f"month = date '{MONTH}-01'"

TARGETS = [
    # the generic tests of dbt_project/tests/generic
    Target(
        "accepted_range",
        (
            "update intermediate.int_population__geo_month set population = -5 where "
            + one_row("intermediate.int_population__geo_month", "geo_level = 'lpo'"),
        ),
        (
            "intermediate/int_population__geo_month:accepted_range_int_population__geo_month_population__0",
        ),
    ),
    Target(
        "children_sum_not_greater_than_parent",  # and not_greater_than_parent: area > municipality
        (count_row_update("area", "USO002", "shootings", "2024-02", 1000),),
        (
            "marts/fct_indicator_month:fct_indicator_month_atomic_areas_sum_not_greater_than_municipality",
            "marts/fct_indicator_month:not_greater_than_parent_fct_indicator_month_numerator__ref_dim_geography_",
        ),
    ),
    Target(
        "not_greater_than_parent",
        (),  # broken by the target above
        (
            "marts/fct_indicator_month:not_greater_than_parent_fct_indicator_month_numerator__ref_dim_geography_",
        ),
    ),
    Target(
        "columns_non_negative",
        (
            "update intermediate.int_incidents__counts_deso_month set n_dead = -1 where "
            + one_row("intermediate.int_incidents__counts_deso_month"),
        ),
        (
            "intermediate/int_incidents__counts_deso_month:columns_non_negative_int_incidents__counts_deso_month_n_dead__n_injured",
        ),
    ),
    Target(
        "columns_not_null",
        (
            "update intermediate.int_geography__deso_hierarchy set lpo_code = null where "
            + one_row("intermediate.int_geography__deso_hierarchy"),
        ),
        (
            "intermediate/int_geography__deso_hierarchy:columns_not_null_int_geography__deso_hierarchy_deso_code__municipality_code__county_code__region_slug__lpo_code",
        ),
    ),
    Target(
        "expression_is_true",
        (
            f"update {FCT} set value = numerator + 1 where "
            + one_row(
                FCT,
                "geo_level = 'lpo' and indicator_code = 'drug_offences' "
                "and month = date '2024-03-01' and numerator is not null",
            ),
        ),
        (
            "marts/fct_indicator_month:expression_is_true_fct_indicator_month_value_is_not_distinct_from_numerator",
        ),
    ),
    Target(
        "national_equals_sum_of_regions",
        (count_row_update("nation", "SE", "robbery", "2024-03", 1),),
        ("marts/fct_indicator_month:national_equals_sum_of_regions_fct_indicator_month_numerator",),
    ),
    Target(
        "rate_matches_numerator_over_denominator",
        (
            f"update {FCT} set rate_per_1000 = rate_per_1000 * 2 + 0.1 where geo_level = "
            "'municipality' and geo_code = '0180' and indicator_code = 'violent_crime' "
            "and month = date '2024-01-01'",
        ),
        (
            "marts/fct_indicator_month:rate_matches_numerator_over_denominator_fct_indicator_month_rate_per_1000__denominator__numerator__1000__1e_09",
        ),
    ),
    Target(
        "unique_combination_of_columns",
        (
            "insert into intermediate.int_population__geo_month select * from "
            f"intermediate.int_population__geo_month where geo_level = 'nation' and {RAW_MONTH}",
        ),
        (
            "intermediate/int_population__geo_month:unique_combination_of_columns_int_population__geo_month_month__geo_level__geo_code",
        ),
    ),
    Target(
        "unique_in_history",  # a clearance of May delivered again in June
        (
            f"insert into raw.clearances select * replace (date '{MONTH}-01' as month) "
            "from raw.clearances where month = date '2024-05-01' order by offence_id limit 1",
        ),
        (
            "staging/stg_clearances__clearances:unique_in_history_stg_clearances__clearances_offence_id",
            "raw/clearances:gx_suite",
        ),
    ),
    # dbt's built-in generic tests
    Target(
        "unique",
        (
            "insert into marts.dim_month select * from marts.dim_month "
            "where month = date '2024-01-01'",
        ),
        ("marts/dim_month:unique_dim_month_month",),
    ),
    Target(
        "not_null",
        (
            "update raw.deliveries set month = null "
            "where source = 'presence' and partition_key = '2023-01'",
        ),
        ("staging/stg_deliveries__months:not_null_stg_deliveries__months_month",),
    ),
    Target(
        "accepted_values",
        ("update marts.dim_indicator set kind = 'other' where indicator_code = 'robbery'",),
        ("marts/dim_indicator:accepted_values_dim_indicator_kind__count__ratio__resource",),
    ),
    Target(
        "relationships",
        ("update marts.mart_effect_goals set goal_id = 'EG99' where goal_id = 'EG01'",),
        (
            "marts/mart_effect_goals:relationships_mart_effect_goals_goal_id__goal_id__ref_effect_goals_",
        ),
    ),
    # the singular tests of dbt_project/tests/singular
    Target(
        "assert_area_parts_are_atomic",  # a part listed under an area that is no composite
        ("insert into reference.area_parts values ('USO002', 'USO001')",),
        ("reference/area_parts:assert_area_parts_are_atomic",),
    ),
    Target(
        "assert_dim_area_classification_reproduces_list_totals",
        (
            "delete from marts.dim_area_classification where "
            + one_row("marts.dim_area_classification", "assessment_year = 2023 and is_listed"),
        ),
        ("marts/dim_area_classification:assert_dim_area_classification_reproduces_list_totals",),
    ),
    Target(
        "assert_dim_geography_parents_exist",
        (
            "update marts.dim_geography set parent_geo_code = '9999' "
            "where geo_level = 'area' and geo_code = 'USO009'",
        ),
        ("marts/dim_geography:assert_dim_geography_parents_exist",),
    ),
    Target(
        "assert_effect_goals_name_published_series",
        ("update reference.effect_goals set geo_code = 'USO999' where goal_id = 'EG01'",),
        ("reference/effect_goals:assert_effect_goals_name_published_series",),
    ),
    Target(
        "assert_fct_indicator_month_complete_only_when_delivered",
        (
            f"update {FCT} set is_complete = false where geo_level = 'region' and geo_code = "
            "'syd' and indicator_code = 'vandalism_arson' and month = date '2024-02-01'",
        ),
        ("marts/fct_indicator_month:assert_fct_indicator_month_complete_only_when_delivered",),
    ),
    Target(
        "assert_fct_indicator_month_counts_every_offence",  # an offence lost after the mart
        ("delete from raw.offences where " + one_row("raw.offences", "month = date '2024-04-01'"),),
        ("marts/fct_indicator_month:assert_fct_indicator_month_counts_every_offence",),
    ),
    Target(
        "assert_fct_indicator_month_grid_is_complete",
        (
            f"delete from {FCT} where "
            + one_row(
                FCT,
                "geo_level = 'lpo' and indicator_code = 'shootings' and month = date '2024-05-01'",
                pick="max",
            ),
        ),
        ("marts/fct_indicator_month:assert_fct_indicator_month_grid_is_complete",),
    ),
    Target(
        "assert_geography_assigns_desos_to_atomic_areas_only",
        (
            "update raw.geography_deso set area_code = 'LGB001' where "
            + one_row("raw.geography_deso", "area_code = 'USO074'"),
        ),
        ("staging/stg_geography__deso:assert_geography_assigns_desos_to_atomic_areas_only",),
    ),
    Target(
        "assert_lpo_population_shares_sum_to_one",
        (
            "update reference.lpo_municipalities set population_share = 0.5 "
            "where municipality_code = '0114'",
        ),
        ("reference/lpo_municipalities:assert_lpo_population_shares_sum_to_one",),
    ),
    Target(
        "assert_mart_resources_matches_fct_indicator_month",
        (
            "update marts.mart_resources set patrol_hours_per_1000 = patrol_hours_per_1000 + 1 "
            "where "
            + one_row(
                "marts.mart_resources", "geo_level = 'area' and patrol_hours_per_1000 is not null"
            ),
        ),
        ("marts/mart_resources:assert_mart_resources_matches_fct_indicator_month",),
    ),
    Target(
        "assert_offences_total_covers_every_offence_code",
        (
            "delete from reference.indicator_offence_codes "
            "where indicator_code = 'offences_total' and offence_code = '9001'",
        ),
        ("reference/indicator_offence_codes:assert_offences_total_covers_every_offence_code",),
    ),
    # the Great Expectations suites of expectations/
    Target(
        "raw.cameras",
        (
            "update raw.cameras set fixed_camera_sites = -1 where "
            + one_row("raw.cameras", RAW_MONTH),
        ),
        ("raw/cameras:gx_suite",),
    ),
    Target("raw.clearances", (), ("raw/clearances:gx_suite",)),  # by unique_in_history above
    Target(
        "raw.geography_deso",
        (
            "update raw.geography_deso set lpo_code = '999999' where "
            + one_row("raw.geography_deso", "area_code is null"),
        ),
        ("raw/geography_deso:gx_suite",),
    ),
    Target(
        "raw.incidents",
        (
            "update raw.incidents set incident_type = 'fire' where "
            + one_row("raw.incidents", RAW_MONTH),
        ),
        ("raw/incidents:gx_suite",),
    ),
    Target(
        "raw.offences",
        (
            "update raw.offences set offence_code = '0000' where "
            + one_row("raw.offences", RAW_MONTH),
        ),
        ("raw/offences:gx_suite",),
    ),
    Target(
        "raw.population",
        ("update raw.population set population = -4 where " + one_row("raw.population"),),
        ("raw/population:gx_suite",),
    ),
    Target(
        "raw.presence",
        ("update raw.presence set patrol_hours = -1 where " + one_row("raw.presence", RAW_MONTH),),
        ("raw/presence:gx_suite",),
    ),
    Target(
        "raw.staffing",
        ("update raw.staffing set function = 'chef' where " + one_row("raw.staffing", RAW_MONTH),),
        ("raw/staffing:gx_suite",),
    ),
    Target(
        "raw.measures",
        ("update raw.measures set name = null where " + one_row("raw.measures"),),
        ("raw/measures:gx_suite",),
    ),
    Target(
        "marts.dim_area_classification",
        (
            "update marts.dim_area_classification set category = 'okand' where "
            + one_row("marts.dim_area_classification", "category is not null", pick="max"),
        ),
        ("marts/dim_area_classification:gx_suite",),
    ),
    Target(
        "marts.dim_geography",
        (
            "update marts.dim_geography set region = 'lappland' "
            "where geo_level = 'municipality' and geo_code = '0114'",
        ),
        ("marts/dim_geography:gx_suite",),
    ),
    Target(
        "marts.dim_indicator",
        (
            "update marts.dim_indicator set geo_levels = 'planet' "
            "where indicator_code = 'shootings'",
        ),
        ("marts/dim_indicator:gx_suite",),
    ),
    Target(
        "marts.dim_month",
        ("update marts.dim_month set month_number = 13 where month = date '2023-03-01'",),
        ("marts/dim_month:gx_suite",),
    ),
    Target(
        "marts.fct_indicator_month",
        (
            f"update {FCT} set rate_per_1000 = 5000 where geo_level = 'municipality' and "
            "geo_code = '0180' and indicator_code = 'offences_total' and month = date '2024-02-01'",
        ),
        ("marts/fct_indicator_month:gx_suite",),
    ),
    Target(
        "marts.mart_effect_goals",
        ("update marts.mart_effect_goals set status = 'unknown' where goal_id = 'EG02'",),
        ("marts/mart_effect_goals:gx_suite",),
    ),
    Target(
        "marts.mart_resources",
        (
            "update marts.mart_resources set officers_in_area = -3 where "
            + one_row("marts.mart_resources", "geo_level = 'area'", pick="max"),
        ),
        ("marts/mart_resources:gx_suite",),
    ),
]
TARGETED = sorted({check for target in TARGETS for check in target.checks})
BROKEN_EFFECT_TABLES = "test_effects.py::test_a_broken_effect_table_refuses_publication"
TARGETED_ELSEWHERE = {
    "marts.fct_measure_effect": BROKEN_EFFECT_TABLES,
    "marts.fct_measure_event_study": BROKEN_EFFECT_TABLES,
}
"""Suites of tables that exist only after `lagesbild evaluate`: targeted in that test module."""


def check_key(label: str) -> dg.AssetCheckKey:
    asset, name = label.split(":")
    return dg.AssetCheckKey(dg.AssetKey(asset.split("/")), name)


def test_every_rule_is_targeted() -> None:
    generic = {
        p.stem.removeprefix("test_") for p in (DBT_PROJECT_DIR / "tests" / "generic").glob("*.sql")
    }
    singular = {p.stem for p in (DBT_PROJECT_DIR / "tests" / "singular").glob("*.sql")}
    suites = {p.stem for p in (PROJECT_ROOT / "expectations").glob("*.json")}
    targeted = {target.rule for target in TARGETS} | set(TARGETED_ELSEWHERE)
    assert generic | singular | suites <= targeted
    for where in set(TARGETED_ELSEWHERE.values()):
        module, name = where.split("::")
        assert f"def {name}(" in (Path(__file__).parent / module).read_text(encoding="utf-8")
    assert {"unique", "not_null", "accepted_values", "relationships"} <= targeted
    known = {key for key in lagesbild_dbt.check_keys} | set(gx_quality_checks.check_keys)
    assert {check_key(label) for label in TARGETED} <= known


def dbt_test_nodes(manifest: dict) -> dict[str, set[str]]:
    """dbt test name → the nodes it reads."""
    return {
        node["name"]: set(node["depends_on"]["nodes"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "test"
    }


def descendants(manifest: dict, node: str) -> set[str]:
    found: set[str] = set()
    stack = [node]
    while stack:
        for child in manifest["child_map"].get(stack.pop(), []):
            if child not in found and not child.startswith("test."):
                found.add(child)
                stack.append(child)
    return found


def independent_batches(labels: list[str]) -> list[list[str]]:
    """The checks in as few runs as possible, no dbt test in a run below another's.

    `dbt build` skips what a failing test guards: the nodes downstream of *all* the nodes the
    test reads (dbt's test edges), and every test on them. Two such tests cannot both fail in
    one invocation. Greedy: each check joins the first batch with no such relation.
    """
    manifest = json.loads(dbt_project.manifest_path.read_text(encoding="utf-8"))
    reads = dbt_test_nodes(manifest)
    below: dict[str, set[str]] = {}

    def guarded(test: str) -> set[str]:
        nodes = reads.get(test, set())
        for node in nodes - set(below):
            below[node] = descendants(manifest, node)
        return set.intersection(*(below[node] for node in nodes)) if nodes else set()

    def related(a: str, b: str) -> bool:
        test_a, test_b = a.split(":")[1], b.split(":")[1]
        return bool(reads.get(test_b, set()) & guarded(test_a)) or bool(
            reads.get(test_a, set()) & guarded(test_b)
        )

    batches: list[list[str]] = []
    for label in labels:
        for batch in batches:
            if not any(related(label, other) for other in batch):
                batch.append(label)
                break
        else:
            batches.append([label])
    return batches


def evaluate(paths: DataPaths, labels: list[str]) -> dict[str, dg.AssetCheckEvaluation]:
    """Evaluate the checks in as few runs as the dbt graph allows, as the run of MONTH."""
    evaluations: dict[str, dg.AssetCheckEvaluation] = {}
    for index, batch in enumerate(independent_batches(labels)):
        evaluations |= evaluate_batch(paths, batch, f"targeted_checks_{index}")
    return evaluations


def evaluate_batch(
    paths: DataPaths, labels: list[str], name: str
) -> dict[str, dg.AssetCheckEvaluation]:
    """Evaluate the checks in one run, as the run of month MONTH."""
    job = dg.define_asset_job(
        name,
        selection=dg.AssetSelection.checks(*[check_key(label) for label in labels]),
        executor_def=dg.in_process_executor,
    )
    defs = dg.Definitions.merge(build_definitions(paths), dg.Definitions(jobs=[job]))
    result = defs.resolve_job_def(name).execute_in_process(
        instance=get_instance(paths), raise_on_error=False, tags={"dagster/partition": MONTH}
    )
    return {
        f"{e.asset_key.to_user_string()}:{e.check_name}": e
        for e in result.get_asset_check_evaluations()
    }


def test_every_blocking_rule_fails_on_its_broken_table_and_refuses_publication(
    workspace: DataPaths,
) -> None:
    before = fingerprints(workspace)
    in_warehouse(workspace, *[s for target in TARGETS for s in target.statements])

    evaluations = evaluate(workspace, TARGETED)
    gate = verify_required_checks(get_instance(workspace))
    published, message = publish_only(workspace)

    not_failed = [label for label in TARGETED if evaluations[label].passed]
    assert not_failed == []
    for label in TARGETED:
        evaluation = evaluations[label]
        if label.endswith(":gx_suite"):
            assert evaluation.metadata["expectations_failed"].value >= 1, label
        else:  # a dbt test that returned failing rows, not one that errored
            assert evaluation.metadata["dagster_dbt/failed_row_count"].value >= 1, label
    refused = set(gate.failed_checks)
    assert [label for label in TARGETED if label not in refused] == []
    assert not published
    assert "Publication refused" in message
    assert f"{len(gate.failures)} required check(s) did not pass" in message
    assert fingerprints(workspace) == before
