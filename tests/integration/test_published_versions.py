"""The published DuckDB files are immutable versions behind links (`lagesbild.publish.versions`).

DuckDB 2.0 opens a database by its path three times while connecting and reads the headers
through the second handle, the blocks through the third; a file renamed over the path in
between gives the reader the old headers with the new blocks ("Could not read enough bytes",
seen in CI as a reader's error during a publication). Behind a link, the reader resolves the
path once and opens one version file each time, whatever the link names a moment later.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from lagesbild.publish.publisher import publish
from lagesbild.publish.versions import linked_version, point_link
from lagesbild.settings import REGION_SLUGS, DataPaths
from tests.integration.publication_helpers import region_run, sha256, verify_published_file

pytestmark = pytest.mark.integration

MONTH = "2024-06"
HELD_OPEN_S = 6
"""How long the reader's third open of the file is held back (strace's delay injection)."""
SWAP_AFTER_S = 1.0
"""When the link is swapped after the reader said it connects: well inside the hold."""
READER = r"""
import json, sys
import duckdb
print("connecting", flush=True)
conn = duckdb.connect(sys.argv[1], read_only=True)
run_id, counts = conn.execute(
    "select run_id, row_counts from meta.publication_log order by published_at desc limit 1"
).fetchall()[0]
rows = {table: conn.execute(f"select count(*) from {table}").fetchall()[0][0]
        for table in json.loads(counts)}
print(json.dumps({"run_id": run_id, "as_logged": rows == json.loads(counts)}), flush=True)
"""


def digest(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): sha256(path) for path in folder.rglob("*.duckdb")}


def current_version(paths: DataPaths) -> Path:
    version = linked_version(paths.publish_db, paths.publish_versions)
    assert version is not None, f"{paths.publish_db} is not a link into {paths.publish_versions}"
    return version


def test_every_published_file_is_a_relative_link_into_the_publication_s_version(
    workspace: DataPaths,
) -> None:
    publication = publish(workspace, month=MONTH, run_id="versions-1")

    version = current_version(workspace)
    assert version.name.startswith("versions-1-")
    links = [workspace.publish_db, *publication.region_files.values()]
    assert [path.is_symlink() for path in links] == [True] * (1 + len(REGION_SLUGS))
    assert not [path for path in links if os.path.isabs(os.readlink(path))]
    assert {linked_version(path, workspace.publish_versions) for path in links} == {version}
    assert os.path.samefile(workspace.publish_db, publication.archived_as)  # no second copy
    assert verify_published_file(workspace.publish_db) == "versions-1"
    assert {region_run(path) for path in publication.region_files.values()} == {"versions-1"}
    # DuckDB resolves the link when it connects; the catalogue keeps the file's usual name
    for link, name in [(workspace.publish_db, "lagesbild"), (links[1], links[1].stem)]:
        conn = duckdb.connect(str(link), read_only=True)
        try:
            path, catalog = conn.execute(
                "select path, database_name from duckdb_databases() "
                "where database_name = current_database()"
            ).fetchone()
        finally:
            conn.close()
        assert Path(path) == Path(os.path.realpath(link))
        assert Path(path).is_relative_to(version)
        assert catalog == name


def test_a_version_is_kept_whole_until_the_publication_after_the_next(
    workspace: DataPaths,
) -> None:
    publish(workspace, month=MONTH, run_id="kept-1")
    first = current_version(workspace)
    first_files = digest(first)
    assert len(first_files) == 1 + len(REGION_SLUGS)

    publish(workspace, month=MONTH, run_id="kept-2")
    second = current_version(workspace)
    assert second != first
    assert digest(first) == first_files  # untouched: a reader may have resolved it just now
    assert sorted(workspace.publish_versions.iterdir()) == sorted([first, second])

    publish(workspace, month=MONTH, run_id="kept-3")
    third = current_version(workspace)
    assert sorted(workspace.publish_versions.iterdir()) == sorted([second, third])
    assert verify_published_file(workspace.publish_db) == "kept-3"


@pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (make test installs it)")
def test_a_reader_whose_open_straddles_the_swap_reads_the_version_it_resolved(
    workspace: DataPaths,
) -> None:
    """strace holds the reader's third open of the old version file for a few seconds; the
    link is swapped meanwhile. The reader must read the old publication, whole."""
    publish(workspace, month=MONTH, run_id="straddle-old")
    old_file = Path(os.path.realpath(workspace.publish_db))
    publish(workspace, month=MONTH, run_id="straddle-new")
    new_file = Path(os.path.realpath(workspace.publish_db))
    point_link(workspace.publish_db, old_file)  # back to the old one for the reader to resolve

    reader = subprocess.Popen(
        [
            "strace",
            "-f",
            "-qq",
            "-o",
            os.devnull,
            "-P",
            str(old_file),
            "-e",
            "trace=openat",
            "-e",
            f"inject=openat:delay_enter={HELD_OPEN_S * 1_000_000}:when=3",
            sys.executable,
            "-c",
            READER,
            str(workspace.publish_db),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert reader.stdout is not None
    assert reader.stdout.readline().strip() == "connecting"
    time.sleep(SWAP_AFTER_S)
    point_link(workspace.publish_db, new_file)
    swapped_while_held = reader.poll() is None
    out, err = reader.communicate(timeout=120)

    assert reader.returncode == 0, err
    assert swapped_while_held, "the reader finished before the swap: the test proved nothing"
    assert out.strip() == '{"run_id": "straddle-old", "as_logged": true}'
    assert verify_published_file(workspace.publish_db) == "straddle-new"
