"""Laney u′ control charts on monthly rates, with the run rules, for many series at once.

Centre ū = Σy/Σn over a baseline period (n = exposure, e.g. thousands of inhabitants).
Poisson sigma per month σᵢ = √(ū/nᵢ); standardised zᵢ = (uᵢ − ū)/σᵢ. Laney's σ_z is the mean
moving range of z over the baseline divided by 1.128 (d₂ for n = 2), so over-dispersed
series get wider limits: ū ± 3·σᵢ·σ_z (lower limit not below 0).

Rules (a signal is reported when the point that completes it lies in the review window):
- `outside_upper` / `outside_lower`: a point outside the limits;
- `run_8_above` / `run_8_below`: 8 points in a row on one side of the centre;
- `trend_6_rising` / `trend_6_falling`: 6 points in a row each higher (lower) than the last.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

D2 = 1.128
SIGMA = 3.0
RUN_SIDE = 8
RUN_TREND = 6
RULES = (
    "outside_upper",
    "outside_lower",
    "run_8_above",
    "run_8_below",
    "trend_6_rising",
    "trend_6_falling",
)
UPWARD_RULES = ("outside_upper", "run_8_above", "trend_6_rising")
"""Rules that signal a rise; the others signal a fall."""
RULE_TEXT_SV = {
    "outside_upper": "över övre kontrollgränsen",
    "outside_lower": "under nedre kontrollgränsen",
    "run_8_above": "8 månader i rad över medellinjen",
    "run_8_below": "8 månader i rad under medellinjen",
    "trend_6_rising": "6 månader i rad stigande",
    "trend_6_falling": "6 månader i rad fallande",
}


@dataclass(frozen=True)
class ControlChart:
    rate: np.ndarray
    centre: np.ndarray
    """(series,) baseline centre line."""
    lower: np.ndarray
    upper: np.ndarray
    sigma_z: np.ndarray
    fired: dict[str, np.ndarray]
    """Rule → (series × months) bool: the rule is completed at that month."""

    def signals(self, window: np.ndarray) -> list[str | None]:
        """Per series: the rules fired within the window, ';'-joined, or None."""
        hits = np.stack([self.fired[rule][:, window].any(axis=1) for rule in RULES], axis=1)
        codes = hits.astype(np.int64) @ (1 << np.arange(len(RULES), dtype=np.int64))
        text: dict[int, str | None] = {0: None}
        for code in np.unique(codes).tolist():
            names = [rule for bit, rule in enumerate(RULES) if code >> bit & 1]
            text[code] = ";".join(names) or None
        return [text[code] for code in codes.tolist()]

    def months_signalled(self, window: np.ndarray) -> np.ndarray:
        """Per series: in how many months of the window any rule fired (persistence)."""
        fired = np.zeros((self.rate.shape[0], int(window.sum())), dtype=bool)
        for rule in RULES:
            fired |= self.fired[rule][:, window]
        return fired.sum(axis=1)

    def directions(self, window: np.ndarray) -> list[str | None]:
        """Per series: 'up', 'down' or 'both' by the rules fired within the window, or None."""
        up = np.zeros(self.rate.shape[0], dtype=bool)
        down = np.zeros(self.rate.shape[0], dtype=bool)
        for rule in RULES:
            hit = self.fired[rule][:, window].any(axis=1)
            if rule in UPWARD_RULES:
                up |= hit
            else:
                down |= hit
        labels = np.select([up & down, up, down], ["both", "up", "down"], default="")
        return [label or None for label in labels.tolist()]


def _run_lengths(condition: np.ndarray) -> np.ndarray:
    """Length of the run of True ending at each position, along the last axis."""
    runs = np.zeros(condition.shape, dtype=int)
    for t in range(condition.shape[1]):
        previous = runs[:, t - 1] if t else 0
        runs[:, t] = np.where(condition[:, t], previous + 1, 0)
    return runs


def laney_u_prime(y: np.ndarray, exposure: np.ndarray, baseline: np.ndarray) -> ControlChart:
    """Chart every row of `y` (counts) over `exposure`; `baseline` is a bool mask of months."""
    y = np.atleast_2d(np.asarray(y, dtype=float))
    n = np.atleast_2d(np.asarray(exposure, dtype=float))
    ok = np.isfinite(y) & np.isfinite(n) & (n > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = np.where(ok, y / n, np.nan)
        in_base = ok & baseline[None, :]
        centre = np.where(in_base, y, 0).sum(axis=1) / np.where(in_base, n, 0).sum(axis=1)
        sigma = np.sqrt(centre[:, None] / n)
        z = (rate - centre[:, None]) / sigma
        z_base = np.where(in_base & (sigma > 0), z, np.nan)
        moving = np.abs(np.diff(z_base, axis=1))
        finite = np.isfinite(moving)
        mr_bar = np.where(finite, moving, 0).sum(axis=1) / np.where(
            finite.any(axis=1), finite.sum(axis=1), np.nan
        )
    sigma_z = np.where(np.isfinite(mr_bar), mr_bar / D2, 1.0)
    upper = centre[:, None] + SIGMA * sigma * sigma_z[:, None]
    lower = np.maximum(centre[:, None] - SIGMA * sigma * sigma_z[:, None], 0.0)
    valid = ok & np.isfinite(upper) & (centre[:, None] > 0)
    above = valid & (rate > centre[:, None])
    below = valid & (rate < centre[:, None])
    rising = np.zeros_like(valid)
    falling = np.zeros_like(valid)
    rising[:, 1:] = valid[:, 1:] & valid[:, :-1] & (rate[:, 1:] > rate[:, :-1])
    falling[:, 1:] = valid[:, 1:] & valid[:, :-1] & (rate[:, 1:] < rate[:, :-1])
    fired = {
        "outside_upper": valid & (rate > upper),
        "outside_lower": valid & (rate < lower) & (lower > 0),
        "run_8_above": _run_lengths(above) >= RUN_SIDE,
        "run_8_below": _run_lengths(below) >= RUN_SIDE,
        "trend_6_rising": _run_lengths(rising) >= RUN_TREND - 1,
        "trend_6_falling": _run_lengths(falling) >= RUN_TREND - 1,
    }
    return ControlChart(rate, centre, lower, upper, sigma_z, fired)
