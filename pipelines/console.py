"""The operator's console: what a `lagesbild` run did, on one screen.

One line per stage (ingest, dbt build, quality checks, publication, tertial review) with a
progress bar for the long ones, and a closing summary: months published, checks passed, warned
and failed, files written, time per stage. It is fed by Dagster's event stream of the in-process
run (`DagsterInstance.add_event_listener`: planned steps, step starts and ends,
materializations, check evaluations) and, inside a step, by the domain's progress records
(`lagesbild.progress`: months ingested, publication steps) — never by reading log text.

Dagster's full logs (and dbt's output, and any warning) go to `<data>/logs/<time>_<command>.log`,
whose path is printed first; `--verbose` brings them back to the terminal as well.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from lagesbild.progress import LOGGER as PROGRESS_LOGGER
from lagesbild.progress import progress_of
from lagesbild.settings import DataPaths

if TYPE_CHECKING:
    import dagster as dg

BAR_WIDTH = 24
REDRAW_INTERVAL_S = 0.2
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class StageKind:
    title: str
    unit: str  # what the progress bar counts; "" = no bar (one step without inner progress)


STAGE_KINDS: dict[str, StageKind] = {
    "ingest": StageKind("Ingest", "deliveries"),  # a month of a source, geography, population
    "dbt": StageKind("dbt build", "nodes"),
    "checks": StageKind("Quality checks", "checks"),
    "publish": StageKind("Publication", "steps"),
    "review": StageKind("Tertial review", ""),
    "reports": StageKind("Reports", ""),
    "effects": StageKind("Effect evaluation", ""),
}
STAGE_OF_GROUP = {
    "ingest": "ingest",
    "reference": "dbt",
    "staging": "dbt",
    "intermediate": "dbt",
    "marts": "dbt",
    "publish": "publish",
    "review": "review",
    "reports": "reports",
    "effects": "effects",
}
"""Asset group (assets/policy.py) → console stage. A step of checks only is `checks`; a step
of an unknown group is shown under its own step key."""


@dataclass
class StepState:
    key: str
    stage: str
    planned: int = 0
    done: int = 0
    started: float | None = None
    ended: float | None = None
    failed: bool = False
    reports_progress: bool = False

    @property
    def seconds(self) -> float:
        if self.started is None:
            return 0.0
        return (self.ended or time.time()) - self.started


@dataclass
class RunSummary:
    """What the runs of one command did, accumulated from their events."""

    checks_passed: int = 0
    checks_warned: int = 0
    checks_failed: int = 0
    files_written: int = 0
    published_months: set[str] = field(default_factory=set)
    reviewed: set[str] = field(default_factory=set)
    run_ids: list[str] = field(default_factory=list)


def _files_written(asset_key: dg.AssetKey, metadata: dict[str, Any]) -> int:
    """Files a materialization wrote, from the metadata the publish and review steps record."""
    from assets.publish.assets import EXPORT_KEPT, PUBLISHED_WAREHOUSE_KEY
    from assets.review.assets import TERTIAL_REPORTS_KEY

    def value(name: str) -> Any:
        entry = metadata.get(name)
        return getattr(entry, "value", entry)

    if asset_key == PUBLISHED_WAREHOUSE_KEY:
        docs = value("gx_data_docs")
        return (
            2  # the warehouse and its archive copy
            + len(value("region_files") or {})
            + (0 if value("export") == EXPORT_KEPT else len(value("export_files") or {}))
            + (1 if docs and docs != "not built" else 0)
        )
    if asset_key == TERTIAL_REPORTS_KEY:
        return int(value("reports") or 0)
    return 0


class _AnsiStrippingFile(io.TextIOBase):
    """The log file, without terminal colour codes (dbt and Dagster colour their output)."""

    def __init__(self, path: Path) -> None:
        self._file = path.open("a", encoding="utf-8")

    def write(self, text: str) -> int:
        self._file.write(ANSI_ESCAPE.sub("", text))
        return len(text)

    def flush(self) -> None:
        self._file.flush()

    def close(self) -> None:
        self._file.close()


class _Tee(io.TextIOBase):
    def __init__(self, *streams: TextIO | io.TextIOBase) -> None:
        self._streams = streams

    def write(self, text: str) -> int:
        for stream in self._streams:
            stream.write(text)
        return len(text)

    def flush(self) -> None:
        for stream in self._streams:
            stream.flush()


class _ProgressHandler(logging.Handler):
    def __init__(self, console: OperatorConsole) -> None:
        super().__init__(logging.INFO)
        self._console = console

    def emit(self, record: logging.LogRecord) -> None:
        progress = progress_of(record)
        if progress is not None:
            self._console.on_progress(progress.stage, progress.done, progress.total)


def log_file_path(paths: DataPaths, command: str) -> Path:
    stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", command).strip("_")
    return paths.root / "logs" / f"{stamp}_{safe}.log"


class OperatorConsole:
    """Draws the runs of one `lagesbild` command; use as a context manager around the runs."""

    def __init__(
        self,
        paths: DataPaths,
        command: str,
        *,
        verbose: bool = False,
        out: TextIO | None = None,
    ) -> None:
        self.out = out or sys.stdout
        self.verbose = verbose
        self.command = command
        self.log_path = log_file_path(paths, command)
        self.live = self.out.isatty() and not verbose
        self.summary = RunSummary()
        self.steps: dict[str, StepState] = {}
        self._asset_groups: dict[Any, str] = {}
        self._lock = threading.RLock()
        self._finished_stages: set[str] = set()
        self._last_draw = 0.0
        self._live_line = ""
        self._started = time.time()
        self._stack = contextlib.ExitStack()
        self._ticker_stop = threading.Event()

    # -- set-up ---------------------------------------------------------------------------
    def __enter__(self) -> OperatorConsole:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self._stack.enter_context(contextlib.closing(_AnsiStrippingFile(self.log_path)))
        self.print(f"Full Dagster log: {self.log_path}")
        target = _Tee(self.out, log) if self.verbose else log
        errors = _Tee(sys.stderr, log) if self.verbose else log
        self._stack.enter_context(contextlib.redirect_stdout(target))  # type: ignore[arg-type]
        self._stack.enter_context(contextlib.redirect_stderr(errors))  # type: ignore[arg-type]
        handler = _ProgressHandler(self)
        PROGRESS_LOGGER.addHandler(handler)
        self._stack.callback(PROGRESS_LOGGER.removeHandler, handler)
        if self.live:
            ticker = threading.Thread(target=self._tick, name="console-ticker", daemon=True)
            ticker.start()
            self._stack.callback(ticker.join, 2)
            self._stack.callback(self._ticker_stop.set)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()
        with self._lock:
            self._clear_live_line()

    def use_definitions(self, defs: dg.Definitions) -> None:
        """Learn which group each asset belongs to (stage of a step)."""
        graph = defs.resolve_asset_graph()
        for key in graph.get_all_asset_keys():
            self._asset_groups[key] = graph.get(key).group_name or ""

    def watch(self, instance: dg.DagsterInstance, run_id: str) -> None:
        """Follow the events of the run `run_id` (register before the run is created)."""
        self.summary.run_ids.append(run_id)
        instance.add_event_listener(run_id, self._safe_on_event)

    # -- output ---------------------------------------------------------------------------
    def print(self, text: str = "") -> None:
        """A line on the operator's terminal (never into the log file)."""
        with self._lock:
            self._clear_live_line()
            self.out.write(text + "\n")
            self.out.flush()

    def _clear_live_line(self) -> None:
        if self._live_line:
            self.out.write("\r" + " " * len(self._live_line) + "\r")
            self._live_line = ""

    def _tick(self) -> None:
        while not self._ticker_stop.wait(1.0):
            with self._lock:
                self._draw_live(force=True)

    # -- events ---------------------------------------------------------------------------
    def _safe_on_event(self, entry: Any) -> None:
        try:
            self.on_event(entry)
        except Exception as error:  # the console must never break a run
            sys.stderr.write(f"[console] could not draw an event: {error!r}\n")

    def on_event(self, entry: Any) -> None:
        import dagster as dg

        event = entry.dagster_event
        if event is None:
            return
        kind = event.event_type
        step_key = event.step_key
        with self._lock:
            if kind == dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED:
                data = event.asset_materialization_planned_data
                subset = data.partitions_subset
                units = len(subset) if subset is not None else 1
                group = self._asset_groups.get(data.asset_key, "")
                step = self._step(step_key, STAGE_OF_GROUP.get(group, step_key or "other"))
                if step.stage == "checks":  # materializations make it a step of its group
                    step.stage = STAGE_OF_GROUP.get(group, step_key or "other")
                step.planned += units if step.stage == "ingest" else 1
            elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION_PLANNED:
                self._step(step_key, "checks").planned += 1
            elif kind == dg.DagsterEventType.STEP_START:
                self._step(step_key, "other").started = entry.timestamp
            elif kind in (dg.DagsterEventType.STEP_SUCCESS, dg.DagsterEventType.STEP_FAILURE):
                step = self._step(step_key, "other")
                step.ended = entry.timestamp
                step.failed = kind == dg.DagsterEventType.STEP_FAILURE
                if not step.failed:
                    step.done = max(step.done, step.planned)
                self._stage_may_have_finished(step.stage)
            elif kind == dg.DagsterEventType.ASSET_MATERIALIZATION:
                materialization = event.step_materialization_data.materialization
                self._count(step_key)
                written = _files_written(materialization.asset_key, dict(materialization.metadata))
                self.summary.files_written += written
                if step_key and self.steps.get(step_key, StepState("", "")).stage == "publish":
                    month = materialization.metadata.get("month")
                    if month is not None:
                        self.summary.published_months.add(str(getattr(month, "value", month)))
                if written and self._asset_groups.get(materialization.asset_key) == "review":
                    self.summary.reviewed.add(materialization.partition or "")
            elif kind == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
                evaluation = event.asset_check_evaluation_data
                self._count(step_key)
                if evaluation.passed:
                    self.summary.checks_passed += 1
                elif evaluation.severity == dg.AssetCheckSeverity.WARN:
                    self.summary.checks_warned += 1
                else:
                    self.summary.checks_failed += 1
            self._draw_live()

    def on_progress(self, stage: str, done: int, total: int) -> None:
        """A progress record of the domain: `done` of `total` in the running step of `stage`."""
        with self._lock:
            for step in self.steps.values():
                if step.stage == stage and step.started is not None and step.ended is None:
                    step.reports_progress = True
                    if stage != "ingest":  # ingest steps planned their months already
                        step.planned = total
                    step.done = min(done, step.planned) if step.planned else done
                    break
            self._draw_live()

    def _step(self, step_key: str | None, stage: str) -> StepState:
        key = step_key or "run"
        if key not in self.steps:
            self.steps[key] = StepState(key, stage)
        return self.steps[key]

    def _count(self, step_key: str | None) -> None:
        step = self.steps.get(step_key or "run")
        if step is not None and not step.reports_progress and step.stage in ("dbt", "checks"):
            step.done = min(step.done + 1, step.planned) if step.planned else step.done + 1

    # -- stages ---------------------------------------------------------------------------
    def _stage_steps(self, stage: str) -> list[StepState]:
        return [step for step in self.steps.values() if step.stage == stage]

    def _stage_may_have_finished(self, stage: str) -> None:
        steps = self._stage_steps(stage)
        running = [step for step in steps if step.ended is None and step.started is not None]
        pending = [step for step in steps if step.started is None]
        failed = any(step.failed for step in steps)
        finished = failed or (not running and not pending)
        if finished and stage not in self._finished_stages:
            self._finished_stages.add(stage)
            self.print(self._stage_line(stage, final=True))

    def _stage_line(self, stage: str, final: bool = False) -> str:
        kind = STAGE_KINDS.get(stage, StageKind(stage, ""))
        steps = self._stage_steps(stage)
        planned = sum(step.planned for step in steps)
        done = sum(step.done for step in steps)
        seconds = sum(step.seconds for step in steps)
        failed = any(step.failed for step in steps)
        mark = "✗" if failed else ("✓" if final else "…")
        bar = ""
        if planned > 1 and kind.unit:
            filled = round(BAR_WIDTH * done / planned)
            drawn = "█" * filled + "·" * (BAR_WIDTH - filled)
            bar = f"[{drawn}] {done:>5}/{planned:<5} {kind.unit:<10}"
        else:
            bar = " " * (BAR_WIDTH + 2 + 13 + 11)
        status = "FAILED" if failed else f"{seconds:6.1f} s"
        return f"  {mark} {kind.title:<15} {bar} {status}"

    def _draw_live(self, force: bool = False) -> None:
        if not self.live:
            return
        now = time.time()
        if not force and now - self._last_draw < REDRAW_INTERVAL_S:
            return
        self._last_draw = now
        running = [
            step.stage
            for step in self.steps.values()
            if step.started is not None and step.ended is None
        ]
        if not running or running[0] in self._finished_stages:
            return
        line = self._stage_line(running[0])
        self._clear_live_line()
        self.out.write(line)
        self.out.flush()
        self._live_line = line

    # -- summary --------------------------------------------------------------------------
    def stage_times(self) -> dict[str, float]:
        times: dict[str, float] = {}
        for step in sorted(self.steps.values(), key=lambda s: s.started or 0):
            if step.started is None:
                continue
            title = STAGE_KINDS.get(step.stage, StageKind(step.stage, "")).title
            times[title] = times.get(title, 0.0) + step.seconds
        return times

    def close_summary(self, success: bool, months_label: str | None = None) -> None:
        """The closing summary; `months_label` names the months the command covered."""
        summary = self.summary
        elapsed = time.time() - self._started
        outcome = "Done" if success else "FAILED"
        self.print()
        if summary.published_months and success:
            months = months_label or ", ".join(sorted(summary.published_months))
            as_of = max(summary.published_months)
            self.print(
                f"{outcome} in {elapsed:.1f} s — months published: {months} (as of {as_of})."
            )
        elif summary.reviewed and success:
            self.print(f"{outcome} in {elapsed:.1f} s — tertial review written.")
        else:
            self.print(f"{outcome} after {elapsed:.1f} s — nothing was published.")
        evaluated = summary.checks_passed + summary.checks_warned + summary.checks_failed
        checks = (
            f"checks: {summary.checks_passed} passed, {summary.checks_warned} warned, "
            f"{summary.checks_failed} failed · "
            if evaluated
            else ""
        )
        self.print(f"  {checks}files written: {summary.files_written}")
        times = " · ".join(
            f"{title} {seconds:.1f} s" for title, seconds in self.stage_times().items()
        )
        if times:
            self.print(f"  time per stage: {times}")
        runs = ", ".join(summary.run_ids)
        self.print(f"  runs: {runs} · full log: {self.log_path}")
        self._write_summary_file(success, elapsed)

    def _write_summary_file(self, success: bool, elapsed: float) -> None:
        """The closing summary as JSON beside the log (`<log>.summary.json`), for tools."""
        summary = self.summary
        document = {
            "command": self.command,
            "success": success,
            "seconds": round(elapsed, 3),
            "stages": {title: round(s, 3) for title, s in self.stage_times().items()},
            "checks": {
                "passed": summary.checks_passed,
                "warned": summary.checks_warned,
                "failed": summary.checks_failed,
            },
            "files_written": summary.files_written,
            "published_months": sorted(summary.published_months),
            "run_ids": summary.run_ids,
        }
        target = self.log_path.with_name(self.log_path.name + ".summary.json")
        target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", "utf-8")
