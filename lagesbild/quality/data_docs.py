"""A GX Data Docs site for each publication, built from the GX results its checks wrote."""

from __future__ import annotations

import json
import os
from pathlib import Path

from lagesbild.quality.gx_runner import load_suite
from lagesbild.quality.offline_docs import localise_site


def build_data_docs(
    result_dirs: list[Path], site_dir: Path, run_name: str, shared_assets: Path | None = None
) -> Path | None:
    """Render every GX validation result JSON of `result_dirs` into a static site that loads
    nothing from outside: its front-end files come from `shared_assets` (default: inside the
    site, `static/vendor/`)."""
    files = sorted(file for folder in result_dirs for file in folder.glob("*.json"))
    if not files:
        return None
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx
    from great_expectations.core.expectation_validation_result import (
        ExpectationSuiteValidationResult,
    )
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    context = gx.get_context(mode="ephemeral")
    site = "publication"
    context.add_data_docs_site(
        site_name=site,
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {
                "class_name": "TupleFilesystemStoreBackend",
                "base_directory": str(site_dir),
            },
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    for file in files:
        suite_name, batch = file.stem.split("__", 1)
        name = f"{suite_name}.{batch}"
        suite = load_suite(suite_name)
        expectations = [
            e for e in suite["expectations"] if e.get("meta", {}).get("batch", "rows") == batch
        ]
        context.suites.add(
            gx.ExpectationSuite(name=name, expectations=expectations, meta=suite.get("meta", {}))
        )
        result = ExpectationSuiteValidationResult(**json.loads(file.read_text(encoding="utf-8")))
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=name),
            run_id=RunIdentifier(run_name=run_name),
            batch_identifier=name,
        )
        context.validation_results_store.set(key, result)
    context.build_data_docs(site_names=[site])
    localise_site(site_dir, shared_assets or site_dir / "static" / "vendor")
    return site_dir / "index.html"
