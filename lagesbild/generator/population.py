"""Population per DeSO, age group and sex at 31 December, written as SCB's JSON-stat2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from lagesbild.generator.geography import Geography
from lagesbild.generator.timeline import rng_for

STREAM_POPULATION = 3
AGE_GROUPS = ("0-15", "16-24", "25-44", "45-64", "65-")
SEXES = (("1", "män"), ("2", "kvinnor"))
AGE_PROFILE = np.array([0.18, 0.10, 0.26, 0.25, 0.21])  # Sweden, roughly
AGE_PROFILE_AREAS = np.array([0.26, 0.14, 0.30, 0.20, 0.10])  # younger in the areas
MALE_SHARE = 0.503


def deso_totals(geo: Geography, year: int) -> np.ndarray:
    """Integer inhabitants per DeSO at 31 December of `year`."""
    return np.rint(geo.population(year + 1.0)).astype(np.int64)


def age_sex_counts(geo: Geography, year: int, seed: int) -> np.ndarray:
    """(n_deso, 5, 2) counts summing to deso_totals()."""
    rng = rng_for(seed, STREAM_POPULATION, year)
    youth = np.where(geo.area_idx >= 0, 1.0, rng.uniform(0.0, 0.4, geo.size))
    ages = (1 - youth)[:, None] * AGE_PROFILE + youth[:, None] * AGE_PROFILE_AREAS
    male = np.clip(MALE_SHARE + rng.normal(0.0, 0.01, geo.size), 0.45, 0.56)
    cells = ages[:, :, None] * np.stack([male, 1 - male], axis=1)[:, None, :]
    probabilities = cells.reshape(geo.size, -1)
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    counts = rng.multinomial(deso_totals(geo, year), probabilities)
    return counts.reshape(geo.size, len(AGE_GROUPS), len(SEXES))


def jsonstat_document(geo: Geography, year: int, counts: np.ndarray) -> dict:
    """The PxWeb JSON-stat2 response for table BE0101Y/FolkmDesoAldKonN, one year."""
    codes = geo.deso_codes.to_list()
    dimension = {
        "Region": _dimension("region", codes, codes),
        "Alder": _dimension("ålder", AGE_GROUPS, [f"{age} år" for age in AGE_GROUPS]),
        "Kon": _dimension("kön", [c for c, _ in SEXES], [label for _, label in SEXES]),
        "ContentsCode": _dimension("tabellinnehåll", ["000007Y7"], ["Folkmängd"]),
        "Tid": _dimension("år", [str(year)], [str(year)]),
    }
    dimension["ContentsCode"]["category"]["unit"] = {"000007Y7": {"base": "antal", "decimals": 0}}
    return {
        "version": "2.0",
        "class": "dataset",
        "label": "Folkmängd per DeSO efter region, ålder, kön, tabellinnehåll och år "
        "(SYNTETISKA DATA, Lägesbild)",
        "source": "SCB",
        "updated": f"{year + 1}-03-20T08:00:00Z",
        "id": ["Region", "Alder", "Kon", "ContentsCode", "Tid"],
        "size": [len(codes), len(AGE_GROUPS), len(SEXES), 1, 1],
        "dimension": dimension,
        "role": {"time": ["Tid"], "metric": ["ContentsCode"]},
        "value": counts.reshape(-1).tolist(),
    }


def _dimension(label: str, codes: list[str] | tuple[str, ...], labels: list[str]) -> dict:
    return {
        "label": label,
        "category": {
            "index": {code: i for i, code in enumerate(codes)},
            "label": dict(zip(codes, labels, strict=True)),
        },
    }


def write_population(path: Path, geo: Geography, year: int, seed: int) -> int:
    """Write population/YYYY.json; returns the total population."""
    counts = age_sex_counts(geo, year, seed)
    document = jsonstat_document(geo, year, counts)
    path.write_text(json.dumps(document, ensure_ascii=False, separators=(",", ":")), "utf-8")
    return int(counts.sum())
