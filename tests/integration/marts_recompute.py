"""Every indicator of the marts recomputed independently from the landing files.

Deliberately shares no code with the pipeline (no `pipelines` or `assets` import, no SQL):
polars over the delivered CSV and JSON-stat2 files and the seed CSVs, with the rules written
out again from the documentation (docs/indicators.md, docs/data_contracts.md):

- an event counts in the month of its file; at nation, region and municipality by its
  municipality code, at LPO and area only when it has a DeSO code (coverage rule);
- a composite area is the union of its parts (seed area_parts);
- population per DeSO is interpolated to mid-month between 31-December figures, carried
  forward/back beyond them; a geography's population is the sum over its DeSOs;
- resources: an area holds its area-bound områdespoliser, presence and cameras (a composite
  the sum of its parts), an LPO every områdespolis of the LPO and the sums over its areas.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
KEY = ["month", "geo_level", "geo_code", "indicator_code"]
MONTHLY_SOURCES = ("offences", "clearances", "incidents", "staffing", "presence", "cameras")


def seed(name: str) -> pl.DataFrame:
    return pl.read_csv(SEEDS / f"{name}.csv", infer_schema=False)


def _read_month_files(folder: Path) -> pl.DataFrame:
    """All `YYYY-MM.csv` of a landing folder as text, with `month` (DATE) added."""
    frames = []
    for file in sorted(folder.glob("*.csv")):
        frame = pl.read_csv(file, separator=";", infer_schema=False, encoding="utf8-lossy")
        frame = frame.rename({name: name.lstrip("\ufeff") for name in frame.columns})
        month = pl.lit(f"{file.stem}-01").str.to_date()
        frames.append(frame.with_columns(month.alias("month")))
    return pl.concat(frames, how="diagonal") if frames else pl.DataFrame()


def _decimal(column: str) -> pl.Expr:
    return pl.col(column).str.replace(",", ".").cast(pl.Float64)


def delivered_months(landing: Path) -> dict[str, list]:
    """Months each monthly source delivered (from the landing files themselves)."""
    result = {}
    for source in MONTHLY_SOURCES:
        files = sorted((landing / source).glob("*.csv"))
        result[source] = [pl.Series([f"{file.stem}-01"]).str.to_date().item() for file in files]
    return result


def month_spine(landing: Path) -> list:
    months = sorted({m for ms in delivered_months(landing).values() for m in ms})
    first, last = months[0], months[-1]
    return pl.date_range(first, last, interval="1mo", eager=True).to_list()


@dataclass(frozen=True)
class Places:
    """Where a DeSO or municipality lies at every level."""

    deso: pl.DataFrame  # deso_code, municipality_code, lpo_code, area_code
    municipality_levels: pl.DataFrame  # municipality_code, geo_level, geo_code
    deso_levels: pl.DataFrame  # deso_code, geo_level, geo_code (lpo and area)


def places(landing: Path) -> Places:
    deso = pl.read_csv(landing / "geography" / "deso.csv", separator=";", infer_schema=False)
    deso = deso.rename({name: name.lstrip("\ufeff") for name in deso.columns})
    municipalities = seed("municipalities").select("municipality_code", "region_slug")
    municipality_levels = pl.concat(
        [
            municipalities.select(
                "municipality_code",
                pl.lit("nation").alias("geo_level"),
                pl.lit("SE").alias("geo_code"),
            ),
            municipalities.select(
                "municipality_code",
                pl.lit("region").alias("geo_level"),
                pl.col("region_slug").alias("geo_code"),
            ),
            municipalities.select(
                "municipality_code",
                pl.lit("municipality").alias("geo_level"),
                pl.col("municipality_code").alias("geo_code"),
            ),
        ]
    )
    parts = seed("area_parts")
    atomic = deso.filter(pl.col("area_code").is_not_null()).select("deso_code", "area_code")
    composite = atomic.join(
        parts.rename({"area_code": "composite", "part_area_code": "area_code"}), on="area_code"
    ).select("deso_code", pl.col("composite").alias("area_code"))
    deso_levels = pl.concat(
        [
            deso.filter(pl.col("lpo_code").is_not_null()).select(
                "deso_code", pl.lit("lpo").alias("geo_level"), pl.col("lpo_code").alias("geo_code")
            ),
            pl.concat([atomic, composite]).select(
                "deso_code",
                pl.lit("area").alias("geo_level"),
                pl.col("area_code").alias("geo_code"),
            ),
        ]
    )
    return Places(deso, municipality_levels, deso_levels)


def place_events(events: pl.DataFrame, where: Places) -> pl.DataFrame:
    """(month, municipality_code, deso_code, indicator_code, n) → per geography, summed."""
    by_municipality = events.join(where.municipality_levels, on="municipality_code")
    by_deso = events.filter(pl.col("deso_code").is_not_null()).join(
        where.deso_levels, on="deso_code"
    )
    columns = ["month", "geo_level", "geo_code", "indicator_code", "n"]
    return (
        pl.concat([by_municipality.select(columns), by_deso.select(columns)])
        .group_by("month", "geo_level", "geo_code", "indicator_code")
        .agg(pl.col("n").sum().cast(pl.Float64))
    )


def event_counts(landing: Path) -> pl.DataFrame:
    """Non-zero numerators of every event indicator, and clearance_rate's denominator
    (indicator_code `clearance_rate#denominator`)."""
    where = places(landing)
    codes = seed("indicator_offence_codes")
    offences = _read_month_files(landing / "offences")
    clearances = _read_month_files(landing / "clearances")
    incidents = _read_month_files(landing / "incidents").with_columns(
        pl.col("dead").cast(pl.Int64), pl.col("injured").cast(pl.Int64)
    )
    base = ["month", "municipality_code", "deso_code"]
    offence_events = offences.join(
        codes.filter(pl.col("indicator_code") != "clearance_rate"), on="offence_code"
    ).select(*base, "indicator_code", pl.lit(1, pl.Int64).alias("n"))
    clearance_events = clearances.join(
        codes.filter(pl.col("indicator_code") == "clearance_rate"), on="offence_code"
    ).select(*base, "indicator_code", pl.lit(1, pl.Int64).alias("n"))
    clearance_base = offences.join(
        codes.filter(pl.col("indicator_code") == "clearance_rate"), on="offence_code"
    ).select(
        *base,
        pl.lit("clearance_rate#denominator").alias("indicator_code"),
        pl.lit(1, pl.Int64).alias("n"),
    )
    shootings = incidents.filter(pl.col("incident_type") == "shooting")
    incident_events = pl.concat(
        [
            shootings.select(
                *base, pl.lit("shootings").alias("indicator_code"), pl.lit(1, pl.Int64).alias("n")
            ),
            incidents.filter(pl.col("incident_type") == "explosion").select(
                *base, pl.lit("explosions").alias("indicator_code"), pl.lit(1, pl.Int64).alias("n")
            ),
            shootings.select(
                *base, pl.lit("shooting_dead").alias("indicator_code"), pl.col("dead").alias("n")
            ),
            shootings.select(
                *base,
                pl.lit("shooting_injured").alias("indicator_code"),
                pl.col("injured").alias("n"),
            ),
        ]
    )
    events = pl.concat(
        [
            frame.with_columns(pl.col("n").cast(pl.Int64))
            for frame in (offence_events, clearance_events, clearance_base, incident_events)
        ]
    )
    return place_events(events, where).filter(pl.col("n") > 0)


def deso_population_years(landing: Path) -> pl.DataFrame:
    """(deso_code, year, population) from the JSON-stat2 files, summed over age and sex."""
    rows = []
    for file in sorted((landing / "population").glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8-sig"))
        ids, sizes, values = data["id"], data["size"], data["value"]
        region_pos = ids.index("Region")
        time_pos = ids.index("Tid")
        labels = {}
        for dim in ids:
            index = data["dimension"][dim]["category"]["index"]
            ordered = sorted(index, key=index.get) if isinstance(index, dict) else list(index)
            labels[dim] = ordered
        strides = [1] * len(sizes)
        for i in range(len(sizes) - 2, -1, -1):
            strides[i] = strides[i + 1] * sizes[i + 1]
        totals: dict[tuple[str, int], int] = {}
        for flat, value in enumerate(values):
            if value is None:
                continue
            region = labels["Region"][(flat // strides[region_pos]) % sizes[region_pos]]
            year = int(labels["Tid"][(flat // strides[time_pos]) % sizes[time_pos]])
            totals[(region, year)] = totals.get((region, year), 0) + int(value)
        rows.extend((deso, year, total) for (deso, year), total in totals.items())
    return pl.DataFrame(rows, schema=["deso_code", "year", "population"], orient="row")


def interpolate(figures: dict[int, float], year: int, month_number: int) -> float:
    """Mid-month population from 31-December figures {year: population}."""
    before = [y for y in figures if y <= year - 1]
    after = [y for y in figures if y >= year]
    if before and after:
        y0, y1 = max(before), min(after)
        t = (year * 12 + month_number - 0.5 - (y0 + 1) * 12) / ((y1 - y0) * 12)
        return figures[y0] + (figures[y1] - figures[y0]) * t
    return figures[max(before)] if before else figures[min(after)]


def geo_population(landing: Path) -> pl.DataFrame:
    """(month, geo_level, geo_code, population) for every geography with DeSOs."""
    where = places(landing)
    years = deso_population_years(landing)
    by_deso: dict[str, dict[int, float]] = {}
    for deso, year, population in years.iter_rows():
        by_deso.setdefault(deso, {})[year] = float(population)
    spine = month_spine(landing)
    rows = [
        (month, deso, interpolate(figures, month.year, month.month))
        for deso, figures in by_deso.items()
        for month in spine
    ]
    monthly = pl.DataFrame(rows, schema=["month", "deso_code", "population"], orient="row")
    municipal = monthly.join(where.deso.select("deso_code", "municipality_code"), on="deso_code")
    levels = pl.concat(
        [
            municipal.join(where.municipality_levels, on="municipality_code").select(
                "month", "geo_level", "geo_code", "population"
            ),
            monthly.join(where.deso_levels, on="deso_code").select(
                "month", "geo_level", "geo_code", "population"
            ),
        ]
    )
    return levels.group_by("month", "geo_level", "geo_code").agg(pl.col("population").sum())


def resources(landing: Path) -> pl.DataFrame:
    """(month, geo_level, geo_code, quantity, amount) for areas and LPOs, non-zero rows."""
    areas = seed("areas")
    atomic_lpo = areas.filter(pl.col("is_composite") != "true").select("area_code", "lpo_code")
    parts = seed("area_parts").rename({"area_code": "composite", "part_area_code": "area_code"})
    staffing = _read_month_files(landing / "staffing").with_columns(_decimal("fte"))
    staffing = staffing.filter(pl.col("function") == "omradespolis")
    presence = _read_month_files(landing / "presence").with_columns(_decimal("patrol_hours"))
    cameras = _read_month_files(landing / "cameras").with_columns(
        pl.col("fixed_camera_sites", "body_worn_cameras", "officers_in_area").cast(pl.Float64)
    )
    per_area = pl.concat(
        [
            staffing.filter(pl.col("area_code").is_not_null()).select(
                "month",
                "area_code",
                pl.lit("omradespolis_fte").alias("quantity"),
                pl.col("fte").alias("amount"),
            ),
            presence.select(
                "month",
                "area_code",
                pl.lit("patrol_hours").alias("quantity"),
                pl.col("patrol_hours").alias("amount"),
            ),
            *[
                cameras.select(
                    "month", "area_code", pl.lit(q).alias("quantity"), pl.col(q).alias("amount")
                )
                for q in ("fixed_camera_sites", "body_worn_cameras", "officers_in_area")
            ],
        ]
    )
    area_rows = pl.concat(
        [
            per_area,
            per_area.join(parts, on="area_code")
            .with_columns(pl.col("composite").alias("area_code"))
            .select(per_area.columns),
        ]
    ).select(
        "month",
        pl.lit("area").alias("geo_level"),
        pl.col("area_code").alias("geo_code"),
        "quantity",
        "amount",
    )
    lpo_rows = pl.concat(
        [
            staffing.select(
                "month",
                pl.col("lpo_code").alias("geo_code"),
                pl.lit("omradespolis_fte").alias("quantity"),
                pl.col("fte").alias("amount"),
            ),
            per_area.filter(pl.col("quantity") != "omradespolis_fte")
            .join(atomic_lpo, on="area_code")
            .select("month", pl.col("lpo_code").alias("geo_code"), "quantity", "amount"),
        ]
    ).select("month", pl.lit("lpo").alias("geo_level"), "geo_code", "quantity", "amount")
    return (
        pl.concat([area_rows, lpo_rows])
        .group_by("month", "geo_level", "geo_code", "quantity")
        .agg(pl.col("amount").sum())
    )


def resource_indicators(landing: Path) -> pl.DataFrame:
    """(month, geo_level, geo_code, indicator_code, value) wherever a value is defined."""
    wide = resources(landing).pivot(
        on="quantity", index=["month", "geo_level", "geo_code"], values="amount"
    )
    population = geo_population(landing)
    wide = wide.join(population, on=["month", "geo_level", "geo_code"], how="left")
    for quantity in (
        "omradespolis_fte",
        "patrol_hours",
        "fixed_camera_sites",
        "body_worn_cameras",
        "officers_in_area",
    ):
        if quantity not in wide.columns:
            wide = wide.with_columns(pl.lit(None, pl.Float64).alias(quantity))
    wide = wide.with_columns(
        pl.col(q).fill_null(0.0)
        for q in (
            "omradespolis_fte",
            "patrol_hours",
            "fixed_camera_sites",
            "body_worn_cameras",
            "officers_in_area",
        )
    )
    values = wide.select(
        "month",
        "geo_level",
        "geo_code",
        (pl.col("omradespolis_fte") / pl.col("population") * 5000).alias("omradespoliser_per_5000"),
        (pl.col("patrol_hours") / pl.col("population") * 1000).alias("patrol_hours_per_1000"),
        pl.col("fixed_camera_sites"),
        pl.when(pl.col("officers_in_area") > 0)
        .then(pl.col("body_worn_cameras") / pl.col("officers_in_area"))
        .alias("body_worn_camera_coverage"),
    )
    return values.unpivot(
        index=["month", "geo_level", "geo_code"], variable_name="indicator_code", value_name="value"
    ).filter(pl.col("value").is_not_null() & (pl.col("value") != 0))


def rolling_comparisons(series: pl.DataFrame) -> pl.DataFrame:
    """For a complete monthly count series per (geo_level, geo_code, indicator_code) with
    `numerator` (NULL = not delivered): previous year, rolling 12 months and year to date,
    NULL whenever a month needed is missing."""
    ordered = series.sort("geo_level", "geo_code", "indicator_code", "month")
    by_series = ["geo_level", "geo_code", "indicator_code"]
    return (
        ordered.with_columns(
            pl.col("numerator").shift(12).over(by_series).alias("numerator_prev_year"),
            pl.col("numerator")
            .rolling_sum(12, min_samples=12)
            .over(by_series)
            .alias("numerator_rolling_12m"),
            pl.col("numerator")
            .cum_sum()
            .over([*by_series, pl.col("month").dt.year()])
            .alias("ytd_sum"),
            pl.col("numerator")
            .is_null()
            .cum_sum()
            .over([*by_series, pl.col("month").dt.year()])
            .alias("ytd_missing"),
        )
        .with_columns(
            pl.when(pl.col("ytd_missing") == 0).then(pl.col("ytd_sum")).alias("numerator_ytd")
        )
        .drop("ytd_sum", "ytd_missing")
    )
