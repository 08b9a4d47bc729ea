"""The four Dagster services of the production layout, their workspace and their systemd units.

- the code server (`dagster api grpc -m pipelines.definitions`): loads the code location once
  and runs every launched run in a subprocess of its own;
- `dagster-daemon`: schedules, the landing-zone sensor, the run queue, run monitoring;
- the operators' webserver (launches, backfills, re-executions) on 127.0.0.1;
- the auditors' webserver, `--read-only`, on 127.0.0.1 behind nginx (TLS and a login).

The daemon and both webservers reach the code location through the workspace file
(`deploy/workspace.yaml`: a gRPC server, nothing loaded in their own processes). The same
command lines are started by `lagesbild serve` and the tests, and written into the systemd
units in `deploy/systemd/` (`systemd_unit`), so what is tested is what is deployed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

LOCATION_NAME = "lagesbild"
CODE_MODULE = "pipelines.definitions"
CODE_ATTRIBUTE = "defs"
LOCALHOST = "127.0.0.1"


@dataclass(frozen=True)
class Ports:
    code_server: int = 4266
    operators: int = 3000
    auditors: int = 3001
    https: int = 8443


@dataclass(frozen=True)
class Service:
    name: str  # the systemd unit's name without `.service`
    description: str
    command: tuple[str, ...]


def workspace_yaml(grpc_port: int) -> str:
    """The production workspace: the code location served by the gRPC code server."""
    return f"""\
# The production workspace (written by pipelines/serve/services.py): the daemon and both
# webservers load the Lägesbild code location from the gRPC code server, never in-process.
load_from:
  - grpc_server:
      host: {LOCALHOST}
      port: {grpc_port}
      location_name: {LOCATION_NAME}
"""


def services(bin_dir: Path, workspace: Path, project_root: Path, ports: Ports) -> list[Service]:
    """The services in start order, with the executables of `bin_dir` (the virtualenv's)."""
    webserver = (
        str(bin_dir / "dagster-webserver"),
        "--workspace",
        str(workspace),
        "--host",
        LOCALHOST,
        "--port",
    )
    return [
        Service(
            "lagesbild-code-server",
            "code server (gRPC): the code location and the run workers",
            (
                str(bin_dir / "dagster"),
                "api",
                "grpc",
                "--module-name",
                CODE_MODULE,
                "--attribute",
                CODE_ATTRIBUTE,
                "--working-directory",
                str(project_root),
                "--location-name",
                LOCATION_NAME,
                "--host",
                LOCALHOST,
                "--port",
                str(ports.code_server),
            ),
        ),
        Service(
            "lagesbild-daemon",
            "dagster-daemon: schedules, sensor, run queue, run monitoring",
            (str(bin_dir / "dagster-daemon"), "run", "--workspace", str(workspace)),
        ),
        Service(
            "lagesbild-webserver",
            "operators' Dagster UI (127.0.0.1)",
            (*webserver, str(ports.operators)),
        ),
        Service(
            "lagesbild-audit-webserver",
            "auditors' read-only Dagster UI (127.0.0.1, behind nginx)",
            (*webserver, str(ports.auditors), "--read-only"),
        ),
    ]


@dataclass(frozen=True)
class Installation:
    """Where a server keeps Lägesbild (docs/operations.md)."""

    root: Path = Path("/opt/lagesbild")  # the checkout, with its .venv
    environment_file: Path = Path("/etc/lagesbild/lagesbild.env")
    data_dir: Path = Path("/srv/lagesbild/data")
    user: str = "lagesbild"

    @property
    def bin_dir(self) -> Path:
        return self.root / ".venv" / "bin"

    @property
    def workspace(self) -> Path:
        return self.root / "deploy" / "workspace.yaml"


def systemd_unit(service: Service, installation: Installation) -> str:
    """A systemd unit running `service` as the installation's user."""
    after = wants = "network-online.target"
    after += " postgresql.service"
    if service.name != "lagesbild-code-server":
        after += " lagesbild-code-server.service"
        wants += " lagesbild-code-server.service"
    stop = (
        # Runs are subprocesses of the code server: on stop they get SIGTERM, mark themselves
        # failed and exit; stop the daemon and let runs finish first (docs/operations.md).
        "TimeoutStopSec=120\n" if service.name == "lagesbild-code-server" else "TimeoutStopSec=30\n"
    )
    return f"""\
# Written by pipelines/serve/services.py (`systemd_unit`); docs/operations.md explains it.
[Unit]
Description=Lägesbild {service.description}
After={after}
Wants={wants}

[Service]
Type=simple
User={installation.user}
Group={installation.user}
EnvironmentFile={installation.environment_file}
WorkingDirectory={installation.root}
# Writes <data>/dagster_home/dagster.yaml for the configured storage (never a stale one).
ExecStartPre={installation.bin_dir / "python"} -m pipelines.instance
ExecStart={" ".join(service.command)}
Restart=on-failure
RestartSec=5
{stop}NoNewPrivileges=true
PrivateTmp=true

[Install]
WantedBy=multi-user.target
"""


def environment_file(installation: Installation) -> str:
    """`/etc/lagesbild/lagesbild.env`, read by every unit (and by operators' shells)."""
    return f"""\
# /etc/lagesbild/lagesbild.env — the settings every Lägesbild service and command reads.
# Written by pipelines/serve/services.py (`environment_file`); keep it readable by the
# `{installation.user}` user only (it holds the database password).
LAGESBILD_DATA_DIR={installation.data_dir}
DAGSTER_HOME={installation.data_dir}/dagster_home
# Runs, event log and schedules in PostgreSQL (docs/operations.md: create the role and database).
LAGESBILD_POSTGRES_URL=postgresql://lagesbild:CHANGE-ME@127.0.0.1:5432/lagesbild
# One "planned" event per asset for a range run (Dagster reads it from the environment only).
DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS=true
PYTHONUNBUFFERED=1
"""
