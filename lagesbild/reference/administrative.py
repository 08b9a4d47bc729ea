"""Seeds of the administrative geography: police regions, counties, municipalities,
the classification lists and Lägesbild's offence codes."""

from __future__ import annotations

import re

from lagesbild.reference.csv_io import Row
from lagesbild.reference.facts import REGION_SLUG, REGIONS


def build_regions(regions: list[Row]) -> list[list[str]]:
    """police_regions rows in the contract's order."""
    by_name = {row["police_region"]: row for row in regions}
    return [
        [slug, name, by_name[name]["region_code"], by_name[name]["county_codes"]]
        for slug, name in REGIONS
    ]


def build_counties(municipalities: list[Row]) -> list[list[str]]:
    """counties rows (21), by county code."""
    counties: dict[str, list[str]] = {}
    for row in municipalities:
        slug = REGION_SLUG[row["police_region"]]
        counties.setdefault(row["county_code"], [row["county_code"], row["county_name"], slug])
    return [counties[code] for code in sorted(counties)]


def build_municipalities(municipalities: list[Row]) -> list[list[str]]:
    """municipalities rows (290), by code."""
    return [
        [
            row["municipality_code"],
            row["municipality_name"],
            row["county_code"],
            REGION_SLUG[row["police_region"]],
            row["population_2024"],
            row["population_approx_2025_unverified"],
        ]
        for row in sorted(municipalities, key=lambda r: r["municipality_code"])
    ]


def build_classification_lists(list_totals: list[Row]) -> list[list[str]]:
    """One row per assessment year: the month the list was published and in force from."""
    rows = []
    for row in sorted(list_totals, key=lambda r: int(r["year"])):
        month = row["published"]
        if not re.fullmatch(r"\d{4}-\d{2}", month):
            raise ValueError(f"list_totals {row['year']}: published {month!r} is not YYYY-MM")
        rows.append([row["year"], month, f"{month}-01"])
    return rows


OFFENCE_CODES: tuple[tuple[str, str, str, str], ...] = (
    ("0301", "Misshandel utomhus", "assault outdoors", "assault_public"),
    ("0311", "Misshandel inomhus", "assault indoors", "assault_private"),
    ("0321", "Grov misshandel utomhus", "aggravated assault outdoors", "assault_public"),
    ("0331", "Grov misshandel inomhus", "aggravated assault indoors", "assault_private"),
    ("0341", "Mord eller dråp", "murder or manslaughter", "lethal_violence"),
    (
        "0351",
        "Försök till mord eller dråp",
        "attempted murder or manslaughter",
        "lethal_violence",
    ),
    ("0401", "Olaga hot", "unlawful threat", "threat"),
    ("0601", "Våldtäkt", "rape", "sexual"),
    ("0801", "Personrån utomhus", "personal robbery outdoors", "robbery_public"),
    ("0811", "Rån mot butik eller bank", "commercial robbery", "robbery_commercial"),
    ("0901", "Bostadsinbrott", "residential burglary", "theft"),
    ("0911", "Stöld ur eller från fordon", "theft from vehicle", "theft"),
    ("0921", "Butiksstöld", "shoplifting", "theft"),
    ("0931", "Övrig stöld", "other theft", "theft"),
    ("1201", "Skadegörelse", "criminal damage", "vandalism"),
    ("1211", "Klotter", "graffiti", "vandalism"),
    ("1301", "Anlagd brand", "arson", "arson"),
    ("1401", "Bedrägeri", "fraud", "fraud"),
    ("1701", "Våld mot tjänsteman", "violence against a public official", "officials"),
    ("1711", "Hot mot tjänsteman", "threat against a public official", "officials"),
    ("1801", "Övergrepp i rättssak", "witness intimidation", "witness_intimidation"),
    ("5001", "Narkotikabrott, innehav och eget bruk", "drug possession and use", "drugs"),
    ("5011", "Narkotikabrott, överlåtelse", "drug dealing", "drugs"),
    ("6001", "Vapenbrott", "weapons offence", "weapons"),
    ("7001", "Rattfylleri", "drink driving", "traffic"),
    ("9001", "Övriga brott", "other offences", "other"),
)
