"""The launcher's side of the hand-over (lagesbild/warehouse/warm_dbt.py), against the socket
protocol itself; the real warm dbt process is tested in tests/integration/test_warm_dbt.py."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from pathlib import Path

from lagesbild.warehouse.warm_dbt import MAX_MESSAGE, _run_in_warm_process


def serve_once(path: Path, pid: int, status: int) -> tuple[threading.Thread, list[dict]]:
    """Take one hand-over at `path`: report `pid` as the dbt process, then `status` at once."""
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    listener.bind(str(path))
    listener.listen(1)
    requests: list[dict] = []

    def take() -> None:
        connection, _ = listener.accept()
        message, fds, _flags, _address = socket.recv_fds(connection, MAX_MESSAGE, 3)
        for fd in fds:
            os.close(fd)
        requests.append({**json.loads(message), "fds": len(fds)})
        connection.send(json.dumps({"pid": pid}).encode())
        connection.send(json.dumps({"status": status}).encode())
        connection.close()
        listener.close()

    thread = threading.Thread(target=take)
    thread.start()
    return thread, requests


def test_the_launcher_returns_dbt_s_status_only_once_the_process_is_gone(
    tmp_path: Path,
) -> None:
    still_running = subprocess.Popen(["sleep", "1.5"])  # the "dbt process", exiting later
    thread, requests = serve_once(tmp_path / "dbt.sock", still_running.pid, 3)
    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}

    status = _run_in_warm_process(str(tmp_path / "dbt.sock"), ["build", "--select", "x"])

    assert status == 3
    assert still_running.poll() == 0  # it had exited when the launcher returned
    thread.join()
    (request,) = requests
    assert request["args"] == ["build", "--select", "x"]
    assert request["cwd"] == os.getcwd()
    assert request["env"] == dict(os.environ)
    assert request["fds"] == 3  # stdin, stdout and stderr go with it
    assert {signum: signal.getsignal(signum) for signum in handlers} == handlers


def test_without_a_warm_process_nothing_runs(tmp_path: Path) -> None:
    assert _run_in_warm_process(str(tmp_path / "absent.sock"), ["build"]) is None
