"""Maps of the vulnerable areas as inline SVG, drawn from the police's own 2025 polygons.

The polygons (`lagesbild/reference/data/police_areas_2025.geojson`, 65 areas) are in
EPSG:3006 (SWEREF 99 TM): metres east and north in a conformal projection, so a map is a
linear scale of the coordinates, the same in x and y, north up. Nothing is fetched — no tile
server, no script; the page stays offline and prints.

An area is a kilometre or two across while a region spans hundreds of kilometres, so one map
of a region would show specks. `build_map` groups the areas that lie close together (gap
`CLUSTER_GAP_M`) into detail panels, each at its own scale with a scale bar, and adds an
overview panel: every area of the country as a dot, the page's areas dark, each detail panel
framed and lettered. Areas are numbered; the key beside the map names them with their value.
Areas without a 2025 polygon (composites of later split areas, areas no longer on the list)
are listed beside the map instead. The result is a view model of plain data (path strings,
colours, text) that `templates/maps.html.j2` lays out; it holds no HTML.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from itertools import pairwise
from typing import Any

import numpy as np

POLYGONS_RESOURCE = ("lagesbild.reference", "data/police_areas_2025.geojson")
POLYGONS_CRS = "EPSG:3006"
AREA_CODE_PREFIX = "USO"
"""Area codes of the 2025 list are `USO` + the police's SPECIALOMRADES_ID in three digits."""

MAP_WIDTH = 700.0
GUTTER = 12.0
HALF_WIDTH = (MAP_WIDTH - GUTTER) / 2
THIRD_WIDTH = (MAP_WIDTH - 2 * GUTTER) / 3
TITLE_HEIGHT = 16.0
CLUSTER_GAP_M = 5_000.0
"""Areas closer than this (between bounding boxes) share a detail panel."""
MIN_EXTENT_M = 2_500.0
PADDING = 0.12
WIDE_EXTENT_M = 12_000.0
WIDE_MIN_AREAS = 8
"""A cluster this wide, or with this many areas, gets a full-width panel."""
SMALL_EXTENT_M = 8_000.0
SMALL_MAX_AREAS = 2
"""A cluster at most this wide and tall with at most this many areas gets a third."""
MIN_PANEL_HEIGHT = 120.0
MAX_PANEL_ASPECT = 1.1
MAX_WIDE_PANEL_ASPECT = 0.8
"""Height / width at most; a taller extent is drawn at a smaller scale, centred."""

INDEX_BREAKS = (-1.0, -0.25, 0.25, 1.0)
"""Classes of the objective area index (a weighted mean of z-scores; 0 = the average unit)."""
RATIO_BREAKS = (0.67, 0.9, 1.11, 1.5)
"""Classes of a rate ratio: −33 %, −10 %, +11 %, +50 % (symmetric on the log scale)."""
COMPOSITE_REASON = "sammansatt område, delat 2025: visas som sina delar"
UNLISTED_REASON = "inte på polisens lista 2025: ingen polygon"
MISSING_COLOUR = "#d9d9d9"
SEQUENTIAL = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
"""ColorBrewer YlOrRd (5 classes): higher is darker; prints in grey scale as a ramp."""
DIVERGING = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b")
"""ColorBrewer RdBu (reversed, 5 classes): blue below, red above the neutral middle."""


@dataclass(frozen=True)
class AreaPolygon:
    """One area's 2025 boundary: its rings (outer and holes) in EPSG:3006 metres."""

    area_code: str
    police_area_id: int
    name: str
    rings: tuple[np.ndarray, ...]

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        points = np.vstack(self.rings)
        (min_x, min_y), (max_x, max_y) = points.min(axis=0), points.max(axis=0)
        return float(min_x), float(min_y), float(max_x), float(max_y)

    @property
    def centroid(self) -> tuple[float, float]:
        """Area-weighted centroid of the rings (holes, wound the other way, subtract)."""
        total, cx, cy = 0.0, 0.0, 0.0
        for ring in self.rings:
            x, y = ring[:, 0], ring[:, 1]
            x1, y1 = np.roll(x, -1), np.roll(y, -1)
            cross = x * y1 - x1 * y
            area = cross.sum() / 2
            if area == 0:
                continue
            total += area
            cx += ((x + x1) * cross).sum() / 6
            cy += ((y + y1) * cross).sum() / 6
        if total == 0:
            min_x, min_y, max_x, max_y = self.bbox
            return (min_x + max_x) / 2, (min_y + max_y) / 2
        return cx / total, cy / total


def area_code_of(police_area_id: int) -> str:
    """SPECIALOMRADES_ID 74 → `USO074` (the area code in the seed and the marts)."""
    return f"{AREA_CODE_PREFIX}{police_area_id:03d}"


def parse_polygons(geojson: dict[str, Any]) -> dict[str, AreaPolygon]:
    """Area code → polygon, from a FeatureCollection in EPSG:3006 (raises on anything else)."""
    crs = geojson.get("crs", {}).get("properties", {}).get("name", "")
    if not crs.endswith("3006"):
        raise ValueError(f"area polygons must be in {POLYGONS_CRS}, found {crs or 'no CRS'}")
    polygons: dict[str, AreaPolygon] = {}
    for feature in geojson["features"]:
        props, geometry = feature["properties"], feature["geometry"]
        if geometry["type"] == "Polygon":
            parts = [geometry["coordinates"]]
        elif geometry["type"] == "MultiPolygon":
            parts = geometry["coordinates"]
        else:
            raise ValueError(f"{props.get('NAMN')}: unexpected geometry {geometry['type']}")
        rings = tuple(np.asarray(ring, dtype=float)[:, :2] for part in parts for ring in part)
        police_id = int(props["SPECIALOMRADES_ID"])
        code = area_code_of(police_id)
        if code in polygons:
            raise ValueError(f"two polygons for {code} ({props.get('NAMN')})")
        polygons[code] = AreaPolygon(code, police_id, str(props["NAMN"]), rings)
    return polygons


@cache
def police_area_polygons() -> dict[str, AreaPolygon]:
    """The 65 areas of the police's 2025 list, keyed by area code (`USO…`)."""
    package, name = POLYGONS_RESOURCE
    text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
    return parse_polygons(json.loads(text))


@dataclass(frozen=True)
class ColourScale:
    """Classes of a shaded value: `breaks` between `colours` (one more colour than breaks)."""

    title: str
    breaks: tuple[float, ...]
    colours: tuple[str, ...]
    labels: tuple[str, ...]

    def colour(self, value: float | None) -> str:
        if value is None or not math.isfinite(value):
            return MISSING_COLOUR
        return self.colours[int(np.searchsorted(np.asarray(self.breaks), value, side="right"))]

    def legend(self) -> list[dict[str, str]]:
        return [
            {"colour": colour, "label": label}
            for colour, label in zip(self.colours, self.labels, strict=True)
        ]


def _class_labels(breaks: Sequence[float], fmt: Callable[[float], str]) -> tuple[str, ...]:
    if not breaks:
        return ("alla värden",)
    labels = [f"under {fmt(breaks[0])}"]
    labels += [f"{fmt(low)} – {fmt(high)}" for low, high in pairwise(breaks)]
    labels.append(f"{fmt(breaks[-1])} eller mer")
    return tuple(labels)


def quantile_scale(
    values: Iterable[float | None],
    title: str,
    fmt: Callable[[float], str],
    classes: int = len(SEQUENTIAL),
) -> ColourScale:
    """Sequential classes at the quantiles of the finite values (fewer when few distinct)."""
    finite = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    breaks: list[float] = []
    if finite.size:
        quantiles = np.quantile(finite, np.linspace(0, 1, classes + 1)[1:-1])
        for value in quantiles:
            rounded = float(_round_significant(value))
            if rounded > finite.min() and (not breaks or rounded > breaks[-1]):
                breaks.append(rounded)
    palette = SEQUENTIAL[len(SEQUENTIAL) - len(breaks) - 1 :] if breaks else SEQUENTIAL[2:3]
    return ColourScale(title, tuple(breaks), palette, _class_labels(breaks, fmt))


def diverging_scale(
    title: str, breaks: tuple[float, float, float, float], fmt: Callable[[float], str]
) -> ColourScale:
    """Five fixed classes around a neutral middle (e.g. rate ratios around 1)."""
    return ColourScale(title, breaks, DIVERGING, _class_labels(breaks, fmt))


def _round_significant(value: float, digits: int = 2) -> float:
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


@dataclass(frozen=True)
class MapArea:
    """One area as the page wants it shaded."""

    area_code: str
    name: str
    value: float | None
    value_text: str
    flag: str | None = None
    """A key of the map's `flags` (drawn as an outline style), e.g. 'few' or 'significant'."""
    unmapped_reason: str = "ingen polygon i polisens 2025 års områdesgränser"


AreaValue = tuple[float | None, str, str | None]
"""(value to shade by, its text, flag key or None) of one area."""


def map_areas(
    members: Iterable[dict[str, Any]], values: dict[str, AreaValue], missing_text: str
) -> list[MapArea]:
    """The page's areas (rows of dim_geography) with their values, and why one has no polygon."""
    areas = []
    for member in members:
        value, text, flag = values.get(member["geo_code"], (None, missing_text, None))
        reason = COMPOSITE_REASON if member.get("is_composite") else UNLISTED_REASON
        areas.append(MapArea(member["geo_code"], member["name"], value, text, flag, reason))
    return areas


def area_places(
    members: Iterable[dict[str, Any]], municipality_names: dict[str, str]
) -> dict[str, str]:
    """Area code → the name of its municipality (the detail panels' titles)."""
    return {
        member["geo_code"]: municipality_names.get(member.get("municipality_code") or "", "")
        for member in members
    }


@dataclass(frozen=True)
class _Frame:
    """A window onto EPSG:3006 drawn into a panel: metres → pixels, north up."""

    min_x: float
    max_y: float
    scale: float
    offset_x: float = 0.0
    offset_y: float = 0.0

    def point(self, x: float, y: float) -> tuple[float, float]:
        return (
            self.offset_x + (x - self.min_x) * self.scale,
            self.offset_y + (self.max_y - y) * self.scale,
        )

    def path(self, rings: Iterable[np.ndarray]) -> str:
        parts = []
        for ring in rings:
            px = self.offset_x + (ring[:, 0] - self.min_x) * self.scale
            py = self.offset_y + (self.max_y - ring[:, 1]) * self.scale
            coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in zip(px, py, strict=True))
            parts.append(f"M{coordinates}Z")
        return "".join(parts)


def cluster(polygons: Sequence[AreaPolygon], gap: float = CLUSTER_GAP_M) -> list[list[int]]:
    """Single-linkage groups of polygons whose bounding boxes lie within `gap` metres."""
    parent = list(range(len(polygons)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    boxes = [polygon.bbox for polygon in polygons]
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            dx = max(0.0, b[0] - a[2], a[0] - b[2])
            dy = max(0.0, b[1] - a[3], a[1] - b[3])
            if max(dx, dy) <= gap:
                parent[root(i)] = root(j)
    groups: dict[int, list[int]] = {}
    for i in range(len(polygons)):
        groups.setdefault(root(i), []).append(i)
    ordered = sorted(groups.values(), key=lambda g: (-len(g), polygons[g[0]].name))
    return [sorted(group, key=lambda i: polygons[i].name) for group in ordered]


def _extent(polygons: Iterable[AreaPolygon]) -> tuple[float, float, float, float]:
    boxes = np.array([polygon.bbox for polygon in polygons])
    min_x, min_y = boxes[:, 0].min(), boxes[:, 1].min()
    max_x, max_y = boxes[:, 2].max(), boxes[:, 3].max()
    width = max(max_x - min_x, MIN_EXTENT_M) * (1 + 2 * PADDING)
    height = max(max_y - min_y, MIN_EXTENT_M) * (1 + 2 * PADDING)
    cx, cy = (min_x + max_x) / 2, (min_y + max_y) / 2
    return cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2


def _fit(extent: tuple[float, float, float, float], width: float) -> tuple[_Frame, float]:
    """Scale `extent` into a panel `width` wide (height within bounds); frame and height."""
    min_x, min_y, max_x, max_y = extent
    scale = width / (max_x - min_x)
    height = (max_y - min_y) * scale
    aspect = MAX_WIDE_PANEL_ASPECT if width >= MAP_WIDTH else MAX_PANEL_ASPECT
    if height > width * aspect:
        height = width * aspect
        scale = height / (max_y - min_y)
    height = max(height, MIN_PANEL_HEIGHT)
    drawn_w, drawn_h = (max_x - min_x) * scale, (max_y - min_y) * scale
    frame = _Frame(min_x, max_y, scale, (width - drawn_w) / 2, (height - drawn_h) / 2)
    return frame, height


def scale_bar(frame_scale: float, width: float) -> dict[str, Any]:
    """A round length (m or km) about a fifth of the panel wide."""
    target = width / 5 / frame_scale
    length = max(
        (
            c
            for c in (
                100,
                200,
                250,
                500,
                1000,
                2000,
                2500,
                5000,
                10_000,
                20_000,
                50_000,
                100_000,
                200_000,
            )
            if c <= target
        ),
        default=100,
    )
    label = f"{length / 1000:g} km".replace(".", ",") if length >= 1000 else f"{length} m"
    return {"length": round(length * frame_scale, 1), "label": label}


def _panel_title(names: list[str], limit: int = 3) -> str:
    unique = list(dict.fromkeys(names))
    shown = ", ".join(unique[:limit])
    return shown + (f" m.fl. ({len(unique)})" if len(unique) > limit else "")


def build_map(
    name: str,
    title: str,
    areas: Sequence[MapArea],
    scale: ColourScale,
    *,
    places: dict[str, str],
    flags: dict[str, str],
    caption: str,
    empty_text: str,
    detail_min_areas: int = 1,
) -> dict[str, Any]:
    """The view model of one map figure (see the module docstring).

    `areas`: the page's areas, each with its value; `places`: area code → place name (the
    municipality) for the panel titles; `flags`: flag key → legend text. Clusters of fewer
    than `detail_min_areas` areas get no detail panel: they are shaded dots, numbered, in a
    full-width overview (the national page: 65 areas in some 25 places).
    """
    polygons = police_area_polygons()
    mapped = [area for area in areas if area.area_code in polygons]
    shapes = [polygons[area.area_code] for area in mapped]
    all_groups = cluster(shapes)
    detailed = [group for group in all_groups if len(group) >= detail_min_areas]
    dots_only = [i for group in all_groups if len(group) < detail_min_areas for i in group]
    # Wide panels first, then the overview beside the half-width panels, then the thirds.
    detailed.sort(key=lambda g: -_panel_width([shapes[i] for i in g]))
    numbers: dict[str, int] = {}
    for index in [i for group in detailed for i in group] + dots_only:
        numbers[mapped[index].area_code] = len(numbers) + 1
    details = [
        _detail_panel(
            letter, [mapped[i] for i in group], [shapes[i] for i in group], scale, numbers, places
        )
        for letter, group in zip(_letters(), detailed, strict=False)
    ]
    n_wide = sum(1 for panel in details if panel["width"] >= MAP_WIDTH)
    panels = details[:n_wide]
    # the overview is drawn even for a page without areas: the country's 65, grey
    panels.append(
        _overview_panel(mapped, shapes, detailed, scale, numbers, full_width=bool(dots_only))
    )
    panels += details[n_wide:]
    height = _layout(panels)
    return {
        "name": name,
        "title": title,
        "width": MAP_WIDTH,
        "height": round(float(height), 1),
        "panels": panels,
        "legend": scale.legend(),
        "legend_title": scale.title,
        "missing": {"colour": MISSING_COLOUR, "label": "saknas"},
        "flags": [{"key": key, "label": label} for key, label in flags.items()],
        "key": [
            {"number": numbers[area.area_code], "name": area.name, "value": area.value_text}
            for area in sorted(mapped, key=lambda a: numbers[a.area_code])
        ],
        "unmapped": [
            {"name": area.name, "value": area.value_text, "reason": area.unmapped_reason}
            for area in areas
            if area.area_code not in polygons
        ],
        "caption": caption,
        "empty": None if shapes else empty_text,
        "n_polygons": len(shapes),
    }


def _panel_width(shapes: Sequence[AreaPolygon]) -> float:
    """Full width for a wide or crowded cluster, a third for one or two small areas."""
    min_x, min_y, max_x, max_y = _extent(shapes)
    if (max_x - min_x) > WIDE_EXTENT_M or len(shapes) >= WIDE_MIN_AREAS:
        return MAP_WIDTH
    if max(max_x - min_x, max_y - min_y) <= SMALL_EXTENT_M and len(shapes) <= SMALL_MAX_AREAS:
        return THIRD_WIDTH
    return HALF_WIDTH


def _letters() -> Iterable[str]:
    for index in range(26 * 27):
        first, second = divmod(index, 26)
        yield (chr(64 + first) if first else "") + chr(65 + second)


def _overview_panel(
    areas: Sequence[MapArea],
    shapes: Sequence[AreaPolygon],
    groups: list[list[int]],
    scale: ColourScale,
    numbers: dict[str, int],
    *,
    full_width: bool,
) -> dict[str, Any]:
    """Every 2025 area of the country as a dot — the page's areas shaded by their value — and
    the detail panels framed and lettered. Areas without a detail panel carry their number."""
    everything = list(police_area_polygons().values())
    width = MAP_WIDTH if full_width else HALF_WIDTH
    frame, height = _fit(_extent(everything), width)
    frame = _Frame(
        frame.min_x, frame.max_y, frame.scale, frame.offset_x, frame.offset_y + TITLE_HEIGHT
    )
    in_panels = {shapes[i].area_code for group in groups for i in group}
    own = {area.area_code: area for area in areas}
    dots = []
    for polygon in sorted(everything, key=lambda p: p.area_code in own):  # own dots on top
        x, y = frame.point(*polygon.centroid)
        area = own.get(polygon.area_code)
        dots.append(
            {
                "x": round(x, 1),
                "y": round(y, 1),
                "own": area is not None,
                "fill": scale.colour(area.value) if area else MISSING_COLOUR,
                "title": f"{numbers[area.area_code]}. {area.name}: {area.value_text}"
                if area
                else polygon.name,
                "number": numbers[area.area_code]
                if area and polygon.area_code not in in_panels
                else None,
            }
        )
    boxes = []
    for letter, group in zip(_letters(), groups, strict=False):
        min_x, min_y, max_x, max_y = _extent(shapes[i] for i in group)
        x0, y0 = frame.point(min_x, max_y)
        x1, y1 = frame.point(max_x, min_y)
        boxes.append(
            {
                "letter": letter,
                "x": round(x0 - 3, 1),
                "y": round(y0 - 3, 1),
                "width": round(max(x1 - x0, 0) + 6, 1),
                "height": round(max(y1 - y0, 0) + 6, 1),
            }
        )
    return {
        "kind": "overview",
        "title": "Översikt: polisens 65 områden 2025 (prickar)",
        "width": width,
        "height": round(float(height) + TITLE_HEIGHT, 1),
        "frame_y": TITLE_HEIGHT,
        "frame_height": round(float(height), 1),
        "dots": dots,
        "boxes": boxes,
        "areas": [],
        "scale_bar": scale_bar(frame.scale, width),
    }


def _detail_panel(
    letter: str,
    areas: Sequence[MapArea],
    shapes: Sequence[AreaPolygon],
    scale: ColourScale,
    numbers: dict[str, int],
    places: dict[str, str],
) -> dict[str, Any]:
    extent = _extent(shapes)
    width = _panel_width(shapes)
    frame, height = _fit(extent, width)
    frame = _Frame(
        frame.min_x, frame.max_y, frame.scale, frame.offset_x, frame.offset_y + TITLE_HEIGHT
    )
    drawn = []
    for area, shape in zip(areas, shapes, strict=True):
        label_x, label_y = frame.point(*shape.centroid)
        drawn.append(
            {
                "code": area.area_code,
                "d": frame.path(shape.rings),
                "fill": scale.colour(area.value),
                "flag": area.flag or "",
                "title": f"{numbers[area.area_code]}. {area.name}: {area.value_text}",
                "number": numbers[area.area_code],
                "label_x": round(label_x, 1),
                "label_y": round(label_y, 1),
            }
        )
    place_names = [places.get(area.area_code, "") for area in areas]
    return {
        "kind": "detail",
        "title": f"{letter}. {_panel_title([p for p in place_names if p])}",
        "width": width,
        "height": round(float(height) + TITLE_HEIGHT, 1),
        "frame_y": TITLE_HEIGHT,
        "frame_height": round(float(height), 1),
        "dots": [],
        "boxes": [],
        "areas": drawn,
        "scale_bar": scale_bar(frame.scale, width),
    }


def _layout(panels: list[dict[str, Any]]) -> float:
    """Place panels left to right in rows (a new row when the next does not fit); the height."""
    y, x, row_height = 0.0, 0.0, 0.0
    for panel in panels:
        if x > 0 and x + panel["width"] > MAP_WIDTH + 0.5:
            y, x, row_height = y + row_height + GUTTER, 0.0, 0.0
        panel["x"], panel["y"] = round(x, 1), round(y, 1)
        x += panel["width"] + GUTTER
        row_height = max(row_height, panel["height"])
    return y + row_height
