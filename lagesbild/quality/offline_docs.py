"""GX Data Docs that load nothing from outside the organisation.

GX's pages load bootstrap, jQuery, popper, bootstrap-table, bootstrap-datepicker, Vega and
Font Awesome from public CDNs and GX's logo from a cloud bucket (with a per-build query string):
offline they render unstyled, and online every view tells third parties who looks at what.
`localise_site` copies the same files — vendored from the npm registry into
`static/vendor/` (versions, licences and checksums in `static/vendor/README.md` and
`SHA256SUMS`) — into one shared folder beside the sites, rewrites each page's references to
relative paths (the subresource-integrity hashes GX sets still match), points the logo at the
site's own copy, drops links to GX's website, and refuses a page that still references anything
outside (a new GX release that adds a CDN URL fails loudly instead of leaking).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

VENDOR_DIR = Path(__file__).resolve().parent / "static" / "vendor"
CHECKSUMS = "SHA256SUMS"
SHARED_FOLDER = "_vendor"
"""The folder beside the sites (`publish/docs/gx/_vendor/`) that holds the vendored files."""


@dataclass(frozen=True)
class VendoredFile:
    """One file of an npm package, and the CDN URLs GX's templates load it from."""

    package: str
    version: str
    source: str  # path inside the npm tarball
    target: str  # path under static/vendor/
    urls: tuple[str, ...] = ()  # regular expressions of the URLs it replaces


VENDORED: tuple[VendoredFile, ...] = (
    VendoredFile(
        "bootstrap",
        "4.3.1",
        "package/dist/css/bootstrap.min.css",
        "bootstrap/4.3.1/css/bootstrap.min.css",
        (r"https://maxcdn\.bootstrapcdn\.com/bootstrap/4\.3\.1/css/bootstrap\.min\.css",),
    ),
    VendoredFile(
        "bootstrap",
        "4.3.1",
        "package/dist/js/bootstrap.min.js",
        "bootstrap/4.3.1/js/bootstrap.min.js",
        (r"https://stackpath\.bootstrapcdn\.com/bootstrap/4\.3\.1/js/bootstrap\.min\.js",),
    ),
    VendoredFile("bootstrap", "4.3.1", "package/LICENSE", "bootstrap/4.3.1/LICENSE"),
    VendoredFile(
        "jquery",
        "3.7.1",
        "package/dist/jquery.min.js",
        "jquery/3.7.1/jquery.min.js",
        (r"https://code\.jquery\.com/jquery-3\.7\.1\.min\.js",),
    ),
    VendoredFile("jquery", "3.7.1", "package/LICENSE.txt", "jquery/3.7.1/LICENSE.txt"),
    VendoredFile(
        "popper.js",
        "1.12.9",
        "package/dist/umd/popper.min.js",
        "popper.js/1.12.9/umd/popper.min.js",
        (r"https://cdnjs\.cloudflare\.com/ajax/libs/popper\.js/1\.12\.9/umd/popper\.min\.js",),
    ),
    VendoredFile(
        "bootstrap-table",
        "1.19.1",
        "package/dist/bootstrap-table.min.css",
        "bootstrap-table/1.19.1/bootstrap-table.min.css",
        (r"https://unpkg\.com/bootstrap-table@1\.19\.1/dist/bootstrap-table\.min\.css",),
    ),
    VendoredFile(
        "bootstrap-table",
        "1.19.1",
        "package/dist/bootstrap-table.min.js",
        "bootstrap-table/1.19.1/bootstrap-table.min.js",
        (r"https://unpkg\.com/bootstrap-table@1\.19\.1/dist/bootstrap-table\.min\.js",),
    ),
    VendoredFile(
        "bootstrap-table",
        "1.19.1",
        "package/dist/extensions/filter-control/bootstrap-table-filter-control.min.css",
        "bootstrap-table/1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.css",
        # GX loads this stylesheet from 1.19.0 (its scripts from 1.19.1): one file serves both.
        (
            r"https://unpkg\.com/bootstrap-table@1\.19\.[01]/dist/extensions/filter-control/"
            r"bootstrap-table-filter-control(?:\.min)?\.css",
        ),
    ),
    VendoredFile(
        "bootstrap-table",
        "1.19.1",
        "package/dist/extensions/filter-control/bootstrap-table-filter-control.min.js",
        "bootstrap-table/1.19.1/extensions/filter-control/bootstrap-table-filter-control.min.js",
        (
            r"https://unpkg\.com/bootstrap-table@1\.19\.1/dist/extensions/filter-control/"
            r"bootstrap-table-filter-control\.min\.js",
        ),
    ),
    VendoredFile("bootstrap-table", "1.19.1", "package/LICENSE", "bootstrap-table/1.19.1/LICENSE"),
    VendoredFile(
        "bootstrap-datepicker",
        "1.9.0",
        "package/dist/css/bootstrap-datepicker.min.css",
        "bootstrap-datepicker/1.9.0/css/bootstrap-datepicker.min.css",
        (
            r"https://cdnjs\.cloudflare\.com/ajax/libs/bootstrap-datepicker/1\.9\.0/css/"
            r"bootstrap-datepicker\.min\.css",
        ),
    ),
    VendoredFile(
        "bootstrap-datepicker",
        "1.9.0",
        "package/dist/js/bootstrap-datepicker.min.js",
        "bootstrap-datepicker/1.9.0/js/bootstrap-datepicker.min.js",
        (
            r"https://cdnjs\.cloudflare\.com/ajax/libs/bootstrap-datepicker/1\.9\.0/js/"
            r"bootstrap-datepicker\.min\.js",
        ),
    ),
    VendoredFile(
        "bootstrap-datepicker", "1.9.0", "package/LICENSE", "bootstrap-datepicker/1.9.0/LICENSE"
    ),
    VendoredFile(
        "@forevolve/bootstrap-dark",
        "1.1.0",
        "package/dist/css/bootstrap-prefers-dark.css",
        "bootstrap-dark/1.1.0/css/bootstrap-prefers-dark.css",
        (
            r"https://cdn\.jsdelivr\.net/npm/@forevolve/bootstrap-dark@1\.1\.0/dist/css/"
            r"bootstrap-prefers-dark\.css",
        ),
    ),
    VendoredFile(
        "@forevolve/bootstrap-dark", "1.1.0", "package/LICENSE", "bootstrap-dark/1.1.0/LICENSE"
    ),
    # GX asks jsDelivr for the newest vega@5, vega-lite@5 and vega-embed@6: these are the
    # newest of each major version in the npm registry when vendored.
    VendoredFile(
        "vega",
        "5.33.1",
        "package/build/vega.min.js",
        "vega/5.33.1/vega.min.js",
        (r"https://cdn\.jsdelivr\.net/npm/vega@5",),
    ),
    VendoredFile(
        "vega-lite",
        "5.23.0",
        "package/build/vega-lite.min.js",
        "vega-lite/5.23.0/vega-lite.min.js",
        (r"https://cdn\.jsdelivr\.net/npm/vega-lite@5",),
    ),
    VendoredFile("vega-lite", "5.23.0", "package/LICENSE", "vega-lite/5.23.0/LICENSE"),
    VendoredFile(
        "vega-embed",
        "6.29.0",
        "package/build/vega-embed.min.js",
        "vega-embed/6.29.0/vega-embed.min.js",
        (r"https://cdn\.jsdelivr\.net/npm/vega-embed@6",),
    ),
    VendoredFile("vega-embed", "6.29.0", "package/LICENSE", "vega-embed/6.29.0/LICENSE"),
    VendoredFile(
        "@fortawesome/fontawesome-free",
        "6.6.0",
        "package/css/all.min.css",
        "fontawesome-free/6.6.0/css/all.min.css",
        (r"https://cdnjs\.cloudflare\.com/ajax/libs/font-awesome/6\.6\.0/css/all\.min\.css",),
    ),
    *(
        VendoredFile(
            "@fortawesome/fontawesome-free",
            "6.6.0",
            f"package/webfonts/{font}.woff2",
            f"fontawesome-free/6.6.0/webfonts/{font}.woff2",
        )
        for font in ("fa-brands-400", "fa-regular-400", "fa-solid-900", "fa-v4compatibility")
    ),
    VendoredFile(
        "@fortawesome/fontawesome-free",
        "6.6.0",
        "package/LICENSE.txt",
        "fontawesome-free/6.6.0/LICENSE.txt",
    ),
)

GX_ASSETS_BUCKET = r"https://great-expectations-web-assets\.s3\.us-east-2\.amazonaws\.com/"
SITE_LOGO = "static/images/logo-long.png"
"""GX copies its own logo into every site; the pages load it (and a dark variant) from a bucket."""
SITE_REWRITES: tuple[tuple[str, str], ...] = (
    (GX_ASSETS_BUCKET + r"logo-long\.png(?:\?[^\"')\s]*)?", SITE_LOGO),
    (GX_ASSETS_BUCKET + r"full_logo_dark\.png", SITE_LOGO),
)

_QUOTE_BEFORE = r"(?<=[\"'(])"
_QUOTE_AFTER = r"(?=[\"')])"
EXTERNAL_REFERENCE = re.compile(
    r"""(?:\b(?:src|href)\s*=\s*["']?|url\(\s*["']?)((?:[a-z][a-z0-9+.-]*:)?//[^"')\s>]+)""",
    re.IGNORECASE,
)
"""A src, href or url() pointing outside: http://, https:// or protocol-relative //."""
EXTERNAL_ANCHOR_HREF = re.compile(r"""(<a\b[^>]*?)\s+href\s*=\s*["'](?:https?:)?//[^"']*["']""")


class OfflineDocsError(RuntimeError):
    """A page still references something outside the organisation."""


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def recorded_checksums() -> dict[str, str]:
    """target → sha256, as recorded in static/vendor/SHA256SUMS."""
    lines = (VENDOR_DIR / CHECKSUMS).read_text(encoding="utf-8").splitlines()
    return {line.split()[1]: line.split()[0] for line in lines if line.strip()}


def external_references(text: str) -> list[str]:
    """Every external URL in a src, href or url() of a page or stylesheet."""
    return [match.group(1) for match in EXTERNAL_REFERENCE.finditer(text)]


def install_shared_assets(shared_dir: Path) -> Path:
    """Copy the vendored files into `shared_dir` unless it already holds exactly them."""
    wanted = (VENDOR_DIR / CHECKSUMS).read_text(encoding="utf-8")
    installed = shared_dir / CHECKSUMS
    if installed.exists() and installed.read_text(encoding="utf-8") == wanted:
        return shared_dir
    partial = shared_dir.with_name(f".{shared_dir.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    shutil.copytree(VENDOR_DIR, partial, ignore=shutil.ignore_patterns("README.md"))
    shutil.rmtree(shared_dir, ignore_errors=True)
    os.replace(partial, shared_dir)
    return shared_dir


def _rewrites(page: Path, site_dir: Path, shared_dir: Path) -> list[tuple[re.Pattern[str], str]]:
    to_shared = Path(os.path.relpath(shared_dir, page.parent)).as_posix()
    to_site = Path(os.path.relpath(site_dir, page.parent)).as_posix()
    rewrites = [
        (re.compile(_QUOTE_BEFORE + url + _QUOTE_AFTER), f"{to_shared}/{file.target}")
        for file in VENDORED
        for url in file.urls
    ]
    rewrites += [
        (re.compile(_QUOTE_BEFORE + url + _QUOTE_AFTER), f"{to_site}/{local}")
        for url, local in SITE_REWRITES
    ]
    return rewrites


def localise_page(text: str, rewrites: list[tuple[re.Pattern[str], str]]) -> str:
    for pattern, local in rewrites:
        text = pattern.sub(local, text)
    return EXTERNAL_ANCHOR_HREF.sub(r"\1", text)  # links to GX's website: plain text


def localise_site(site_dir: Path, shared_dir: Path) -> int:
    """Rewrite every page and stylesheet of a GX site to the shared vendored files and the
    site's own logo; the number of files rewritten.

    Raises `OfflineDocsError` naming the file and URL if anything external remains.
    """
    install_shared_assets(shared_dir)
    pages = sorted([*site_dir.rglob("*.html"), *site_dir.rglob("*.css")])
    for page in pages:
        text = localise_page(
            page.read_text(encoding="utf-8"), _rewrites(page, site_dir, shared_dir)
        )
        remaining = external_references(text)
        if remaining:
            raise OfflineDocsError(
                f"{page}: still loads {remaining[0]} from outside the organisation "
                f"({len(remaining)} reference(s)); vendor it in {VENDOR_DIR} (see its README.md)"
            )
        page.write_text(text, encoding="utf-8")
    return len(pages)


def refresh_vendored_files(npm: str = "npm") -> None:
    """Fetch the packages again from the npm registry (`npm pack`), copy the files, rewrite
    SHA256SUMS. For a maintainer, when GX's templates change: review the diff, commit."""
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        for package, version in sorted({(f.package, f.version) for f in VENDORED}):
            subprocess.run(
                [npm, "pack", f"{package}@{version}", "--silent"], cwd=folder, check=True
            )
        for tarball in folder.glob("*.tgz"):
            unpacked = folder / tarball.stem
            unpacked.mkdir()
            shutil.unpack_archive(tarball, unpacked)
        for file in VENDORED:
            tarball_name = file.package.lstrip("@").replace("/", "-") + f"-{file.version}"
            target = VENDOR_DIR / file.target
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(folder / tarball_name / file.source, target)
    sums = "".join(f"{sha256(VENDOR_DIR / f.target)}  {f.target}\n" for f in VENDORED)
    (VENDOR_DIR / CHECKSUMS).write_text(sums, encoding="utf-8")


if __name__ == "__main__":
    refresh_vendored_files()
