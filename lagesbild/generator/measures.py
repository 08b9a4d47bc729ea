"""The example register of measures and the effects planted in the generated offences.

`landing/measures/measures.csv` lists measures in real areas (synthetic measures: none of them
happened). Some have an effect planted in the offence intensities from their start month —
a multiplier on the outcome's offence codes in the area's DeSOs, and for one measure an
increase in the rest of its local police area (displacement) — some have none. Planted sizes
are written to GENERATED.txt, so an evaluation can be checked against the truth.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from lagesbild.generator.geography import Geography
from lagesbild.generator.timeline import parse_month

REGISTER_HEADER = (
    "measure_id;name;kind;area_code;start_month;end_month;outcome_indicators;"
    "expected_direction;registered_date"
)


@dataclass(frozen=True)
class PlantedMeasure:
    measure_id: str
    name: str
    kind: str
    area_codes: tuple[str, ...]
    start: str
    end: str | None
    outcome_indicators: tuple[str, ...]
    expected_direction: str
    registered_date: str
    area_effects: dict[str, float] = field(default_factory=dict)  # indicator → rate ratio
    surroundings_effects: dict[str, float] = field(default_factory=dict)

    def register_rows(self) -> list[str]:
        return [
            ";".join(
                [
                    self.measure_id,
                    self.name,
                    self.kind,
                    area,
                    self.start,
                    self.end or "",
                    ",".join(self.outcome_indicators),
                    self.expected_direction,
                    self.registered_date,
                ]
            )
            for area in self.area_codes
        ]


REGISTER: tuple[PlantedMeasure, ...] = (
    PlantedMeasure(
        "M01", "Handlingsplan Rosengård", "action_plan", ("USO002",), "2023-03", None,
        ("violent_crime", "vandalism_arson"), "decrease", "2023-02-10",
        area_effects={"violent_crime": 0.75},
    ),
    PlantedMeasure(
        "M02", "Fler områdespoliser Nydala/Hermodsdal/Lindängen", "area_police", ("USO023",),
        "2023-01", None, ("violent_crime", "drug_offences"), "decrease", "2022-12-01",
        area_effects={"drug_offences": 1.30},
    ),
    PlantedMeasure(
        "M03", "Ökad närvaro Hallunda/Norsborg", "presence", ("USO015",), "2022-09",
        "2024-08", ("violent_crime",), "decrease", "2022-08-22",
        area_effects={"violent_crime": 0.70},
        surroundings_effects={"violent_crime": 1.25},
    ),
    PlantedMeasure(
        "M04", "Kamerabevakning Bergsjön", "fixed_camera", ("USO004",), "2023-06", None,
        ("offences_total",), "decrease", "2023-05-02",
    ),
    PlantedMeasure(
        "M05", "Handlingsplan Skäggetorp", "action_plan", ("USO005",), "2022-10", None,
        ("violent_crime",), "decrease", "2022-09-30",
    ),
    PlantedMeasure(
        "M06", "Kroppsburna kameror Husby", "body_worn_camera", ("USO007",), "2023-04", None,
        ("violent_crime",), "decrease", "2023-09-15",
    ),
    PlantedMeasure(
        "M07", "Handlingsplan Vivalla", "action_plan", ("USO016",), "2023-09", "2024-12",
        ("drug_offences",), "decrease", "2023-08-20",
    ),
    PlantedMeasure(
        "M08", "Ökad närvaro Hässelby gård", "presence", ("USO045",), "2022-06", None,
        ("vandalism_arson",), "decrease", "2022-05-16",
    ),
    PlantedMeasure(
        "M09", "Skjutvapeninsats Hammarkullen", "other", ("USO020",), "2023-02", None,
        ("shootings",), "decrease", "2023-01-25",
    ),
    PlantedMeasure(
        "M10", "Handlingsplan Norrby och Hässleholmen", "action_plan", ("USO013", "USO014"),
        "2023-02", None, ("violent_crime",), "decrease", "2023-01-31",
    ),
    PlantedMeasure(
        "M11", "Ny handlingsplan Bäckby", "action_plan", ("USO043",), "2026-08", None,
        ("violent_crime",), "decrease", "2026-07-01",
    ),
)  # fmt: skip


def write_register(path: Path, register: tuple[PlantedMeasure, ...] = REGISTER) -> int:
    """`landing/measures/measures.csv`; returns the number of rows (measure × area)."""
    rows = [row for measure in register for row in measure.register_rows()]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join([REGISTER_HEADER, *rows]) + "\n", encoding="utf-8")
    return len(rows)


def describe_planted(register: tuple[PlantedMeasure, ...] = REGISTER) -> str:
    """The planted truth, for GENERATED.txt."""
    lines = []
    for measure in register:
        planted = [
            f"{indicator} × {ratio:.2f} in the area"
            for indicator, ratio in measure.area_effects.items()
        ] + [
            f"{indicator} × {ratio:.2f} in the rest of its LPO (displacement)"
            for indicator, ratio in measure.surroundings_effects.items()
        ]
        period = f"{measure.start}..{measure.end or 'ongoing'}"
        effect = "; ".join(planted) if planted else "no effect planted"
        lines.append(
            f"  {measure.measure_id} {'+'.join(measure.area_codes)} {period} "
            f"[{','.join(measure.outcome_indicators)}]: {effect}"
        )
    return "\n".join(lines)


class PlantedEffects:
    """Multipliers on the offence intensities (DeSO × offence code) month by month."""

    def __init__(
        self,
        geo: Geography,
        offence_codes: list[str],
        indicator_codes: pl.DataFrame,
        register: tuple[PlantedMeasure, ...] = REGISTER,
    ) -> None:
        area_index = {area.code: i for i, area in enumerate(geo.areas)}
        code_index = {code: i for i, code in enumerate(offence_codes)}
        self.entries: list[tuple[int, int, np.ndarray, np.ndarray, float]] = []
        for measure in register:
            first = parse_month(measure.start)
            last = parse_month(measure.end) if measure.end else 10**9
            treated = np.isin(
                geo.area_idx, [area_index[c] for c in measure.area_codes if c in area_index]
            )
            lpos = np.unique(geo.lpo_idx[treated])
            surroundings = np.isin(geo.lpo_idx, lpos) & ~treated
            for desos, effects in (
                (treated, measure.area_effects),
                (surroundings, measure.surroundings_effects),
            ):
                for indicator, ratio in effects.items():
                    codes = indicator_codes.filter(pl.col("indicator_code") == indicator)[
                        "offence_code"
                    ]
                    columns = np.array([code_index[c] for c in codes if c in code_index])
                    if desos.any() and len(columns):
                        self.entries.append((first, last, np.nonzero(desos)[0], columns, ratio))

    def apply(self, month: int, intensity: np.ndarray) -> np.ndarray:
        """The month's intensities (n_deso, n_code) with every active planted effect."""
        active = [entry for entry in self.entries if entry[0] <= month <= entry[1]]
        if not active:
            return intensity
        result = intensity.copy()
        for _, _, rows, columns, ratio in active:
            result[np.ix_(rows, columns)] *= ratio
        return result
