"""A dbt process started ahead of time, so that a run's `dbt build` does not wait for dbt's imports.

Every dbt invocation is a new process, and ≈ 2–3 s of it is Python importing dbt before dbt
reads a file. `warm_dbt()` starts one process that imports dbt beside the command's own
start-up and then waits on a Unix socket. The dbt executable Dagster runs is `lagesbild-dbt`
(`launch`): when a warm process is waiting (environment variable `LAGESBILD_WARM_DBT`), it hands
that process its arguments, working directory, environment and standard streams; the warm
process *becomes* that dbt invocation — `dbt.cli.main.cli` with the same arguments, exactly what
the `dbt` executable runs — and exits with dbt's exit status, which the launcher returns as its
own once the process is gone (so its DuckDB file is closed). Interrupts sent to the launcher are
forwarded. A warm process serves exactly one invocation; without one (taken, not started, gone),
the launcher replaces itself with the real `dbt` executable. Nothing of dbt's work is skipped:
the same command runs, only its imports were done earlier. When dbt has returned, the process
closes dbt-duckdb's database and freezes its heap, so that it ends without the interpreter's
final collections over dbt's objects (`end_without_collections`).

The warm process leaves when the process that started it ends. Standard library only at import:
the launcher starts in ≈ 50 ms.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from types import FrameType
from typing import Any

from lagesbild.settings import DBT_EXECUTABLE

WARM_DBT_ENV = "LAGESBILD_WARM_DBT"
"""The socket of the waiting warm dbt process (set by `WarmDbt`, read by the launcher)."""

PRELOAD = (
    "dbt.cli.main",
    "dbt.adapters.duckdb",
    "dbt.adapters.duckdb.environments.local",
    "dbt.task.build",
    "dbt.compilation",
    "dbt.parser.sql",
    "dbt.graph.thread_pool",
    "dbt_common.clients.agate_helper",
    "daff",
    "sqlparse",
    "babel.dates",
    "multiprocessing.pool",
    "multiprocessing.dummy",
)
"""What a `dbt build` of this project imports (measured: the modules new after one build)."""

WARM_NOTICE = "lagesbild-dbt: dbt runs in the warm process (dbt imported ahead), pid"

FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PARENT_POLL_S = 1.0
MAX_MESSAGE = 1 << 20


class WarmDbt:
    """A started warm dbt process; `stop()` (or leaving the `with` block) ends it if unused."""

    def __init__(self) -> None:
        self.directory = tempfile.mkdtemp(prefix="lagesbild-dbt-")
        self.path = os.path.join(self.directory, "dbt.sock")
        try:
            self.process = self._start()
        except BaseException:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise
        os.environ[WARM_DBT_ENV] = self.path

    def _start(self) -> subprocess.Popen[bytes]:
        # listening before the process starts: a launcher may connect at once and waits in the
        # backlog until the process has imported dbt and accepts
        with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as listener:
            listener.bind(self.path)
            listener.listen(1)
            return subprocess.Popen(
                [
                    *(sys.executable, "-P", "-m", __name__),
                    *(self.path, str(listener.fileno()), str(os.getpid())),
                ],
                stdin=subprocess.DEVNULL,
                pass_fds=[listener.fileno()],
                env={**os.environ, "PYTHONUNBUFFERED": "1"},  # like dagster-dbt's dbt processes
            )

    def stop(self) -> None:
        """End the process if it still waits; remove its socket.

        Called when this command's runs are over: the invocation it served has ended (a
        launcher returns only when the process is gone), so a process still there is unused.
        """
        if os.environ.get(WARM_DBT_ENV) == self.path:
            del os.environ[WARM_DBT_ENV]
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)

    def __enter__(self) -> WarmDbt:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def warm_dbt() -> Iterator[WarmDbt | None]:
    """A warm dbt process for the block, if one can start; dbt starts cold otherwise.

    Only a speed-up: a machine where it cannot start (e.g. a temporary directory whose path is
    too long for a Unix socket) runs the real `dbt`, and says why.
    """
    try:
        warm = WarmDbt()
    except OSError as error:
        print(f"lagesbild: dbt will start without a warm process ({error})", file=sys.stderr)
        yield None
        return
    with warm:
        yield warm


# --- the warm process ---------------------------------------------------------------------------


def serve(path: str, listener_fd: int, parent_pid: int) -> int:
    """Import dbt, then run the first invocation handed over at `path` (or leave with the parent).

    `listener_fd` is the socket bound to `path`, opened by the parent and inherited."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a terminal's Ctrl-C is for the command
    listener = socket.socket(fileno=listener_fd)
    try:
        for module in PRELOAD:
            importlib.import_module(module)
        connection = _accept_while_parent_lives(listener, parent_pid)
    finally:
        listener.close()
        _remove(path)
    if connection is None:
        return 0
    message, fds, _flags, _address = socket.recv_fds(connection, MAX_MESSAGE, 3)
    if not message or len(fds) != 3:
        return 1
    request = json.loads(message)
    connection.send(json.dumps({"pid": os.getpid()}).encode())
    status = _run_dbt(request, fds)
    connection.send(json.dumps({"status": status}).encode())
    return status


def _accept_while_parent_lives(listener: socket.socket, parent_pid: int) -> socket.socket | None:
    listener.settimeout(PARENT_POLL_S)
    while os.getppid() == parent_pid:
        try:
            connection, _ = listener.accept()
        except TimeoutError:
            continue
        connection.settimeout(None)
        return connection
    return None


def _run_dbt(request: dict[str, Any], fds: Sequence[int]) -> int:
    """Become the handed-over dbt invocation: its streams, directory, environment, arguments."""
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.argv = [DBT_EXECUTABLE, *request["args"]]
    print(f"{WARM_NOTICE} {os.getpid()}", file=sys.stderr, flush=True)  # in the run's log
    from dbt.cli.main import cli

    try:
        cli(prog_name="dbt")  # what the `dbt` executable runs; click ends it with SystemExit
        status = 0
    except SystemExit as exit_:
        status = _exit_status(exit_.code)
    except BaseException:
        import traceback

        traceback.print_exc()
        status = 1
    _end_without_collections()
    sys.stdout.flush()
    sys.stderr.flush()
    return status


def _end_without_collections() -> None:
    """Close dbt-duckdb's database now, then spare the process's end the cyclic collector.

    After dbt has returned, the interpreter's teardown runs the cyclic collector over dbt's
    heap (≈ 0.5–1 s), and the launcher — so the run's dbt step — waits for the process to be
    gone. dbt-duckdb closes its database only in an atexit handler; that handler is run here,
    and the heap is frozen only once no file descriptor of this process points at the
    warehouse any more.
    """
    from lagesbild.warehouse.dbt_invocation import WAREHOUSE_ENV

    warehouse = os.environ.get(WAREHOUSE_ENV)
    adapter = sys.modules.get("dbt.adapters.duckdb.connections")
    if warehouse and adapter is not None:
        end_without_collections(warehouse, adapter.DuckDBConnectionManager.close_all_connections)


def end_without_collections(database: str, close: Callable[[], None]) -> bool:
    """`close()` the database, then `gc.freeze()` the heap if the file is no longer held open.

    With the heap frozen the process ends without the interpreter's final collections; atexit
    handlers still run and objects are still released by reference count. Where `close()`
    left the database held (by an object in a reference cycle), one collection runs first;
    where it is still held after that, nothing is frozen and the teardown closes it as
    before. Returns whether the heap was frozen.
    """
    close()
    if holds_open(database):
        gc.collect()
        if holds_open(database):
            return False
    gc.freeze()
    return True


def holds_open(database: str) -> bool:
    """Whether a file descriptor of this process points at the DuckDB file or its WAL."""
    path = os.path.realpath(database)
    files = {path, f"{path}.wal"}
    descriptors = "/proc/self/fd"
    for descriptor in os.listdir(descriptors):
        with contextlib.suppress(OSError):  # closed since listed
            if os.readlink(f"{descriptors}/{descriptor}") in files:
                return True
    return False


def _exit_status(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1


def _remove(path: str) -> None:
    for remove, target in ((os.unlink, path), (os.rmdir, os.path.dirname(path))):
        with contextlib.suppress(OSError):
            remove(target)


# --- the launcher (`lagesbild-dbt`) -------------------------------------------------------------


def launch() -> None:
    """`lagesbild-dbt <dbt arguments>`: dbt in the warm process if one waits, else the real dbt."""
    args = sys.argv[1:]
    path = os.environ.pop(WARM_DBT_ENV, None)
    if path:
        status = _run_in_warm_process(path, args)
        if status is not None:
            sys.exit(status)
    os.execv(DBT_EXECUTABLE, [DBT_EXECUTABLE, *args])


class _Forwarder:
    """Signals to the launcher go to the dbt process (held back until its pid is known)."""

    def __init__(self) -> None:
        self.pending: list[int] = []
        self.process: int | None = None
        self.previous = {signum: signal.signal(signum, self.handle) for signum in FORWARDED_SIGNALS}

    def handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.process is None:
            self.pending.append(signum)
        else:
            signal.pidfd_send_signal(self.process, signum)

    def attach(self, process: int) -> None:
        self.process = process
        for signum in self.pending:
            signal.pidfd_send_signal(process, signum)
        self.pending.clear()

    def close(self) -> None:
        """The previous handlers again; a signal that found no dbt process to go to is raised."""
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        for signum in self.pending:
            signal.raise_signal(signum)


def _run_in_warm_process(path: str, args: list[str]) -> int | None:
    """dbt's exit status, or None when no warm process took the invocation (nothing ran)."""
    forwarder = _Forwarder()
    try:
        return _hand_over(path, args, forwarder)
    finally:
        forwarder.close()  # an interrupt before any dbt ran ends the launcher, as it ends dbt


def _hand_over(path: str, args: list[str], forwarder: _Forwarder) -> int | None:
    connection = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with connection:
        try:
            connection.connect(path)
            request = {"args": args, "cwd": os.getcwd(), "env": dict(os.environ)}
            socket.send_fds(connection, [json.dumps(request).encode()], [0, 1, 2])
            reply = connection.recv(MAX_MESSAGE)
        except OSError:
            reply = b""
        if not reply:  # no warm process took the invocation
            return None
        pid = int(json.loads(reply)["pid"])
        process = os.pidfd_open(pid)
        try:
            forwarder.attach(process)
            try:
                reply = connection.recv(MAX_MESSAGE)
            except OSError:
                reply = b""
            select.select([process], [], [])  # gone: every file it held (the warehouse) closed
        finally:
            forwarder.process = None
            os.close(process)
    if not reply:
        print(f"lagesbild-dbt: the warm dbt process {pid} ended without a status", file=sys.stderr)
        return 1
    return int(json.loads(reply)["status"])


def main(argv: Sequence[str]) -> int:
    path, listener_fd, parent_pid = argv
    return serve(path, int(listener_fd), int(parent_pid))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
