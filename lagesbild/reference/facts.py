"""Facts and conventions every seed builder shares: regions, assessment years, area splits."""

from __future__ import annotations

from dataclasses import dataclass, field

# (slug, name as in the reference files), in the contract's order.
REGIONS: tuple[tuple[str, str], ...] = (
    ("nord", "Nord"),
    ("mitt", "Mitt"),
    ("bergslagen", "Bergslagen"),
    ("stockholm", "Stockholm"),
    ("ost", "Öst"),
    ("vast", "Väst"),
    ("syd", "Syd"),
)


REGION_SLUG = {name: slug for slug, name in REGIONS}


ASSESSMENT_YEARS = (2015, 2017, 2019, 2021, 2023, 2025)


CATEGORIES = ("utsatt", "risk", "sarskilt")


# Definitions that were later split, and their atomic parts.
COMPOSITE_PARTS: dict[str, tuple[str, ...]] = {
    "Rinkeby/Tensta": ("Rinkeby", "Tensta", "Hjulsta"),
    "Ronna/Geneta/Lina": ("Ronna", "Geneta", "Lina"),
    "Oxhagen/Varberga": ("Oxhagen", "Varberga"),
    "Rissne/Hallonbergen": ("Rissne", "Hallonbergen"),
    "Alby/Fittja": ("Alby", "Fittja"),
}


# Removed areas in a municipality with several known LPOs: the LPO named by the district.
INFERRED_LPO_OVERRIDES = {"Rannebergen": "550130"}  # Angered → Storgöteborg nordost


SHARE_DECIMALS = 4


@dataclass
class Lpo:
    """A local police area and the municipalities (with population shares) it covers."""

    code: str
    name: str
    region_slug: str
    po_name: str
    po_code: str
    is_synthetic: bool
    note: str
    shares: list[tuple[str, float]] = field(default_factory=list)
