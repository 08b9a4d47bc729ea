"""Re-running a month is idempotent; a corrected file becomes a new, traceable vintage."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from lagesbild.settings import DataPaths
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.runner import RunOutcome, run_months
from tests.conftest import copy_landing

pytestmark = pytest.mark.integration

FIRST, LAST = "2024-05", "2024-06"


def fingerprint(paths: DataPaths) -> dict[str, tuple[int, int]]:
    conn = duckdb.connect(str(paths.warehouse_db), read_only=True)
    try:
        tables = [
            "raw.offences",
            "raw.clearances",
            "raw.population",
            "raw.geography_deso",
            "marts.fct_indicator_month",
            "marts.dim_geography",
        ]
        return {
            table: conn.execute(f"select count(*), bit_xor(hash(t)) from {table} t").fetchone()
            for table in tables
        }
    finally:
        conn.close()


@pytest.fixture(scope="module")
def rerun_dir(
    small_landing: DataPaths, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DataPaths]:
    paths = copy_landing(small_landing, tmp_path_factory.mktemp("rerun"))
    yield paths


def run(paths: DataPaths, start: str, end: str | None = None) -> RunOutcome:
    outcome = run_months(build_definitions(paths), get_instance(paths), start, end)
    assert outcome.success, "\n".join(outcome.failures)
    return outcome


def test_running_the_same_months_twice_gives_identical_tables(rerun_dir: DataPaths) -> None:
    run(rerun_dir, FIRST, LAST)
    before = fingerprint(rerun_dir)
    second = run(rerun_dir, LAST)
    assert fingerprint(rerun_dir) == before
    conn = duckdb.connect(str(rerun_dir.warehouse_db), read_only=True)
    statuses = dict(
        conn.execute(
            "select source, status from raw.ingest_log where run_id = ? and partition_key = ?",
            [second.ingest_run_id, LAST],
        ).fetchall()
    )
    conn.close()
    assert statuses["offences"] == "unchanged"
    assert set(statuses.values()) == {"unchanged"}


def test_a_corrected_file_is_ingested_as_a_new_vintage_with_a_diff(rerun_dir: DataPaths) -> None:
    landing_file = rerun_dir.landing_source("offences") / f"{LAST}.csv"
    lines = landing_file.read_text(encoding="utf-8").rstrip("\n").split("\n")
    header, rows = lines[0], lines[1:]
    changed = rows[0].split(";")
    changed[2] = "9001" if changed[2] != "9001" else "0931"
    corrected = [";".join(changed), *rows[1:-3]]
    landing_file.write_text("\n".join([header, *corrected]) + "\n", encoding="utf-8")

    outcome = run(rerun_dir, LAST)

    conn = duckdb.connect(str(rerun_dir.warehouse_db), read_only=True)
    vintage, added, removed, changed_rows, rows_now = conn.execute(
        "select vintage, rows_added, rows_removed, rows_changed, rows from raw.ingest_log "
        "where run_id = ? and source = 'offences'",
        [outcome.ingest_run_id],
    ).fetchone()
    raw_rows = conn.execute(
        "select count(*) from raw.offences where month = date '2024-06-01'"
    ).fetchone()[0]
    mart_total = conn.execute(
        "select numerator from marts.fct_indicator_month where month = date '2024-06-01' "
        "and geo_level = 'nation' and indicator_code = 'offences_total'"
    ).fetchone()[0]
    conn.close()
    assert (vintage, added, removed, changed_rows) == (2, 0, 3, 1)
    assert rows_now == raw_rows == len(rows) - 3 == mart_total
    archived = list((rerun_dir.archive / "offences" / LAST).glob("*.csv"))
    assert len(archived) == 2
    published = list(rerun_dir.publish_archive.glob(f"lagesbild_{LAST}_*.duckdb"))
    assert len(published) == 3
    with duckdb.connect(str(rerun_dir.publish_db), read_only=True) as pub:
        assert pub.execute("select count(*) from meta.publication_log").fetchone()[0] == 3
        # the revised month alone was written again into a copy of the published file
        # (publish/month_patch.py), and the published table is the build database's
        patched = pub.execute(
            "select month from meta.appended_months where table_name = 'marts.fct_indicator_month'"
        ).fetchall()
        published_facts = pub.execute(
            "select count(*), bit_xor(hash(t)) from marts.fct_indicator_month t"
        ).fetchone()
    assert patched == [(date(2024, 6, 1),)]
    assert published_facts == fingerprint(rerun_dir)["marts.fct_indicator_month"]
