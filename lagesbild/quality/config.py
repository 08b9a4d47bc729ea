"""Thresholds of the quality gate and the public export, in one place (overridable by env)."""

from __future__ import annotations

import os
from dataclasses import dataclass

from lagesbild.settings import PROJECT_ROOT, REGION_SLUGS

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"

MOM_WARN_THRESHOLD_ENV = "LAGESBILD_MOM_WARN_THRESHOLD"
MOM_MIN_COUNT_ENV = "LAGESBILD_MOM_MIN_COUNT"
DISCLOSURE_THRESHOLD_ENV = "LAGESBILD_DISCLOSURE_THRESHOLD"
COVERAGE_ENV = {
    "coverage_block_p": "LAGESBILD_COVERAGE_BLOCK_P",
    "coverage_warn_p": "LAGESBILD_COVERAGE_WARN_P",
    "coverage_block_min_expected": "LAGESBILD_COVERAGE_BLOCK_MIN_EXPECTED",
    "coverage_warn_min_expected": "LAGESBILD_COVERAGE_WARN_MIN_EXPECTED",
    "coverage_min_history_months": "LAGESBILD_COVERAGE_MIN_HISTORY_MONTHS",
    "coverage_min_relative_sd": "LAGESBILD_COVERAGE_MIN_RELATIVE_SD",
}
"""The environment variable that overrides each coverage threshold."""


@dataclass(frozen=True)
class CoverageThresholds:
    """When a low count warns or blocks (the coverage rule, `lagesbild.quality.coverage`)."""

    block_p: float
    warn_p: float
    block_min_expected: float
    warn_min_expected: float
    min_history_months: int
    min_relative_sd: float


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

    # Coverage completeness (lagesbild/quality/coverage.py; rates in docs/coverage.md)
    coverage_block_p: float = 1e-6
    """Block when P(count ≤ delivered) under the unit's own history is below this…"""
    coverage_block_min_expected: float = 20.0
    """…and the unit's expected count is at least this (a large unit, not a handful)."""
    coverage_warn_p: float = 1e-3
    """Warn (never block) for a smaller, merely unusual drop: P below this…"""
    coverage_warn_min_expected: float = 5.0
    """…where the expected count is at least this."""
    coverage_min_history_months: int = 12
    """Delivered months a unit-month needs before it; with fewer it is 'no history'."""
    coverage_min_relative_sd: float = 0.10
    """Uncertainty of every expectation of at least this share of it (level shifts no history
    predicts: a new year's level, a reorganisation); it dominates for the largest units."""

    @classmethod
    def from_env(cls) -> QualityConfig:
        defaults = cls()
        coverage = {
            name: type(getattr(defaults, name))(os.environ[variable])
            for name, variable in COVERAGE_ENV.items()
            if os.environ.get(variable)
        }
        return cls(
            mom_warn_threshold=float(
                os.environ.get(MOM_WARN_THRESHOLD_ENV, defaults.mom_warn_threshold)
            ),
            mom_min_count=int(os.environ.get(MOM_MIN_COUNT_ENV, defaults.mom_min_count)),
            **coverage,
        )

    def coverage_thresholds(self) -> CoverageThresholds:
        return CoverageThresholds(
            block_p=self.coverage_block_p,
            warn_p=self.coverage_warn_p,
            block_min_expected=self.coverage_block_min_expected,
            warn_min_expected=self.coverage_warn_min_expected,
            min_history_months=self.coverage_min_history_months,
            min_relative_sd=self.coverage_min_relative_sd,
        )


def disclosure_threshold() -> int:
    """Counts below this are suppressed in the public export (default 3)."""
    return int(os.environ.get(DISCLOSURE_THRESHOLD_ENV, "3"))
