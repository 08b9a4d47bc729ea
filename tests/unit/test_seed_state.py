"""The record that lets a build leave the reference layer out: file fingerprint, table checksum,
no geography waiting in the landing zone."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb

from lagesbild.ingest.landing import sha256_of
from lagesbild.ingest.raw_store import DELIVERIES_DDL
from lagesbild.settings import DBT_PROJECT_DIR
from lagesbild.warehouse.seed_state import (
    FINGERPRINTED,
    forget_seed_build,
    geography_delivery_pending,
    record_seed_build,
    seed_fingerprint,
    seeds_current_in,
)

TABLES = ["reference.areas", "reference.indicators"]


def project_copy(tmp_path: Path) -> Path:
    target = tmp_path / "dbt_project"
    for name in FINGERPRINTED:
        source = DBT_PROJECT_DIR / name
        if source.is_file():
            target.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target / name)
        else:
            shutil.copytree(source, target / name)
    return target


def warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "lagesbild.duckdb"
    conn = duckdb.connect(str(path))
    conn.execute("create schema reference")
    conn.execute("create table reference.areas as select 'USO001' as area_code, 'A' as name")
    conn.execute("create table reference.indicators as select 'robbery' as indicator_code")
    conn.close()
    return path


def test_the_fingerprint_follows_seed_files_tests_and_macros(tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    original = seed_fingerprint(project)
    assert original == seed_fingerprint(project) == seed_fingerprint(DBT_PROJECT_DIR)
    seed = project / "seeds" / "areas.csv"
    seed.write_bytes(seed.read_bytes() + b"\n")
    after_seed = seed_fingerprint(project)
    assert after_seed != original
    generic = next((project / "tests" / "generic").glob("*.sql"))
    generic.write_text(generic.read_text(encoding="utf-8") + "\n-- changed\n", encoding="utf-8")
    assert seed_fingerprint(project) not in (original, after_seed)


def test_seeds_are_current_only_as_recorded_and_untouched(tmp_path: Path) -> None:
    path = warehouse(tmp_path)
    assert not seeds_current_in(path, "f1", TABLES)  # nothing recorded
    assert not seeds_current_in(tmp_path / "absent.duckdb", "f1", TABLES)

    record_seed_build(path, "f1", TABLES, "run-1")
    assert seeds_current_in(path, "f1", TABLES)
    assert not seeds_current_in(path, "f2", TABLES)  # the files changed since

    conn = duckdb.connect(str(path))
    conn.execute("update reference.areas set name = 'B'")
    conn.close()
    assert not seeds_current_in(path, "f1", TABLES)  # a table changed since

    record_seed_build(path, "f1", TABLES, "run-2")
    assert seeds_current_in(path, "f1", TABLES)
    conn = duckdb.connect(str(path))
    conn.execute("drop table reference.indicators")
    conn.close()
    assert not seeds_current_in(path, "f1", TABLES)  # a table gone

    record_seed_build(path, "f1", ["reference.areas"], "run-3")
    assert seeds_current_in(path, "f1", ["reference.areas"])
    forget_seed_build(path)
    assert not seeds_current_in(path, "f1", ["reference.areas"])


def test_the_fingerprint_follows_the_reference_models_files(tmp_path: Path) -> None:
    project = project_copy(tmp_path)
    model = project / "models" / "marts" / "dim_geography.sql"
    model.parent.mkdir(parents=True)
    model.write_text("select 1 as geo_code\n", encoding="utf-8")
    files = ["models/marts/dim_geography.sql"]
    with_model = seed_fingerprint(project, files)
    assert with_model != seed_fingerprint(project)
    model.write_text("select 2 as geo_code\n", encoding="utf-8")
    edited = seed_fingerprint(project, files)
    assert edited != with_model
    model.unlink()
    assert seed_fingerprint(project, files) not in (with_model, edited)


def test_a_geography_file_other_than_the_accepted_one_is_pending(tmp_path: Path) -> None:
    landing = tmp_path / "deso.csv"
    landing.write_text("deso_code;municipality_code\n0114A0010;0114\n", encoding="utf-8")
    path = warehouse(tmp_path)
    assert not geography_delivery_pending(path, None)  # nothing delivered: nothing pending
    assert geography_delivery_pending(tmp_path / "absent.duckdb", landing)
    assert geography_delivery_pending(path, landing)  # no raw.deliveries yet

    conn = duckdb.connect(str(path))
    conn.execute("create schema raw")
    conn.execute(DELIVERIES_DDL)
    conn.execute(
        "insert into raw.deliveries values ('geography', 'current', null, 'deso.csv', ?, 1, 1, "
        "now())",
        [sha256_of(landing)],
    )
    conn.close()
    assert not geography_delivery_pending(path, landing)

    landing.write_text("deso_code;municipality_code\n0114A0010;0115\n", encoding="utf-8")
    assert geography_delivery_pending(path, landing)
