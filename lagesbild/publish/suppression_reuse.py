"""Take the suppression of months whose inputs did not change from the published export.

A month's suppression (`export._month_suppression`) is a pure function of that month's count
and ratio cells — indicator, geography, numerator, denominator, kind —, the hierarchy groups,
the threshold and the code that computes it. Each export built records, beside the export
(`export_reuse.RECORD_NAME`), a fingerprint per month of those cells and one of everything
else (`key`). The next export computes the suppression only of months that are new or whose
fingerprint changed and takes the others' `suppression` column from the published Parquet
file (a monthly increment: one month computed, the history taken). A different key, a record
or file that is missing, touched or unreadable, or a month whose rows do not match one for one
means: compute. The whole export is verified afterwards as before, every month.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from lagesbild.publish import disclosure
from lagesbild.publish.disclosure import Geo

SUPPRESSION_INPUTS = (
    "indicator_code",
    "geo_level",
    "geo_code",
    "numerator",
    "denominator",
    "is_count",
    "is_ratio",
)
"""The columns of a month's rows its suppression is computed from (`export._month_suppression`
reads exactly these, in this order), hence what each month's fingerprint covers."""
CELL_KEY = ["indicator_code", "geo_level", "geo_code"]
EXPORT_CODE = (Path(__file__).with_name("export.py"), Path(disclosure.__file__))
"""The modules that build the export and compute its suppression (export imports this
module, hence named by path): a change to either builds the export and every month again."""


def export_code_digests() -> list[str]:
    """sha256 of each module of `EXPORT_CODE`."""
    return [hashlib.sha256(path.read_bytes()).hexdigest() for path in EXPORT_CODE]


def suppression_key(groups: list[tuple[Geo, list[Geo]]], threshold: int) -> str:
    """sha256 over what every month's suppression shares: groups, threshold, code, polars."""
    inputs = {
        "groups": [
            [list(parent), [list(child) for child in children]] for parent, children in groups
        ],
        "threshold": threshold,
        "code": export_code_digests(),
        "polars": pl.__version__,  # row hashes are stable within a polars version only
    }
    return hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()


def month_fingerprint(month_rows: pl.DataFrame) -> str:
    """Row count and sha256 of the sorted row hashes of a month's suppression inputs."""
    hashes = month_rows.select(SUPPRESSION_INPUTS).hash_rows(seed=0).sort()
    digest = hashlib.sha256(hashes.to_numpy().tobytes()).hexdigest()
    return f"{month_rows.height}:{digest}"


def _month_name(month_rows: pl.DataFrame) -> str:
    first: date = month_rows.get_column("month")[0]
    return f"{first:%Y-%m}"


class SuppressionMemo:
    """The suppression of one export build, month by month, with what the last one recorded.

    `start` is called once with the build's groups and threshold; `column` gives each month's
    suppression (taken or computed); `record` is what the export's record keeps for the next.
    """

    def __init__(self, recorded: dict[str, Any] | None, parquet: Path | None) -> None:
        self._recorded = recorded or {}
        self._parquet = parquet
        self._previous: dict[str, pl.DataFrame] | None = None
        self._key = ""
        self.fingerprints: dict[str, str] = {}
        self.computed: list[str] = []

    def start(self, groups: list[tuple[Geo, list[Geo]]], threshold: int) -> None:
        self._key = suppression_key(groups, threshold)
        if self._recorded.get("key") != self._key or self._parquet is None:
            self._recorded = {}

    def _previous_month(self, name: str) -> pl.DataFrame | None:
        if self._previous is None:
            try:
                previous = pl.read_parquet(
                    self._parquet, columns=["month", *CELL_KEY, "suppression"]
                )
            except (OSError, pl.exceptions.PolarsError):
                self._recorded = {}
                return None
            self._previous = {
                _month_name(rows): rows.drop("month")
                for rows in previous.partition_by("month", maintain_order=True)
            }
        return self._previous.get(name)

    def column(
        self, month_rows: pl.DataFrame, compute: Callable[[], list[str | None]]
    ) -> pl.Series:
        """The month's suppression in row order: taken when its inputs are unchanged."""
        name = _month_name(month_rows)
        fingerprint = month_fingerprint(month_rows)
        self.fingerprints[name] = fingerprint
        if self._recorded.get("months", {}).get(name) == fingerprint:
            taken = self._take(name, month_rows)
            if taken is not None:
                return taken
        self.computed.append(name)
        return pl.Series("suppression", compute(), pl.String)

    def _take(self, name: str, month_rows: pl.DataFrame) -> pl.Series | None:
        previous = self._previous_month(name)
        if previous is None or previous.height != month_rows.height:
            return None
        joined = month_rows.select(CELL_KEY).join(
            previous.with_columns(found=pl.lit(True)),
            on=CELL_KEY,
            how="left",
            maintain_order="left",
        )
        if joined.height != month_rows.height or joined.get_column("found").null_count():
            return None
        return joined.get_column("suppression").cast(pl.String)

    def carry(self, months: list[date | None]) -> None:
        """Months whose rows the export took whole from the published one (`export.
        patched_export_frame`): their recorded fingerprints stay valid for the next build."""
        recorded = self._recorded.get("months", {})
        for label in (f"{month:%Y-%m}" for month in months if month is not None):
            if label in recorded:
                self.fingerprints[label] = recorded[label]

    def record(self) -> dict[str, Any]:
        """Kept in the export's record: the key, each month's fingerprint, and which months
        this build computed (the others were taken)."""
        return {"key": self._key, "months": self.fingerprints, "computed": self.computed}
