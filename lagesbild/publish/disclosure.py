"""Disclosure control for the public export: primary and secondary suppression of small counts.

Primary: a count below the threshold (default 3, zero included) is suppressed. Secondary:
published totals must not give a suppressed value back by subtraction. Within every
parent → children group for one month × indicator (nation → regions, region →
municipalities, region → LPOs, municipality → its atomic areas, composite area → its
parts), when the parent is published and exactly one child is suppressed, the next-smallest
child is suppressed as well (or, with no child left, the parent); repeated until nothing
changes, since a secondary suppression can open another group.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

Geo = tuple[str, str]
"""(geo_level, geo_code)"""
PRIMARY = "primary"
SECONDARY = "secondary"


def suppress(
    values: Mapping[Geo, float | None],
    groups: Iterable[tuple[Geo, list[Geo]]],
    threshold: int,
) -> dict[Geo, str]:
    """Suppressed cells of one month × indicator slice → 'primary' | 'secondary'."""
    suppressed: dict[Geo, str] = {
        geo: PRIMARY for geo, value in values.items() if value is not None and value < threshold
    }
    live = [
        (parent, [child for child in children if values.get(child) is not None])
        for parent, children in groups
        if values.get(parent) is not None
    ]
    changed = True
    while changed:
        changed = False
        for parent, children in live:
            if parent in suppressed:
                continue
            hidden = [child for child in children if child in suppressed]
            if len(hidden) != 1:
                continue
            visible = [child for child in children if child not in suppressed]
            victim = min(visible, key=lambda geo: (values[geo], geo)) if visible else parent
            suppressed[victim] = SECONDARY
            changed = True
    return suppressed


def hierarchy_groups(
    geographies: Iterable[Mapping[str, object]],
    area_parts: Mapping[str, list[str]],
) -> list[tuple[Geo, list[Geo]]]:
    """Parent → children groups from dim_geography rows (+ composite area parts)."""
    children: dict[Geo, list[Geo]] = defaultdict(list)
    for row in geographies:
        level, code, region = row["geo_level"], row["geo_code"], row.get("region")
        geo = (str(level), str(code))
        if level == "region":
            children[("nation", "SE")].append(geo)
        elif level in ("municipality", "lpo") and region:
            children[("region", str(region))].append(geo)
        elif level == "area" and not row.get("is_composite") and row.get("parent_geo_code"):
            children[("municipality", str(row["parent_geo_code"]))].append(geo)
    for composite, parts in area_parts.items():
        children[("area", composite)].extend(("area", part) for part in parts)
    return [(parent, sorted(kids)) for parent, kids in sorted(children.items())]


FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str | None) -> str | None:
    """A CSV text cell a spreadsheet will not run as a formula (prefixed with ')."""
    if text is not None and text.startswith(FORMULA_PREFIXES):
        return "'" + text
    return text
