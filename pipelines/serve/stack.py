"""The production stack on one machine: start, wait until each part answers, stop.

PostgreSQL (the configured one, or a cluster of its own under `<data>/serve/postgres`), the
gRPC code server, the daemon, the operators' webserver, the auditors' read-only webserver, and
nginx in front of it with a self-signed certificate and a bcrypt login. Every process runs in a
session of its own (so it can be stopped with its children) and logs to `<data>/logs/serve/`.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from lagesbild.settings import PROJECT_ROOT, DataPaths
from pipelines.instance import PLANNED_EVENTS_ENV, POSTGRES_URL_ENV, prepare_dagster_home
from pipelines.serve import nginx
from pipelines.serve.postgres import LocalPostgres
from pipelines.serve.services import Ports, Service, services, workspace_yaml
from pipelines.serve.tls import write_self_signed_certificate

STARTUP_TIMEOUT_S = 300
DATABASE_NAME = "lagesbild"
AUDITOR = "auditor"
REQUIRED_DAEMONS = ("SCHEDULER", "SENSOR", "QUEUED_RUN_COORDINATOR", "MONITORING")


class StackError(RuntimeError):
    """A part of the stack did not start (names it, with the tail of its log)."""


@dataclass
class ManagedProcess:
    name: str
    command: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> ManagedProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                self.command,
                cwd=PROJECT_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stopped with its children
            )
        return self

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal_group(self, signum: int) -> None:
        if self.process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)

    def stop(self, timeout_s: float = 30) -> None:
        if not self.alive:
            return
        self.signal_group(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout_s)  # type: ignore[union-attr]
        except subprocess.TimeoutExpired:
            self.signal_group(signal.SIGKILL)
            self.process.wait(timeout=30)  # type: ignore[union-attr]

    def kill(self) -> None:
        """SIGKILL the process and everything in its group (a crash, not a shutdown)."""
        self.signal_group(signal.SIGKILL)
        if self.process is not None:
            self.process.wait(timeout=30)

    def log_tail(self, characters: int = 3000) -> str:
        if not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-characters:]


@dataclass
class StackConfig:
    paths: DataPaths
    ports: Ports = field(default_factory=Ports)
    postgres_url: str | None = None  # None: a cluster of its own under <data>/serve/postgres
    postgres_port: int = 5433
    server_name: str = "localhost"
    auditor_password: str | None = None  # None: generated once, kept in <data>/serve


class Stack:
    """The running stack; `start()` returns once every part answers."""

    def __init__(self, config: StackConfig) -> None:
        self.config = config
        self.paths = config.paths
        self.serve_dir = self.paths.root / "serve"
        self.log_dir = self.paths.root / "logs" / "serve"
        self.processes: dict[str, ManagedProcess] = {}
        self.postgres: LocalPostgres | None = None
        self.postgres_url = config.postgres_url
        self.auditor_password = ""
        self.certificate = self.serve_dir / "tls" / "lagesbild-audit.crt"
        self.workspace = self.serve_dir / "workspace.yaml"

    # -- addresses ------------------------------------------------------------------------
    @property
    def operators_url(self) -> str:
        return f"http://127.0.0.1:{self.config.ports.operators}"

    @property
    def auditors_upstream_url(self) -> str:
        return f"http://127.0.0.1:{self.config.ports.auditors}"

    @property
    def auditors_url(self) -> str:
        return f"https://{self.config.server_name}:{self.config.ports.https}"

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "DAGSTER_HOME": str(self.paths.dagster_home),
            "LAGESBILD_DATA_DIR": str(self.paths.root),
            PLANNED_EVENTS_ENV: "true",
            "PYTHONUNBUFFERED": "1",
        }
        if self.postgres_url:
            env[POSTGRES_URL_ENV] = self.postgres_url
        return env

    # -- start ----------------------------------------------------------------------------
    def start(self) -> Stack:
        try:
            self._start_postgres()
            self._write_instance()
            self._write_workspace()
            for service in self._services():
                self._start_service(service)
                if service.name == "lagesbild-code-server":
                    self._wait_for_code_server()
            self._wait_for_webserver(self.operators_url, "lagesbild-webserver")
            self._wait_for_webserver(self.auditors_upstream_url, "lagesbild-audit-webserver")
            self._wait_for_daemon()
            self._start_nginx()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_postgres(self) -> None:
        if self.postgres_url:
            return
        self.postgres = LocalPostgres(self.serve_dir / "postgres", self.config.postgres_port)
        self.postgres.start()
        self.postgres_url = self.postgres.create_database(DATABASE_NAME)

    def _write_instance(self) -> None:
        """The instance's dagster.yaml for PostgreSQL (this process's environment is restored)."""
        previous = {name: os.environ.get(name) for name in (POSTGRES_URL_ENV, "DAGSTER_HOME")}
        os.environ[POSTGRES_URL_ENV] = self.postgres_url or ""
        try:
            prepare_dagster_home(self.paths)
        finally:
            for name, value in previous.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value

    def _write_workspace(self) -> None:
        self.serve_dir.mkdir(parents=True, exist_ok=True)
        self.workspace.write_text(workspace_yaml(self.config.ports.code_server), "utf-8")

    def _services(self) -> list[Service]:
        bin_dir = Path(sys.executable).parent
        return services(bin_dir, self.workspace, PROJECT_ROOT, self.config.ports)

    def _start_service(self, service: Service) -> ManagedProcess:
        process = ManagedProcess(
            service.name,
            list(service.command),
            self.env(),
            self.log_dir / f"{service.name}.log",
        ).start()
        self.processes[service.name] = process
        return process

    def _wait(self, name: str, ready: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        process = self.processes[name]
        while True:
            if not process.alive:
                raise StackError(f"{name} exited while starting:\n{process.log_tail()}")
            if ready():
                return
            if time.monotonic() > deadline:
                raise StackError(f"{name}: {what} not ready in {STARTUP_TIMEOUT_S} s")
            time.sleep(1)

    def _wait_for_code_server(self) -> None:
        bin_dir = Path(sys.executable).parent

        def healthy() -> bool:
            check = subprocess.run(
                [
                    str(bin_dir / "dagster"),
                    "api",
                    "grpc-health-check",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.config.ports.code_server),
                ],
                capture_output=True,
                check=False,
                env=self.env(),
            )
            return check.returncode == 0

        self._wait("lagesbild-code-server", healthy, "gRPC health check")

    def _wait_for_webserver(self, url: str, name: str) -> None:
        def answers() -> bool:
            try:
                with urllib.request.urlopen(f"{url}/server_info", timeout=5):
                    return True
            except OSError:
                return False

        self._wait(name, answers, url)

    def _wait_for_daemon(self) -> None:
        query = "{ instance { daemonHealth { allDaemonStatuses { daemonType healthy } } } }"

        def healthy() -> bool:
            try:
                data = graphql(self.operators_url, query)
            except (OSError, ValueError):
                return False
            statuses = data["instance"]["daemonHealth"]["allDaemonStatuses"]
            healthy_types = {entry["daemonType"] for entry in statuses if entry["healthy"]}
            return set(REQUIRED_DAEMONS) <= healthy_types

        self._wait("lagesbild-daemon", healthy, "daemon heartbeats")

    def _auditor_password(self) -> str:
        if self.config.auditor_password:
            return self.config.auditor_password
        kept = self.serve_dir / "nginx" / "auditor.password"
        if not kept.exists():
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(secrets.token_urlsafe(12), encoding="utf-8")
            kept.chmod(0o600)
        return kept.read_text(encoding="utf-8").strip()

    def _start_nginx(self) -> None:
        binary = nginx.find_nginx()
        if binary is None:
            raise StackError("nginx is not installed (`apt-get install nginx`)")
        prefix = self.serve_dir / "nginx"
        key = self.serve_dir / "tls" / "lagesbild-audit.key"
        if not self.certificate.exists():
            write_self_signed_certificate(self.certificate, key, (self.config.server_name,))
        self.auditor_password = self._auditor_password()
        htpasswd = nginx.write_htpasswd(prefix / "htpasswd", {AUDITOR: self.auditor_password})
        site = nginx.AuditSite(
            listen=f"127.0.0.1:{self.config.ports.https}",
            server_name=self.config.server_name,
            certificate=self.certificate,
            certificate_key=key,
            htpasswd=htpasswd,
            upstream=f"127.0.0.1:{self.config.ports.auditors}",
            data_dir=self.paths.root,
        )
        config = nginx.write_trial_config(prefix, site)
        nginx.check_config(binary, prefix, config)
        process = ManagedProcess(
            "nginx",
            nginx.nginx_command(binary, prefix, config),
            self.env(),
            self.log_dir / "nginx.log",
        ).start()
        self.processes["nginx"] = process

        def answers() -> bool:
            try:
                https_get(f"https://127.0.0.1:{self.config.ports.https}/", self.certificate)
            except urllib.error.HTTPError as error:
                return error.code == 401
            except OSError:
                return False
            return False

        self._wait("nginx", answers, "HTTPS")

    # -- control --------------------------------------------------------------------------
    def stop_service(self, name: str) -> None:
        self.processes[name].stop()

    def kill_service(self, name: str) -> None:
        """SIGKILL a service with its process group, as a crash would."""
        self.processes[name].kill()

    def start_service(self, name: str) -> None:
        """(Re)start a stopped or killed Dagster service and wait until it answers."""
        service = next(s for s in self._services() if s.name == name)
        self._start_service(service)
        if name == "lagesbild-code-server":
            self._wait_for_code_server()
        elif name == "lagesbild-daemon":
            self._wait_for_daemon()
        elif name == "lagesbild-webserver":
            self._wait_for_webserver(self.operators_url, name)
        elif name == "lagesbild-audit-webserver":
            self._wait_for_webserver(self.auditors_upstream_url, name)

    def stop(self) -> None:
        """Stop everything, in reverse order (PostgreSQL last)."""
        for process in reversed(list(self.processes.values())):
            process.stop()
        if self.postgres is not None:
            self.postgres.stop()

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def graphql(base_url: str, query: str, variables: dict | None = None, **kwargs: object) -> dict:
    """POST a GraphQL query to a Dagster webserver; its `data` (raises on errors)."""
    request = urllib.request.Request(
        f"{base_url}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60, **kwargs) as response:  # type: ignore[arg-type]
        payload = json.loads(response.read())
    if payload.get("errors"):
        raise ValueError(f"GraphQL errors: {payload['errors']}")
    return payload["data"]


def https_get(url: str, certificate: Path, headers: dict[str, str] | None = None) -> bytes:
    """GET over TLS trusting exactly `certificate` (the trial's self-signed one)."""
    context = ssl.create_default_context(cafile=str(certificate))
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=30, context=context) as response:
        return response.read()
