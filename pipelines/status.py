"""`lagesbild status`: what is published, which months are complete per source, what waits in
quarantine, and the last publication the gate refused (from the Dagster instance) — exit 0."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from lagesbild.review.inputs import is_synthetic_data
from lagesbild.settings import DataPaths
from lagesbild.status import (
    MonthsState,
    latest_publication,
    months_per_source,
    quarantined_deliveries,
)

if TYPE_CHECKING:
    import dagster as dg

REFUSAL_PREFIX = "Publication refused"
"""How the publish gate's failures begin (assets/publish/gate.py)."""
RECENT_STEP_FAILURES = 500


@dataclass(frozen=True)
class Refusal:
    run_id: str
    month: str
    at: datetime
    reason: str


def last_refusal(instance: dg.DagsterInstance) -> Refusal | None:
    """The newest failure of a publication step: the publish asset's step (every `Failure` it
    raises is a refusal) or the tertial review's republication (a refusal by the same gate)."""
    import dagster as dg

    from assets.publish.assets import PUBLISHED_WAREHOUSE_KEY
    from assets.review.assets import tertial_review

    publish_step = "__".join(PUBLISHED_WAREHOUSE_KEY.path)
    records = instance.get_event_records(
        dg.EventRecordsFilter(event_type=dg.DagsterEventType.STEP_FAILURE),
        limit=RECENT_STEP_FAILURES,
        ascending=False,
    )
    for record in records:
        entry = record.event_log_entry
        event = entry.dagster_event
        if event is None or entry.step_key not in (publish_step, tertial_review.op.name):
            continue
        failure = event.step_failure_data.user_failure_data
        description = (failure.description or "") if failure is not None else ""
        if not description.startswith(REFUSAL_PREFIX):
            continue
        run = instance.get_run_by_id(entry.run_id)
        month = run.tags.get("dagster/partition", "?") if run is not None else "?"
        at = datetime.fromtimestamp(entry.timestamp, UTC)
        return Refusal(entry.run_id, month, at, description)
    return None


def _span(months: list[str]) -> str:
    if not months:
        return "none"
    if len(months) <= 6:
        return ", ".join(months)
    return f"{', '.join(months[:3])} … {', '.join(months[-2:])} ({len(months)} months)"


def render_months(state: MonthsState, out: TextIO) -> None:
    if state.first is None:
        out.write("Months: nothing ingested yet.\n")
        return
    complete, incomplete = state.complete_months, state.incomplete_months
    out.write(
        f"Months {state.first}..{state.last}: {len(complete)} complete, "
        f"{len(incomplete)} incomplete (from the {state.basis})\n"
    )
    width = max(len(source.source) for source in state.sources)
    for source in state.sources:
        total = len(source.delivered) + len(source.missing)
        line = f"  {source.source:<{width}}  {len(source.delivered):>3}/{total:<3} delivered"
        if source.missing:
            line += f" · missing {_span(list(source.missing))}"
        out.write(line + "\n")


def render_status(paths: DataPaths, instance: dg.DagsterInstance | None, out: TextIO) -> None:
    out.write(f"Lägesbild status — data directory {paths.root}\n")
    if is_synthetic_data(paths):
        out.write("Data: the SYNTHETIC default data set (generated, not police statistics)\n")
    publication = latest_publication(paths)
    if publication is None:
        out.write("Published: nothing yet (run `lagesbild demo` or `lagesbild run --month …`)\n")
    else:
        out.write(
            f"Published: {publication.month} · run {publication.run_id} · code "
            f"{publication.code_version} · at {publication.published_at:%Y-%m-%d %H:%M} UTC\n"
            f"  {publication.path}\n"
        )
    months = months_per_source(paths)
    render_months(months, out)
    quarantined = quarantined_deliveries(paths, months.accepted_at)
    waiting = [entry for entry in quarantined if entry.state != "corrected"]
    corrected = len(quarantined) - len(waiting)
    out.write(
        f"Quarantine: {len(waiting)} delivery(ies) awaiting correction"
        + (f", {corrected} corrected since" if corrected else "")
        + "\n"
    )
    for entry in waiting:
        when = f"{entry.rejected_at:%Y-%m-%d %H:%M}" if entry.rejected_at else "?"
        out.write(
            f"  {entry.source} {entry.partition}  {entry.file.name}  rejected {when} "
            f"({entry.state})\n    {entry.reason}\n"
        )
    if instance is None:
        out.write("Last refused publication: unknown (the Dagster instance is not reachable)\n")
        return
    refusal = last_refusal(instance)
    if refusal is None:
        out.write("Last refused publication: none\n")
        return
    later = publication is not None and publication.published_at.replace(tzinfo=UTC) > refusal.at
    out.write(
        f"Last refused publication: {refusal.month} · run {refusal.run_id} · at "
        f"{refusal.at:%Y-%m-%d %H:%M} UTC"
        + (" (a publication has succeeded since)" if later else "")
        + "\n"
    )
    for line in refusal.reason.splitlines()[:12]:
        out.write(f"    {line}\n")


def cmd_status(paths: DataPaths) -> int:
    """Print the status; exit 0 (a missing instance or publication is reported, not an error)."""
    from pipelines.instance import InstanceConfigurationError, get_instance

    instance = None
    try:
        instance = get_instance(paths)
    except InstanceConfigurationError as error:
        print(f"lagesbild: {error}", file=sys.stderr)
    render_status(paths, instance, sys.stdout)
    return 0
