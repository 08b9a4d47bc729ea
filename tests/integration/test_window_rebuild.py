"""int_indicators__counts_geo_month rebuilds only the run's months — and every month by itself
when the geography, a seed it reads or its own SQL changed (dbt_project/macros/window_rebuild.sql).

Each test runs the real dbt model on a copy of the session's warehouse and compares the table
with a `--full-refresh` build of the same inputs: the incremental table must equal it row for row.
A hand-made marker in a month outside the window shows whether that month was rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from assets.resources import LagesbildDbtCli
from lagesbild.settings import DBT_EXECUTABLE, DBT_PROJECT_DIR, DataPaths
from lagesbild.warehouse.dbt_invocation import (
    WAREHOUSE_ENV,
    WINDOW_ENVIRONMENT,
    keep_parse_state,
    restore_parse_state,
)
from tests.conftest import PipelineRun

pytestmark = pytest.mark.integration

MODEL = "int_indicators__counts_geo_month"
TABLE = f"intermediate.{MODEL}"
MODEL_FILE = DBT_PROJECT_DIR / "models" / "intermediate" / f"{MODEL}.sql"
INPUTS = {
    "int_geography__deso_geo_levels",
    "municipalities",
    "indicators",
    "indicator_offence_codes",
}
MARKER = 1_000_000
"""Added to n_numerator of the first month's rows: survives only if that month is not rebuilt."""

Row = tuple[object, ...]


class Warehouse:
    """A private copy of the session's build database and a dbt CLI pointed at it.

    The copy lives in `slot`, a data directory reused by the next test (fixture `dbt_slots`):
    each dbt invocation starts from the parse state the previous one kept there.
    """

    model = MODEL
    schema = "intermediate"
    compared = "month, geo_level, geo_code, indicator_code, n_numerator, n_denominator"

    @property
    def table(self) -> str:
        return f"{self.schema}.{self.model}"

    def __init__(
        self, source: Path, root: Path, monkeypatch: pytest.MonkeyPatch, slot: Path
    ) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.data = DataPaths(slot)
        self.path = self.data.warehouse_db
        self.data.dbt_dir.mkdir(parents=True, exist_ok=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.with_name(f"{self.path.name}.wal").unlink(missing_ok=True)
        shutil.copyfile(source, self.path)
        self.monkeypatch = monkeypatch
        self.invocations = 0

    def sql(self, statement: str) -> list[Row]:
        conn = duckdb.connect(str(self.path))
        try:
            return conn.execute(statement).fetchall()
        finally:
            conn.close()

    def rows(self, where: str = "true") -> list[Row]:
        return self.sql(f"select {self.compared} from {self.table} where {where} order by all")

    def months(self) -> list[str]:
        return [
            str(month)
            for (month,) in self.sql(f"select distinct month from {self.table} order by 1")
        ]

    def recorded(self) -> dict[str, object]:
        (comment,) = self.sql(
            f"select comment from duckdb_tables() where schema_name = '{self.schema}'"
            f" and table_name = '{self.model}'"
        )[0]
        return json.loads(comment)

    def build(
        self, month: str | None, *, full_refresh: bool = False, select: str | None = None
    ) -> str:
        """`dbt run` of the model alone (or of `select`) with the run's window `month..month`;
        dbt's log."""
        self.invocations += 1
        target = self.root / f"target-{self.invocations}"
        self.monkeypatch.setenv(WAREHOUSE_ENV, str(self.path))
        for variable in WINDOW_ENVIRONMENT.values():
            if month is None:
                self.monkeypatch.delenv(variable, raising=False)
            else:
                self.monkeypatch.setenv(variable, month)
        dbt = LagesbildDbtCli(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            dbt_executable=DBT_EXECUTABLE,
        )
        refresh = ["--full-refresh"] if full_refresh else []
        args = ["run", "--select", select or self.model, *refresh]
        restore_parse_state(self.data, target)
        try:
            invocation = dbt.cli(args, target_path=target, raise_on_error=False)
            messages = "\n".join(
                str(event.raw_event["info"]["msg"]) for event in invocation.stream_raw_events()
            )
        finally:
            keep_parse_state(self.data, target)
        assert invocation.is_successful(), messages
        return messages


@pytest.fixture
def warehouse(
    pipeline_run: PipelineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dbt_slots: Path
) -> Warehouse:
    return Warehouse(pipeline_run.paths.warehouse_db, tmp_path, monkeypatch, dbt_slots / "main")


def full_refresh_rows(warehouse: Warehouse, tmp_path: Path) -> list[Row]:
    """The table a --full-refresh builds from the same inputs (on a copy of the warehouse)."""
    slot = warehouse.data.root.parent / "full"
    copy = type(warehouse)(warehouse.path, tmp_path / "full", warehouse.monkeypatch, slot)
    copy.build(None, full_refresh=True)
    return copy.rows()


def mark_first_month(warehouse: Warehouse) -> str:
    first = warehouse.months()[0]
    warehouse.sql(
        f"update {TABLE} set n_numerator = n_numerator + {MARKER} where month = '{first}'"
    )
    return first


def test_a_run_rebuilds_only_its_months_and_equals_a_full_rebuild(
    warehouse: Warehouse, tmp_path: Path
) -> None:
    first, last = warehouse.months()[0], warehouse.months()[-1]
    recorded = warehouse.recorded()
    # a revised delivery of the last month: more offences, fewer clearances, no incidents at all
    warehouse.sql(
        f"update intermediate.int_offences__counts_deso_month set n_offences = n_offences + 2"
        f" where month = '{last}'"
    )
    warehouse.sql(
        f"delete from intermediate.int_clearances__counts_deso_month"
        f" where month = '{last}' and offence_code in (select min(offence_code)"
        f" from intermediate.int_clearances__counts_deso_month)"
    )
    warehouse.sql(
        f"delete from intermediate.int_incidents__counts_deso_month where month = '{last}'"
    )
    mark_first_month(warehouse)
    last_before = warehouse.rows(f"month = '{last}'")

    log = warehouse.build(last)

    assert "inputs and code unchanged, rebuilding the run's months" in log
    assert f"month between date '{last}' and date '{last}'" in log
    assert warehouse.recorded() == recorded
    # the marked month was not rebuilt; the window's month was, from the revised events
    marked = warehouse.rows(f"month = '{first}'")
    assert marked and all(row[4] >= MARKER for row in marked)
    assert warehouse.rows(f"month = '{last}'") != last_before
    assert not [row for row in warehouse.rows(f"month = '{last}'") if row[3] == "shootings"]
    full = full_refresh_rows(warehouse, tmp_path)
    assert [row for row in full if str(row[0]) != first] == warehouse.rows(f"month <> '{first}'")


@pytest.mark.parametrize(
    "change",
    ["a seed's row", "a DeSO's area", "the model's SQL"],
)
def test_changed_inputs_or_code_rebuild_every_month_by_themselves(
    warehouse: Warehouse, tmp_path: Path, change: str
) -> None:
    changes: dict[str, Callable[[], object]] = {
        "a seed's row": lambda: warehouse.sql(
            "delete from reference.indicator_offence_codes where (indicator_code, offence_code)"
            " = (select (indicator_code, offence_code) from reference.indicator_offence_codes"
            " order by all limit 1)"
        ),
        "a DeSO's area": lambda: warehouse.sql(
            "delete from intermediate.int_geography__deso_geo_levels where (deso_code, geo_code)"
            " = (select (deso_code, geo_code) from intermediate.int_geography__deso_geo_levels"
            " where geo_level = 'area' order by all limit 1)"
        ),
        # what a build by an earlier version of the model file recorded
        "the model's SQL": lambda: warehouse.sql(
            f"comment on table {TABLE} is '"
            + json.dumps({**warehouse.recorded(), "model_sha256": "0" * 64}, sort_keys=True)
            + "'"
        ),
    }
    first, last = warehouse.months()[0], warehouse.months()[-1]
    unchanged = warehouse.rows(f"month = '{first}'")
    changes[change]()
    mark_first_month(warehouse)

    log = warehouse.build(last)

    assert "changed inputs/code: rebuilding every month" in log
    assert warehouse.rows() == full_refresh_rows(warehouse, tmp_path)
    rebuilt_first = warehouse.rows(f"month = '{first}'")
    assert all(row[4] < MARKER for row in rebuilt_first)
    if change == "the model's SQL":
        assert rebuilt_first == unchanged
    else:
        assert rebuilt_first != unchanged  # the change reached the months outside the window
    # the next run, with nothing changed, is incremental again
    assert "rebuilding the run's months" in warehouse.build(last)


def test_the_recorded_fingerprint_names_the_model_file_and_every_input(
    warehouse: Warehouse,
) -> None:
    recorded = warehouse.recorded()
    # dbt's checksum of a model: sha256 of the file's text without surrounding whitespace
    model_text = MODEL_FILE.read_text(encoding="utf-8").strip()
    assert recorded["model_sha256"] == hashlib.sha256(model_text.encode()).hexdigest()
    inputs = recorded["inputs"]
    assert isinstance(inputs, dict) and set(inputs) == INPUTS
    tables = {
        "int_geography__deso_geo_levels": "intermediate.int_geography__deso_geo_levels",
        "municipalities": "reference.municipalities",
        "indicators": "reference.indicators",
        "indicator_offence_codes": "reference.indicator_offence_codes",
    }
    for name, table in tables.items():
        (count,) = warehouse.sql(f"select count(*) from {table}")[0]
        assert inputs[name].split(":")[0] == str(count) and count > 0


def test_a_new_window_reuses_dbt_s_parse_state(warehouse: Warehouse) -> None:
    """The window reaches dbt only when nodes run: each month's run skips dbt's parsing.

    An environment variable dbt reads while parsing becomes part of its parse state, so a
    window read at parse time made every monthly run re-parse the generic tests' files.
    """
    first, last = warehouse.months()[0], warehouse.months()[-1]
    warehouse.build(first)  # keeps its parse state; the next build starts from it
    next_target = warehouse.root / f"target-{warehouse.invocations + 1}"

    warehouse.build(last)

    parsing = [
        json.loads(line)["info"]["msg"]
        for line in (next_target / "dbt.log").read_text().splitlines()
        if '"PartialParsing' in line
    ]
    assert parsing[-1] == "Partial parsing enabled, no changes found, skipping parsing", parsing
    compiled = next_target / "compiled" / "lagesbild" / "models" / "intermediate" / f"{MODEL}.sql"
    assert f"date '{last}'" in compiled.read_text()
