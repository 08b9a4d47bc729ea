"""The monthly regional lägesbild: written by the asset after publication, from the published file.

Figures on the pages are checked against the published warehouse, recomputed here; an
undelivered month shows as missing, never zero; a refused publication writes no page; the
tertial reports carry the two area maps.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.publish.assets import PUBLISHED_WAREHOUSE_KEY
from assets.quality.checks import gx_quality_checks
from assets.reports.assets import MONTHLY_LAGESBILD_KEY
from lagesbild.reports import maps
from lagesbild.reports.monthly import (
    MonthlyPages,
    change_text,
    write_monthly_pages,
)
from lagesbild.reports.monthly_inputs import MonthNotPublished, load_monthly_inputs
from lagesbild.review.compute import build_review
from lagesbild.review.formatting import number, percent_change
from lagesbild.review.inputs import load_inputs
from lagesbild.review.report import ReportBuilder, write_reports
from lagesbild.review.report_processes import REPORT_WORKERS_ENV
from lagesbild.review.statistics import rate_ratio_exact
from lagesbild.settings import REGION_SLUGS, DataPaths
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.runner import failure_messages
from tests.conftest import PipelineRun

pytestmark = pytest.mark.integration

MONTH = "2024-06"
SLUGS = ["nationell", *REGION_SLUGS]


def page_of(paths: DataPaths, slug: str, month: str = MONTH) -> str:
    return (paths.root / "reports" / "monthly" / month / f"{slug}.html").read_text("utf-8")


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def table_row(page: str, first_cell: str) -> list[str]:
    """The cells (text) of the first table row whose first cell is `first_cell`."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        cells = [text_of(c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)]
        if cells and cells[0] == first_cell:
            return cells
    raise AssertionError(f"no row {first_cell!r}")


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    conn = duckdb.connect(str(path), read_only=True)
    try:
        return conn.execute(sql, params or []).fetchall()
    finally:
        conn.close()


def test_the_run_wrote_the_national_and_seven_regional_pages_with_maps(
    pipeline_run: PipelineRun,
) -> None:
    paths = pipeline_run.paths
    folder = paths.root / "reports" / "monthly" / MONTH
    assert sorted(p.stem for p in folder.glob("*.html")) == sorted(SLUGS)
    areas_2025 = dict(
        query(
            paths.publish_db,
            "select region, count(*) from marts.dim_geography "
            "where geo_level = 'area' and category_2025 is not null group by 1",
        )
    )
    for slug in SLUGS:
        page = page_of(paths, slug)
        assert page.count('<figure class="map"') == 1, slug
        assert "SYNTETISKA DATA" in page
        assert "<script src" not in page and "http://" not in page.replace(
            "http://www.w3.org/2000/svg", ""
        )
        polygons = int(re.search(r'data-polygons="(\d+)"', page).group(1))
        drawn = page.count('<path class="area')
        if slug == "nationell":
            assert polygons == 65 and 0 < drawn < 65  # the small places are dots
        else:
            assert polygons == drawn == areas_2025.get(slug, 0), slug
    assert "inga utsatta områden i region Nord" in text_of(page_of(paths, "nord"))
    stockholm = text_of(page_of(paths, "stockholm"))
    assert "Rinkeby/Tensta" in stockholm and maps.COMPOSITE_REASON in stockholm

    event = get_instance(paths).get_latest_materialization_event(MONTHLY_LAGESBILD_KEY)
    metadata = event.asset_materialization.metadata
    assert event.asset_materialization.partition == MONTH
    assert metadata["page_count"].value == 8
    assert metadata["month"].value == MONTH


def test_the_figures_on_a_regional_page_are_the_published_ones(pipeline_run: PipelineRun) -> None:
    paths = pipeline_run.paths
    page = page_of(paths, "syd")
    rows = query(
        paths.publish_db,
        "select month, numerator, denominator, numerator_rolling_12m, rate_per_1000_rolling_12m "
        "from marts.fct_indicator_month where geo_level = 'region' and geo_code = 'syd' "
        "and indicator_code = 'violent_crime' and month in ('2023-06-01', '2024-06-01') "
        "order by month",
    )
    (_, x0, e0, _, _), (_, x1, e1, rolling, rolling_rate) = rows
    cells = table_row(page, "Våldsbrott")
    ratio = rate_ratio_exact(x1, x0, e1, e0)
    assert cells[1] == number(x1) + (" (få)" if x1 < 10 else "")
    assert cells[3] == change_text(ratio.rate_ratio[0], ratio.ci_low[0], ratio.ci_high[0])
    assert cells[4] == number(rolling)
    assert cells[5] == number(rolling_rate, 2)
    # The map's key: each area's rolling-12-month rate of the map indicator (violent crime).
    area_rates = query(
        paths.publish_db,
        "select g.name, f.rate_per_1000_rolling_12m, f.numerator_rolling_12m "
        "from marts.fct_indicator_month f join marts.dim_geography g using (geo_level, geo_code) "
        "where f.geo_level = 'area' and g.region = 'syd' and g.category_2025 is not null "
        "and f.indicator_code = 'violent_crime' and f.month = '2024-06-01'",
    )
    key = text_of(re.search(r'<ol class="map-key">(.*?)</ol>', page, re.S).group(1))
    for name, rate, count in area_rates:
        expected = f"{name}: {number(rate, 2)} per 1 000"
        assert expected + (" (få händelser)" if count < 10 else "") in key


def test_an_undelivered_month_is_missing_on_the_page_never_zero(
    pipeline_run: PipelineRun, tmp_path: Path
) -> None:
    """The offences delivery of 2024-03 never arrived: what the mart then holds (is_complete
    false, NULL counts, no rolling 12 months through 2025-02) is what the page must show."""
    database = tmp_path / "lagesbild.duckdb"
    shutil.copyfile(pipeline_run.paths.publish_db, database)
    conn = duckdb.connect(str(database))
    try:
        offences = "(select indicator_code from marts.dim_indicator where sources = 'offences')"
        conn.execute(
            "update marts.fct_indicator_month set numerator = null, value = null, "
            "rate_per_1000 = null, is_complete = false, is_small_number = false "
            f"where month = '2024-03-01' and indicator_code in {offences}"
        )
        conn.execute(
            "update marts.fct_indicator_month set numerator_rolling_12m = null, "
            "rate_per_1000_rolling_12m = null, value_rolling_12m = null "
            f"where month >= '2024-03-01' and indicator_code in {offences}"
        )
    finally:
        conn.close()
    pages = write_monthly_pages(database, tmp_path, MONTH, is_synthetic=True)
    page = pages["syd"].read_text("utf-8")
    summary = table_row(page, "Våldsbrott")  # the first match: the summary table
    assert summary[4] == "saknas" and summary[5] == "–" and summary[6] == "–"
    headers = re.findall(r"<th>(\d\d-\d\d)</th>", page)
    month_by_month = [
        cells
        for row in re.findall(r"<tr>(.*?)</tr>", page, re.S)
        if len(cells := [text_of(c).strip() for c in re.findall(r"<td>(.*?)</td>", row, re.S)])
        == 13
        and cells[0] == "Våldsbrott"
    ]
    (violent,) = month_by_month
    assert headers[violent.index("saknas") - 1] == "24-03"
    assert violent.count("saknas") == 1
    # The map: every area of the indicator shaded as missing, and said so in the key.
    shaded = re.findall(r'<path class="area[^"]*" data-area="\w+" d="[^"]+" fill="(#\w+)"', page)
    assert shaded and set(shaded) == {maps.MISSING_COLOUR}
    assert "saknas" in text_of(re.search(r'<ol class="map-key">(.*?)</ol>', page, re.S).group(1))


def test_the_map_indicator_is_checked_and_the_area_index_can_shade_the_map(
    pipeline_run: PipelineRun,
) -> None:
    inputs = load_monthly_inputs(pipeline_run.paths.publish_db, MONTH, is_synthetic=True)
    with pytest.raises(ValueError, match="expected 'area_index' or a count indicator"):
        MonthlyPages(inputs, map_indicator="clearance_rate", created_at="now")
    pages = MonthlyPages(inputs, map_indicator="area_index", created_at="now")
    scope = next(s for s in pages.scopes() if s.slug == "syd")
    view = pages.view(scope)["map"]
    assert view["legend_title"].startswith("Områdesindex")
    with pytest.raises(MonthNotPublished, match="2024-07 has not been published"):
        load_monthly_inputs(pipeline_run.paths.publish_db, "2024-07", is_synthetic=True)


def run_job(paths: DataPaths, selection: dg.AssetSelection, month: str) -> tuple[bool, str]:
    job = dg.define_asset_job("selected", selection=selection, executor_def=dg.in_process_executor)
    defs = dg.Definitions.merge(build_definitions(paths), dg.Definitions(jobs=[job]))
    job_def = defs.resolve_job_def("selected")
    kwargs = (
        {"partition_key": month}
        if job_def.partitions_def
        else {"tags": {"dagster/partition": month}}
    )
    result = job_def.execute_in_process(
        instance=get_instance(paths), raise_on_error=False, **kwargs
    )
    return result.success, "\n".join(failure_messages(result))


def test_a_refused_publication_writes_no_monthly_pages(workspace: DataPaths) -> None:
    assert not (workspace.root / "reports").exists()  # copy_data_dir copies no reports
    conn = duckdb.connect(str(workspace.warehouse_db))
    try:
        conn.execute(
            "update marts.fct_indicator_month set rate_per_1000 = -1 "
            "where geo_level = 'nation' and month = '2024-06-01'"
        )
    finally:
        conn.close()
    run_job(workspace, dg.AssetSelection.checks(*gx_quality_checks.check_keys), MONTH)

    published, message = run_job(
        workspace, dg.AssetSelection.assets(PUBLISHED_WAREHOUSE_KEY, MONTHLY_LAGESBILD_KEY), MONTH
    )

    assert not published and "Publication refused" in message
    assert "marts/fct_indicator_month:gx_suite FAILED" in message
    assert not (workspace.root / "reports" / "monthly").exists()


def test_pages_for_an_unpublished_month_are_refused(workspace: DataPaths) -> None:
    written, message = run_job(
        workspace, dg.AssetSelection.assets(MONTHLY_LAGESBILD_KEY), "2024-07"
    )
    assert not written
    assert "Monthly lägesbild 2024-07 not written: 2024-07 has not been published" in message
    assert not (workspace.root / "reports" / "monthly" / "2024-07").exists()


COMPLETED_AT = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC")


def test_the_report_workers_draw_the_pages_this_process_would_draw(
    pipeline_run: PipelineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The builder leaves the month-by-month frames out of what the workers are sent: the
    pages are those of a builder that keeps them, in a worker as in this process."""
    inputs = load_inputs(pipeline_run.paths.publish_db, "2024-T1", is_synthetic=True)
    tables = build_review(inputs)
    assert inputs.monthly.height > 0 and tables.chart.height > 0
    pages: dict[str, dict[str, str]] = {}
    for workers in ("1", "2"):
        monkeypatch.setenv(REPORT_WORKERS_ENV, workers)
        written = write_reports(inputs, tables, tmp_path / workers)
        pages[workers] = {
            slug: COMPLETED_AT.sub("…", path.read_text("utf-8")) for slug, path in written.items()
        }
    assert sorted(pages["2"]) == sorted(["nationell", *REGION_SLUGS])
    assert pages["1"] == pages["2"]
    keeping = ReportBuilder(inputs, tables, "…")
    keeping.inputs, keeping.tables = inputs, tables
    slim = ReportBuilder(inputs, tables, "…")
    assert slim.inputs.monthly.is_empty() and slim.tables.chart.is_empty()
    for scope in slim.scopes()[:2]:  # the national page and one region's
        assert slim.render(scope) == keeping.render(scope)


def test_the_tertial_reports_carry_the_index_and_change_maps(
    pipeline_run: PipelineRun, tmp_path: Path
) -> None:
    paths = pipeline_run.paths
    inputs = load_inputs(paths.publish_db, "2024-T1", is_synthetic=True)
    reports = write_reports(inputs, build_review(inputs), tmp_path)
    national = reports["nationell"].read_text("utf-8")
    assert 'data-map="index"' in national and 'data-map="change"' in national
    page = reports["stockholm"].read_text("utf-8")
    change_map = page[page.index('<figure class="map" data-map="change"') :]
    key = text_of(re.search(r'<ol class="map-key">(.*?)</ol>', change_map, re.S).group(1))
    (x1, e1), (x0, e0) = query(
        paths.publish_db,
        "select sum(numerator), sum(denominator) from marts.fct_indicator_month "
        "where geo_level = 'area' and geo_code = 'USO074' and indicator_code = 'violent_crime' "
        "and month in (?, ?, ?, ?) union all "
        "select sum(numerator), sum(denominator) from marts.fct_indicator_month "
        "where geo_level = 'area' and geo_code = 'USO074' and indicator_code = 'violent_crime' "
        "and month in (?, ?, ?, ?)",
        [f"2024-0{m}-01" for m in (1, 2, 3, 4)] + [f"2023-0{m}-01" for m in (1, 2, 3, 4)],
    )
    ratio = rate_ratio_exact(x1, x0, e1, e0)
    assert f"Rinkeby: {percent_change(ratio.rate_ratio[0])} (" in key
    assert f"; {number(x1)} mot {number(x0)}" in key
    polygons = int(re.search(r'data-polygons="(\d+)"', page).group(1))
    assert polygons > 0 and page.count('<path class="area') == 2 * polygons
