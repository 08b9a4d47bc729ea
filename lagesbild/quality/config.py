"""Thresholds of the quality gate and the public export, in one place (overridable by env)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from lagesbild.settings import PROJECT_ROOT, REGION_SLUGS

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

MOM_WARN_THRESHOLD_ENV = "LAGESBILD_MOM_WARN_THRESHOLD"
MOM_MIN_COUNT_ENV = "LAGESBILD_MOM_MIN_COUNT"
DISCLOSURE_THRESHOLD_ENV = "LAGESBILD_DISCLOSURE_THRESHOLD"


@dataclass(frozen=True)
class QualityConfig:
    """Parameters of the suites (GX suite parameters `{"$PARAMETER": name}`)."""

    mom_warn_threshold: float = 0.5
    """Warn when a count moves more than this share from the previous month (0.5 = ±50 %)."""
    mom_min_count: int = 30
    """…only where the previous month had at least this many events (small counts jump)."""
    max_rate_per_1000: float = 1000.0
    """A monthly rate per 1 000 inhabitants above this is impossible."""
    region_slugs: tuple[str, ...] = REGION_SLUGS

    @classmethod
    def from_env(cls) -> QualityConfig:
        defaults = cls()
        return cls(
            mom_warn_threshold=float(
                os.environ.get(MOM_WARN_THRESHOLD_ENV, defaults.mom_warn_threshold)
            ),
            mom_min_count=int(os.environ.get(MOM_MIN_COUNT_ENV, defaults.mom_min_count)),
        )


def disclosure_threshold() -> int:
    """Counts below this are suppressed in the public export (default 3)."""
    return int(os.environ.get(DISCLOSURE_THRESHOLD_ENV, "3"))
