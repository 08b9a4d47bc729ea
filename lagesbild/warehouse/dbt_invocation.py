"""How one `dbt build` is invoked: its month window, its target folder and its parse state."""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from pathlib import Path

from lagesbild.settings import DBT_PROJECT_DIR, DataPaths

WAREHOUSE_ENV = "LAGESBILD_WAREHOUSE_PATH"
"""dbt's profiles.yml reads the build database's path from this variable."""
DBT_SOURCE_DIRS = ("models", "seeds", "macros", "tests", "dbt_project.yml")
"""What dbt parses: a manifest older than any file here is stale."""
WINDOW_ENVIRONMENT = {
    "start_month": "LAGESBILD_DBT_START_MONTH",
    "end_month": "LAGESBILD_DBT_END_MONTH",
}
"""The environment variables macros/month_window.sql reads where the dbt vars are absent."""
PARSE_STATE = "partial_parse.msgpack"
BUILD_ARGS = ["build", "--exclude-resource-type", "unit_test"]
"""dbt's unit tests test the SQL, not the month's data: they run in the test suite
(tests/integration/test_marts.py), not in every production build, as dbt recommends."""


def manifest_is_stale(manifest: Path, project_dir: Path = DBT_PROJECT_DIR) -> bool:
    """True when the manifest is missing or older than any dbt source file."""
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    for name in DBT_SOURCE_DIRS:
        root = project_dir / name
        files = [root] if root.is_file() else root.rglob("*")
        if any(path.stat().st_mtime > built for path in files if path.is_file()):
            return True
    return False


def dbt_vars_for_months(first_month: str, last_month: str) -> dict[str, str]:
    """Partition keys `YYYY-MM` → the dbt vars that bound the incremental window."""
    return {"start_month": f"{first_month}-01", "end_month": f"{last_month}-01"}


def set_window_environment(dbt_vars: Mapping[str, str]) -> None:
    """Pass the run's window to dbt in the environment (set, or cleared when unbounded).

    Not as --vars: dbt re-parses the whole project whenever the vars differ from its saved
    parse state, which a monthly window always does (≈ 2 s of every run).
    """
    for name, variable in WINDOW_ENVIRONMENT.items():
        if dbt_vars.get(name):
            os.environ[variable] = dbt_vars[name]
        else:
            os.environ.pop(variable, None)


def run_target_path(paths: DataPaths, run_id: str) -> Path:
    """A fresh dbt target folder for this invocation: `<data>/dbt/target/<run id>-<n>`."""
    root = paths.dbt_dir / "target"
    root.mkdir(parents=True, exist_ok=True)
    attempt = sum(1 for _ in root.glob(f"{run_id}-*")) + 1
    return root / f"{run_id}-{attempt}"


def restore_parse_state(paths: DataPaths, target: Path) -> None:
    """Seed the run's target with this data directory's last parse state (dbt partial parsing).

    dbt reuses it only if nothing it depends on changed (dbt version, project files, profile
    — which names this data directory's warehouse — and vars); otherwise it parses afresh.
    """
    saved = paths.dbt_dir / PARSE_STATE
    if saved.exists():
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(saved, target / PARSE_STATE)


def keep_parse_state(paths: DataPaths, target: Path) -> None:
    """Save the parse state dbt wrote for the next run of this data directory (atomically)."""
    written = target / PARSE_STATE
    if written.exists():
        staged = paths.dbt_dir / f".{PARSE_STATE}.{os.getpid()}"
        shutil.copyfile(written, staged)
        os.replace(staged, paths.dbt_dir / PARSE_STATE)
