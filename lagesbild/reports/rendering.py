"""One Jinja2 environment for every Lägesbild report: autoescaped templates and inline CSS.

Reports are self-contained: the stylesheet is inlined, charts are data URIs, nothing is loaded
from the network. Templates receive plain data (dicts, lists, dataclasses) — the view model —
and never HTML strings; whatever a view model holds is escaped.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jinja2

SYNTHETIC_BANNER = (
    "SYNTETISKA DATA: rapporten bygger på Lägesbilds genererade standarddata "
    "(landningszonen innehåller GENERATED.txt). Siffrorna är inte polisens statistik."
)


@cache
def environment() -> jinja2.Environment:
    """The package's templates, HTML-autoescaped, undefined names an error."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("lagesbild.reports", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["stylesheet"] = stylesheet()
    env.globals["synthetic_banner"] = SYNTHETIC_BANNER
    return env


STYLESHEETS = ("report.css", "maps.css")
"""The CSS files in static/, inlined in this order."""


@cache
def stylesheet() -> str:
    """The reports' CSS (screen and A4 print), inlined into every page."""
    static = resources.files("lagesbild.reports").joinpath("static")
    return "\n".join(static.joinpath(name).read_text("utf-8") for name in STYLESHEETS)


def render(template: str, **view: Any) -> str:
    return environment().get_template(template).render(**view)


def write_page(path: Path, page: str) -> Path:
    """Write atomically: readers see the old page or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".tmp")
    partial.write_text(page, encoding="utf-8")
    partial.replace(path)
    return path
