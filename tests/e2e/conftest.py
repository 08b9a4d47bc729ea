"""Real servers for the end-to-end tests: a throwaway PostgreSQL cluster (Debian's binaries).

The cluster is started by the tests themselves, in a temporary folder, on a free port of
127.0.0.1, and stopped at the end of the session. Without PostgreSQL's server binaries the
tests that need it are skipped, loudly: `make test` installs them on a fresh machine.
"""

from __future__ import annotations

import shutil
import socket
import tempfile
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.serve.postgres import LocalPostgres, find_bindir

MISSING_POSTGRES = (
    "POSTGRESQL'S SERVER BINARIES ARE NOT INSTALLED: the production-stack tests (PostgreSQL "
    "instance, daemon, queue, auditors' login) DID NOT RUN. `make test` installs them "
    "(apt-get install postgresql)."
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[LocalPostgres]:
    """A PostgreSQL cluster of its own for this test session."""
    if find_bindir() is None:
        warnings.warn(MISSING_POSTGRES, stacklevel=1)
        pytest.skip(MISSING_POSTGRES)
    root = Path(tempfile.mkdtemp(prefix="lagesbild-pg-"))  # /tmp: reachable by `postgres`
    server = LocalPostgres(root, free_port()).start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
