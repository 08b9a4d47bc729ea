"""The dbt project as dagster-dbt sees it, and how its manifest is prepared.

`make install` prepares the manifest with `dagster-dbt project prepare-and-package --file
assets/warehouse/project.py`. At load time dagster-dbt's `prepare_if_dev` re-prepares only
under `dagster dev`; here the same preparer also runs when a dbt file is newer than the
manifest, so a `lagesbild run` after editing a model never builds from a stale graph.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject

from lagesbild.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, DataPaths
from lagesbild.warehouse.dbt_invocation import WAREHOUSE_ENV, manifest_is_stale

# dbt reads the build database path from the environment (profiles.yml); parsing needs a value.
os.environ.setdefault(WAREHOUSE_ENV, str(DataPaths.from_env().warehouse_db))
# dagster-dbt's preparer runs `dbt` from PATH: make it this environment's dbt, also when the
# virtual environment is not activated (`.venv/bin/lagesbild …`).
_DBT_BIN = str(Path(DBT_EXECUTABLE).parent)
if _DBT_BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = os.pathsep.join([_DBT_BIN, os.environ.get("PATH", "")])


dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if dbt_project.preparer.using_dagster_dev() or manifest_is_stale(dbt_project.manifest_path):
    dbt_project.preparer.prepare(dbt_project)  # dagster-dbt's preparation: `dbt parse`
