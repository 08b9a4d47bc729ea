"""The files in `deploy/`, rendered from the code that `lagesbild serve` and the tests run.

`python -m pipelines.serve.deploy_files` rewrites them; `tests/test_deploy_files.py` fails when
a committed file differs from its rendering, so `deploy/` never drifts from what is tested.
"""

from __future__ import annotations

import sys
from pathlib import Path

from lagesbild.settings import PROJECT_ROOT
from pipelines.instance import instance_yaml
from pipelines.serve.nginx import AuditSite, audit_site
from pipelines.serve.services import (
    Installation,
    Ports,
    environment_file,
    services,
    systemd_unit,
    workspace_yaml,
)

DEPLOY_DIR = PROJECT_ROOT / "deploy"
SERVER_NAME = "lagesbild-audit.example.internal"


def rendered_files(installation: Installation | None = None) -> dict[str, str]:
    """Path relative to `deploy/` → content."""
    installation = installation or Installation()
    ports = Ports()
    files = {
        "dagster.yaml": instance_yaml(on_postgres=True),
        "workspace.yaml": workspace_yaml(ports.code_server),
        "lagesbild.env.example": environment_file(installation),
        "nginx/lagesbild-audit.conf": audit_site(
            AuditSite(
                listen="443",
                server_name=SERVER_NAME,
                certificate=Path("/etc/nginx/tls/lagesbild-audit.crt"),
                certificate_key=Path("/etc/nginx/tls/lagesbild-audit.key"),
                htpasswd=Path("/etc/nginx/lagesbild-audit.htpasswd"),
                upstream=f"127.0.0.1:{ports.auditors}",
                data_dir=installation.data_dir,
            )
        ),
    }
    for service in services(installation.bin_dir, installation.workspace, installation.root, ports):
        files[f"systemd/{service.name}.service"] = systemd_unit(service, installation)
    return files


def main() -> int:
    for relative, content in rendered_files().items():
        target = DEPLOY_DIR / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
