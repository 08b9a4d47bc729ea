"""Maps from the police's 2025 polygons: matching, projection, panels, colours, the unmapped."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import numpy as np
import pytest

from lagesbild.reference.build_seeds import DEFAULT_REFERENCE_DIR, PACKAGE_DATA_DIR
from lagesbild.reports import maps

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"


def seed_areas() -> list[dict[str, str]]:
    with (SEEDS / "areas.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_65_polygons_match_the_2025_areas_of_the_seed_by_police_id() -> None:
    polygons = maps.police_area_polygons()
    listed = {a["area_code"]: a for a in seed_areas() if a["police_area_id"]}
    assert len(polygons) == 65
    assert set(polygons) == set(listed)
    for code, polygon in polygons.items():
        assert polygon.police_area_id == int(listed[code]["police_area_id"])
    assert polygons["USO074"].name == "Rinkeby"
    assert len(polygons["USO074"].rings) == 1
    assert sum(len(p.rings) for p in polygons.values()) == 66  # Fisksätra has two rings


def test_the_shipped_polygons_are_the_shared_reference_unchanged() -> None:
    shipped = PACKAGE_DATA_DIR / "police_areas_2025.geojson"
    source = DEFAULT_REFERENCE_DIR / "police_areas_2025.geojson"
    if not source.exists():
        if os.environ.get("LAGESBILD_REQUIRE_REFERENCE"):
            pytest.fail(f"{source} is absent but LAGESBILD_REQUIRE_REFERENCE is set")
        pytest.skip(f"shared reference data absent ({source})")
    assert shipped.read_bytes() == source.read_bytes()


def test_polygons_in_another_crs_are_refused() -> None:
    collection = {"type": "FeatureCollection", "crs": {"properties": {"name": "EPSG:4326"}}}
    with pytest.raises(ValueError, match="EPSG:3006"):
        maps.parse_polygons({**collection, "features": []})


def test_the_projection_is_a_linear_scale_with_north_up() -> None:
    frame = maps._Frame(min_x=100_000.0, max_y=6_500_000.0, scale=0.01, offset_x=5, offset_y=7)
    assert frame.point(100_000, 6_500_000) == (5, 7)
    assert frame.point(101_000, 6_500_000) == pytest.approx((15, 7))  # 1 km east: +10 px
    assert frame.point(100_000, 6_499_000) == pytest.approx((5, 17))  # 1 km south: down 10 px
    ring = np.array([[100_000, 6_500_000], [101_000, 6_500_000], [101_000, 6_499_000]])
    assert frame.path([ring]) == "M5.0,7.0 15.0,7.0 15.0,17.0Z"


def test_the_centroid_of_a_square_with_a_hole_is_its_centre() -> None:
    outer = np.array([[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], dtype=float)
    hole = np.array([[2, 2], [2, 4], [4, 4], [4, 2], [2, 2]], dtype=float)  # wound clockwise
    polygon = maps.AreaPolygon("USO999", 999, "x", (outer, hole))
    x, y = polygon.centroid
    # area 100 − 4; the hole's centre (3, 3) pulls the centroid away from it
    assert x == pytest.approx((100 * 5 - 4 * 3) / 96)
    assert y == pytest.approx((100 * 5 - 4 * 3) / 96)


def test_neighbouring_areas_share_a_panel_and_distant_ones_do_not() -> None:
    polygons = maps.police_area_polygons()
    codes = ["USO074", "USO009", "USO075", "USO002"]  # Rinkeby, Tensta, Hjulsta, Rosengård
    groups = maps.cluster([polygons[c] for c in codes])
    named = sorted(sorted(codes[i] for i in group) for group in groups)
    assert named == [["USO002"], ["USO009", "USO074", "USO075"]]


def test_quantile_classes_cover_the_values_and_missing_is_grey() -> None:
    scale = maps.quantile_scale([1.0, 2.0, 3.0, 4.0, 5.0, None, float("nan")], "t", str)
    assert list(scale.breaks) == sorted(scale.breaks)
    assert len(scale.colours) == len(scale.breaks) + 1 == len(scale.labels)
    assert scale.colour(1.0) == scale.colours[0]
    assert scale.colour(5.0) == scale.colours[-1]
    assert scale.colour(None) == scale.colour(float("nan")) == maps.MISSING_COLOUR
    single = maps.quantile_scale([2.0, 2.0], "t", str)
    assert single.breaks == () and single.colour(2.0) == single.colours[0]


def test_diverging_classes_of_rate_ratios() -> None:
    scale = maps.diverging_scale("t", maps.RATIO_BREAKS, str)
    assert scale.colour(0.5) == maps.DIVERGING[0]
    assert scale.colour(1.0) == maps.DIVERGING[2]
    assert scale.colour(1.5) == maps.DIVERGING[4]
    assert scale.labels[0] == "under 0.67" and scale.labels[-1] == "1.5 eller mer"


def test_scale_bars_are_round_lengths() -> None:
    assert maps.scale_bar(0.05, 700)["label"] == "2,5 km"  # 2.8 km would fit
    assert maps.scale_bar(0.5, 344)["label"] == "100 m"
    bar = maps.scale_bar(0.02, 700)
    assert bar["label"] == "5 km" and bar["length"] == pytest.approx(100.0)


def test_a_map_draws_every_area_with_a_polygon_and_lists_the_others() -> None:
    areas = [
        maps.MapArea("USO074", "Rinkeby", 5.0, "5,00", None),
        maps.MapArea("USO009", "Tensta", None, "saknas", None),
        maps.MapArea("USO002", "Rosengård", 1.0, "1,00", "few"),
        maps.MapArea("LGB001", "Rinkeby/Tensta", 4.0, "4,00", None, maps.COMPOSITE_REASON),
    ]
    scale = maps.quantile_scale([5.0, 1.0, 3.0], "Takt", str)
    view = maps.build_map(
        "m",
        "Karta",
        areas,
        scale,
        places={"USO074": "Stockholm", "USO009": "Stockholm", "USO002": "Malmö"},
        flags={"few": "få"},
        caption="c",
        empty_text="inga",
    )
    drawn = {a["code"]: a for p in view["panels"] for a in p["areas"]}
    assert set(drawn) == {"USO074", "USO009", "USO002"}
    assert drawn["USO074"]["fill"] == scale.colour(5.0)
    assert drawn["USO009"]["fill"] == maps.MISSING_COLOUR
    assert drawn["USO002"]["flag"] == "few"
    assert all(re.fullmatch(r"(M[\d., -]+Z)+", a["d"]) for a in drawn.values())
    assert [k["name"] for k in view["key"]] == ["Rinkeby", "Tensta", "Rosengård"]
    assert [k["number"] for k in view["key"]] == [1, 2, 3]
    assert view["unmapped"] == [
        {"name": "Rinkeby/Tensta", "value": "4,00", "reason": maps.COMPOSITE_REASON}
    ]
    kinds = [p["kind"] for p in view["panels"]]
    assert kinds.count("overview") == 1 and kinds.count("detail") == 2
    titles = sorted(p["title"] for p in view["panels"] if p["kind"] == "detail")
    assert titles == ["A. Stockholm", "B. Malmö"]
    assert view["empty"] is None and view["n_polygons"] == 3
    for panel in view["panels"]:  # inside the map, no overlap with the next row
        assert panel["x"] + panel["width"] <= maps.MAP_WIDTH + 0.5
        assert panel["y"] + panel["height"] <= view["height"] + 0.5


def test_a_map_without_areas_still_shows_the_country_and_says_why() -> None:
    scale = maps.quantile_scale([], "Takt", str)
    view = maps.build_map(
        "m", "Karta", [], scale, places={}, flags={}, caption="c", empty_text="inga områden"
    )
    assert view["empty"] == "inga områden"
    (overview,) = view["panels"]
    assert len(overview["dots"]) == 65 and not any(dot["own"] for dot in overview["dots"])


def test_the_national_map_shows_small_clusters_as_numbered_dots_only() -> None:
    polygons = maps.police_area_polygons()
    areas = [maps.MapArea(code, p.name, 1.0, "1") for code, p in polygons.items()]
    scale = maps.quantile_scale([1.0], "t", str)
    view = maps.build_map(
        "m", "t", areas, scale, places={}, flags={}, caption="", empty_text="", detail_min_areas=3
    )
    in_panels = {a["code"] for p in view["panels"] for a in p["areas"]}
    overview = next(p for p in view["panels"] if p["kind"] == "overview")
    numbered = [dot for dot in overview["dots"] if dot["number"] is not None]
    assert len(in_panels) + len(numbered) == 65
    assert overview["width"] == maps.MAP_WIDTH
    assert sorted(k["number"] for k in view["key"]) == list(range(1, 66))
