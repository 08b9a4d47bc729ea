"""Per-unit sources (staffing per LPO, presence and cameras per area): no unit may vanish.

A source that reports one row set per unit each month cannot be judged by its row count: an
LPO missing from a staffing file is simply absent. The rule: a unit in the previous delivered
month that is absent now blocks — unless the geography says it ceased (the LPO or area has no
DeSO in the delivered geography any more, or the area is not on the police's list in force,
for the sources delivered per listed area).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Vanished:
    """Units of the previous delivery absent from this one."""

    month: date
    previous_month: date
    missing: list[str]
    """Still existing according to the geography: these block."""
    ceased: list[str]
    """Absent because the geography says they ceased: no block."""


def vanished_units(
    delivered: Mapping[date, set[str]],
    months: Sequence[date],
    existing: Callable[[date], set[str]],
) -> tuple[list[Vanished], list[date]]:
    """For every checked month: units of the previous delivered month absent now.

    `delivered` maps every delivered month to its units (an undelivered month is absent from
    it: missing, not empty). Returns the findings and the checked months that have no earlier
    delivery to compare with (no history).
    """
    history = sorted(delivered)
    found: list[Vanished] = []
    no_history: list[date] = []
    for month in months:
        if month not in delivered:
            continue  # not delivered at all: the publish gate refuses it as incomplete
        earlier = [m for m in history if m < month]
        if not earlier:
            no_history.append(month)
            continue
        previous = earlier[-1]
        absent = delivered[previous] - delivered[month]
        if not absent:
            continue
        alive = existing(month)
        found.append(
            Vanished(
                month,
                previous,
                missing=sorted(absent & alive),
                ceased=sorted(absent - alive),
            )
        )
    return found, no_history
