"""Declared delivery contracts: the columns, types and rules of every landing-zone source.

The contract is data, not code: `assets/ingest/validation.py` applies it, and
`docs/data_contracts.md` describes it for people. Column order is part of the contract.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    TEXT = "text"
    DATE = "date"
    DATETIME = "datetime"
    INTEGER = "integer"
    DECIMAL = "decimal"


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind = Kind.TEXT
    required: bool = True
    pattern: str | None = None
    code_list: str | None = None
    non_negative: bool = False
    inside_month: bool = False
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class SourceContract:
    """What one monthly (or reference) delivery must look like."""

    source: str
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...] = ()
    monthly: bool = True
    description: str = ""
    history_unique: tuple[str, ...] = field(default=())
    allow_empty: bool = False

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]


MUNICIPALITY = Column("municipality_code", pattern=r"^\d{4}$", code_list="municipality")
DESO_OPTIONAL = Column("deso_code", required=False, pattern=r"^\d{4}[ABC]\d{4}$", code_list="deso")
OFFENCE_CODE = Column("offence_code", pattern=r"^\d{4}$", code_list="offence_code")
AREA = Column("area_code", pattern=r"^(USO|LGB)\d{3}$", code_list="area")
LPO = Column("lpo_code", pattern=r"^\d{6}$", code_list="lpo")
MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"
MEASURE_KINDS = (
    "action_plan",
    "fixed_camera",
    "body_worn_camera",
    "area_police",
    "presence",
    "other",
)

CONTRACTS: dict[str, SourceContract] = {
    contract.source: contract
    for contract in (
        SourceContract(
            source="offences",
            description="Reported offences, one row per offence registered in the month.",
            columns=(
                Column("offence_id", pattern=r"^K\d{9}-\d{2}$"),
                Column("registered_date", Kind.DATE, inside_month=True),
                OFFENCE_CODE,
                MUNICIPALITY,
                DESO_OPTIONAL,
            ),
            unique_key=("offence_id",),
            history_unique=("offence_id",),
        ),
        SourceContract(
            source="clearances",
            description="Offences cleared (personuppklarade) by a decision in the month.",
            columns=(
                Column("offence_id", pattern=r"^K\d{9}-\d{2}$"),
                Column("decision_date", Kind.DATE, inside_month=True),
                OFFENCE_CODE,
                MUNICIPALITY,
                DESO_OPTIONAL,
            ),
            unique_key=("offence_id",),
        ),
        SourceContract(
            source="incidents",
            description="Shootings and explosions that occurred in the month.",
            columns=(
                Column("incident_id", pattern=r"^I\d{7}-\d{2}$"),
                Column("occurred_at", Kind.DATETIME, inside_month=True),
                Column("incident_type", allowed=("shooting", "explosion")),
                MUNICIPALITY,
                DESO_OPTIONAL,
                Column("dead", Kind.INTEGER, non_negative=True),
                Column("injured", Kind.INTEGER, non_negative=True),
            ),
            unique_key=("incident_id",),
            history_unique=("incident_id",),
            allow_empty=True,
        ),
        SourceContract(
            source="staffing",
            description="Month-end staffing snapshot in full-time equivalents per LPO and area.",
            columns=(
                LPO,
                Column("area_code", required=False, pattern=r"^(USO|LGB)\d{3}$", code_list="area"),
                Column(
                    "function",
                    allowed=("omradespolis", "ingripande", "utredare", "brottsforebyggare"),
                ),
                Column("fte", Kind.DECIMAL, non_negative=True),
            ),
            unique_key=("lpo_code", "area_code", "function"),
        ),
        SourceContract(
            source="presence",
            description="Hours of police presence per vulnerable area in the month.",
            columns=(AREA, Column("patrol_hours", Kind.DECIMAL, non_negative=True)),
            unique_key=("area_code",),
        ),
        SourceContract(
            source="cameras",
            description="Camera resources per vulnerable area at month end.",
            columns=(
                AREA,
                Column("fixed_camera_sites", Kind.INTEGER, non_negative=True),
                Column("body_worn_cameras", Kind.INTEGER, non_negative=True),
                Column("officers_in_area", Kind.INTEGER, non_negative=True),
            ),
            unique_key=("area_code",),
        ),
        SourceContract(
            source="geography",
            description="DeSO → municipality / LPO / area assignment (reference delivery).",
            monthly=False,
            columns=(
                Column("deso_code", pattern=r"^\d{4}[ABC]\d{4}$"),
                MUNICIPALITY,
                LPO,
                Column("area_code", required=False, pattern=r"^(USO|LGB)\d{3}$", code_list="area"),
            ),
            unique_key=("deso_code",),
        ),
        SourceContract(
            source="measures",
            description=(
                "The register of measures (action plans, cameras, area police, presence …): one "
                "row per measure and area (reference delivery; a corrected register is a new "
                "vintage). Cross-row rules in lagesbild/effects/register.py."
            ),
            monthly=False,
            columns=(
                Column("measure_id", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$"),
                Column("name"),
                Column("kind", allowed=MEASURE_KINDS),
                AREA,
                Column("start_month", pattern=MONTH),
                Column("end_month", required=False, pattern=MONTH),
                Column("outcome_indicators", pattern=r"^[a-z0-9_]+(,[a-z0-9_]+)*$"),
                Column("expected_direction", allowed=("decrease", "increase")),
                Column("registered_date", Kind.DATE),
            ),
            unique_key=("measure_id", "area_code"),
        ),
    )
}
