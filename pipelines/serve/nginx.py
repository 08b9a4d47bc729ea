"""nginx in front of the auditors' read-only UI: TLS, a bcrypt login, and the published GX Data
Docs and HTML reports served read-only from the data directory.

`audit_site()` writes the site configuration; `deploy/nginx/lagesbild-audit.conf` is its
rendering for a server (`conf.d`), and the one-machine trial wraps the same site in a complete
nginx configuration of its own (`trial_config()`), run by `Nginx`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

AUTH_REALM = "Lagesbild audit"  # ASCII: browsers differ on other realm encodings
BCRYPT_ROUNDS = 10
"""nginx checks the password on every request (basic auth has no session): cost 10 is ≈ 50 ms a
check; OIDC with a session cookie (oauth2-proxy, docs/operations.md) avoids the per-request cost."""

STATIC_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'"
)
"""Pages under /docs/ and /reports/ may load nothing from outside the organisation (GX's pages
need inline scripts and Vega's expression evaluation)."""

SECURITY_HEADERS = (
    ("Strict-Transport-Security", "max-age=31536000"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "no-referrer"),
)


@dataclass(frozen=True)
class AuditSite:
    """What the auditors' site needs to know."""

    listen: str  # "443" or "127.0.0.1:8443"
    server_name: str
    certificate: Path
    certificate_key: Path
    htpasswd: Path
    upstream: str  # host:port of `dagster-webserver --read-only`
    data_dir: Path


def _headers(extra: tuple[tuple[str, str], ...] = ()) -> str:
    headers = (*SECURITY_HEADERS, *extra)
    return "".join(f'        add_header {name} "{value}" always;\n' for name, value in headers)


def audit_site(site: AuditSite) -> str:
    """The `map` and `server` blocks of the auditors' site (inside nginx's `http` context)."""
    static = _headers((("Content-Security-Policy", STATIC_CSP),))
    return f"""\
# Lägesbild: the auditors' read-only Dagster UI behind TLS and a login, and the published GX Data
# Docs and HTML reports. Written by pipelines/serve/nginx.py (`audit_site`); change it there.
map $http_upgrade $lagesbild_connection_upgrade {{
    default upgrade;
    ''      close;
}}

server {{
    listen {site.listen} ssl;
    server_name {site.server_name};

    ssl_certificate     {site.certificate};
    ssl_certificate_key {site.certificate_key};
    ssl_protocols       TLSv1.2 TLSv1.3;
    ssl_session_cache   shared:lagesbild_audit:1m;

    # Basic auth over TLS, bcrypt hashes (`htpasswd -B`, or pipelines/serve/nginx.py).
    auth_basic           "{AUTH_REALM}";
    auth_basic_user_file {site.htpasswd};
    client_max_body_size 1m;

    # The UI: dagster-webserver --read-only on 127.0.0.1 (it blocks every mutation).
    location / {{
        proxy_pass http://{site.upstream};
        proxy_http_version 1.1;
        proxy_set_header Upgrade $http_upgrade;                  # GraphQL subscriptions
        proxy_set_header Connection $lagesbild_connection_upgrade;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-Proto https;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header Authorization "";                       # the password stays here
        proxy_read_timeout 300s;
{_headers()}    }}

    # The GX Data Docs of every publication, read-only from the data directory.
    location /docs/ {{
        alias {site.data_dir}/publish/docs/;
        autoindex on;
{static}    }}

    # The tertial (and other) HTML reports.
    location /reports/ {{
        alias {site.data_dir}/reports/;
        autoindex on;
{static}    }}
}}
"""


MIME_TYPES = {
    "text/html": "html htm",
    "text/css": "css",
    "application/javascript": "js mjs",
    "application/json": "json",
    "image/png": "png",
    "image/svg+xml": "svg",
    "image/x-icon": "ico",
    "image/gif": "gif",
    "font/woff2": "woff2",
    "font/woff": "woff",
    "font/ttf": "ttf",
    "text/plain": "txt log",
}


def trial_config(prefix: Path, site_file: Path, run_as_root: bool) -> str:
    """A complete nginx configuration around the site, every file under `prefix`."""
    types = "".join(f"        {mime} {extensions};\n" for mime, extensions in MIME_TYPES.items())
    # nginx started by root drops its workers to `nobody`, who could not read a data directory
    # under a private folder; the trial is meant for an unprivileged user, as root it keeps root.
    user = "user root;\n" if run_as_root else ""
    return f"""\
# The one-machine trial's nginx (lagesbild serve). On a server use Debian's nginx service with
# deploy/nginx/lagesbild-audit.conf in /etc/nginx/conf.d/.
{user}worker_processes 1;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;

events {{
    worker_connections 256;
}}

http {{
    types {{
{types}    }}
    default_type application/octet-stream;
    access_log {prefix}/access.log;
    client_body_temp_path {prefix}/tmp/body;
    proxy_temp_path {prefix}/tmp/proxy;
    fastcgi_temp_path {prefix}/tmp/fastcgi;
    uwsgi_temp_path {prefix}/tmp/uwsgi;
    scgi_temp_path {prefix}/tmp/scgi;
    sendfile on;
    server_tokens off;

    include {site_file};
}}
"""


def htpasswd_line(user: str, password: str) -> str:
    """`user:$2b$…` — a bcrypt entry nginx's auth_basic_user_file accepts (like `htpasswd -B`)."""
    import bcrypt

    if ":" in user or not user:
        raise ValueError(f"not a user name for htpasswd: {user!r}")
    hashed = bcrypt.hashpw(password.encode(), bcrypt.gensalt(rounds=BCRYPT_ROUNDS)).decode()
    return f"{user}:{hashed}"


def write_htpasswd(path: Path, users: dict[str, str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(htpasswd_line(u, p) + "\n" for u, p in users.items()), "utf-8")
    path.chmod(0o640)
    return path


def find_nginx() -> str | None:
    return shutil.which("nginx") or (
        "/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None
    )


def write_trial_config(prefix: Path, site: AuditSite) -> Path:
    """Write the trial's site and main configuration under `prefix`; the main file's path."""
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    site_file = prefix / "lagesbild-audit.conf"
    site_file.write_text(audit_site(site), encoding="utf-8")
    config = prefix / "nginx.conf"
    config.write_text(trial_config(prefix, site_file, os.geteuid() == 0), encoding="utf-8")
    return config


def nginx_command(binary: str, prefix: Path, config: Path) -> list[str]:
    return [binary, "-p", str(prefix), "-c", str(config), "-e", str(prefix / "error.log")]


def check_config(binary: str, prefix: Path, config: Path) -> None:
    """`nginx -t`: raise with nginx's message when the configuration is invalid."""
    result = subprocess.run(
        [*nginx_command(binary, prefix, config), "-t"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"nginx rejected {config}: {result.stderr.strip()}")
