"""Dagster event-log entries built by hand, for tests that store events without running a job."""

from __future__ import annotations

import time
from typing import Any

import dagster as dg
from dagster._core.events import DagsterEvent, DagsterEventType, StepMaterializationData
from dagster._core.events.log import EventLogEntry


def materialization_entry(run_id: str, asset: str, metadata: dict[str, Any]) -> EventLogEntry:
    """An ASSET_MATERIALIZATION entry of `asset` in run `run_id`, as a step would log it."""
    event = DagsterEvent(
        DagsterEventType.ASSET_MATERIALIZATION.value,
        "job",
        event_specific_data=StepMaterializationData(
            dg.AssetMaterialization(asset_key=dg.AssetKey(asset), metadata=metadata)
        ),
    )
    return EventLogEntry(
        error_info=None,
        level="debug",
        user_message="",
        run_id=run_id,
        timestamp=time.time(),
        dagster_event=event,
    )
