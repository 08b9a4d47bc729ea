"""Live population from SCB's PxWeb API (JSON-stat2), sharing its parser with the file drop.

The fetched response is validated with the same parser the ingest asset uses and then written
to `landing/population/YYYY.json`, so a live fetch and a file drop take one path into `raw`.
Network problems are transient (retried); a response that does not parse is not.
"""

import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from lagesbild.ingest.jsonstat import JsonStatError, population_rows

DESO_POPULATION_TABLE_URL = (
    "https://api.scb.se/OV0104/v1/doris/sv/ssd/START/BE/BE0101/BE0101Y/FolkmDesoAldKonN"
)


class ScbUnavailable(RuntimeError):
    """SCB could not be reached or answered with a server error: worth retrying."""


@dataclass(frozen=True)
class ScbPopulationClient:
    """Fetches population per DeSO, age group and sex at 31 December from SCB PxWeb."""

    table_url: str = DESO_POPULATION_TABLE_URL
    contents_code: str = "000007Y7"
    timeout_s: float = 60.0

    def query(self, year: int) -> dict[str, object]:
        """The PxWeb v1 query: every DeSO, age group and sex for one year, as JSON-stat2."""
        return {
            "query": [
                {"code": "Region", "selection": {"filter": "all", "values": ["*"]}},
                {"code": "Alder", "selection": {"filter": "all", "values": ["*"]}},
                {"code": "Kon", "selection": {"filter": "item", "values": ["1", "2"]}},
                {
                    "code": "ContentsCode",
                    "selection": {"filter": "item", "values": [self.contents_code]},
                },
                {"code": "Tid", "selection": {"filter": "item", "values": [str(year)]}},
            ],
            "response": {"format": "json-stat2"},
        }

    def fetch_year(self, year: int) -> bytes:
        request = urllib.request.Request(
            self.table_url,
            data=json.dumps(self.query(year)).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                return response.read()
        except urllib.error.HTTPError as error:
            if error.code in (429,) or error.code >= 500:
                raise ScbUnavailable(f"SCB answered HTTP {error.code} for {year}") from error
            raise
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            raise ScbUnavailable(f"SCB could not be reached: {error}") from error

    def save_year(self, year: int, landing_population: Path) -> tuple[Path, int]:
        """Fetch, validate with the shared parser, write `YYYY.json` atomically; (path, rows)."""
        body = self.fetch_year(year)
        rows = population_rows(body)
        years = set(rows["year"].unique().to_list())
        if years != {year}:
            raise JsonStatError(f"SCB returned year(s) {sorted(years)} when asked for {year}")
        landing_population.mkdir(parents=True, exist_ok=True)
        target = landing_population / f"{year}.json"
        partial = target.with_suffix(".json.partial")
        partial.write_bytes(body)
        os.replace(partial, target)
        return target, rows.height
