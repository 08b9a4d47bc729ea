"""Published DuckDB files as immutable versions behind symbolic links.

`publish/lagesbild.duckdb` and `publish/regions/<slug>.duckdb` are relative symbolic links to
the files of one publication, `publish/versions/<run_id>-<suffix>/lagesbild.duckdb` and
`…/regions/<slug>.duckdb`; a publication writes a new version directory and then swaps each
link with `os.replace` (atomic on POSIX). A file in a version directory is never written again.

Why not rename the files themselves over the published paths: DuckDB 2.0 (checked: Python
2.0.1) opens a database by its path more than once while connecting — it prefetches the
headers through one handle, closes it, and reads the blocks through another — so a file
renamed over the path between those opens gives the reader the old file's headers with the new
file's blocks ("Could not read enough bytes from file …", or worse). DuckDB resolves symbolic
links first (it canonicalises the path), so a reader that connects through the link opens one
version file every time, whichever version the link names a moment later.

The versions the links named before a publication are kept until the next one, so a reader
that resolved a link just before the swap still finds its file; older versions no link names
are removed. See README.md, "Reading while a publication is replaced".
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterable
from pathlib import Path

LINK_TMP_SUFFIX = ".link-tmp"
"""Suffix of a link being put in place (a leftover of a killed publication is removed)."""


def new_version_dir(versions_root: Path, run_id: str) -> Path:
    """A new, empty version directory for run `run_id` (unique even when a run publishes
    twice), with its `regions` folder."""
    versions_root.mkdir(parents=True, exist_ok=True)
    version = versions_root / f"{run_id}-{secrets.token_hex(4)}"
    (version / "regions").mkdir(parents=True)
    return version


def point_link(link: Path, target: Path) -> None:
    """Make `link` a relative symbolic link to `target`, atomically: a reader resolves either
    the old target or the new one. Replaces a regular file at `link` too (the layout before
    versions)."""
    staged = link.with_name(f".{link.name}.{secrets.token_hex(4)}{LINK_TMP_SUFFIX}")
    os.symlink(os.path.relpath(target, link.parent), staged)
    try:
        os.replace(staged, link)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def linked_version(link: Path, versions_root: Path) -> Path | None:
    """The version directory `link` points into, or None (no link, or a regular file)."""
    if not link.is_symlink():
        return None
    target = Path(os.path.normpath(link.parent / os.readlink(link)))
    root = Path(os.path.normpath(versions_root))
    try:
        return root / target.relative_to(root).parts[0]
    except (ValueError, IndexError):
        return None


def prune_versions(versions_root: Path, keep: Iterable[Path | None]) -> list[Path]:
    """Remove every version directory not in `keep`; returns the removed ones."""
    if not versions_root.exists():
        return []
    kept = {Path(os.path.normpath(path)) for path in keep if path is not None}
    removed = []
    for version in sorted(versions_root.iterdir()):
        if Path(os.path.normpath(version)) not in kept:
            shutil.rmtree(version, ignore_errors=True)
            removed.append(version)
    return removed


def remove_stale_links(folders: Iterable[Path]) -> None:
    """Links a killed publication staged but never put in place."""
    for folder in folders:
        if folder.exists():
            for stale in folder.glob(f".*{LINK_TMP_SUFFIX}"):
                stale.unlink(missing_ok=True)
