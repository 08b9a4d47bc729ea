"""`lagesbild` — the command line for people who do not live in the Dagster UI."""

from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from lagesbild.review.tertials import parse_label
from lagesbild.settings import (
    DATA_DIR_ENV,
    PROJECT_ROOT,
    REGION_SLUGS,
    WORKSPACE_FILE,
    DataPaths,
)

MONTH_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
SYNTHETIC_NOTICE = (
    "NOTE: the embedded default data is SYNTHETIC — generated (seeded) figures on top of real "
    "public reference lists. It is not police statistics."
)


def month_argument(value: str) -> str:
    if not MONTH_PATTERN.match(value):
        raise argparse.ArgumentTypeError(f"expected a month as YYYY-MM, got {value!r}")
    return value


def _fail(message: str, code: int = 1) -> int:
    print(f"lagesbild: {message}", file=sys.stderr)
    return code


def cmd_generate(args: argparse.Namespace, paths: DataPaths) -> int:
    from lagesbild.generator import generate

    started = time.perf_counter()
    summary = generate(paths.root, scale=args.scale, start=args.start, end=args.end, seed=args.seed)
    elapsed = time.perf_counter() - started
    print(f"Generated the {args.scale} default data set in {paths.landing} ({elapsed:.1f} s).")
    for key, value in summary.items():
        if key not in ("paths",):
            print(f"  {key}: {value}")
    print(SYNTHETIC_NOTICE)
    return 0


def _instance_or_fail(paths: DataPaths) -> tuple[object | None, int]:
    """The data directory's Dagster instance, or (None, exit status) after saying why not."""
    from pipelines.instance import InstanceConfigurationError, get_instance

    try:
        return get_instance(paths), 0
    except InstanceConfigurationError as error:
        return None, _fail(str(error))


def _run(
    paths: DataPaths, start: str, end: str | None, verbose: bool = False, show_pages: bool = True
) -> int:
    """Run the months through the operator's console; where the monthly pages are (`show_pages`)."""
    from lagesbild.warehouse.warm_dbt import warm_dbt

    with warm_dbt():  # dbt's imports (≈ 2–3 s) beside this command's own
        status = _run_with_console(paths, start, end, verbose)
    if status == 0 and show_pages:
        print(monthly_pages_hint(paths, end or start))
    return status


def _run_with_console(paths: DataPaths, start: str, end: str | None, verbose: bool) -> int:
    """The run itself: the instance, the operator's console, the outcome; an exit status."""
    from pipelines.console import OperatorConsole
    from pipelines.instance import describe_instance

    instance, status = _instance_or_fail(paths)
    if instance is None:
        return status
    label = start if end in (None, start) else f"{start}..{end}"
    print(f"Running the monthly job for {label} (data directory {paths.root})")
    print(f"Dagster instance: {describe_instance(paths)}", flush=True)
    started = time.perf_counter()
    with OperatorConsole(paths, f"run_{label}", verbose=verbose) as console:
        from pipelines.definitions import build_definitions
        from pipelines.runner import run_months

        defs = build_definitions(paths)
        console.use_definitions(defs)
        outcome = run_months(defs, instance, start, end, watch=console.watch, paths=paths)
        console.close_summary(outcome.success, months_label=label)
    elapsed = time.perf_counter() - started
    if not outcome.success:
        for message in outcome.failures or ["the run failed (see the Dagster UI)"]:
            print(message, file=sys.stderr)
        return _fail(
            f"run {outcome.run_id} for {label} failed after {elapsed:.1f} s; "
            f"the previous publication (if any) is unchanged: {paths.publish_db}"
        )
    return 0


def monthly_pages_hint(paths: DataPaths, month: str) -> str:
    """Where the monthly regional lägesbild of `month` is (written by the run)."""
    from lagesbild.reports.monthly import NATIONAL_SLUG, reports_dir

    folder = reports_dir(paths.root, month)
    pages = sorted(folder.glob("*.html"))
    return (
        f"Monthly lägesbild {month}: {len(pages)} pages in {folder} "
        f"(national: {folder / f'{NATIONAL_SLUG}.html'})"
    )


def demo_reports(paths: DataPaths, first_month: str, last_month: str, verbose: bool = False) -> int:
    """The end of `make run`: the latest complete tertial's review, then where the reports are."""
    from lagesbild.months import add_months, month_start
    from lagesbild.review.tertials import tertial_ended_before, tertial_months

    label = tertial_ended_before(add_months(month_start(last_month), 1))
    if tertial_months(label)[0] < month_start(first_month):
        print(f"No complete tertial in the data ({first_month}..{last_month}): no tertial review.")
        status = 0
    else:
        status = run_tertial(label, paths, verbose)
    print(monthly_pages_hint(paths, last_month))
    return status


def _months_outside_partitions(*months: str) -> str | None:
    """An error message when a month is before the first or after the last complete month."""
    from lagesbild.months import FIRST_MONTH, last_complete_month

    last = last_complete_month()
    for month in months:
        if month > last:
            return f"{month} has not ended yet (the last complete month is {last})"
        if month < FIRST_MONTH:
            return f"{month} is before the first month Lägesbild covers ({FIRST_MONTH})"
    return None


def cmd_run(args: argparse.Namespace, paths: DataPaths) -> int:
    problem = _months_outside_partitions(args.month)
    if problem:
        return _fail(problem, 2)
    return _run(paths, args.month, None, args.verbose)


def cmd_backfill(args: argparse.Namespace, paths: DataPaths) -> int:
    if args.end < args.start:
        return _fail(f"--end {args.end} is before --start {args.start}", 2)
    problem = _months_outside_partitions(args.start, args.end)
    if problem:
        return _fail(problem, 2)
    return _run(paths, args.start, args.end, args.verbose)


def _usage_hint(paths: DataPaths) -> str:
    return (
        f"\nPublished warehouse: {paths.publish_db}\n"
        '  Query it:   lagesbild query "select geo_level, count(distinct geo_code) '
        'from marts.fct_indicator_month group by 1"\n'
        f"              duckdb -readonly {paths.publish_db}\n"
        "  Open the UI: lagesbild ui   (then http://127.0.0.1:3000)\n"
        f"{SYNTHETIC_NOTICE}"
    )


def cmd_demo(args: argparse.Namespace, paths: DataPaths) -> int:
    from lagesbild.generator import generate
    from pipelines.runner import landing_months

    if not landing_months(paths):
        print(f"No landing data in {paths.landing}: generating the {args.scale} default data set…")
        started = time.perf_counter()
        generate(paths.root, scale=args.scale, seed=args.seed)
        print(f"Generated in {time.perf_counter() - started:.1f} s.")
    months = landing_months(paths)
    status = _run(paths, months[0], months[-1], args.verbose, show_pages=False)
    if status == 0:
        status = demo_reports(paths, months[0], months[-1], args.verbose)
    if status == 0:
        print(_usage_hint(paths))
    return status


def cmd_query(args: argparse.Namespace, paths: DataPaths) -> int:
    import duckdb

    database = paths.publish_db
    if args.region is not None:  # that region's file only: its own detail + national totals
        database = paths.publish_dir / "regions" / f"{args.region}.duckdb"
    if not database.exists():
        return _fail(f"no published warehouse at {database}; run `lagesbild demo` first")
    conn = duckdb.connect(str(database), read_only=True)
    try:
        relation = conn.sql(args.sql)
        if relation is None:
            return 0
        if args.format == "csv":
            frame = relation.pl()
            sys.stdout.write(frame.write_csv(separator=";"))
        else:
            relation.show(max_rows=args.max_rows, max_width=200)
    except duckdb.Error as error:
        return _fail(f"query failed: {error}")
    finally:
        conn.close()
    return 0


def run_tertial(label: str, paths: DataPaths, verbose: bool = False) -> int:
    """Exit status 0 with the report paths on stdout; 1 with the reason on stderr."""
    from lagesbild.review.run import NothingPublished, check_complete, report_dir

    started = time.perf_counter()
    try:
        completeness = check_complete(paths, label)
    except NothingPublished as error:
        return _fail(str(error))
    if not completeness.is_complete:
        return _fail(completeness.message)
    from lagesbild.review.report_processes import start_report_processes

    start_report_processes()  # the report workers' imports beside this command's own
    from pipelines.console import OperatorConsole
    from pipelines.instance import describe_instance

    instance, status = _instance_or_fail(paths)
    if instance is None:
        return status
    print(f"Tertial review {label} (data directory {paths.root})")
    print(f"Dagster instance: {describe_instance(paths)}", flush=True)
    with OperatorConsole(paths, f"tertial_{label}", verbose=verbose) as console:
        from pipelines.definitions import build_definitions
        from pipelines.runner import run_tertial_review

        defs = build_definitions(paths)
        console.use_definitions(defs)
        outcome = run_tertial_review(defs, instance, label, watch=console.watch)
        console.close_summary(outcome.success)
    elapsed = time.perf_counter() - started
    if not outcome.success:
        for message in outcome.failures or ["the review run failed (see the Dagster UI)"]:
            print(message, file=sys.stderr)
        return _fail(f"tertial review {label} failed after {elapsed:.1f} s")
    folder = report_dir(paths, label)
    print(f"Reports in {folder}:")
    for path in sorted(folder.glob("*.html")):
        print(f"  {path.name}")
    print("Tables: review.fct_tertial_review and companions, republished to the warehouse.")
    return 0


def cmd_tertial(args: argparse.Namespace, paths: DataPaths) -> int:
    return run_tertial(args.tertial, paths, args.verbose)


def tertial_argument(value: str) -> str:
    try:
        parse_label(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return value


def cmd_evaluate(args: argparse.Namespace, paths: DataPaths) -> int:
    """Evaluate registered measures (all, or --measure) and publish; verdicts on stdout."""
    from pipelines.console import OperatorConsole
    from pipelines.effects_summary import print_evaluation
    from pipelines.instance import describe_instance

    if not paths.publish_db.exists():
        return _fail(f"no published warehouse at {paths.publish_db}; run `lagesbild demo` first")
    instance, status = _instance_or_fail(paths)
    if instance is None:
        return status
    which = args.measure or "every registered measure"
    print(f"Evaluating {which} (data directory {paths.root})")
    print(f"Dagster instance: {describe_instance(paths)}", flush=True)
    started = time.perf_counter()
    with OperatorConsole(
        paths, f"evaluate_{args.measure or 'all'}", verbose=args.verbose
    ) as console:
        from pipelines.definitions import build_definitions
        from pipelines.runner import run_effect_evaluation

        defs = build_definitions(paths)
        console.use_definitions(defs)
        evaluation = run_effect_evaluation(defs, instance, args.measure, watch=console.watch)
        console.close_summary(evaluation.outcome.success)
    elapsed = time.perf_counter() - started
    outcome = evaluation.outcome
    if not outcome.success:
        for message in outcome.failures or ["the evaluation failed (see the Dagster UI)"]:
            print(message, file=sys.stderr)
        return _fail(f"effect evaluation failed after {elapsed:.1f} s (run {outcome.run_id})")
    if not evaluation.measure_ids:
        print(f"No measures registered in {paths.landing_source('measures')}/measures.csv.")
        return 0
    count = len(evaluation.measure_ids)
    print(f"Evaluated {count} measure(s) in {elapsed:.1f} s (run {outcome.run_id}).")
    print_evaluation(paths, evaluation.measure_ids)
    return 0


def cmd_ui(args: argparse.Namespace, paths: DataPaths) -> int:
    from pipelines.instance import InstanceConfigurationError, prepare_dagster_home

    try:
        prepare_dagster_home(paths)
    except InstanceConfigurationError as error:
        return _fail(str(error))
    command = [
        str(Path(sys.executable).with_name("dagster-webserver")),
        "-w",
        str(WORKSPACE_FILE),
        "-h",
        args.host,
        "-p",
        str(args.port),
    ]
    if args.read_only:
        command.append("--read-only")
    print(f"Dagster UI on http://{args.host}:{args.port} (instance {os.environ['DAGSTER_HOME']})")
    return subprocess.call(command, cwd=PROJECT_ROOT)


def cmd_status(args: argparse.Namespace, paths: DataPaths) -> int:
    from pipelines.status import cmd_status as print_status

    return print_status(paths)


def cmd_serve(args: argparse.Namespace, paths: DataPaths) -> int:
    from pipelines.serve.command import serve

    return serve(args, paths)


def add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="also print Dagster's full logs (always written to <data>/logs/)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lagesbild",
        description="Lägesbild — the indicator warehouse for the follow-up of vulnerable areas. "
        f"All commands use the data directory ${DATA_DIR_ENV} (default ./data).",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    generate = commands.add_parser("generate", help="write the synthetic default data set")
    generate.add_argument("--scale", choices=("small", "national"), default="national")
    generate.add_argument("--start", type=month_argument, default="2019-01")
    generate.add_argument(
        "--end",
        type=month_argument,
        default=None,
        help="last month (default: the last complete month)",
    )
    generate.add_argument("--seed", type=int, default=20240101)
    generate.set_defaults(handler=cmd_generate)

    demo = commands.add_parser(
        "demo", help="generate the default data if absent, then backfill and publish all of it"
    )
    demo.add_argument("--scale", choices=("small", "national"), default="national")
    demo.add_argument("--seed", type=int, default=20240101)
    add_verbose(demo)
    demo.set_defaults(handler=cmd_demo)

    run = commands.add_parser("run", help="run one month: ingest, dbt, checks, publish")
    run.add_argument("--month", type=month_argument, required=True)
    add_verbose(run)
    run.set_defaults(handler=cmd_run)

    backfill = commands.add_parser("backfill", help="run a range of months as one run")
    backfill.add_argument("--start", type=month_argument, required=True)
    backfill.add_argument("--end", type=month_argument, required=True)
    add_verbose(backfill)
    backfill.set_defaults(handler=cmd_backfill)

    query = commands.add_parser("query", help="run SQL read-only on the published warehouse")
    query.add_argument("sql")
    query.add_argument("--format", choices=("table", "csv"), default="table")
    query.add_argument("--max-rows", type=int, default=100)
    query.add_argument(
        "--region",
        choices=REGION_SLUGS,
        default=None,
        help="answer from publish/regions/<SLUG>.duckdb (that region and the nation only)",
    )
    query.set_defaults(handler=cmd_query)

    tertial = commands.add_parser(
        "tertial", help="tertial review (statistics, findings, HTML reports) for YYYY-Tn"
    )
    tertial.add_argument("tertial", type=tertial_argument, metavar="YYYY-Tn")
    add_verbose(tertial)
    tertial.set_defaults(handler=cmd_tertial)

    evaluate = commands.add_parser(
        "evaluate",
        help="evaluate registered measures against comparison areas, publish, write reports",
    )
    evaluate.add_argument("--measure", default=None, metavar="ID", help="only this measure")
    add_verbose(evaluate)
    evaluate.set_defaults(handler=cmd_evaluate)

    ui = commands.add_parser("ui", help="start the Dagster UI on 127.0.0.1")
    ui.add_argument("--read-only", action="store_true", help="block every mutation (auditors)")
    ui.add_argument("--host", default="127.0.0.1")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(handler=cmd_ui)

    status = commands.add_parser(
        "status",
        help="what is published, which months are complete, what waits in quarantine, "
        "the last refused publication",
    )
    status.set_defaults(handler=cmd_status)

    from pipelines.serve.command import add_serve_arguments

    serve = commands.add_parser(
        "serve",
        help="start the production stack on this machine (PostgreSQL, code server, daemon, "
        "operators' UI, auditors' read-only UI behind nginx with TLS and a login)",
    )
    add_serve_arguments(serve)
    serve.set_defaults(handler=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The command line; tests call it in their own process with `argv`."""
    # Dagster's notices that our own definitions use beta parameters are for developers (the
    # tests and `dagster dev` show them), not for an operator's screen.
    warnings.filterwarnings("ignore", message=r".*is currently in beta")
    args = build_parser().parse_args(argv)
    return args.handler(args, DataPaths.from_env())


def program() -> int:
    """`lagesbild` as an executable: the command, then an exit without the final collections.

    When the command returns, its work is over: connections and files are closed by their
    context managers and its processes have ended (atexit handlers still run after this). What
    is left is the interpreter's teardown, whose runs of the cyclic garbage collector traverse
    the whole heap of the loaded libraries — Dagster, dbt's event stream, GX, pandas, polars —
    ≈ 2 s after a national monthly run, freeing memory the process is about to return anyway.
    `gc.freeze()` moves every live object out of the collector's reach, so those runs find
    nothing to traverse; objects are still released as their references go. Python makes no
    promise to finalize objects still alive at exit, and nothing here relies on it: a monthly
    run ends with no DuckDB connection open (tests/integration/test_cli_exit.py) and, measured on
    the national data, with no unreachable objects left for a collection to finalize. Not in
    `main`, which tests call in their own long-lived process.
    """
    status = main()
    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(program())
