"""`lagesbild status` on a data directory where the gate refused a publication and a delivery
waits in quarantine: it names both, with the latest publication and the months per source."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from assets.publish.assets import PUBLISHED_WAREHOUSE_KEY
from lagesbild.ingest.landing import describe_delivery, quarantine_delivery
from lagesbild.settings import DataPaths
from pipelines.definitions import build_definitions
from pipelines.instance import get_instance
from pipelines.status import cmd_status, render_status
from tests.conftest import PipelineRun
from tests.integration.publication_helpers import DagsterHome, copy_data_dir, latest_logged_run

pytestmark = pytest.mark.integration

MONTH = "2024-06"
FCT = dg.AssetKey(["marts", "fct_indicator_month"])


@pytest.fixture
def refused(pipeline_run: PipelineRun, tmp_path: Path) -> Iterator[tuple[DataPaths, str]]:
    """A copy of the published data directory after a refused publish-only run (the mart was
    rebuilt outside the monthly job, so its checks do not cover it), and that run's id."""
    home = DagsterHome()
    paths = copy_data_dir(pipeline_run.paths, tmp_path, with_instance=True)
    instance = get_instance(paths)
    instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=FCT, description="rebuilt outside the monthly job")
    )
    job = dg.define_asset_job(
        "publish_only",
        selection=dg.AssetSelection.assets(PUBLISHED_WAREHOUSE_KEY),
        executor_def=dg.in_process_executor,
    )
    defs = dg.Definitions.merge(build_definitions(paths), dg.Definitions(jobs=[job]))
    result = defs.resolve_job_def("publish_only").execute_in_process(
        instance=instance, partition_key=MONTH, raise_on_error=False
    )
    assert not result.success
    yield paths, result.run_id
    home.restore()


def test_status_names_the_refused_publication_and_the_quarantined_delivery(
    refused: tuple[DataPaths, str], pipeline_run: PipelineRun, capsys: pytest.CaptureFixture
) -> None:
    paths, refused_run = refused
    bad = paths.landing_source("clearances") / "2024-07.csv"
    bad.write_text("offence_id;decision_date\nX1;32/13/2024\n", encoding="utf-8")
    quarantine_delivery(
        paths.quarantine,
        describe_delivery("clearances", "2024-07", bad),
        bad,
        "clearances/2024-07.csv, line 2, column decision_date: '32/13/2024' is not a date",
    )

    out = io.StringIO()
    render_status(paths, get_instance(paths), out)
    text = out.getvalue()

    published_run = latest_logged_run(paths.publish_db)
    assert published_run == pipeline_run.run_id  # the refusal left the publication in place
    assert f"Published: {MONTH} · run {published_run} · code " in text
    assert "Months 2023-01..2024-06: 18 complete, 0 incomplete" in text
    assert "Quarantine: 1 delivery(ies) awaiting correction" in text
    assert "clearances 2024-07" in text and "(awaiting correction)" in text
    assert "'32/13/2024' is not a date" in text
    assert f"Last refused publication: {MONTH} · run {refused_run} · at " in text
    assert re.search(r"Publication refused: \d+ required check\(s\) did not pass", text), text
    assert "marts/fct_indicator_month:gx_suite was not evaluated on the current" in text

    assert cmd_status(paths) == 0
    assert capsys.readouterr().out.count("Last refused publication") == 1
