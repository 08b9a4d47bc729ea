"""The reference layer of the dbt project: what is built only from the seeds and the geography.

The seeds (reference lists) and the DeSO geography change a few times a year; the models built
from nothing else (the geography hierarchy, `dim_geography`, `dim_indicator`, the area
classification, …) and the tests that read nothing else give the same result every month until
one of them changes. `reference_nodes` finds them in dbt's manifest, so a monthly run can leave
them out while they are current (`pipelines/seeds.py`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

REFERENCE_SOURCES = frozenset({"source.lagesbild.raw.geography_deso"})
"""Delivered sources that belong to the reference layer: the DeSO geography (one file, replaced
as a new vintage when it changes; ingested before every build)."""
BUILT_RESOURCES = ("seed.", "model.", "test.")
VARYING_SQL = re.compile(
    r"env_var|\bvar\s*\(|current_date|current_timestamp|\bnow\s*\(|today\s*\(|"
    r"run_started_at|invocation_id|month_window",
    re.IGNORECASE,
)
"""What makes a node's result depend on more than its inputs (the run's window, the clock, the
environment): such a node is built every run, whatever it reads."""


def reference_nodes(
    manifest: Mapping[str, Any], reference_sources: frozenset[str] = REFERENCE_SOURCES
) -> frozenset[str]:
    """Unique ids of the seeds, models and tests whose every ancestor is a seed or a reference
    source (a seed is always one; a model or test reading anything else is not)."""
    parents: Mapping[str, list[str]] = manifest["parent_map"]
    known: dict[str, bool] = {}

    def is_reference(unique_id: str) -> bool:
        if unique_id not in known:
            if unique_id.startswith("seed."):
                known[unique_id] = True
            elif unique_id.startswith("source."):
                known[unique_id] = unique_id in reference_sources
            elif unique_id.startswith(("model.", "test.")):
                known[unique_id] = False  # provisional: dbt's graph has no cycles
                direct = parents.get(unique_id, [])
                known[unique_id] = (
                    bool(direct)
                    and not _varies_by_run(manifest["nodes"].get(unique_id, {}))
                    and all(is_reference(p) for p in direct)
                )
            else:
                known[unique_id] = False
        return known[unique_id]

    return frozenset(
        unique_id
        for unique_id in manifest["nodes"]
        if unique_id.startswith(BUILT_RESOURCES) and is_reference(unique_id)
    )


def _varies_by_run(node: Mapping[str, Any]) -> bool:
    macros = (node.get("depends_on") or {}).get("macros", [])
    return bool(VARYING_SQL.search(node.get("raw_code") or "")) or any(
        VARYING_SQL.search(macro) for macro in macros
    )


def reference_model_files(manifest: Mapping[str, Any], nodes: frozenset[str]) -> list[str]:
    """The project files the reference models come from: their SQL and their YAML."""
    files: set[str] = set()
    for unique_id in nodes:
        if not unique_id.startswith("model."):
            continue
        node = manifest["nodes"][unique_id]
        files.add(node["original_file_path"])
        if node.get("patch_path"):
            files.add(node["patch_path"].split("://", 1)[-1])
    return sorted(files)
