"""The outcome of the publish gate: which required checks passed, which did not and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class GateReport:
    results: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.failures

    def add(self, entry: dict[str, Any], label: str, problem: str | None) -> None:
        """Record one required check: `problem` is None when it passed."""
        entry["passed"] = problem is None
        if problem:
            entry["problem"] = problem
            self.failures.append(f"{label} {problem}")
            self.failed_checks.append(label)
        self.results.append(entry)

    def message(self, limit: int = 10) -> str:
        """Every failing check by name, then the reasons of the first `limit`."""
        shown = "\n".join(f"  - {failure}" for failure in self.failures[:limit])
        more = len(self.failures) - limit
        tail = f"\n  … and {more} more (see the checks in the UI)" if more > 0 else ""
        return (
            f"{len(self.failures)} required check(s) did not pass: "
            f"{', '.join(self.failed_checks)}\n{shown}{tail}"
        )

    def gx_results_dirs(self) -> list[str]:
        """The folders where the GX checks of this gate wrote their validation results."""
        return sorted({str(r["gx_results_dir"]) for r in self.results if r.get("gx_results_dir")})
