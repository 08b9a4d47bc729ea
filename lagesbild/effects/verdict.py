"""The verdict of an evaluation and the thresholds behind it (documented in docs/effects.md).

Per measure × outcome indicator × zone, each method gets a verdict:

1. `insufficient_data` — fewer than MIN_PRE_MONTHS months before the start or MIN_POST_MONTHS
   from it, fewer than MIN_PRE_EVENTS events before the start or MIN_EXPECTED_POST_EVENTS
   expected after it, or fewer than MIN_COMPARISON_UNITS comparison units (with fewer, no
   placebo ranking can reach p ≤ 0.05).
2. `not_comparable` — the zone's police classification changed (entry, exit, up- or
   downgrade, split) inside the evaluation window: the change of status is an event of its own
   that the measure cannot be separated from. For the difference-in-differences also when its
   pre-trend test fails (pre_trend_p ≤ PRE_TREND_ALPHA); for the synthetic control when no
   synthetic control fits the pre-period.
3. `decrease` / `increase` — the placebo p-value is ≤ ALPHA (so the 95 % interval excludes
   "no change"), in the direction of the estimate.
4. `no_detectable_change` — otherwise. Not "no effect": an effect smaller than the minimum
   detectable effect would usually go unseen.

The measure's conclusion for the zone (`is_primary`) is the difference-in-differences unless
it is not comparable; then the synthetic control if that fits; else `not_comparable` — which
is exactly "the pre-period fails the pre-trend test and no synthetic control fits it".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

ALPHA = 0.05
"""Two-sided level of the placebo test (and 1 − the interval's coverage)."""
PRE_TREND_ALPHA = 0.05
"""The pre-trend test fails when the zone's pre-period is rougher than 95 % of placebos'."""
MIN_PRE_MONTHS = 12
MIN_POST_MONTHS = 6
MAX_PRE_MONTHS = 36
"""At most three years before the start are used (older dynamics say little of today's)."""
MAX_POST_MONTHS = 24
"""The first two years of a measure are evaluated (carrying a trend further is guesswork)."""
MIN_PRE_EVENTS = 30
MIN_EXPECTED_POST_EVENTS = 10
MIN_COMPARISON_UNITS = 19
"""With 19 placebos the smallest attainable p-value is 1/20 = 0.05."""


class Verdict(StrEnum):
    DECREASE = "decrease"
    INCREASE = "increase"
    NO_DETECTABLE_CHANGE = "no_detectable_change"
    INSUFFICIENT_DATA = "insufficient_data"
    NOT_COMPARABLE = "not_comparable"


@dataclass(frozen=True)
class MethodVerdict:
    verdict: Verdict
    reason: str  # English, for the table (auditors)
    reason_sv: str = ""  # Swedish, for the report


def insufficiency(
    *,
    pre_months: int,
    post_months: int,
    events_pre: float,
    expected_post_events: float,
    n_comparison: int,
) -> MethodVerdict | None:
    """Why the data cannot carry an evaluation (an insufficient_data verdict), or None."""
    if pre_months < MIN_PRE_MONTHS:
        return _insufficient(
            f"only {pre_months} months before the start (at least {MIN_PRE_MONTHS} needed)",
            f"bara {pre_months} månader före start (minst {MIN_PRE_MONTHS} behövs)",
        )
    if post_months < MIN_POST_MONTHS:
        return _insufficient(
            f"only {post_months} months from the start (at least {MIN_POST_MONTHS} needed)",
            f"bara {post_months} månader från start (minst {MIN_POST_MONTHS} behövs)",
        )
    if events_pre < MIN_PRE_EVENTS:
        return _insufficient(
            f"only {events_pre:.0f} events before the start (at least {MIN_PRE_EVENTS} needed)",
            f"bara {events_pre:.0f} händelser före start (minst {MIN_PRE_EVENTS} behövs)",
        )
    if expected_post_events < MIN_EXPECTED_POST_EVENTS:
        return _insufficient(
            f"only {expected_post_events:.1f} events expected after the start at the earlier "
            f"rate (at least {MIN_EXPECTED_POST_EVENTS} needed)",
            f"bara {expected_post_events:.1f} händelser väntade efter start med den tidigare "
            f"nivån (minst {MIN_EXPECTED_POST_EVENTS} behövs)",
        )
    if n_comparison < MIN_COMPARISON_UNITS:
        return _insufficient(
            f"only {n_comparison} comparison units (at least {MIN_COMPARISON_UNITS} needed for a "
            "placebo test at the 5 % level)",
            f"bara {n_comparison} jämförelseenheter (minst {MIN_COMPARISON_UNITS} behövs för ett "
            "placebotest på 5 %-nivån)",
        )
    return None


def _insufficient(reason: str, reason_sv: str) -> MethodVerdict:
    return MethodVerdict(Verdict.INSUFFICIENT_DATA, reason, reason_sv)


def missing_data(reason: str, reason_sv: str) -> MethodVerdict:
    """insufficient_data because the zone has no complete series."""
    return _insufficient(reason, reason_sv)


def status_changed(description: str) -> MethodVerdict:
    return MethodVerdict(
        Verdict.NOT_COMPARABLE,
        f"the police classification changed in the window ({description}): the change of "
        "status cannot be separated from the measure",
        f"polisens klassning ändrades under perioden ({description}): statusändringen går "
        "inte att skilja från åtgärden",
    )


def by_p_value(p_value: float, log_effect: float) -> MethodVerdict:
    """decrease / increase when p ≤ ALPHA, else no_detectable_change."""
    if p_value == p_value and p_value <= ALPHA:  # NaN-safe
        direction = Verdict.DECREASE if log_effect < 0 else Verdict.INCREASE
        return MethodVerdict(
            direction,
            f"placebo p = {p_value:.3f} ≤ {ALPHA}",
            f"placebo-p = {p_value:.3f} ≤ {ALPHA}".replace(".", ","),
        )
    return MethodVerdict(
        Verdict.NO_DETECTABLE_CHANGE,
        f"placebo p = {p_value:.3f} > {ALPHA}: no detectable change",
        f"placebo-p = {p_value:.3f} > {ALPHA}".replace(".", ",")
        + ": skillnaden ryms i hur jämförelseenheterna varierar på egen hand",
    )


def did_verdict(p_value: float, log_effect: float, pre_trend_p: float) -> MethodVerdict:
    if pre_trend_p == pre_trend_p and pre_trend_p <= PRE_TREND_ALPHA:
        return MethodVerdict(
            Verdict.NOT_COMPARABLE,
            f"pre-trend test fails (p = {pre_trend_p:.3f} ≤ {PRE_TREND_ALPHA}): before the start "
            "the zone did not follow its own trend as the comparison units did",
            "förtrendtestet underkänner perioden före start: zonen följde inte sin egen trend "
            "så som jämförelseenheterna gjorde",
        )
    return by_p_value(p_value, log_effect)


def synthetic_verdict(
    p_value: float, log_effect: float, fits: bool, fit_ratio: float
) -> MethodVerdict:
    if not fits:
        return MethodVerdict(
            Verdict.NOT_COMPARABLE,
            f"no synthetic control fits the pre-period (RMSPE {fit_ratio:.2f} × Poisson noise)",
            "ingen syntetisk kontroll följer perioden före start tillräckligt väl",
        )
    return by_p_value(p_value, log_effect)


def primary_method(did: MethodVerdict, synthetic: MethodVerdict) -> str:
    """Which method carries the zone's conclusion: 'did' or 'synthetic_control'."""
    if did.verdict is Verdict.NOT_COMPARABLE and synthetic.verdict not in (
        Verdict.NOT_COMPARABLE,
        Verdict.INSUFFICIENT_DATA,
    ):
        return "synthetic_control"
    return "did"
