"""Runs that leave the reference layer out of `dbt build` when nothing about it changed.

The reference layer: the seeds and the models and tests built only from them and the delivered
DeSO geography (`lagesbild/warehouse/reference_graph.py`). Three conditions, all checked before
the run is created:
1. the build database records that its reference layer was built from the project's current
   seed files, macros, tests and reference models, that every test on it passed, and that its
   tables and the geography still hold what they held then (`lagesbild.warehouse.seed_state`);
2. the landing zone holds no geography file other than the accepted one (the run would ingest
   it before dbt builds);
3. the Dagster instance holds, for every test on the reference layer, a passing latest
   evaluation on its asset's latest materialization — what the publish gate requires of every
   required check.
Otherwise the run builds and tests the reference layer as always. Jobs launched by the UI, the
schedule or the sensor keep their full selection; the CLI (`lagesbild run`, `backfill`) uses
this.
"""

from __future__ import annotations

import dagster as dg

from assets.publish.gate import verify_required_checks
from assets.warehouse.dbt_assets import (
    reference_check_keys,
    reference_fingerprint,
    reference_keys,
    reference_tables,
)
from lagesbild.ingest.landing import find_delivery
from lagesbild.settings import DataPaths
from lagesbild.warehouse.seed_state import geography_delivery_pending, seeds_current_in


def reference_is_current(instance: dg.DagsterInstance, paths: DataPaths) -> bool:
    """May the next build leave the reference layer and its tests out?"""
    if not seeds_current_in(paths.warehouse_db, reference_fingerprint(), reference_tables()):
        return False
    try:
        landing = find_delivery(paths.landing_source("geography"), "deso")
    except ValueError:  # two files for the geography: the run's ingest refuses and says why
        return False
    if geography_delivery_pending(paths.warehouse_db, landing):
        return False
    if any(instance.get_latest_materialization_event(key) is None for key in reference_keys()):
        return False
    return verify_required_checks(instance, sorted(reference_check_keys(), key=str)).passed


def without_reference(job: dg.JobDefinition) -> dg.JobDefinition:
    """The job's own assets and checks, minus the reference layer and the tests on it alone."""
    reference, reference_checks = reference_keys(), reference_check_keys()
    graph = job.asset_layer.asset_graph
    return job.get_subset(
        asset_selection=frozenset(job.asset_layer.selected_asset_keys - reference),
        asset_check_selection=frozenset(graph.asset_check_keys - reference_checks),
    )
