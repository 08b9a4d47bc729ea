"""National-scale benchmark: full backfill, baseline, monthly increments, queries, tertial review.

`make bench` runs this. It generates the national default data once (under
`$LAGESBILD_BENCH_DIR`, default `data/bench`), then measures in one run, with repetitions and
medians, and writes `benchmarks/results/latest.json` and the table in `BENCHMARKS.md`.
Timings on a shared machine are noisy: compare the ratios, which are measured in the same run.
The two sides of a ratio are measured by turns (backfill, baseline, backfill, …; full-history
increment, one-year increment, …), so that a machine that speeds up or slows down while the
benchmark runs moves both sides alike instead of one.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

import duckdb

from lagesbild.publish.publisher import code_version
from lagesbild.warehouse.dbt_invocation import manifest_is_stale

ROOT = Path(__file__).resolve().parents[1]
LAGESBILD = str(Path(sys.executable).with_name("lagesbild"))
RESULTS = ROOT / "benchmarks" / "results" / "latest.json"
REPORT = ROOT / "BENCHMARKS.md"
PROFILE_NOTES = ROOT / "benchmarks" / "profile_notes.md"
TARGETS = {
    "backfill_ratio": ("≤", 3.0),
    "increment_baseline_ratio": ("≤", 2.0),
    "increment_ratio": ("≤", 1.2),
    "tertial_baseline_ratio": ("≤", 1.2),
    "query_p95_norm_ms": ("≤", 8.0),
    "peak_rss_mb": ("≤", 1536.0),
}
"""Issue 17's targets: times as ratios to the plain-DuckDB baseline measured in the same run
(the seconds move with the machine, the ratios hold)."""
REFERENCE_BASELINE_S = 7.5
"""baseline_s on 2026-11-29's quiet machine: query_p95_norm_ms is query_p95_ms at its speed."""
REGIONAL_QUERIES = {
    "my_areas_all_indicators_24m": """
        select f.* from marts.fct_indicator_month f
        join marts.dim_geography g using (geo_level, geo_code)
        where g.region = 'syd' and f.geo_level = 'area'
          and f.month >= (select max(month) from marts.fct_indicator_month) - interval 23 month""",
    "one_indicator_all_areas_tertial": """
        select g.name, sum(f.numerator) as n, avg(f.rate_per_1000) as rate
        from marts.fct_indicator_month f join marts.dim_geography g using (geo_level, geo_code)
        where g.region = 'syd' and f.geo_level = 'area' and f.indicator_code = 'violent_crime'
          and f.month between date '2024-05-01' and date '2024-08-01'
        group by 1 order by 3 desc""",
    "region_trend_36m": """
        select month, indicator_code, numerator, rate_per_1000, numerator_rolling_12m
        from marts.fct_indicator_month
        where geo_level = 'region' and geo_code = 'syd'
          and month >= (select max(month) from marts.fct_indicator_month) - interval 35 month
        order by month""",
    "municipalities_latest_month_vs_nation": """
        select f.geo_code, f.indicator_code, f.rate_per_1000, n.rate_per_1000 as nation_rate
        from marts.fct_indicator_month f
        join marts.fct_indicator_month n
          on n.month = f.month and n.indicator_code = f.indicator_code and n.geo_level = 'nation'
        join marts.dim_geography g on g.geo_level = f.geo_level and g.geo_code = f.geo_code
        where f.geo_level = 'municipality' and g.region = 'syd'
          and f.month = (select max(month) from marts.fct_indicator_month)""",
    "lpo_ytd_comparison": """
        select f.geo_code, f.indicator_code, f.numerator_ytd, f.numerator_ytd_prev_year
        from marts.fct_indicator_month f join marts.dim_geography g using (geo_level, geo_code)
        where f.geo_level = 'lpo' and g.region = 'syd'
          and f.month = (select max(month) from marts.fct_indicator_month)""",
}


T = TypeVar("T")

CODE_DIRS = ("pipelines", "assets", "lagesbild", "dbt_project", "expectations")
"""What the measured commands run: a file changed under these while the benchmark runs makes
its figures a mix of two versions (a dbt file also makes every later command re-parse)."""
CODE_SKIPPED = ("target", "logs", "__pycache__")
"""Folders of the code directories that the commands themselves write."""


class CodeChangedError(RuntimeError):
    """The code changed while the benchmark ran: its figures are not written."""


def code_state(root: Path = ROOT) -> dict[str, tuple[int, int]]:
    """Size and modification time (ns) of every file the measured commands run from."""
    state: dict[str, tuple[int, int]] = {}
    for folder in CODE_DIRS:
        for path in sorted((root / folder).rglob("*")):
            relative = path.relative_to(root)
            if path.is_file() and not set(relative.parts) & set(CODE_SKIPPED):
                info = path.stat()
                state[str(relative)] = (info.st_size, info.st_mtime_ns)
    return state


def check_code_unchanged(before: dict[str, tuple[int, int]], root: Path = ROOT) -> None:
    """Refuse the figures when a file was added, removed or changed since `before`."""
    after = code_state(root)
    changed = sorted(
        name for name in before.keys() | after.keys() if before.get(name) != after.get(name)
    )
    if changed:
        shown = ", ".join(changed[:5]) + (
            f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        )
        raise CodeChangedError(
            f"the code changed while the benchmark ran ({shown}): figures not written; "
            "run `make bench` again on an unchanged checkout"
        )


def prepare_dbt_manifest() -> bool:
    """Prepare dbt's manifest as `make install` does when a dbt file is newer than it, so that
    no measured command spends its start-up re-parsing the project. True if it was stale."""
    if not manifest_is_stale(ROOT / "dbt_project" / "target" / "manifest.json"):
        return False
    print("  dbt's manifest is older than the dbt project: preparing it first", flush=True)
    subprocess.run(
        [
            str(Path(sys.executable).with_name("dagster-dbt")),
            *("project", "prepare-and-package", "--file", "assets/warehouse/project.py"),
        ],
        cwd=ROOT,
        env={
            **os.environ,
            "LAGESBILD_WAREHOUSE_PATH": str(Path(tempfile.gettempdir()) / "lagesbild-parse.duckdb"),
        },
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return True


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    stages: dict[str, float]
    """Seconds per stage, from the console's summary of the command (`<log>.summary.json`)."""
    cpu_s: float
    """CPU seconds (user + system) of the command's whole process tree (`ProcessFigures`)."""


@dataclass(frozen=True)
class ProcessFigures:
    """What one command cost: wall time, peak resident memory of its process tree, and the
    CPU time of that tree — the command and every descendant it waited for (the warm dbt
    process; the tertial reports' workers, through their forkserver). CPU time is reported
    beside the wall time: a shared machine that makes the command wait moves the wall time
    more than it."""

    seconds: float
    peak_rss_mb: float
    cpu_s: float
    returncode: int
    output: bytes


def children_cpu_s() -> float:
    """User + system CPU seconds of this process's children that have ended and been waited for
    (and of their waited-for descendants)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def own_cpu_s() -> float:
    """User + system CPU seconds of this process, all its threads (DuckDB's included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


PR_SET_CHILD_SUBREAPER = 36
"""Linux prctl(2): orphaned descendants are re-parented to this process instead of init."""


def set_child_subreaper(enabled: bool) -> bool:
    """Make this process the reaper of its orphaned descendants (Linux); False where it can't."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(PR_SET_CHILD_SUBREAPER, int(enabled), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def own_children() -> set[int]:
    """The processes whose parent is this one (zombies included), from /proc."""
    me = os.getpid()
    return {pid for _, pid, parent in processes() if parent == me}


def reap_adopted(before: set[int], timeout_s: float = 60.0) -> None:
    """Wait for the descendants re-parented to this process while a command ran (e.g. the
    tertial reports' forkserver, which ends just after the command) until they have ended, so
    that their CPU time — and that of the workers they waited for — is counted."""
    deadline = time.monotonic() + timeout_s
    while adopted := own_children() - before:
        for pid in adopted:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"processes {sorted(adopted)} left by the measured command still run "
                f"{timeout_s:.0f} s after it ended: its CPU time would be incomplete"
            )
        time.sleep(0.02)


def measure_process(argv: list[str], env: dict[str, str], cwd: Path) -> ProcessFigures:
    """Run `argv` to its end, sampling its process tree's resident memory every 0.2 s.

    The CPU time is the growth of this process's children's CPU time over the command, so the
    benchmark runs one command at a time (it does). While the command runs this process is
    the subreaper of its descendants: one that outlives its parent (a forkserver and the
    workers it forked) is waited for here, so its CPU time is counted too."""
    children_before = own_children()
    cpu_before = children_cpu_s()
    subreaper = set_child_subreaper(True)
    started = time.perf_counter()
    try:
        process = subprocess.Popen(
            argv, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        peak = 0.0
        done = threading.Event()

        def sample() -> None:
            nonlocal peak
            while not done.is_set():
                peak = max(peak, process_tree_rss_mb(process.pid))
                time.sleep(0.2)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        output, _ = process.communicate()
        done.set()
        sampler.join()
        elapsed = time.perf_counter() - started
        if subreaper:
            reap_adopted(children_before)
    finally:
        if subreaper:
            set_child_subreaper(False)
    return ProcessFigures(elapsed, peak, children_cpu_s() - cpu_before, process.returncode, output)


def console_stages(data_dir: Path, since: float) -> dict[str, float]:
    """Seconds per stage of the commands that finished after `since` (summed), plus the
    command's wall time outside the stages (start-up, run creation, Dagster's events)."""
    stages: dict[str, float] = {}
    for summary in sorted((data_dir / "logs").glob("*.summary.json")):
        if summary.stat().st_mtime < since:
            continue
        document = json.loads(summary.read_text(encoding="utf-8"))
        for title, seconds in document["stages"].items():
            stages[title] = stages.get(title, 0.0) + seconds
    return stages


def parent_pid(stat: str) -> int:
    """The parent's pid from the text of `/proc/<pid>/stat` (after the command's parenthesis)."""
    return int(stat.rsplit(")", 1)[1].split()[1])


def processes() -> Iterator[tuple[Path, int, int]]:
    """Each process in /proc: its directory, pid and parent's pid (one that ended meanwhile is
    left out)."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            yield entry, int(entry.name), parent_pid(stat)


def process_tree_rss_mb(root_pid: int) -> float:
    """Resident memory of a process and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry, pid, parent in processes():
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        children.setdefault(parent, []).append(pid)
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                rss[pid] = int(line.split()[1])
    total, stack = 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total / 1024


def run_measured(
    args: list[str], data_dir: Path, extra_env: dict[str, str] | None = None
) -> Measured:
    """Run a `lagesbild` command; wall time, the peak RSS and the CPU time of its process tree."""
    env = {**os.environ, "LAGESBILD_DATA_DIR": str(data_dir), **(extra_env or {})}
    wall_started = time.time()
    figures = measure_process([LAGESBILD, *args], env, ROOT)
    if figures.returncode != 0:
        tail = figures.output.decode(errors="replace")[-4000:]
        raise RuntimeError(f"lagesbild {' '.join(args)} failed:\n{tail}")
    stages = console_stages(data_dir, wall_started)
    stages["outside the stages"] = max(0.0, figures.seconds - sum(stages.values()))
    return Measured(figures.seconds, figures.peak_rss_mb, stages, figures.cpu_s)


def fresh_dir(base: Path, name: str, landing: Path) -> Path:
    """A new data directory whose landing zone is the shared generated one."""
    target = base / name
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    shutil.copytree(landing, target / "landing", copy_function=os.link)
    return target


def months_of(landing: Path) -> list[str]:
    return sorted(path.stem for path in (landing / "offences").glob("*.csv"))


def previous_month(month: str, back: int = 1) -> str:
    year, number = map(int, month.split("-"))
    index = year * 12 + number - 1 - back
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def interleaved(measures: dict[str, Callable[[], T]], repeat: int) -> dict[str, list[T]]:
    """Each measure `repeat` times, by turns (a, b, a, b, …): the sides of a ratio see the same
    machine, also when it changes speed while the benchmark runs."""
    runs: dict[str, list[T]] = {name: [] for name in measures}
    for _ in range(repeat):
        for name, measure in measures.items():
            runs[name].append(measure())
    return runs


def baseline_sql(landing: Path) -> str:
    """The plain-DuckDB baseline's SQL, reading the CSVs under `landing` and the seeds."""
    sql = (ROOT / "benchmarks" / "baseline.sql").read_text()
    return sql.replace("{landing}", str(landing)).replace(
        "{seeds}", str(ROOT / "dbt_project" / "seeds")
    )


@dataclass(frozen=True)
class BaselineRun:
    seconds: float
    rows: int
    cpu_s: float
    """CPU seconds of this process while DuckDB ran the baseline (all DuckDB's threads)."""


def time_baseline_once(landing: Path) -> BaselineRun:
    """One run of the plain-DuckDB baseline: seconds, the rows it computed, its CPU time."""
    sql = baseline_sql(landing)
    conn = duckdb.connect()
    try:
        conn.execute("set enable_progress_bar = false")
        cpu_before = own_cpu_s()
        started = time.perf_counter()
        conn.execute(sql)
        seconds = time.perf_counter() - started
        cpu_s = own_cpu_s() - cpu_before
        rows = conn.execute("select count(*) from baseline_fct_indicator_month").fetchone()[0]
    finally:
        conn.close()
    return BaselineRun(seconds, rows, cpu_s)


def baseline_matches_pipeline(landing: Path, published: Path) -> bool:
    """The baseline computes the same numbers as the mart (non-zero offence counts)."""
    sql = baseline_sql(landing)
    conn = duckdb.connect()
    conn.execute("set enable_progress_bar = false")
    conn.execute(sql)
    conn.execute(f"attach '{published}' as pub (read_only)")
    differing = conn.execute(
        """
        select count(*) from baseline_fct_indicator_month b
        full join (select * from pub.marts.fct_indicator_month
                   where numerator > 0 and indicator_code in
                       (select distinct indicator_code from baseline_fct_indicator_month)) m
          using (month, geo_level, geo_code, indicator_code)
        where b.numerator is distinct from m.numerator
           or abs(b.denominator - m.denominator) > 1e-6
        """
    ).fetchone()[0]
    conn.close()
    return differing == 0


def query_latencies(database: Path, repeat: int) -> list[float]:
    timings: list[float] = []
    conn = duckdb.connect(str(database), read_only=True)
    try:
        for _ in range(repeat):
            for sql in REGIONAL_QUERIES.values():
                started = time.perf_counter()
                conn.execute(sql).fetchall()
                timings.append((time.perf_counter() - started) * 1000)
    finally:
        conn.close()
    return timings


def query_percentiles(database: Path, rounds: int = 20) -> tuple[float, float]:
    """p50 and p95 (ms) of `rounds` rounds of the five regional queries on `database`."""
    latencies = query_latencies(database, rounds)
    return percentile(latencies, 0.50), percentile(latencies, 0.95)


def median_query_percentiles(database: Path, repeat: int) -> tuple[float, float, list[float]]:
    """Like every other figure, the median of `repeat` repetitions (each its own p50 and p95),
    so that one hiccup of the shared machine is not the result; and each repetition's p95."""
    runs = [query_percentiles(database) for _ in range(repeat)]
    p95s = [p95 for _p50, p95 in runs]
    return statistics.median(p50 for p50, _p95 in runs), statistics.median(p95s), p95s


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def snapshot_state(data_dir: Path, target: Path) -> None:
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in ("warehouse", "publish", "archive", "dagster_home", "dbt"):
        if (data_dir / name).exists():
            shutil.copytree(data_dir / name, target / name, symlinks=True)  # published links


def restore_state(snapshot: Path, data_dir: Path) -> None:
    for name in ("warehouse", "publish", "archive", "dagster_home", "dbt", "quarantine"):
        shutil.rmtree(data_dir / name, ignore_errors=True)
        if (snapshot / name).exists():
            shutil.copytree(snapshot / name, data_dir / name, symlinks=True)


def record_runs(
    results: dict[str, object], key: str, runs: list[Measured] | list[BaselineRun]
) -> None:
    """`<key>_s` and `<key>_cpu_s` (medians) and each run's figures (`<key>_runs_s`,
    `<key>_cpu_runs_s`) of repeated runs of one command."""
    results[f"{key}_s"] = statistics.median(run.seconds for run in runs)
    results[f"{key}_runs_s"] = [run.seconds for run in runs]
    results[f"{key}_cpu_s"] = statistics.median(run.cpu_s for run in runs)
    results[f"{key}_cpu_runs_s"] = [run.cpu_s for run in runs]


def median_run(runs: list[Measured]) -> Measured:
    """The run with the median wall time (its stages are a consistent set)."""
    return sorted(runs, key=lambda run: run.seconds)[(len(runs) - 1) // 2]


@dataclass(frozen=True)
class IncrementState:
    """A data directory backfilled up to the month before the measured one, and its copy."""

    data_dir: Path
    snapshot: Path


def prepare_increment(
    work: Path,
    landing: Path,
    name: str,
    start: str,
    month: str,
    extra_env: dict[str, str] | None = None,
) -> IncrementState:
    """Backfill start..month-1 once and keep a copy of the state to start every run from."""
    data_dir = fresh_dir(work, name, landing)
    backfill = ["backfill", "--start", start, "--end", previous_month(month)]
    run_measured(backfill, data_dir, extra_env)
    snapshot = work / f"{name}-snapshot"
    snapshot_state(data_dir, snapshot)
    return IncrementState(data_dir, snapshot)


def run_increment(
    state: IncrementState, month: str, extra_env: dict[str, str] | None = None
) -> Measured:
    """`run --month month` from the prepared state."""
    restore_state(state.snapshot, state.data_dir)
    return run_measured(["run", "--month", month], state.data_dir, extra_env)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def time_increment_pg(
    work: Path, landing: Path, name: str, start: str, month: str, repeat: int
) -> float | None:
    """The full-history increment with the Dagster instance in PostgreSQL (a throwaway cluster of
    Debian's binaries): the backfill's instance is kept as a template database and copied
    for every repetition, as the data directory is. None when PostgreSQL is not installed."""
    from pipelines.instance import POSTGRES_URL_ENV
    from pipelines.serve.postgres import LocalPostgres, find_bindir

    if find_bindir() is None:
        print("  PostgreSQL is not installed: increment on PostgreSQL not measured", flush=True)
        return None
    cluster = Path(tempfile.mkdtemp(prefix="lagesbild-bench-pg-"))  # reachable by `postgres`
    server = LocalPostgres(cluster, free_port()).start()
    try:
        base = server.create_database(f"{name}_base")
        state = prepare_increment(work, landing, name, start, month, {POSTGRES_URL_ENV: base})
        timings = []
        for index in range(repeat):
            url = server.create_database(f"{name}_{index}", template=f"{name}_base")
            timings.append(run_increment(state, month, {POSTGRES_URL_ENV: url}).seconds)
        shutil.rmtree(state.snapshot, ignore_errors=True)
        return statistics.median(timings)
    finally:
        server.stop()
        shutil.rmtree(cluster, ignore_errors=True)


def latest_complete_tertial(last_month: str) -> str | None:
    year, month = map(int, last_month.split("-"))
    for ends, number in ((12, 3), (8, 2), (4, 1)):
        if month >= ends:
            return f"{year}-T{number}"
    return f"{year - 1}-T3"


def has_command(name: str) -> bool:
    result = subprocess.run([LAGESBILD, "--help"], capture_output=True, text=True, check=False)
    return name in result.stdout


def machine() -> dict[str, object]:
    return {
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
    }


def format_figure(value: object) -> str:
    """A figure, or the repetitions' figures of a list (e.g. each repetition's query p95)."""
    if isinstance(value, list):
        return " / ".join(f"{item:.2f}" for item in value)
    return f"{value:.2f}"


def stage_table(stages: dict[str, dict[str, float]]) -> list[str]:
    """Seconds per stage of each measured command; with both increments, also what the full
    history adds to each stage (where `increment_ratio`'s difference goes)."""
    if not stages:
        return []
    columns = {name: dict(times) for name, times in stages.items()}
    titles = list(dict.fromkeys(title for times in columns.values() for title in times))
    if {"increment", "increment_1y"} <= columns.keys():
        full, one_year = columns["increment"], columns["increment_1y"]
        columns["full history − 1 year"] = {
            title: full.get(title, 0.0) - one_year.get(title, 0.0) for title in titles
        }
    lines = ["Seconds per stage (the console's stages; the run with the median time):", ""]
    lines += ["| stage | " + " | ".join(columns) + " |", "|---|" + "---|" * len(columns)]
    for title in titles:
        cells = " | ".join(f"{times.get(title, 0.0):.1f}" for times in columns.values())
        lines.append(f"| {title} | {cells} |")
    return [*lines, ""]


CPU_RATIOS = {
    "backfill_ratio": ("backfill_cpu_s", "baseline_cpu_s"),
    "increment_baseline_ratio": ("increment_full_cpu_s", "baseline_cpu_s"),
    "increment_ratio": ("increment_full_cpu_s", "increment_1y_cpu_s"),
    "tertial_baseline_ratio": ("tertial_cpu_s", "baseline_cpu_s"),
}
"""Each time target's ratio again, in CPU seconds (reported beside it, not a target)."""
CPU_COMMANDS = {
    "backfill": "backfill",
    "increment (full history)": "increment_full",
    "increment (one year)": "increment_1y",
    "tertial review": "tertial",
    "plain-DuckDB baseline": "baseline",
}


def cpu_ratios(results: dict[str, object]) -> dict[str, float]:
    """The ratios of `CPU_RATIOS` whose two CPU figures were measured."""
    ratios: dict[str, float] = {}
    for key, (numerator, denominator) in CPU_RATIOS.items():
        top, bottom = results.get(numerator), results.get(denominator)
        if isinstance(top, float | int) and isinstance(bottom, float | int) and bottom > 0:
            ratios[key] = top / bottom
    return ratios


def cpu_table(results: dict[str, object]) -> list[str]:
    """Wall and CPU seconds of each measured command, and the targets' ratios in CPU time.

    Reported, not targets: the machine is shared, and a command that waits for the CPU or the
    disk gets a longer wall time but about the same CPU time, so a ratio that flips across its
    line between runs of one code can be read against its CPU-time twin. The baseline runs
    DuckDB on every core; the pipeline's steps mostly on one, so the CPU ratios are lower."""
    rows = [
        (title, results.get(f"{prefix}_s"), results.get(f"{prefix}_cpu_s"))
        for title, prefix in CPU_COMMANDS.items()
    ]
    rows = [(title, wall, cpu) for title, wall, cpu in rows if wall and cpu is not None]
    if not rows:
        return []
    lines = [
        "CPU time (user + system of the command's whole process tree; medians; reported, not "
        "targets):",
        "",
        "| command | wall s | CPU s | CPU / wall |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {title} | {wall:.1f} | {cpu:.1f} | {cpu / wall:.2f} |" for title, wall, cpu in rows
    ]
    ratios = results.get("cpu_ratios") or cpu_ratios(results)
    if ratios:
        lines += ["", "| ratio | wall time (the target) | CPU time |", "|---|---|---|"]
        for key, value in ratios.items():
            wall_ratio = results.get(key)
            shown = f"{wall_ratio:.2f}" if isinstance(wall_ratio, float | int) else "–"
            lines.append(f"| `{key}` | {shown} | {value:.2f} |")
    return [*lines, ""]


def write_report(results: dict[str, object]) -> None:
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (`benchmarks/run_bench.py`); raw figures in "
        "`benchmarks/results/latest.json`. National-scale synthetic default data "
        f"({results['data']['months']} months, {results['data']['offences']:,} offences). "
        "Medians of repeated runs; the machine is shared, so compare ratios within one run.",
        "",
        f"- machine: {results['machine']}",
        f"- date: {results['date']}",
        f"- code: {results.get('code_version', 'not recorded')}",
        f"- repetitions: {results['repeat']}",
        "",
        "| measure | value | target | met |",
        "|---|---|---|---|",
    ]
    for key, (op, bound) in TARGETS.items():
        value = results.get(key)
        if value is None:
            lines.append(f"| `{key}` | not measured | {op} {bound:g} | – |")
            continue
        met = value <= bound
        lines.append(f"| `{key}` | {value:.2f} | {op} {bound:g} | {'yes' if met else 'NO'} |")
    extra = {k: v for k, v in results.items() if k.endswith(("_s", "_ms", "_mb")) and v is not None}
    lines += ["", "Other figures:", ""]
    lines += [f"- `{k}`: {format_figure(v)}" for k, v in extra.items() if k not in TARGETS]
    lines += ["", f"Baseline reproduces the mart's numbers: {results['baseline_matches_mart']}", ""]
    lines += stage_table(results.get("stages") or {})
    lines += cpu_table(results)
    if PROFILE_NOTES.exists():  # hand-written: what the profiles showed and what was changed
        lines += ["", PROFILE_NOTES.read_text().strip(), ""]
    REPORT.write_text("\n".join(lines))


def main() -> int:
    repeat = int(os.environ.get("BENCH_REPEAT", "3"))
    work = Path(os.environ.get("LAGESBILD_BENCH_DIR", ROOT / "data" / "bench")).resolve()
    landing_root = work / "generated"
    landing = landing_root / "landing"
    results: dict[str, object] = {
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "repeat": repeat,
    }
    prepare_dbt_manifest()
    measured_code = code_state()
    results["code_version"] = code_version()
    if not (landing / "offences").exists():
        started = time.perf_counter()
        subprocess.run(
            [LAGESBILD, "generate", "--scale", "national"],
            env={**os.environ, "LAGESBILD_DATA_DIR": str(landing_root)},
            check=True,
        )
        results["generate_s"] = time.perf_counter() - started
    months = months_of(landing)
    first, last = months[0], months[-1]
    offences = sum(
        max(0, sum(1 for _ in p.open()) - 1) for p in (landing / "offences").glob("*.csv")
    )
    results["data"] = {
        "first_month": first,
        "last_month": last,
        "months": len(months),
        "offences": offences,
    }
    print(f"Benchmark on {len(months)} months ({first}..{last}), {offences:,} offences", flush=True)

    def backfill() -> Measured:
        measured = run_measured(
            ["backfill", "--start", first, "--end", last], fresh_dir(work, "backfill", landing)
        )
        print(f"  backfill: {measured.seconds:.1f} s, {measured.peak_rss_mb:.0f} MB", flush=True)
        return measured

    def baseline() -> BaselineRun:
        run = time_baseline_once(landing)
        print(f"  baseline: {run.seconds:.1f} s", flush=True)
        return run

    first_runs = interleaved({"backfill": backfill, "baseline": baseline}, repeat)
    backfills = first_runs["backfill"]
    record_runs(results, "backfill", backfills)
    results["peak_rss_mb"] = max(m.peak_rss_mb for m in backfills)
    stages: dict[str, dict[str, float]] = {"backfill": median_run(backfills).stages}
    published = work / "backfill" / "publish" / "lagesbild.duckdb"

    record_runs(results, "baseline", first_runs["baseline"])
    results["baseline_rows"] = first_runs["baseline"][-1].rows
    results["backfill_ratio"] = results["backfill_s"] / results["baseline_s"]
    results["baseline_matches_mart"] = baseline_matches_pipeline(landing, published)

    states = {
        "full": prepare_increment(work, landing, "inc-full", first, last),
        "1y": prepare_increment(work, landing, "inc-1y", previous_month(last, 12), last),
    }
    increments = interleaved(
        {name: lambda state=state: run_increment(state, last) for name, state in states.items()},
        repeat,
    )
    for state in states.values():
        shutil.rmtree(state.snapshot, ignore_errors=True)
    for name, result_key, stage_key in (
        ("full", "increment_full", "increment"),
        ("1y", "increment_1y", "increment_1y"),
    ):
        record_runs(results, result_key, increments[name])
        stages[stage_key] = median_run(increments[name]).stages
    results["increment_ratio"] = results["increment_full_s"] / results["increment_1y_s"]
    results["increment_baseline_ratio"] = results["increment_full_s"] / results["baseline_s"]
    print(
        f"  increments: {results['increment_full_s']:.1f} s (full), "
        f"{results['increment_1y_s']:.1f} s (1 year)",
        flush=True,
    )
    results["increment_full_pg_s"] = time_increment_pg(
        work, landing, "inc-full-pg", first, last, repeat
    )
    if results["increment_full_pg_s"] is not None:
        print(
            f"  increment on PostgreSQL: {results['increment_full_pg_s']:.1f} s "
            f"(SQLite {results['increment_full_s']:.1f} s)",
            flush=True,
        )

    (
        results["query_p50_ms"],
        results["query_p95_ms"],
        results["query_p95_runs_ms"],
    ) = median_query_percentiles(published, repeat)
    results["main_query_p95_ms"] = results["query_p95_ms"]  # query_p95_ms: the larger of both
    region_file = work / "backfill" / "publish" / "regions" / "syd.duckdb"
    if region_file.exists():
        (
            results["region_query_p50_ms"],
            results["region_query_p95_ms"],
            results["region_query_p95_runs_ms"],
        ) = median_query_percentiles(region_file, repeat)
        results["query_p95_ms"] = max(results["query_p95_ms"], results["region_query_p95_ms"])
    results["query_p95_norm_ms"] = (
        results["query_p95_ms"] * REFERENCE_BASELINE_S / results["baseline_s"]
    )

    tertial = latest_complete_tertial(last)
    if has_command("tertial") and tertial:
        tertials = [run_measured(["tertial", tertial], work / "backfill") for _ in range(repeat)]
        record_runs(results, "tertial", tertials)
        results["tertial_baseline_ratio"] = results["tertial_s"] / results["baseline_s"]
    else:
        results["tertial_s"] = None
    results["cpu_ratios"] = cpu_ratios(results)
    results["stages"] = {
        run: {title: round(seconds, 2) for title, seconds in times.items()}
        for run, times in stages.items()
    }
    try:
        check_code_unchanged(measured_code)
    except CodeChangedError as error:
        print(f"benchmark refused: {error}", file=sys.stderr, flush=True)
        return 1
    write_report(results)
    print(REPORT.read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
