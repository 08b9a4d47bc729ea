"""`lagesbild tertial YYYY-Tn`: check completeness, then materialize the review partition."""

from __future__ import annotations

import argparse
import sys
import time

from pipelines.review.run import NothingPublished, check_complete, report_dir
from pipelines.review.tertials import label_to_partition_key, parse_label
from pipelines.settings import DataPaths


def tertial_argument(value: str) -> str:
    try:
        parse_label(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return value


def run_tertial(label: str, paths: DataPaths) -> int:
    """Exit status 0 with the report paths on stdout; 1 with the reason on stderr."""
    started = time.perf_counter()
    try:
        completeness = check_complete(paths, label)
    except NothingPublished as error:
        print(f"lagesbild: {error}", file=sys.stderr)
        return 1
    if not completeness.is_complete:
        print(f"lagesbild: {completeness.message}", file=sys.stderr)
        return 1
    from assets.review.jobs import TERTIAL_JOB_NAME
    from pipelines.definitions import build_definitions
    from pipelines.instance import get_instance
    from pipelines.runner import failure_messages

    print(f"Tertial review {label} (data directory {paths.root}) …", flush=True)
    job = build_definitions(paths).resolve_job_def(TERTIAL_JOB_NAME)
    result = job.execute_in_process(
        instance=get_instance(paths),
        partition_key=label_to_partition_key(label),
        raise_on_error=False,
    )
    elapsed = time.perf_counter() - started
    if not result.success:
        for message in failure_messages(result) or ["the review run failed (see the Dagster UI)"]:
            print(message, file=sys.stderr)
        print(f"lagesbild: tertial review {label} failed after {elapsed:.1f} s", file=sys.stderr)
        return 1
    folder = report_dir(paths, label)
    print(f"Tertial review {label} done in {elapsed:.1f} s (run {result.run_id}).")
    print(f"Reports in {folder}:")
    for path in sorted(folder.glob("*.html")):
        print(f"  {path.name}")
    print("Tables: marts.fct_tertial_review and companions, republished to the warehouse.")
    return 0
