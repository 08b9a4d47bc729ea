"""A publication keeps the public export when nothing it is built from changed, and builds it
again — to the same bytes a fresh build gives — when anything did
(lagesbild/publish/export_reuse.py).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import polars as pl
import pytest

from lagesbild.publish.export_reuse import RECORD_NAME
from lagesbild.publish.publisher import DEFAULT_DISCLOSURE_THRESHOLD, Publication, publish
from lagesbild.settings import DataPaths
from tests.integration.publication_helpers import in_warehouse

pytestmark = pytest.mark.integration

MONTH = "2024-06"


def export_files(paths: DataPaths) -> dict[str, Path]:
    folder = paths.publish_dir / "export"
    return {
        "parquet": folder / "indicators_monthly.parquet",
        "csv": folder / "indicators_monthly.csv",
    }


def identities(paths: DataPaths) -> dict[str, tuple[int, int, int]]:
    """(inode, size, mtime) of each export file: equal only if the file was left in place."""
    return {
        kind: (path.stat().st_ino, path.stat().st_size, path.stat().st_mtime_ns)
        for kind, path in export_files(paths).items()
    }


def record(paths: DataPaths) -> dict[str, object]:
    return json.loads((paths.publish_dir / "export" / RECORD_NAME).read_text(encoding="utf-8"))


def test_a_republication_with_unchanged_inputs_keeps_the_export(workspace: DataPaths) -> None:
    before, recorded, csv = identities(workspace), record(workspace), export_files(workspace)["csv"]
    csv_bytes = csv.read_bytes()

    kept = publish(workspace, month=MONTH, run_id="same-inputs")

    assert identities(workspace) == before
    assert record(workspace) == recorded
    assert kept.export_files == export_files(workspace)
    assert kept.suppressed_cells == recorded["suppressed_cells"] and kept.suppressed_cells > 0
    # the publication itself happened: the main file is the new run's
    conn = duckdb.connect(str(workspace.publish_db), read_only=True)
    logged = conn.execute(
        "select run_id from meta.publication_log order by published_at desc limit 1"
    ).fetchone()
    conn.close()
    assert logged == ("same-inputs",)

    # without the record the same inputs build the same bytes again
    (workspace.publish_dir / "export" / RECORD_NAME).unlink()
    rebuilt = publish(workspace, month=MONTH, run_id="rebuilt")
    assert identities(workspace) != before
    assert csv.read_bytes() == csv_bytes
    assert rebuilt.suppressed_cells == kept.suppressed_cells
    assert record(workspace)["fingerprint"] == recorded["fingerprint"]


CHANGES: dict[str, Callable[[DataPaths], object]] = {
    "a touched file": lambda paths: export_files(paths)["csv"].write_bytes(b"month;value\n"),
    "a changed count": lambda paths: in_warehouse(
        paths,
        "update marts.fct_indicator_month set numerator = numerator + 100, value = value + 100"
        " where (month, geo_level, geo_code, indicator_code) = (select (month, geo_level,"
        " geo_code, indicator_code) from marts.fct_indicator_month where geo_level = 'nation'"
        " and indicator_code = 'offences_total' order by month desc limit 1)",
    ),
    "a composite area's parts": lambda paths: in_warehouse(
        paths,
        "delete from reference.area_parts where (area_code, part_area_code) ="
        " (select (area_code, part_area_code) from reference.area_parts order by all limit 1)",
    ),
    "the disclosure threshold": lambda paths: None,
}


@pytest.mark.parametrize("change", list(CHANGES))
def test_changed_inputs_or_a_touched_file_build_the_export_again(
    workspace: DataPaths, change: str
) -> None:
    before, recorded = identities(workspace), record(workspace)
    CHANGES[change](workspace)
    threshold = DEFAULT_DISCLOSURE_THRESHOLD + (3 if change == "the disclosure threshold" else 0)

    publication: Publication = publish(
        workspace, month=MONTH, run_id="changed", disclosure_threshold=threshold
    )

    assert identities(workspace) != before
    now = record(workspace)
    frame = pl.read_parquet(export_files(workspace)["parquet"])
    csv = pl.read_csv(export_files(workspace)["csv"], separator=";", infer_schema=False)
    assert csv.height == frame.height > 1000  # a whole export, not the touched stub
    assert publication.suppressed_cells == now["suppressed_cells"]
    if change == "a touched file":
        assert now["fingerprint"] == recorded["fingerprint"]
    else:
        assert now["fingerprint"] != recorded["fingerprint"]
    if change == "the disclosure threshold":
        assert publication.suppressed_cells > recorded["suppressed_cells"]
    months = sorted(now["suppression"]["months"])
    assert len(months) > 1 and months == sorted(recorded["suppression"]["months"])
    # the suppression of months with unchanged inputs is taken from the published export
    assert now["suppression"]["computed"] == (
        [months[-1]] if change == "a changed count" else months
    )
    if change == "a changed count":
        # the export with months taken is the one a build without any record gives, byte for byte
        built = {kind: path.read_bytes() for kind, path in export_files(workspace).items()}
        (workspace.publish_dir / "export" / RECORD_NAME).unlink()
        publish(workspace, month=MONTH, run_id="fresh", disclosure_threshold=threshold)
        assert {kind: path.read_bytes() for kind, path in export_files(workspace).items()} == built
        assert record(workspace)["suppression"]["computed"] == months
        latest = frame.filter(
            (pl.col("geo_level") == "nation") & (pl.col("indicator_code") == "offences_total")
        ).sort("month")
        conn = duckdb.connect(str(workspace.warehouse_db), read_only=True)
        (expected,) = conn.execute(
            "select value from marts.fct_indicator_month where geo_level = 'nation'"
            " and indicator_code = 'offences_total' order by month desc limit 1"
        ).fetchone()
        conn.close()
        assert latest["value"][-1] == expected
