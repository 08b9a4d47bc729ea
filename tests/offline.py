"""Finding references to anything outside the organisation in served pages (tests only).

Written independently of `lagesbild.quality.offline_docs`, so a blind spot there is not
shared here.
"""

from __future__ import annotations

import re
from pathlib import Path

PAGE_SUFFIXES = {".html", ".htm", ".css"}
EXTERNAL = re.compile(
    r"""(?:\b(?:src|href)\s*=\s*["']?\s*|url\(\s*["']?\s*)((?:https?:)?//[^"'\s)>]*)""",
    re.IGNORECASE,
)


def external_urls(root: Path) -> dict[str, list[str]]:
    """Page (relative to `root`) → every http://, https:// or // URL in a src, href or url()."""
    found: dict[str, list[str]] = {}
    for path in sorted(root.rglob("*")):
        if path.suffix.lower() not in PAGE_SUFFIXES or not path.is_file():
            continue
        urls = EXTERNAL.findall(path.read_text(encoding="utf-8", errors="replace"))
        if urls:
            found[str(path.relative_to(root))] = sorted(set(urls))
    return found


def pages(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.suffix.lower() in {".html", ".htm"}]
