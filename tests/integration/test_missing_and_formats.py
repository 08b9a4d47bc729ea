"""Missing is not zero; every accepted delivery format gives the same rows."""

from __future__ import annotations

import shutil
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from assets.ingest.assets import monthly_ingest_assets
from assets.resources import build_resources
from lagesbild.settings import DataPaths
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.runner import run_months
from tests.conftest import PipelineRun, copy_landing

pytestmark = pytest.mark.integration

OFFENCES = next(asset for asset in monthly_ingest_assets if asset.key.path[-1] == "offences")


def test_a_month_without_an_offences_delivery_is_missing_not_zero_and_never_published(
    small_landing: DataPaths, tmp_path: Path
) -> None:
    paths = copy_landing(small_landing, tmp_path)
    (paths.landing_source("offences") / "2024-06.csv").unlink()

    outcome = run_months(build_definitions(paths), get_instance(paths), "2024-05", "2024-06")

    assert not outcome.success
    message = "\n".join(outcome.failures)
    assert "2024-06 is incomplete" in message and "offences" in message
    assert not paths.publish_db.exists()
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as conn:
        status = conn.execute(
            "select status from raw.ingest_log where source = 'offences' and partition_key = ?",
            ["2024-06"],
        ).fetchall()
        may, june = conn.execute(
            "select numerator, is_complete from marts.fct_indicator_month "
            "where geo_level = 'nation' and indicator_code = 'offences_total' order by month"
        ).fetchall()
    assert status == [("missing",)]
    assert may[0] > 0 and may[1] is True
    assert june == (None, False)


@pytest.fixture()
def ingested_copy(pipeline_run: PipelineRun, tmp_path: Path) -> DataPaths:
    for name in ("landing", "warehouse", "archive"):
        shutil.copytree(pipeline_run.paths.root / name, tmp_path / name)
    return DataPaths(tmp_path)


def offences_rows(paths: DataPaths, month: str) -> pl.DataFrame:
    with duckdb.connect(str(paths.warehouse_db), read_only=True) as conn:
        return conn.sql(
            "select offence_id, registered_date, offence_code, municipality_code, deso_code "
            f"from raw.offences where month = date '{month}-01' order by offence_id"
        ).pl()


@pytest.mark.parametrize("variant", ["bom_and_crlf", "parquet"])
def test_bom_crlf_and_parquet_deliveries_give_the_same_rows(
    ingested_copy: DataPaths, variant: str
) -> None:
    paths = ingested_copy
    month = "2024-06"
    before = offences_rows(paths, month)
    csv_file = paths.landing_source("offences") / f"{month}.csv"
    if variant == "bom_and_crlf":
        text = csv_file.read_text(encoding="utf-8")
        csv_file.write_bytes(b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8"))
    else:
        frame = pl.read_csv(csv_file, separator=";", infer_schema=False)
        csv_file.unlink()
        frame.write_parquet(csv_file.with_suffix(".parquet"))

    result = dg.materialize(
        [OFFENCES], partition_key=month, resources=build_resources(paths), raise_on_error=False
    )

    assert result.success
    metadata = result.asset_materializations_for_node("raw__offences")[0].metadata
    assert metadata["vintage"].value == 2
    assert metadata["rows_changed"].value == 0
    assert metadata["rows_added"].value == metadata["rows_removed"].value == 0
    assert offences_rows(paths, month).equals(before)
