"""The tertial review on the shared small run (2023-01..2024-06): 2024-T1 is complete,
2024-T2 is not (June is the last month)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import polars as pl
import pyarrow.parquet as pq
import pytest

from assets.resources import LagesbildSettings
from lagesbild.publish.export_reuse import RECORD_NAME
from lagesbild.review.formatting import number, percent_change
from lagesbild.review.run import report_dir
from lagesbild.settings import REGION_SLUGS, DataPaths
from pipelines.cli import run_tertial
from tests.conftest import PipelineRun
from tests.integration.publication_helpers import DagsterHome, copy_data_dir

pytestmark = pytest.mark.integration
STOCKHOLM = ZoneInfo("Europe/Stockholm")
CONTRACT_COLUMNS = {
    "tertial_label", "geo_level", "geo_code", "indicator_code", "count_current",
    "count_previous", "rate_current", "rate_previous", "rate_ratio", "rr_ci_low", "rr_ci_high",
    "p_value", "q_value", "is_significant", "is_few_events", "trend_rr_per_year",
    "trend_ci_low", "trend_ci_high", "control_signal", "rank_among_areas",
}  # fmt: skip


@pytest.fixture(scope="module")
def data_dir(pipeline_run: PipelineRun, tmp_path_factory) -> Iterator[DataPaths]:
    """A copy of the shared run's data directory: the review republishes, and the other modules
    read the shared directory's publication as the backfill left it, in whatever order they run."""
    home = DagsterHome()
    yield copy_data_dir(pipeline_run.paths, tmp_path_factory.mktemp("tertial"), with_instance=True)
    home.restore()


@pytest.fixture(scope="module")
def reviewed(data_dir: DataPaths) -> DataPaths:
    status = run_tertial("2024-T1", data_dir)
    assert status == 0
    return data_dir


def test_an_incomplete_tertial_is_refused_with_a_clear_message(data_dir, capsys) -> None:
    assert run_tertial("2024-T2", data_dir) == 1
    err = capsys.readouterr().err
    assert "2024-T2 is not complete" in err and "2024-07, 2024-08" in err
    assert not report_dir(data_dir, "2024-T2").exists()


def test_the_review_writes_a_national_and_seven_regional_reports(reviewed) -> None:
    folder = report_dir(reviewed, "2024-T1")
    assert folder == reviewed.root / "reports" / "tertial" / "2024-T1"
    assert sorted(p.stem for p in folder.glob("*.html")) == sorted(["nationell", *REGION_SLUGS])
    for path in folder.glob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert "SYNTETISKA DATA" in text
        # control charts, the units' small multiples and the funnel plot — in every report,
        # also for a region without a listed area
        for chart in ("control", "areas", "funnel"):
            assert f'data-chart="{chart}"' in text, f"{path.name} lacks the {chart} chart"
        assert "@page { size: A4" in text
        assert not re.search(r"(src|href)=\"(https?:)?//", text), f"{path.name} is not offline"


def test_a_region_without_a_listed_area_shows_its_municipalities_and_lpos(reviewed) -> None:
    text = (report_dir(reviewed, "2024-T1") / "nord.html").read_text(encoding="utf-8")
    assert "Kommuner och lokalpolisområden – Anmälda brott totalt" in text
    assert "Region Nord har inget listat utsatt område" in text
    assert "Arvidsjaur (kommun)" in text and "(LPO)</td>" in text


def test_the_units_section_shows_an_indicator_with_enough_events(reviewed) -> None:
    """Not explosions, where nearly every area-month is zero (the small data: offences)."""
    for slug in ("syd", "stockholm", "nationell"):
        text = (report_dir(reviewed, "2024-T1") / f"{slug}.html").read_text(encoding="utf-8")
        heading = re.search(r"<h2>Områden – ([^<]+)</h2>", text)
        assert heading is not None, slug
        assert heading.group(1) == "Anmälda brott totalt"
        assert re.search(
            r"visas eftersom enheterna har tillräckligt många händelser \(median "
            r"\d+",
            text,
        )


def test_every_report_states_the_signals_chance_alone_would_give(reviewed) -> None:
    conn = duckdb.connect(str(reviewed.publish_db), read_only=True)
    try:
        review = conn.sql(
            "select * from review.fct_tertial_review where kind = 'count' and control_charted"
        ).pl()
    finally:
        conn.close()
    expected = number(review["control_chance_p"].sum())
    observed = review["control_signal"].is_not_null().sum()
    national = (report_dir(reviewed, "2024-T1") / "nationell.html").read_text(encoding="utf-8")
    assert f"Kontrolldiagram: {review.height} serier (geografi × indikator) granskas" in national
    assert f"ger slumpen ensam i genomsnitt ≈ {expected} signaler" in national
    assert f"granskningen fann {observed} (" in national
    assert "<h3>Att bevaka</h3>" in national
    for slug in REGION_SLUGS:
        text = (report_dir(reviewed, "2024-T1") / f"{slug}.html").read_text(encoding="utf-8")
        assert "ger slumpen ensam i genomsnitt ≈ " in text, slug


def test_the_review_tables_are_published_with_the_contract_columns(reviewed) -> None:
    conn = duckdb.connect(str(reviewed.publish_db), read_only=True)
    try:
        review = conn.sql("select * from review.fct_tertial_review").pl()
        findings = conn.sql("select * from review.fct_tertial_findings").pl()
        tables = {r[0] for r in conn.execute(
            "select table_name from information_schema.tables where table_schema = 'review'"
        ).fetchall()}  # fmt: skip
    finally:
        conn.close()
    assert set(review.columns) >= CONTRACT_COLUMNS
    assert {"fct_tertial_control_chart", "fct_area_index"} <= tables
    assert review["tertial_label"].unique().to_list() == ["2024-T1"]
    assert set(review["geo_level"]) >= {"nation", "region", "municipality", "lpo", "area"}
    nation = review.filter((pl.col("geo_level") == "nation") & (pl.col("kind") == "count"))
    assert nation["count_current"].is_not_null().all()
    # BH: q is never below p, and significance follows q
    tested = review.filter(pl.col("p_value").is_not_null())
    assert (tested["q_value"] >= tested["p_value"] - 1e-12).all()
    assert (tested["is_significant"] == (tested["q_value"] < 0.05)).all()
    # findings are ordered by strength of evidence: tier, then q / chance / p ascending
    ranked = findings.sort("finding_rank")
    assert ranked["evidence_tier"].to_list() == sorted(ranked["evidence_tier"].to_list())
    for _, tier in ranked.group_by("evidence_tier"):
        values = tier.sort("finding_rank")["evidence_value"].drop_nulls().to_list()
        assert values == sorted(values)
    # findings quote the published table
    for finding in findings.filter(pl.col("finding_kind") == "change").iter_rows(named=True):
        row = review.filter(
            (pl.col("geo_code") == finding["geo_code"])
            & (pl.col("indicator_code") == finding["indicator_code"])
            & (pl.col("geo_level") == finding["geo_level"])
        ).row(0, named=True)
        assert row["is_significant"]
        assert (
            f"{number(row['count_current'])} mot {number(row['count_previous'])}"
            in (finding["text_sv"])
        )
        assert percent_change(row["rate_ratio"]) in finding["text_sv"]


def test_the_materialization_shows_a_markdown_summary_and_the_report_path(reviewed) -> None:
    from pipelines.instance import get_instance

    instance = get_instance(reviewed)
    event = instance.get_latest_materialization_event(dg.AssetKey(["review", "tertial_reports"]))
    metadata = event.asset_materialization.metadata
    assert "Tertialuppföljning 2024-T1" in metadata["summary"].value
    assert metadata["report_dir"].value.endswith("reports/tertial/2024-T1")
    assert event.asset_materialization.partition == "2024-01"


def test_the_schedule_runs_a_complete_tertial_and_skips_an_incomplete_one(data_dir) -> None:
    from pipelines.schedules import tertial_review_schedule

    settings = LagesbildSettings(data_dir=str(data_dir.root))

    def tick(when: datetime):
        context = dg.build_schedule_context(
            scheduled_execution_time=when, resources={"settings": settings}
        )
        return tertial_review_schedule(context)

    may = tick(datetime(2024, 5, 12, 7, 0, tzinfo=STOCKHOLM))
    assert isinstance(may, dg.RunRequest)
    assert may.partition_key == "2024-01" and may.run_key == "2024-T1"
    september = tick(datetime(2024, 9, 12, 7, 0, tzinfo=STOCKHOLM))
    assert isinstance(september, dg.SkipReason)
    assert "2024-T2 is not complete" in september.skip_message


def test_the_review_publication_is_logged_as_covering_its_tertial(reviewed) -> None:
    conn = duckdb.connect(str(reviewed.publish_db), read_only=True)
    try:
        kind, covers, month = conn.execute(
            "select kind, covers, month from meta.publication_log "
            "order by published_at desc limit 1"
        ).fetchall()[0]
    finally:
        conn.close()
    assert (kind, covers, month) == ("tertial_review", "2024-T1", "2024-04")


def test_the_review_republication_keeps_the_unchanged_public_export(reviewed) -> None:
    """The review adds its own tables; the export's inputs are the monthly run's: kept."""
    conn = duckdb.connect(str(reviewed.publish_db), read_only=True)
    try:
        (published_at,) = conn.execute(
            "select max(published_at) from meta.publication_log where kind = 'tertial_review'"
        ).fetchone()
    finally:
        conn.close()
    folder = reviewed.publish_dir / "export"
    files = json.loads((folder / RECORD_NAME).read_text(encoding="utf-8"))["files"]
    assert sorted(files) == ["csv", "parquet"]
    for name in files.values():
        modified = datetime.fromtimestamp((folder / name).stat().st_mtime, tz=UTC)
        assert modified.replace(tzinfo=None) < published_at  # not written by the review


def test_the_review_republication_keeps_the_unchanged_region_parquet_rows(reviewed) -> None:
    """The marts are the monthly run's: the region files keep them, and so do their Parquet
    files (restamped for the review's publication); the review's own tables are written."""
    logs = sorted(reviewed.root.glob("logs/*_tertial_2024-T1.log"))
    line = next(
        line for line in logs[-1].read_text(encoding="utf-8").splitlines() if "Published" in line
    )
    kept = re.search(r"\((\d+) of (\d+) tables kept", line)
    parquet = re.search(r"(\d+) of (\d+) region Parquet files kept their rows", line)
    assert kept is not None and parquet is not None, line
    tables_kept, tables = int(kept.group(1)), int(kept.group(2))
    assert 0 < tables_kept < tables  # the review's tables are new
    assert int(parquet.group(1)) == len(REGION_SLUGS) * tables_kept
    assert int(parquet.group(2)) == len(REGION_SLUGS) * tables
    conn = duckdb.connect(str(reviewed.publish_db), read_only=True)
    try:
        (run_id,) = conn.execute(
            "select run_id from meta.publication_log where kind = 'tertial_review' "
            "order by published_at desc limit 1"
        ).fetchone()
    finally:
        conn.close()
    for slug in REGION_SLUGS:
        for path in (reviewed.publish_dir / "regions" / slug).glob("*.parquet"):
            assert pq.read_metadata(path).metadata[b"lagesbild.run_id"] == run_id.encode()
