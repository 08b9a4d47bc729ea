"""`lagesbild serve`: the production stack on this machine, until Ctrl-C."""

from __future__ import annotations

import argparse
import signal
import sys
import time

from lagesbild.settings import DataPaths
from pipelines.instance import POSTGRES_URL_ENV, postgres_url, redacted
from pipelines.serve.postgres import PostgresUnavailable
from pipelines.serve.services import Ports
from pipelines.serve.stack import AUDITOR, Stack, StackConfig, StackError


def add_serve_arguments(parser: argparse.ArgumentParser) -> None:
    defaults = Ports()
    parser.add_argument("--https-port", type=int, default=defaults.https, help="auditors' URL")
    parser.add_argument("--ui-port", type=int, default=defaults.operators, help="operators' UI")
    parser.add_argument("--audit-port", type=int, default=defaults.auditors)
    parser.add_argument("--grpc-port", type=int, default=defaults.code_server)
    parser.add_argument(
        "--postgres-port",
        type=int,
        default=5433,
        help=f"port of the cluster started when {POSTGRES_URL_ENV} is not set",
    )
    parser.add_argument("--server-name", default="localhost")


def describe(stack: Stack) -> str:
    paths = stack.paths
    database = redacted(stack.postgres_url or "")
    if stack.postgres is not None:
        database += f" (a cluster of its own in {stack.postgres.root}; set {POSTGRES_URL_ENV} "
        database += "to use your server)"
    ports = stack.config.ports
    commands = f"lagesbild status, run, … with {POSTGRES_URL_ENV} as set here"
    if stack.postgres is not None:  # a cluster of its own: say how to reach it
        commands = f"export {POSTGRES_URL_ENV}='{stack.postgres_url}'  (then lagesbild …)"
    return f"""\
Lägesbild production stack on this machine (data directory {paths.root})
  Dagster instance   PostgreSQL {database}
  code server        gRPC 127.0.0.1:{ports.code_server} (pipelines.definitions; runs the runs)
  daemon             schedules, landing-zone sensor, run queue (one build-database run at a
                     time), run monitoring
  operators' UI      {stack.operators_url}
  auditors' UI       {stack.auditors_url}/  read-only, login {AUDITOR} / {stack.auditor_password}
                     TLS certificate (self-signed): {stack.certificate}
                     GX Data Docs {stack.auditors_url}/docs/ · reports {stack.auditors_url}/reports/
  logs               {stack.log_dir}/
  commands           {commands}
Stop with Ctrl-C."""


def serve(args: argparse.Namespace, paths: DataPaths) -> int:
    config = StackConfig(
        paths=paths.ensure(),
        ports=Ports(args.grpc_port, args.ui_port, args.audit_port, args.https_port),
        postgres_url=postgres_url(),
        postgres_port=args.postgres_port,
        server_name=args.server_name,
    )
    stack = Stack(config)
    print(f"Starting the Lägesbild stack (logs in {stack.log_dir}) …", flush=True)
    try:
        stack.start()
    except (StackError, PostgresUnavailable, RuntimeError) as error:
        print(f"lagesbild: serve: {error}", file=sys.stderr)
        return 1
    print(describe(stack), flush=True)
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    status = 0
    try:
        while not stopping:
            dead = [name for name, process in stack.processes.items() if not process.alive]
            if dead:
                stopped = ", ".join(dead)
                print(f"lagesbild: serve: {stopped} stopped; see {stack.log_dir}", file=sys.stderr)
                status = 1
                break
            time.sleep(1)
    finally:
        print("Stopping the stack …", flush=True)
        stack.stop()
    return status
