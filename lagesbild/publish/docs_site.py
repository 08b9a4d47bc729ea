"""The GX Data Docs site of each publication, under `publish/docs/gx/<month>_<run id>/`, with
the front-end files they share in `publish/docs/gx/_vendor/` (nothing loaded from outside).

Drawn under a hidden `.partial` name while the publication is built; `keep` gives it its final
name once the publication stands, `discard` removes it when the publication was refused.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from lagesbild.quality.data_docs import build_data_docs
from lagesbild.quality.offline_docs import SHARED_FOLDER
from lagesbild.settings import DataPaths


def _site(paths: DataPaths, month: str, run_id: str, partial: bool = False) -> Path:
    name = f"{month}_{run_id}"
    return paths.publish_dir / "docs" / "gx" / (f".{name}.partial" if partial else name)


def draw_publication_docs(
    paths: DataPaths, results_dirs: list[str], month: str, run_id: str
) -> Path | None:
    """Render the GX results of this publication's checks into a hidden, partial site."""
    gx_sites = paths.publish_dir / "docs" / "gx"
    for stale in gx_sites.glob(".*.partial"):  # left by a killed run (one publication at a time)
        shutil.rmtree(stale, ignore_errors=True)
    folders = [Path(folder) for folder in results_dirs if Path(folder).exists()]
    shared = gx_sites / SHARED_FOLDER  # the front-end files every site loads, served locally
    return build_data_docs(folders, _site(paths, month, run_id, partial=True), run_id, shared)


def keep_publication_docs(paths: DataPaths, month: str, run_id: str) -> Path:
    site = _site(paths, month, run_id)
    shutil.rmtree(site, ignore_errors=True)
    os.replace(_site(paths, month, run_id, partial=True), site)
    return site / "index.html"


def discard_publication_docs(paths: DataPaths, month: str, run_id: str) -> None:
    shutil.rmtree(_site(paths, month, run_id, partial=True), ignore_errors=True)
