"""Progress inside long steps (months ingested, suites checked, files published), for a console.

The domain reports each unit of work done as a structured record on the Python logger
`lagesbild.progress`. Nothing listens unless an operator's console does (the `lagesbild`
command, `pipelines/console.py`): the records never reach the Dagster event log, and in runs
the daemon launches they cost one level check each.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

LOGGER = logging.Logger("lagesbild.progress", logging.INFO)
"""Outside the `logging` hierarchy on purpose: no root handler prints these, no logging
configuration (Dagster's, dbt's, pytest's) changes them; only a console's handler gets them."""

RECORD_ATTRIBUTE = "lagesbild_progress"
"""The attribute of a log record that carries its `Progress`."""


@dataclass(frozen=True)
class Progress:
    """One unit of work finished: `done` of `total` in `task` (e.g. "ingest offences")."""

    stage: str
    task: str
    done: int
    total: int
    item: str = ""


def report(stage: str, task: str, done: int, total: int, item: str = "") -> None:
    """Record that `done` of `total` units of `task` (part of `stage`) are finished."""
    if LOGGER.handlers:
        LOGGER.info(
            "%s: %s %d/%d %s",
            stage,
            task,
            done,
            total,
            item,
            extra={RECORD_ATTRIBUTE: Progress(stage, task, done, total, item)},
        )


def progress_of(record: logging.LogRecord) -> Progress | None:
    """The `Progress` a log record carries, if any."""
    value = getattr(record, RECORD_ATTRIBUTE, None)
    return value if isinstance(value, Progress) else None
