"""An independent recomputation of the offence indicators straight from the landing files.

Deliberately shares no code with the pipeline: polars over the delivered CSVs and the seeds.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from lagesbild.settings import SEEDS_DIR, DataPaths


def read_seed(name: str) -> pl.DataFrame:
    return pl.read_csv(SEEDS_DIR / f"{name}.csv", infer_schema=False)


def landing_offences(paths: DataPaths) -> pl.DataFrame:
    frames = []
    for file in sorted(paths.landing_source("offences").glob("*.csv")):
        frame = pl.read_csv(file, separator=";", infer_schema=False)
        frames.append(frame.with_columns(pl.lit(f"{file.stem}-01").str.to_date().alias("month")))
    return pl.concat(frames)


def offence_indicator_counts(paths: DataPaths, indicators: list[str]) -> pl.DataFrame:
    """(month, geo_level, geo_code, indicator_code, n) for every non-zero combination."""
    deso = pl.read_csv(paths.landing / "geography" / "deso.csv", separator=";", infer_schema=False)
    regions = read_seed("municipalities").select("municipality_code", "region_slug")
    mapping = read_seed("indicator_offence_codes").filter(
        pl.col("indicator_code").is_in(indicators)
    )
    parts = read_seed("area_parts")
    offences = (
        landing_offences(paths)
        .join(mapping, on="offence_code", how="inner")
        .join(deso.select("deso_code", "lpo_code", "area_code"), on="deso_code", how="left")
        .join(regions, on="municipality_code", how="left")
    )
    atomic_areas = offences.filter(pl.col("area_code").is_not_null())
    composite_areas = atomic_areas.join(
        parts.rename({"area_code": "composite_code", "part_area_code": "area_code"}),
        on="area_code",
        how="inner",
    ).with_columns(pl.col("composite_code").alias("area_code"))
    levels = [
        ("nation", offences.with_columns(pl.lit("SE").alias("geo_code"))),
        ("region", offences.with_columns(pl.col("region_slug").alias("geo_code"))),
        ("municipality", offences.with_columns(pl.col("municipality_code").alias("geo_code"))),
        (
            "lpo",
            offences.filter(pl.col("lpo_code").is_not_null()).with_columns(
                pl.col("lpo_code").alias("geo_code")
            ),
        ),
        (
            "area",
            pl.concat([atomic_areas, composite_areas.select(atomic_areas.columns)]).with_columns(
                pl.col("area_code").alias("geo_code")
            ),
        ),
    ]
    counts = [
        frame.group_by("month", "geo_code", "indicator_code")
        .agg(pl.len().alias("n"))
        .with_columns(pl.lit(level).alias("geo_level"))
        for level, frame in levels
    ]
    return (
        pl.concat(counts)
        .select("month", "geo_level", "geo_code", "indicator_code", pl.col("n").cast(pl.Float64))
        .sort("month", "geo_level", "geo_code", "indicator_code")
    )


def landing_file_count(folder: Path) -> int:
    return len(list(folder.glob("*.csv")))
