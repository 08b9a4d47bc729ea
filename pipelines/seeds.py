"""Runs that leave the reference seeds out of `dbt build` when nothing about them changed.

Two conditions, both checked before the run is created:
1. the build database records that its seeds were built from the project's current seed
   files, macros and tests, that every test on them passed, and the seed tables still hold
   what was built then (`lagesbild.warehouse.seed_state`);
2. the Dagster instance holds, for every test on the seeds, a passing latest evaluation on the
   seed's latest materialization — what the publish gate requires of every required check.
Otherwise the run builds and tests the seeds as always. Jobs launched by the UI, the schedule
or the sensor keep their full selection; the CLI (`lagesbild run`, `backfill`) uses this.
"""

from __future__ import annotations

import dagster as dg

from assets.publish.gate import verify_required_checks
from assets.warehouse.dbt_assets import seed_check_keys, seed_keys, seed_tables
from lagesbild.settings import DataPaths
from lagesbild.warehouse.seed_state import seed_fingerprint, seeds_current_in


def seeds_are_current(instance: dg.DagsterInstance, paths: DataPaths) -> bool:
    """May the next build leave the seeds and their tests out?"""
    if not seeds_current_in(paths.warehouse_db, seed_fingerprint(), seed_tables()):
        return False
    if any(instance.get_latest_materialization_event(key) is None for key in seed_keys()):
        return False
    return verify_required_checks(instance, sorted(seed_check_keys(), key=str)).passed


def without_seeds(job: dg.JobDefinition) -> dg.JobDefinition:
    """The job's own assets and checks, minus the seeds and the tests on them alone."""
    seeds, seed_checks = seed_keys(), seed_check_keys()
    graph = job.asset_layer.asset_graph
    return job.get_subset(
        asset_selection=frozenset(job.asset_layer.selected_asset_keys - seeds),
        asset_check_selection=frozenset(graph.asset_check_keys - seed_checks),
    )
