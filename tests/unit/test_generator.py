"""The synthetic landing zone: determinism, delivery formats and the built-in patterns."""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections import Counter
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from lagesbild.generator import generate

START, END = "2023-01", "2024-06"
MONTHS = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)][:18]
SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
HEADERS = {
    "offences": "offence_id;registered_date;offence_code;municipality_code;deso_code",
    "clearances": "offence_id;decision_date;offence_code;municipality_code;deso_code",
    "incidents": "incident_id;occurred_at;incident_type;municipality_code;deso_code;dead;injured",
    "staffing": "lpo_code;area_code;function;fte",
    "presence": "area_code;patrol_hours",
    "cameras": "area_code;fixed_camera_sites;body_worn_cameras;officers_in_area",
}
DESO = re.compile(r"^\d{4}[ABC]\d{4}$")
VIOLENT = {"assault_public", "assault_private", "robbery_public", "robbery_commercial"}
VIOLENT |= {"officials", "lethal_violence"}


@pytest.fixture(scope="module")
def landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("generated")
    generate(root, scale="small", start=START, end=END)
    return root / "landing"


def read(path: Path) -> pl.DataFrame:
    return pl.read_csv(path, separator=";", infer_schema=False)


def read_source(landing: Path, source: str) -> pl.DataFrame:
    frames = [read(landing / source / f"{m}.csv").with_columns(file=pl.lit(m)) for m in MONTHS]
    return pl.concat(frames)


def seed(name: str) -> list[dict[str, str]]:
    with (SEEDS / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def digests(landing: Path) -> dict[str, str]:
    return {
        str(path.relative_to(landing)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(landing.rglob("*"))
        if path.is_file()
    }


def population(landing: Path, year: int) -> dict[str, int]:
    document = json.loads((landing / "population" / f"{year}.json").read_text("utf-8"))
    codes = sorted(document["dimension"]["Region"]["category"]["index"].items(), key=lambda x: x[1])
    values = np.array(document["value"]).reshape(len(codes), -1).sum(axis=1)
    return {code: int(v) for (code, _), v in zip(codes, values, strict=True)}


def categories_in_force(month: str) -> dict[str, str]:
    """Category of every atomic area on the list in force in a month (parts inherit)."""
    lists = [r for r in seed("classification_lists") if r["in_force_from"] <= f"{month}-01"]
    year = lists[-1]["assessment_year"]
    areas = {a["area_code"]: a for a in seed("areas")}
    parent = {p["part_area_code"]: p["area_code"] for p in seed("area_parts")}
    result = {}
    for code, area in areas.items():
        if area["is_composite"] == "true":
            continue
        category = area[f"cat_{year}"] or (
            areas[parent[code]][f"cat_{year}"] if code in parent else ""
        )
        if category:
            result[code] = category
    return result


def test_same_seed_gives_byte_identical_files(landing: Path, tmp_path: Path) -> None:
    generate(tmp_path, scale="small", start=START, end=END)
    assert digests(tmp_path / "landing") == digests(landing)


def test_another_seed_gives_other_data(landing: Path, tmp_path: Path) -> None:
    generate(tmp_path, scale="small", start=START, end=END, seed=7)
    other = digests(tmp_path / "landing")
    assert other.keys() == digests(landing).keys()
    assert other["offences/2023-01.csv"] != digests(landing)["offences/2023-01.csv"]


def test_every_source_has_a_file_for_every_month(landing: Path) -> None:
    for source in HEADERS:
        assert sorted(p.stem for p in (landing / source).glob("*.csv")) == MONTHS, source
    assert sorted(p.stem for p in (landing / "population").glob("*.json")) == ["2022", "2023"]
    assert (landing / "geography" / "deso.csv").is_file()
    assert "SYNTHETIC" in (landing / "GENERATED.txt").read_text("utf-8")


def test_headers_separator_encoding_and_line_ends(landing: Path) -> None:
    for source, header in HEADERS.items():
        for month in MONTHS:
            raw = (landing / source / f"{month}.csv").read_bytes()
            assert not raw.startswith(b"\xef\xbb\xbf") and b"\r" not in raw
            text = raw.decode("utf-8")
            assert text.split("\n", 1)[0] == header, (source, month)
            assert text.endswith("\n")
    deso = (landing / "geography" / "deso.csv").read_text("utf-8")
    assert deso.split("\n", 1)[0] == "deso_code;municipality_code;lpo_code;area_code"


def test_decimal_comma_in_fte_and_patrol_hours(landing: Path) -> None:
    staffing = read_source(landing, "staffing")
    assert staffing["fte"].str.contains(r"^\d+,\d$").all()
    assert set(staffing["function"]) == {
        "omradespolis",
        "ingripande",
        "utredare",
        "brottsforebyggare",
    }
    presence = read_source(landing, "presence")
    assert presence["patrol_hours"].str.contains(r"^\d+,\d$").all()
    cameras = read_source(landing, "cameras")
    for column in ("fixed_camera_sites", "body_worn_cameras", "officers_in_area"):
        assert cameras[column].str.contains(r"^\d+$").all()


def test_deso_codes_and_geography(landing: Path) -> None:
    geo = read(landing / "geography" / "deso.csv")
    assert geo["deso_code"].str.contains(DESO.pattern).all()
    assert geo["deso_code"].is_unique().all()
    assert (geo["deso_code"].str.slice(0, 4) == geo["municipality_code"]).all()
    assert set(geo["deso_code"]) == set(population(landing, 2023))
    for source in ("offences", "clearances", "incidents"):
        codes = read_source(landing, source)["deso_code"].drop_nulls()
        assert codes.str.contains(DESO.pattern).all()
        assert set(codes) <= set(geo["deso_code"])


def test_areas_lie_in_their_own_municipality_and_lpo(landing: Path) -> None:
    geo = read(landing / "geography" / "deso.csv").filter(pl.col("area_code").is_not_null())
    areas = {a["area_code"]: a for a in seed("areas")}
    for row in geo.iter_rows(named=True):
        area = areas[row["area_code"]]
        assert area["is_composite"] == "false"
        assert (row["municipality_code"], row["lpo_code"]) == (
            area["municipality_code"],
            area["lpo_code"],
        )
    atomic = {code for code, a in areas.items() if a["is_composite"] == "false"}
    assert set(geo["area_code"]) == atomic


def test_offence_ids_unique_and_dates_inside_the_month(landing: Path) -> None:
    offences = read_source(landing, "offences")
    assert offences["offence_id"].str.contains(r"^K\d{9}-\d{2}$").all()
    assert offences["offence_id"].is_unique().all()
    assert (offences["registered_date"].str.slice(0, 7) == offences["file"]).all()
    assert (
        offences["offence_id"].str.slice(-2) == offences["registered_date"].str.slice(2, 2)
    ).all()
    clearances = read_source(landing, "clearances")
    assert (clearances["decision_date"].str.slice(0, 7) == clearances["file"]).all()
    incidents = read_source(landing, "incidents")
    assert incidents["incident_id"].str.contains(r"^I\d{7}-\d{2}$").all()
    assert incidents["incident_id"].is_unique().all()
    assert incidents["occurred_at"].str.contains(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$").all()
    assert (incidents["occurred_at"].str.slice(0, 7) == incidents["file"]).all()
    assert set(incidents["incident_type"]) == {"shooting", "explosion"}


def test_codes_exist_in_the_seeds(landing: Path) -> None:
    offence_codes = {c["offence_code"] for c in seed("offence_codes")}
    municipalities = {m["municipality_code"] for m in seed("municipalities")}
    lpos = {lpo["lpo_code"] for lpo in seed("local_police_areas")}
    areas = {a["area_code"] for a in seed("areas") if a["is_composite"] == "false"}
    for source in ("offences", "clearances"):
        frame = read_source(landing, source)
        assert set(frame["offence_code"]) <= offence_codes
        assert set(frame["municipality_code"]) <= municipalities
    staffing = read_source(landing, "staffing")
    assert set(staffing["lpo_code"]) <= lpos
    assert set(staffing["area_code"].drop_nulls()) <= areas
    assert set(read_source(landing, "presence")["area_code"]) <= areas


def test_missing_deso_is_rare_but_present(landing: Path) -> None:
    offences = read_source(landing, "offences")
    share = offences["deso_code"].is_null().mean()
    assert 0.03 < share < 0.05
    assert offences.filter(pl.col("deso_code").is_null())["municipality_code"].null_count() == 0


def test_population_is_jsonstat2_as_scb_delivers_it(landing: Path) -> None:
    document = json.loads((landing / "population" / "2023.json").read_text("utf-8"))
    assert document["version"] == "2.0" and document["class"] == "dataset"
    assert document["id"] == ["Region", "Alder", "Kon", "ContentsCode", "Tid"]
    sizes = [len(document["dimension"][d]["category"]["index"]) for d in document["id"]]
    assert document["size"] == sizes and sizes[1:] == [5, 2, 1, 1]
    assert len(document["value"]) == math.prod(document["size"])
    assert list(document["dimension"]["Tid"]["category"]["index"]) == ["2023"]
    assert document["role"] == {"time": ["Tid"], "metric": ["ContentsCode"]}
    sizes_2023 = np.array(list(population(landing, 2023).values()))
    assert sizes_2023.min() >= 700 and sizes_2023.max() <= 2700


def test_population_in_the_2023_areas_is_about_550_000(landing: Path) -> None:
    geo = read(landing / "geography" / "deso.csv")
    listed = set(categories_in_force("2023-12"))
    people = population(landing, 2023)
    total = sum(
        people[r["deso_code"]] for r in geo.iter_rows(named=True) if r["area_code"] in listed
    )
    assert 0.95 * 550_000 <= total <= 1.05 * 550_000


def test_violent_crime_rate_sarskilt_above_utsatt_above_elsewhere(landing: Path) -> None:
    geo = read(landing / "geography" / "deso.csv")
    people = population(landing, 2023)
    violent = {c["offence_code"] for c in seed("offence_codes") if c["category"] in VIOLENT}
    offences = read_source(landing, "offences").filter(pl.col("offence_code").is_in(violent))
    counts = Counter(zip(offences["file"], offences["deso_code"], strict=True))
    events: Counter[str] = Counter()
    exposure: Counter[str] = Counter()
    for month in MONTHS:
        in_force = categories_in_force(month)
        for deso, area in zip(geo["deso_code"], geo["area_code"], strict=True):
            group = {"sarskilt": "sarskilt", None: "elsewhere"}.get(in_force.get(area), "utsatt")
            events[group] += counts[(month, deso)]
            exposure[group] += people[deso]
    rate = {group: events[group] / exposure[group] for group in exposure}
    assert rate["sarskilt"] > 1.3 * rate["utsatt"] > 1.3 * 1.3 * rate["elsewhere"], rate


def test_a_third_of_area_lpos_below_the_omradespolis_goal(landing: Path) -> None:
    geo = read(landing / "geography" / "deso.csv")
    people = population(landing, 2023)
    lpo_pop = Counter()
    for deso, lpo in zip(geo["deso_code"], geo["lpo_code"], strict=True):
        lpo_pop[lpo] += people[deso]
    area_lpos = set(geo.filter(pl.col("area_code").is_not_null())["lpo_code"])
    below_by_month = []
    for month in (MONTHS[0], MONTHS[-1]):
        staffing = read(landing / "staffing" / f"{month}.csv").filter(function="omradespolis")
        fte = Counter()
        for lpo, value in zip(staffing["lpo_code"], staffing["fte"], strict=True):
            fte[lpo] += float(value.replace(",", "."))
        ratio = {lpo: fte[lpo] / (lpo_pop[lpo] / 5000) for lpo in area_lpos}
        below = {lpo for lpo, r in ratio.items() if r < 1.0}
        assert 0.25 <= len(below) / len(area_lpos) <= 0.42
        assert all(0.55 <= r <= 1.6 for r in ratio.values()), ratio
        below_by_month.append(below)
    assert below_by_month[0] == below_by_month[1]


def test_clearances_reference_offences_of_the_same_or_an_earlier_month(landing: Path) -> None:
    offences = read_source(landing, "offences").select(
        "offence_id", pl.col("file").alias("offence_file"), "offence_code", "deso_code"
    )
    clearances = read_source(landing, "clearances")
    joined = clearances.join(offences, on="offence_id", how="left", suffix="_offence")
    assert joined["offence_file"].null_count() == 0
    assert (joined["offence_file"] <= joined["file"]).all()
    assert (joined["offence_code"] == joined["offence_code_offence"]).all()
    assert 0.08 < clearances.height / offences.height < 0.3


def test_cameras_grow_and_presence_covers_the_listed_areas(landing: Path) -> None:
    for month in (MONTHS[0], MONTHS[-1]):
        presence = read(landing / "presence" / f"{month}.csv")
        assert set(presence["area_code"]) == set(categories_in_force(month))
    first = read(landing / "cameras" / f"{MONTHS[0]}.csv")
    last = read(landing / "cameras" / f"{MONTHS[-1]}.csv")
    for column in ("fixed_camera_sites", "body_worn_cameras"):
        assert last[column].cast(int).sum() > first[column].cast(int).sum()
