"""Every kind of bad delivery is rejected whole, explained precisely, and changes nothing.

Each case re-delivers one already-ingested month with a defect, runs the real ingest asset for
that partition, and checks: the error text names file, line, column and rule; the file is in
quarantine with a reason; `raw` is byte-for-byte the same (row fingerprints of every data
table); the published warehouse file is unchanged (sha256).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.ingest.assets import monthly_ingest_assets
from assets.resources import build_resources
from lagesbild.settings import DataPaths
from pipelines.runner import failure_messages
from tests.conftest import PipelineRun

pytestmark = pytest.mark.integration

MONTH = "2024-06"
PREVIOUS_MONTH = "2024-05"
RAW_DATA_TABLES = (
    "offences",
    "clearances",
    "incidents",
    "staffing",
    "presence",
    "cameras",
    "population",
    "geography_deso",
    "deliveries",
)
ASSETS = {asset.key.path[-1]: asset for asset in monthly_ingest_assets}


@dataclass(frozen=True)
class Workspace:
    paths: DataPaths
    originals: dict[str, bytes]


@pytest.fixture(scope="module")
def workspace(pipeline_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A private copy of the published small data directory."""
    root = tmp_path_factory.mktemp("rejections")
    for name in ("landing", "warehouse", "publish", "archive"):
        shutil.copytree(pipeline_run.paths.root / name, root / name)
    paths = DataPaths(root)
    originals = {
        source: paths.landing_source(source).joinpath(f"{MONTH}.csv").read_bytes()
        for source in ASSETS
    }
    return Workspace(paths, originals)


def raw_fingerprint(paths: DataPaths) -> dict[str, tuple[int, int]]:
    conn = duckdb.connect(str(paths.warehouse_db), read_only=True)
    try:
        return {
            table: conn.execute(
                f"select count(*), coalesce(bit_xor(hash(t)), 0) from raw.{table} t"
            ).fetchone()
            for table in RAW_DATA_TABLES
        }
    finally:
        conn.close()


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ingest(paths: DataPaths, source: str) -> list[str]:
    result = dg.materialize(
        [ASSETS[source]],
        partition_key=MONTH,
        resources=build_resources(paths),
        raise_on_error=False,
    )
    assert not result.success
    return failure_messages(result)


def text_lines(data: bytes) -> list[str]:
    return data.decode("utf-8").split("\n")


def replace_cell(data: bytes, line: int, column: int, value: str) -> bytes:
    """Set one cell (1-based line number in the file, 0-based column)."""
    lines = text_lines(data)
    cells = lines[line - 1].split(";")
    cells[column] = value
    lines[line - 1] = ";".join(cells)
    return "\n".join(lines).encode("utf-8")


def first_id_of(paths: DataPaths, month: str) -> str:
    return text_lines(paths.landing_source("offences").joinpath(f"{month}.csv").read_bytes())[
        1
    ].split(";")[0]


Mutation = Callable[[bytes, DataPaths], bytes]

CASES: list[tuple[str, str, Mutation, list[str]]] = [
    (
        "missing column",
        "offences",
        lambda d, p: "\n".join(";".join(line.split(";")[:4]) for line in text_lines(d)).encode(),
        ["line 1", "missing ['deso_code']"],
    ),
    (
        "renamed column",
        "offences",
        lambda d, p: d.replace(b"offence_code", b"brottskod", 1),
        ["line 1", "unexpected ['brottskod']"],
    ),
    (
        "wrong separator",
        "offences",
        lambda d, p: d.replace(b";", b","),
        ["line 1", "wrong separator"],
    ),
    (
        "cp1252 encoding",
        "staffing",
        lambda d, p: d.decode().replace("omradespolis", "områdespolis", 1).encode("cp1252"),
        ["not valid UTF-8", "Windows-1252"],
    ),
    ("empty file", "offences", lambda d, p: b"", ["the file is empty"]),
    ("header only", "offences", lambda d, p: d.split(b"\n")[0] + b"\n", ["no data rows"]),
    (
        "truncated last line",
        "offences",
        lambda d, p: d.rstrip(b"\n").rsplit(b";", 2)[0],
        ["fields, expected 5", "truncated"],
    ),
    (
        "duplicate ids",
        "offences",
        lambda d, p: d + b"\n".join(d.split(b"\n")[1:2]) + b"\n",
        ["column 'offence_id'", "duplicate offence_id"],
    ),
    (
        "offence id from another month",
        "offences",
        lambda d, p: replace_cell(d, 3, 0, first_id_of(p, PREVIOUS_MONTH)),
        ["line 3", "column 'offence_id'", f"already delivered in {PREVIOUS_MONTH}"],
    ),
    (
        "unknown municipality",
        "offences",
        lambda d, p: replace_cell(d, 4, 3, "0999"),
        ["line 4", "column 'municipality_code'", "'0999'", "unknown municipality code"],
    ),
    (
        "unknown DeSO",
        "offences",
        lambda d, p: replace_cell(d, 5, 4, "0180C9999"),
        ["line 5", "column 'deso_code'", "unknown deso code"],
    ),
    (
        "unknown LPO",
        "staffing",
        lambda d, p: replace_cell(d, 2, 0, "999999"),
        ["line 2", "column 'lpo_code'", "unknown lpo code"],
    ),
    (
        "unknown area",
        "presence",
        lambda d, p: replace_cell(d, 2, 0, "USO999"),
        ["line 2", "column 'area_code'", "unknown area code"],
    ),
    (
        "unknown offence code",
        "offences",
        lambda d, p: replace_cell(d, 6, 2, "4242"),
        ["line 6", "column 'offence_code'", "unknown offence code"],
    ),
    (
        "date outside the month",
        "offences",
        lambda d, p: replace_cell(d, 7, 1, "2024-07-02"),
        ["line 7", "column 'registered_date'", "outside the delivery month 2024-06"],
    ),
    (
        "malformed date",
        "clearances",
        lambda d, p: replace_cell(d, 2, 1, "2024-06-31"),
        ["line 2", "column 'decision_date'", "not a date"],
    ),
    (
        "negative count",
        "cameras",
        lambda d, p: replace_cell(d, 2, 1, "-3"),
        ["line 2", "column 'fixed_camera_sites'", "must not be negative"],
    ),
    (
        "non-numeric fte",
        "staffing",
        lambda d, p: replace_cell(d, 3, 3, "tre"),
        ["line 3", "column 'fte'", "'tre'", "not a number"],
    ),
    (
        "negative fte",
        "staffing",
        lambda d, p: replace_cell(d, 3, 3, "-1,5"),
        ["line 3", "column 'fte'", "must not be negative"],
    ),
    (
        "non-integer count",
        "cameras",
        lambda d, p: replace_cell(d, 2, 3, "12.5"),
        ["column 'officers_in_area'", "not a whole number"],
    ),
    (
        "file under the wrong source",
        "offences",
        lambda d, p: p.landing_source("clearances").joinpath(f"{MONTH}.csv").read_bytes(),
        ["line 1", "unexpected ['decision_date']"],
    ),
    (
        "NUL bytes",
        "offences",
        lambda d, p: replace_cell(d, 3, 0, "\x00\x00" + text_lines(d)[2].split(";")[0]),
        ["NUL byte", "line 3"],
    ),
    (
        "a 10 MB single line",
        "offences",
        lambda d, p: d.split(b"\n")[0] + b"\n" + b"K" * 10_000_000 + b"\n",
        ["line 2", "fields, expected 5"],
    ),
    (
        "required value empty",
        "presence",
        lambda d, p: replace_cell(d, 2, 1, ""),
        ["line 2", "column 'patrol_hours'", "required value is empty"],
    ),
]


@pytest.mark.parametrize(
    ("source", "mutate", "expected"),
    [pytest.param(source, mutate, expected, id=name) for name, source, mutate, expected in CASES],
)
def test_bad_delivery_is_rejected_and_changes_nothing(
    workspace: Workspace, source: str, mutate: Mutation, expected: list[str]
) -> None:
    paths = workspace.paths
    landing_file = paths.landing_source(source) / f"{MONTH}.csv"
    raw_before = raw_fingerprint(paths)
    published_before = file_sha256(paths.publish_db)
    quarantined_before = (
        set(paths.quarantine.rglob("*.csv")) if paths.quarantine.exists() else set()
    )

    landing_file.write_bytes(mutate(workspace.originals[source], paths))
    messages = ingest(paths, source)

    text = "\n".join(messages)
    assert f"{source}/{MONTH}.csv" in text
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in:\n{text}"
    assert raw_fingerprint(paths) == raw_before
    assert file_sha256(paths.publish_db) == published_before
    assert not landing_file.exists()
    quarantined = set(paths.quarantine.rglob("*.csv")) - quarantined_before
    assert len(quarantined) == 1
    reason = Path(f"{quarantined.pop()}.reason.txt").read_text(encoding="utf-8")
    assert expected[-1] in reason
    landing_file.write_bytes(workspace.originals[source])
