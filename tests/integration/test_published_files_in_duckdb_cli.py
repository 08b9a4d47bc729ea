"""Every published DuckDB file opens in the DuckDB 1.x command-line client from the registry.

Not the library that wrote the files (DuckDB 2.0): the `duckdb` executable that the dev
dependency `duckdb-cli` (PyPI, 1.5.x) installs beside this interpreter — what a region's
analyst, a BI driver or the 1.x LTS line reads with. Every file is opened read-only and the
README's example queries run on it exactly as the README writes them (the shell command, and the
SQL of the Python example); the answers must equal the writing library's.
"""

from __future__ import annotations

import csv
import io
import re
import shlex
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from lagesbild.settings import PROJECT_ROOT, REGION_SLUGS
from tests.conftest import PipelineRun

pytestmark = pytest.mark.integration

README = PROJECT_ROOT / "README.md"
README_PATH = "data/publish/lagesbild.duckdb"


def duckdb_cli() -> Path:
    path = Path(sys.executable).with_name("duckdb")
    assert path.exists(), (
        f"{path} missing: the dev dependency duckdb-cli installs it (make install)"
    )
    return path


def readme_examples() -> tuple[list[str], str]:
    """(the shell example as argv, the SQL of the Python example) from the README."""
    text = README.read_text(encoding="utf-8")
    shell = re.search(r"```sh\n(duckdb -readonly .*?)\n```", text, re.S)
    python = re.search(r'```python\n.*?conn\.sql\("""(.*?)"""\)', text, re.S)
    assert shell and python, "the README's query examples have moved: update this test"
    argv = shlex.split(shell.group(1).replace("\\\n", " "))
    assert argv[:3] == ["duckdb", "-readonly", README_PATH]
    return argv, python.group(1)


def published_duckdb_files(run: PipelineRun) -> list[Path]:
    publish = run.paths.publish_dir
    regions = [publish / "regions" / f"{slug}.duckdb" for slug in REGION_SLUGS]
    archived = sorted(publish.glob("archive/*.duckdb"))
    assert archived, "no archive copy"
    return [run.paths.publish_db, *regions, *archived]


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(duckdb_cli()), *args], capture_output=True, text=True, timeout=120, check=False
    )


def cli_rows(path: Path, sql: str) -> list[list[str]]:
    completed = run_cli("-readonly", "-csv", str(path), sql)
    assert completed.returncode == 0, f"{path.name}: {completed.stderr}"
    return list(csv.reader(io.StringIO(completed.stdout)))[1:]


def library_rows(path: Path, sql: str) -> list[tuple]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(round(value, 6))
    return str(value)


def test_the_cli_is_a_1x_client_from_the_registry() -> None:
    completed = run_cli("--version")
    assert completed.returncode == 0
    assert completed.stdout.startswith("v1."), completed.stdout
    assert "duckdb_cli" in duckdb_cli().read_text(encoding="utf-8")  # the PyPI entry point


def test_every_published_file_answers_the_readme_queries_in_the_1x_cli(
    pipeline_run: PipelineRun,
) -> None:
    shell_argv, python_sql = readme_examples()
    files = published_duckdb_files(pipeline_run)
    assert len(files) >= 9
    for path in files:
        # The shell example exactly as written, with the CLI and the file substituted.
        argv = [str(duckdb_cli()), "-readonly", str(path), *shell_argv[3:]]
        completed = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        assert completed.returncode == 0, f"{path.name}: {completed.stderr}"
        expected = library_rows(path, shell_argv[3])
        for level, count in expected:
            assert re.search(rf"│\s*{level}\s*│\s*{count}\s*│", completed.stdout), path.name
        levels = {row[0] for row in cli_rows(path, shell_argv[3])}
        assert levels == {level for level, _ in expected}
        region_file = path.parent.name == "regions"
        assert levels >= {"nation", "region", "municipality", "lpo"}, path.name
        # The Python example's SQL, answered by the 1.x client, equals the library's answer.
        cli = cli_rows(path, python_sql)
        library = library_rows(path, python_sql)
        assert len(cli) == len(library) > 0, path.name
        n_regions = len({row[1] for row in library})
        assert n_regions == (1 if region_file else 7), path.name
        for got, want in zip(cli, library, strict=True):
            assert got[:2] == [str(want[0]), want[1]]
            for text, value in zip(got[2:], want[2:], strict=True):
                assert (text == "" and value is None) or float(text) == pytest.approx(value)
