"""A PostgreSQL cluster of its own, from the Debian binaries (initdb, pg_ctl).

For the one-machine trial (`lagesbild serve` without `LAGESBILD_POSTGRES_URL`) and for the tests:
a cluster in one folder, listening on 127.0.0.1 only, password authentication (scram-sha-256)
with a generated password kept beside it. PostgreSQL refuses to run as root, so when this
process is root the binaries run as the `postgres` user (`runuser`), which must be able to
reach the folder.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

PREFERRED_MAJOR_VERSION = "15"
SERVICE_USER = "postgres"
SUPERUSER = "lagesbild"


class PostgresUnavailable(RuntimeError):
    """The PostgreSQL binaries are missing or the cluster cannot start (says why)."""


def find_bindir() -> Path | None:
    """The folder with initdb and pg_ctl: Debian's /usr/lib/postgresql/<version>/bin (15 if
    present, else the newest), or initdb on the PATH."""
    installed = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda path: (path.parts[-3] == PREFERRED_MAJOR_VERSION, int(path.parts[-3])),
    )
    if installed:
        return installed[-1].parent
    on_path = shutil.which("initdb")
    return Path(on_path).parent if on_path else None


def _as_service_user(command: list[str]) -> list[str]:
    return ["runuser", "-u", SERVICE_USER, "--", *command] if os.geteuid() == 0 else command


@dataclass
class LocalPostgres:
    """One cluster in `root` (data, log, password), served on 127.0.0.1:`port`."""

    root: Path
    port: int
    bindir: Path | None = None

    def __post_init__(self) -> None:
        self.bindir = self.bindir or find_bindir()
        if self.bindir is None:
            raise PostgresUnavailable(
                "PostgreSQL's server binaries (initdb, pg_ctl) are not installed: "
                "`apt-get install postgresql` (Debian), or set LAGESBILD_POSTGRES_URL to a server"
            )

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    @property
    def log_file(self) -> Path:
        return self.root / "postgres.log"

    @property
    def password_file(self) -> Path:
        return self.root / "password"

    def _run(self, *command: str) -> subprocess.CompletedProcess[str]:
        binary = str(self.bindir / command[0])
        result = subprocess.run(
            _as_service_user([binary, *command[1:]]),
            capture_output=True,
            text=True,
            check=False,
            timeout=180,
        )
        if result.returncode != 0:
            exists = self.log_file.exists()
            log = self.log_file.read_text(errors="replace")[-2000:] if exists else ""
            raise PostgresUnavailable(
                f"{command[0]} failed ({result.returncode}): {result.stderr.strip()}\n{log}"
            )
        return result

    def _own(self, path: Path) -> None:
        if os.geteuid() == 0:
            shutil.chown(path, SERVICE_USER, SERVICE_USER)

    def _check_reachable(self) -> None:
        """As root, the `postgres` user must reach the cluster folder through its parents."""
        if os.geteuid() != 0:
            return
        probe = subprocess.run(
            _as_service_user(["test", "-r", str(self.password_file)]), check=False
        )
        if probe.returncode != 0:
            raise PostgresUnavailable(
                f"the {SERVICE_USER} user cannot reach {self.root}: a parent folder is not "
                "traversable (chmod o+x), or choose a cluster folder elsewhere"
            )

    def initialise(self) -> None:
        """initdb, once: a superuser `lagesbild` with a generated password."""
        if (self.data_dir / "PG_VERSION").exists():
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self._own(self.root)
        self.password_file.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        self.password_file.chmod(0o600)
        self._own(self.password_file)
        self._check_reachable()
        self._run(
            "initdb",
            "--pgdata",
            str(self.data_dir),
            "--username",
            SUPERUSER,
            "--pwfile",
            str(self.password_file),
            "--auth",
            "scram-sha-256",
            "--encoding",
            "UTF8",
            "--locale",
            "C.UTF-8",
        )

    def start(self) -> LocalPostgres:
        self.initialise()
        options = (
            f"-c listen_addresses=127.0.0.1 -c port={self.port} -c unix_socket_directories='' "
            "-c max_connections=200"
        )
        self._run(
            "pg_ctl",
            "--pgdata",
            str(self.data_dir),
            "--log",
            str(self.log_file),
            "--options",
            options,
            "--wait",
            "--timeout",
            "120",
            "start",
        )
        return self

    def stop(self) -> None:
        if (self.data_dir / "postmaster.pid").exists():
            self._run("pg_ctl", "--pgdata", str(self.data_dir), "--mode", "fast", "--wait", "stop")

    def url(self, database: str = "postgres") -> str:
        password = quote(self.password_file.read_text(encoding="utf-8").strip(), safe="")
        return f"postgresql://{SUPERUSER}:{password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str | None = None) -> str:
        """Create `name` unless it exists (a copy of `template` if given); its URL."""
        import psycopg2

        conn = psycopg2.connect(self.url())
        try:
            conn.autocommit = True
            with conn.cursor() as cursor:
                cursor.execute("select 1 from pg_database where datname = %s", [name])
                if cursor.fetchone() is None:
                    copy = f' template "{template}"' if template else ""
                    cursor.execute(f'create database "{name}"{copy}')
        finally:
            conn.close()
        return self.url(name)
