"""The layer rule, seen from the running code: the domain loads without Dagster, and every
module under assets/ defines Dagster objects (import-linter checks the imports statically)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _modules(package: str) -> list[str]:
    return sorted(
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in (ROOT / package).rglob("*.py")
        if path.name != "__init__.py"
    )


def test_every_domain_module_imports_without_loading_dagster() -> None:
    modules = _modules("lagesbild")
    script = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0].startswith('dagster'))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert len(modules) > 40
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_every_module_under_assets_uses_dagster() -> None:
    lacking = []
    for name in _modules("assets"):
        tree = ast.parse((ROOT / (name.replace(".", "/") + ".py")).read_text(encoding="utf-8"))
        imported = {
            alias.name.split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.Import)
            for alias in node.names
        } | {
            (node.module or "").split(".")[0]
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom)
        }
        if not imported & {"dagster", "dagster_dbt", "dagster_duckdb"}:
            lacking.append(name)
    assert lacking == []
