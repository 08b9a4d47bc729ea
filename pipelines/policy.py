"""Cross-cutting policy in one place: owners, groups and the build-database pool."""

from __future__ import annotations

ECONOMICS_DEPARTMENT = "team:economics-department"
"""The Police Authority's economics department produces and publishes the indicators."""

BUILD_POOL = "lagesbild_build_db"
"""Dagster concurrency pool for everything that writes the build database (limit 1)."""

GROUP_INGEST = "ingest"
GROUP_PUBLISH = "publish"
DBT_GROUPS = {"seeds": "reference", "staging": "staging", "intermediate": "intermediate"}
DEFAULT_DBT_GROUP = "marts"
