"""Cross-cutting policy, declared once: owners, groups, kinds, pools, tags and check names.

Every stage's assets take their group, owner, kinds and pool from a `Stage` here
(`**stage.asset_kwargs()`, or `spec_kwargs()` for the specs of a multi-asset), so a new asset
cannot forget one, and a change of owner or pool is one line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

ECONOMICS_DEPARTMENT = "team:economics-department"
"""The Police Authority's economics department produces and publishes the indicators."""
ANALYSIS_TEAM = "team:analysis"
"""The analysts who write the tertial reviews and the yearly follow-up."""

BUILD_POOL = "lagesbild_build_db"
"""Dagster concurrency pool for everything that writes the build database (limit 1)."""

SOURCE_TAG = "lagesbild/source"
"""Tag naming the landing-zone source of an ingest asset."""
NO_RETRIES = {"dagster/max_retries": "0"}
"""Run tags of every job: a failed publication is corrected and re-run, never retried blindly."""
BUILD_DB_RUN_TAG = "lagesbild/build_db"
"""Run tag of every job that writes the build database. The instance's run queue admits one run
with this tag at a time (`pipelines/instance.py`): two publications never overlap, and a tertial
review waits for a monthly run."""
WRITER_RUN_TAGS = {**NO_RETRIES, BUILD_DB_RUN_TAG: "writer"}
"""Run tags of the jobs that write the build database (monthly, backfill halves, review)."""

SUITE_CHECK = "gx_suite"
"""The name of every Great Expectations suite check (one per dataset); required for publication."""
PLAUSIBILITY_CHECK = "gx_plausibility"
"""The month-on-month plausibility check (a warning, never blocking)."""
COVERAGE_CHECK = "coverage_complete"
"""Every unit of a monthly source delivered, at a count its own history makes plausible;
required for publication (missing is not zero)."""
COVERAGE_DROP_CHECK = "coverage_drop"
"""Smaller, merely unusual drops of an event source's units (a warning, never blocking)."""


@dataclass(frozen=True)
class Stage:
    """One stage of the graph: the group its assets belong to, who owns them, what they run on."""

    group: str
    owner: str
    kinds: frozenset[str]
    pool: str | None = BUILD_POOL
    tags: Mapping[str, str] = field(default_factory=dict)

    def asset_kwargs(self, **tags: str) -> dict[str, Any]:
        """Keyword arguments for `@dg.asset` / `@dg.multi_asset` of this stage."""
        kwargs: dict[str, Any] = {
            "group_name": self.group,
            "owners": [self.owner],
            "kinds": set(self.kinds),
            "pool": self.pool,
        }
        if self.tags or tags:
            kwargs["tags"] = {**self.tags, **tags}
        return kwargs

    def spec_kwargs(self, **tags: str) -> dict[str, Any]:
        """Keyword arguments for a `dg.AssetSpec` of this stage (specs of a multi-asset)."""
        kwargs = self.asset_kwargs(**tags)
        del kwargs["pool"]  # the pool belongs to the multi-asset's op, not its specs
        return kwargs

    @property
    def selection(self) -> dg.AssetSelection:
        """Every asset of this stage."""
        return dg.AssetSelection.groups(self.group)


INGEST = Stage("ingest", ECONOMICS_DEPARTMENT, frozenset({"python", "polars", "duckdb"}))
PUBLISH = Stage("publish", ECONOMICS_DEPARTMENT, frozenset({"python", "duckdb"}))
REVIEW = Stage("review", ANALYSIS_TEAM, frozenset({"python", "duckdb", "matplotlib"}))
REPORTS = Stage("reports", ANALYSIS_TEAM, frozenset({"python", "duckdb", "html"}), pool=None)
"""The monthly regional lägesbild: reads the published file only, so no build-database pool."""
EFFECTS = Stage("effects", ANALYSIS_TEAM, frozenset({"python", "duckdb", "matplotlib"}))

DBT_GROUPS = {"seeds": "reference", "staging": "staging", "intermediate": "intermediate"}
"""Group of each dbt layer (seeds are reference data); every other model is a mart."""
DEFAULT_DBT_GROUP = "marts"
DBT_OWNER = ECONOMICS_DEPARTMENT
