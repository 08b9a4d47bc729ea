"""dagster-dbt loaded without dbt-core in the code location's process (assets/dbt_library.py):
dbt-core is not imported there, is importable again afterwards, and the asset graph, checks and
jobs are the same as with dbt-core loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

DESCRIBE_GRAPH = """
import json, re, sys
{first}
from pipelines.definitions import defs
import dagster_dbt.compat

def text(value):
    return re.sub(r" at 0x[0-9a-f]+", "", repr(value))

graph = defs.resolve_asset_graph()
described = {{}}
for key in graph.get_all_asset_keys():
    node = graph.get(key)
    described[key.to_user_string()] = text((
        sorted(parent.to_user_string() for parent in node.parent_keys),
        node.description, sorted((name, text(value)) for name, value in node.metadata.items()),
        sorted(node.tags.items()), node.group_name, node.owners, node.code_version,
        sorted(check.to_user_string() for check in node.check_keys),
    ))
for check_key in graph.asset_check_keys:
    check = graph.get(check_key)
    described[check_key.to_user_string()] = text((check.description, check.blocking))
described["jobs"] = sorted(job.name for job in defs.resolve_all_job_defs())
dbt_modules = sorted(name for name in sys.modules if name == "dbt" or name.startswith("dbt."))
hidden_left = [type(f).__name__ for f in sys.meta_path if "Hidden" in type(f).__name__]
import dbt.version
print(json.dumps({{
    "graph": described,
    "dbt_modules_before": dbt_modules,
    "dbt_core_version_seen": str(dagster_dbt.compat.DBT_PYTHON_VERSION),
    "hidden_left": hidden_left,
    "dbt_importable": dbt.version.__version__,
}}))
"""


def _describe(first: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", DESCRIBE_GRAPH.format(first=first)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_code_location_loads_without_dbt_core_and_describes_the_same_graph() -> None:
    lean = _describe(first="")
    with_core = _describe(first="import dagster_dbt  # imported first: dagster-dbt loads dbt-core")

    assert lean["dbt_modules_before"] == []
    assert lean["dbt_core_version_seen"] == "None"
    assert lean["hidden_left"] == []
    assert lean["dbt_importable"] == with_core["dbt_importable"]
    assert with_core["dbt_modules_before"] != []  # the comparison is with dbt-core loaded
    assert with_core["dbt_core_version_seen"] == with_core["dbt_importable"]

    assert len(lean["graph"]) > 250
    assert lean["graph"] == with_core["graph"]
