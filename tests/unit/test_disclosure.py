"""Disclosure control: primary and secondary suppression, and formula-safe CSV cells."""

from __future__ import annotations

import random
from datetime import date

import polars as pl
import pytest

from lagesbild.publish.disclosure import (
    PRIMARY,
    SECONDARY,
    Geo,
    hierarchy_groups,
    safe_cell,
    suppress,
)
from lagesbild.publish.export import ExportError, csv_safe, disclosure_problems, verify_export

NATION = ("nation", "SE")
REGIONS = [("region", slug) for slug in ("nord", "mitt", "syd")]
GROUPS = [(NATION, REGIONS)]
MONTH = date(2026, 10, 1)


def _cells(values: dict[Geo, float | None], suppressed: dict[Geo, str]) -> pl.DataFrame:
    """One month × indicator slice as the export has it: suppressed cells without a value."""
    return pl.DataFrame(
        [
            (
                MONTH,
                "offences_total",
                level,
                code,
                None if (level, code) in suppressed else value,
                (level, code) in suppressed,
            )
            for (level, code), value in values.items()
        ],
        schema={
            "month": pl.Date,
            "indicator_code": pl.String,
            "geo_level": pl.String,
            "geo_code": pl.String,
            "value": pl.Float64,
            "suppressed": pl.Boolean,
        },
        orient="row",
    )


def recoverable(
    values: dict[Geo, float | None],
    groups: list[tuple[Geo, list[Geo]]],
    suppressed: dict[Geo, str],
    threshold: int,
) -> list[str]:
    """The export's disclosure problems of one slice, without the month and indicator."""
    prefix = f"{MONTH:%Y-%m} offences_total: "
    problems = disclosure_problems(_cells(values, suppressed), groups, threshold)
    assert all(problem.startswith(prefix) for problem in problems)
    return [problem.removeprefix(prefix) for problem in problems]


def _reference_problems(
    values: dict[Geo, float | None],
    groups: list[tuple[Geo, list[Geo]]],
    suppressed: dict[Geo, str],
    threshold: int,
) -> set[str]:
    """The rule spelled out for one slice: a small published count, a lone hidden child."""
    problems = {
        f"{geo[0]}:{geo[1]} published with {value} < {threshold}"
        for geo, value in values.items()
        if value is not None and value < threshold and geo not in suppressed
    }
    for parent, children in groups:
        if values.get(parent) is None or parent in suppressed:
            continue
        hidden = [c for c in children if c in values and c in suppressed]
        if len(hidden) == 1:
            child = hidden[0]
            problems.add(
                f"{child[0]}:{child[1]} = {parent[0]}:{parent[1]} minus its published siblings"
            )
    return problems


def test_counts_below_the_threshold_are_suppressed_zero_included() -> None:
    values = {NATION: 100.0, REGIONS[0]: 0.0, REGIONS[1]: 2.0, REGIONS[2]: 98.0}
    suppressed = suppress(values, GROUPS, threshold=3)
    assert suppressed == {REGIONS[0]: PRIMARY, REGIONS[1]: PRIMARY}


def test_a_lone_suppressed_child_takes_the_next_smallest_sibling_with_it() -> None:
    values = {NATION: 120.0, REGIONS[0]: 1.0, REGIONS[1]: 40.0, REGIONS[2]: 79.0}
    suppressed = suppress(values, GROUPS, threshold=3)
    assert suppressed == {REGIONS[0]: PRIMARY, REGIONS[1]: SECONDARY}
    assert recoverable(values, GROUPS, suppressed, 3) == []


def test_secondary_suppression_propagates_up_the_hierarchy() -> None:
    municipalities = [("municipality", code) for code in ("1280", "1281")]
    groups = [(NATION, REGIONS), (REGIONS[2], municipalities)]
    values = {
        NATION: 30.0,
        REGIONS[0]: 10.0,
        REGIONS[1]: 15.0,
        REGIONS[2]: 5.0,
        municipalities[0]: 1.0,
        municipalities[1]: 4.0,
    }
    suppressed = suppress(values, groups, threshold=3)
    # 1280 primary → 1281 secondary; syd itself is published (5 ≥ 3), so nothing more.
    assert suppressed == {municipalities[0]: PRIMARY, municipalities[1]: SECONDARY}
    assert recoverable(values, groups, suppressed, 3) == []


def test_suppression_propagates_over_several_rounds_until_nothing_is_recoverable() -> None:
    """Each secondary suppression opens a group listed *before* it: the loop must go round
    again (three rounds here) until no published total gives a suppressed value back."""
    a, b, c, d = (("area", code) for code in ("A", "B", "C", "D"))
    p1, p2, p3 = (("municipality", code) for code in ("P1", "P2", "P3"))
    groups = [(p3, [c, d]), (p2, [b, c]), (p1, [a, b])]
    values = {p1: 50.0, p2: 60.0, p3: 70.0, a: 1.0, b: 49.0, c: 11.0, d: 59.0}

    suppressed = suppress(values, groups, threshold=3)

    assert suppressed == {a: PRIMARY, b: SECONDARY, c: SECONDARY, d: SECONDARY}
    assert recoverable(values, groups, suppressed, 3) == []
    # stopping after the first round would leave C = P2 − B recoverable (then D = P3 − C)
    one_round = {a: PRIMARY, b: SECONDARY}
    assert len(recoverable(values, groups, one_round, 3)) == 1


def test_a_group_with_one_child_suppresses_the_parent() -> None:
    child = ("area", "USO001")
    parent = ("municipality", "0180")
    values = {parent: 2.0, child: 2.0}
    groups = [(parent, [child])]
    suppressed = suppress(values, groups, threshold=2)
    assert suppressed == {}
    values = {parent: 5.0, child: 1.0}
    assert suppress(values, groups, threshold=3) == {child: PRIMARY, parent: SECONDARY}


def test_recoverable_names_a_lone_suppressed_child_and_a_small_published_count() -> None:
    values = {NATION: 120.0, REGIONS[0]: 1.0, REGIONS[1]: 40.0, REGIONS[2]: 2.0}
    problems = recoverable(values, GROUPS, {REGIONS[0]: PRIMARY}, 3)
    assert any("region:syd published with 2.0" in problem for problem in problems)
    assert any("region:nord = nation:SE minus" in problem for problem in problems)


@pytest.mark.parametrize("seed", range(40))
def test_the_vectorised_check_finds_exactly_the_problems_of_the_rule(seed: int) -> None:
    rng = random.Random(seed)
    municipalities = [("municipality", f"M{i}") for i in range(6)]
    areas = [("area", f"A{i}") for i in range(10)]
    groups = [
        (NATION, REGIONS),
        (REGIONS[0], municipalities[:3]),
        (REGIONS[1], municipalities[3:]),
        *((municipalities[i], areas[2 * i : 2 * i + 2]) for i in range(5)),
        (("area", "COMPOSITE"), [areas[0], areas[3], areas[9]]),
    ]
    geos = [NATION, *REGIONS, *municipalities, *areas, ("area", "COMPOSITE")]
    values = {
        geo: rng.choice([None, 0.0, 1.0, 2.0, 3.0, float(rng.randint(4, 90))])
        for geo in geos
        if rng.random() < 0.9
    }
    suppressed = {geo: PRIMARY for geo in values if rng.random() < 0.3}

    found = recoverable(values, groups, suppressed, 3)

    assert set(found) == _reference_problems(values, groups, suppressed, 3)
    assert len(found) == len(set(found))


def test_the_export_is_refused_when_a_count_could_be_recovered() -> None:
    values = {NATION: 120.0, REGIONS[0]: 1.0, REGIONS[1]: 40.0, REGIONS[2]: 79.0}
    geographies = [{"geo_level": "nation", "geo_code": "SE", "region": None}] + [
        {"geo_level": level, "geo_code": code, "region": code} for level, code in REGIONS
    ]
    refused = _cells(values, {REGIONS[0]: PRIMARY})
    accepted = _cells(values, suppress(values, GROUPS, threshold=3))

    with pytest.raises(ExportError) as refusal:
        verify_export(refused, geographies, {}, 3, {"offences_total"})
    verify_export(accepted, geographies, {}, 3, {"offences_total"})
    verify_export(refused, geographies, {}, 3, {"clearance_rate"})  # not a count: not checked

    assert str(refusal.value) == (
        "public export would disclose 1 cell(s), e.g. "
        "2026-10 offences_total: region:nord = nation:SE minus its published siblings"
    )


def test_hierarchy_groups_follow_dim_geography_and_composite_parts() -> None:
    rows = [
        {"geo_level": "nation", "geo_code": "SE", "region": None},
        {"geo_level": "region", "geo_code": "stockholm", "region": "stockholm"},
        {"geo_level": "municipality", "geo_code": "0180", "region": "stockholm"},
        {"geo_level": "lpo", "geo_code": "111111", "region": "stockholm"},
        {
            "geo_level": "area",
            "geo_code": "USO074",
            "region": "stockholm",
            "parent_geo_code": "0180",
            "is_composite": False,
        },
        {
            "geo_level": "area",
            "geo_code": "LGB001",
            "region": "stockholm",
            "parent_geo_code": "0180",
            "is_composite": True,
        },
    ]
    groups = dict(hierarchy_groups(rows, {"LGB001": ["USO074", "USO009"]}))
    assert groups[NATION] == [("region", "stockholm")]
    assert groups[("region", "stockholm")] == [("lpo", "111111"), ("municipality", "0180")]
    assert groups[("municipality", "0180")] == [("area", "USO074")]
    assert groups[("area", "LGB001")] == [("area", "USO009"), ("area", "USO074")]


def test_csv_cells_that_start_like_a_formula_are_prefixed() -> None:
    for dangerous in ("=1+1", "+46", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe_cell(dangerous) == "'" + dangerous
    assert safe_cell("Malmö") == "Malmö"
    assert safe_cell(None) is None
    frame = pl.DataFrame({"name": ["=HYPERLINK(1)", "Rinkeby"], "value": [-1.0, 2.0]})
    safe = csv_safe(frame)
    assert safe["name"].to_list() == ["'=HYPERLINK(1)", "Rinkeby"]
    assert safe["value"].to_list() == [-1.0, 2.0]
