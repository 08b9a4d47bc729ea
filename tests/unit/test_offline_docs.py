# ruff: noqa: E501 — GX_PAGE below quotes GX's template lines verbatim
"""GX Data Docs pages served locally: the vendored files, and the rewriting of GX's pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from lagesbild.quality.offline_docs import (
    CHECKSUMS,
    VENDOR_DIR,
    VENDORED,
    OfflineDocsError,
    localise_site,
    recorded_checksums,
    sha256,
)
from tests.offline import external_urls

# The head of a GX validation page as GX Core 1.x renders it (great_expectations/render/view/
# templates/page.j2, js_script_imports.j2, top_navbar.j2, cloud-footer.j2), shortened.
GX_PAGE = """<!DOCTYPE html><html><head>
<link rel="stylesheet" href="https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.css">
<link rel="stylesheet" href="https://maxcdn.bootstrapcdn.com/bootstrap/4.3.1/css/bootstrap.min.css"/>
<link rel="stylesheet" type="text/css" href="https://unpkg.com/bootstrap-table@1.19.0/dist/extensions/filter-control/bootstrap-table-filter-control.css">
<link rel="stylesheet" type="text/css" href="https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css">
<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/@forevolve/bootstrap-dark@1.1.0/dist/css/bootstrap-prefers-dark.css" />
<style>.navbar-brand { background-image: url('https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/full_logo_dark.png'); }</style>
<script src="https://cdn.jsdelivr.net/npm/vega@5"></script>
<script src="https://cdn.jsdelivr.net/npm/vega-lite@5"></script>
<script src="https://cdn.jsdelivr.net/npm/vega-embed@6"></script>
<link rel="stylesheet" href="https://cdnjs.cloudflare.com/ajax/libs/font-awesome/6.6.0/css/all.min.css">
<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/popper.js/1.12.9/umd/popper.min.js" integrity="sha384-ApNbgh9B+Y1QKtv3Rn7W3mgPxhU9K/ScQsAP7hUibX39j7fakFPskvXusvfa0b4Q" crossorigin="anonymous"></script>
<script src="https://stackpath.bootstrapcdn.com/bootstrap/4.3.1/js/bootstrap.min.js" integrity="sha384-JjSmVgyd0p3pXB1rRibZUAYoIIy6OrQ6VrjIEaFf/nJGzIxFDsf4x0xIM+B07jRM" crossorigin="anonymous"></script>
<script src="https://unpkg.com/bootstrap-table@1.19.1/dist/bootstrap-table.min.js"></script>
<script src="https://unpkg.com/bootstrap-table@1.19.1/dist/extensions/filter-control/bootstrap-table-filter-control.min.js"></script>
<script src="https://cdnjs.cloudflare.com/ajax/libs/bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js"></script>
</head><body>
<a href="../../index.html"><img class="NO-CACHE" src="https://great-expectations-web-assets.s3.us-east-2.amazonaws.com/logo-long.png?d=20261130T150703.511455Z" alt="Great Expectations"/></a>
<p>Stay current on everything GX with our newsletter <a href="https://greatexpectations.io/newsletter?utm_source=datadocs">Subscribe</a></p>
</body></html>
"""


def test_every_vendored_file_is_the_registry_file_recorded_in_the_checksums() -> None:
    recorded = recorded_checksums()
    assert sorted(recorded) == sorted(file.target for file in VENDORED)
    for target, digest in recorded.items():
        assert sha256(VENDOR_DIR / target) == digest, f"{target} differs from {CHECKSUMS}"


def test_the_scripts_keep_the_integrity_hashes_gx_pins() -> None:
    import base64
    import hashlib

    for target, pinned in (
        ("popper.js/1.12.9/umd/popper.min.js", GX_PAGE.split('integrity="sha384-')[1][:64]),
        ("bootstrap/4.3.1/js/bootstrap.min.js", GX_PAGE.split('integrity="sha384-')[2][:64]),
    ):
        digest = base64.b64encode(hashlib.sha384((VENDOR_DIR / target).read_bytes()).digest())
        assert digest.decode() == pinned


def _site(tmp_path: Path) -> tuple[Path, Path]:
    site = tmp_path / "gx" / "2024-06_run"
    page = site / "validations" / "marts" / "fct" / "rows" / "run" / "page.html"
    page.parent.mkdir(parents=True)
    page.write_text(GX_PAGE, encoding="utf-8")
    (site / "index.html").write_text(GX_PAGE, encoding="utf-8")
    (site / "static" / "images").mkdir(parents=True)
    (site / "static" / "images" / "logo-long.png").write_bytes(b"png")
    (site / "static" / "styles").mkdir(parents=True)
    (site / "static" / "styles" / "data_docs_default_styles.css").write_text(
        ".navbar-brand { background-image: url('https://great-expectations-web-assets.s3"
        ".us-east-2.amazonaws.com/full_logo_dark.png'); }",
        encoding="utf-8",
    )
    return site, page


def test_a_gx_page_loads_everything_from_the_shared_folder_and_its_own_site(
    tmp_path: Path,
) -> None:
    site, page = _site(tmp_path)
    shared = tmp_path / "gx" / "_vendor"
    assert localise_site(site, shared) == 3  # two pages, GX's stylesheet
    assert external_urls(tmp_path) == {}
    stylesheet = site / "static" / "styles" / "data_docs_default_styles.css"
    assert "url('../../static/images/logo-long.png')" in stylesheet.read_text(encoding="utf-8")
    text = page.read_text(encoding="utf-8")
    assert '<script src="../../../../../../_vendor/vega/5.33.1/vega.min.js"></script>' in text
    assert 'src="../../../../../static/images/logo-long.png"' in text
    assert "url('../../../../../static/images/logo-long.png')" in text
    assert 'integrity="sha384-ApNbgh9B' in text  # still verified by the browser, locally
    assert "<a>Subscribe</a>" in text
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="../_vendor/bootstrap/4.3.1/css/bootstrap.min.css"' in index
    for reference in (*page.read_text().split('src="')[1:], *page.read_text().split('href="')[1:]):
        local = reference.split('"')[0]
        if "_vendor" in local or "static/" in local:
            assert (page.parent / local).resolve().is_file(), local


def test_localising_twice_changes_nothing(tmp_path: Path) -> None:
    site, page = _site(tmp_path)
    shared = tmp_path / "gx" / "_vendor"
    localise_site(site, shared)
    first = page.read_text(encoding="utf-8")
    localise_site(site, shared)
    assert page.read_text(encoding="utf-8") == first
    assert (shared / CHECKSUMS).read_text() == (VENDOR_DIR / CHECKSUMS).read_text()


@pytest.mark.parametrize(
    "reference",
    [
        '<script src="https://cdn.example.org/new-library.js"></script>',
        '<link rel="stylesheet" href="//fonts.example.org/font.css">',
        "<style>body { background: url(http://images.example.org/x.png) }</style>",
    ],
)
def test_a_page_with_an_unknown_external_reference_is_refused(
    tmp_path: Path, reference: str
) -> None:
    site, page = _site(tmp_path)
    page.write_text(GX_PAGE.replace("</head>", reference + "</head>"), encoding="utf-8")
    with pytest.raises(OfflineDocsError, match=r"page\.html: still loads .*example\.org"):
        localise_site(site, tmp_path / "gx" / "_vendor")
