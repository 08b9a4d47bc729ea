"""Swedish number and place formatting for findings and reports."""

from __future__ import annotations

import math

LEVEL_SV = {
    "nation": "hela landet",
    "region": "region",
    "lpo": "lokalpolisområde",
    "municipality": "kommun",
    "area": "område",
}


def is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def number(value: object, decimals: int = 0) -> str:
    """12345.6 → '12 346' (thin no-break space as thousands separator, decimal comma)."""
    if is_missing(value):
        return "–"
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\u202f").replace(".", ",")


def percent_change(ratio: object, decimals: int = 0) -> str:
    """Rate ratio 1.52 → '+52 %', 0.8 → '−20 %'."""
    if is_missing(ratio):
        return "–"
    change = (float(ratio) - 1) * 100
    sign = "+" if change >= 0 else "−"
    return f"{sign}{number(abs(change), decimals)} %"


def place(geo_level: str, name: str | None, geo_code: str) -> str:
    """How a geography is named in a sentence: 'region Syd', 'Malmö kommun', 'hela landet'."""
    label = name or geo_code
    if geo_level == "nation":
        return "hela landet"
    if geo_level == "region":
        return f"region {label}"
    if geo_level == "municipality":
        return f"{label} kommun"
    if geo_level == "lpo":
        return f"lokalpolisområde {label}"
    return f"{label} (område)"
