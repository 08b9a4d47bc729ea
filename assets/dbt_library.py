"""dagster-dbt loaded without dbt-core in this process: dbt itself only ever runs as a process.

When dagster-dbt finds dbt-core importable it imports it at once (≈ 1.5–2 s of every start of
the code location: dbt, mashumaro's compiled dataclasses, networkx, agate) for three in-process
uses, none of which Lägesbild has:

- evaluating a dbt selection with dbt's own selector: the asset graph selects the whole
  manifest (`fqn:*`), which dagster-dbt reads from the manifest itself;
- opening a dbt adapter to fetch row counts and column metadata after a node:
  `LagesbildDbtCli` opens none (the dbt process holds the DuckDB file's write lock);
- checking dbt-core's version: `LagesbildDbtCli` reads it from the package metadata.

Every dbt command runs as a `lagesbild-dbt`/`dbt` process, which imports dbt-core as usual. So
dagster-dbt is imported with dbt-core hidden from it — dagster-dbt's own, supported mode for an
environment without dbt-core (dbt Fusion) — and the package is importable again right after. The
asset graph, checks and jobs are the same either way (tests/unit/test_dbt_library.py compares
them); a dbt selection other than the whole project (`build_dbt_asset_selection(...,
dbt_select=...)`) would need dbt-core here and fails with dagster-dbt's own message.
"""

from __future__ import annotations

import importlib.abc
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


class _DbtCoreHidden(importlib.abc.MetaPathFinder):
    """Answers every import of `dbt` or `dbt.*` with ModuleNotFoundError."""

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname == "dbt" or fullname.startswith("dbt."):
            raise ModuleNotFoundError(
                f"No module named {fullname!r} (hidden while dagster-dbt loads)", name=fullname
            )
        return None


def load_dagster_dbt() -> None:
    """Import dagster-dbt with dbt-core hidden (no-op when it is imported already)."""
    if "dagster_dbt" in sys.modules:
        return
    finder = _DbtCoreHidden()
    sys.meta_path.insert(0, finder)
    try:
        import dagster_dbt  # noqa: F401
    finally:
        sys.meta_path.remove(finder)
