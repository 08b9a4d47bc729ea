"""Where Lägesbild keeps its files: one data directory, overridable with LAGESBILD_DATA_DIR."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "LAGESBILD_DATA_DIR"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
WORKSPACE_FILE = PROJECT_ROOT / "workspace.yaml"
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
"""dbt from the same environment as this interpreter (works without an activated venv)."""
DBT_LAUNCHER = str(Path(sys.executable).with_name("lagesbild-dbt"))
"""What Dagster runs as dbt: dbt in a warm process if one waits (see warehouse/warm_dbt.py)."""

MONTHLY_SOURCES: tuple[str, ...] = (
    "offences",
    "clearances",
    "incidents",
    "staffing",
    "presence",
    "cameras",
)
REGION_SLUGS: tuple[str, ...] = ("nord", "mitt", "bergslagen", "stockholm", "ost", "vast", "syd")


def default_data_dir() -> Path:
    """The data directory: $LAGESBILD_DATA_DIR, else ./data (resolved to an absolute path)."""
    return Path(os.environ.get(DATA_DIR_ENV) or "data").expanduser().resolve()


@dataclass(frozen=True)
class DataPaths:
    """Every path a run reads or writes, derived from one data directory."""

    root: Path

    @classmethod
    def from_env(cls) -> DataPaths:
        return cls(default_data_dir())

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    def landing_source(self, source: str) -> Path:
        return self.landing / source

    @property
    def warehouse_db(self) -> Path:
        return self.root / "warehouse" / "lagesbild.duckdb"

    @property
    def publish_dir(self) -> Path:
        return self.root / "publish"

    @property
    def publish_db(self) -> Path:
        return self.publish_dir / "lagesbild.duckdb"

    @property
    def publish_versions(self) -> Path:
        """The published DuckDB files, one folder per publication (`publish.versions`)."""
        return self.publish_dir / "versions"

    @property
    def publish_archive(self) -> Path:
        return self.publish_dir / "archive"

    @property
    def publish_staging(self) -> Path:
        """Half-built publications live here until verified; never read by users."""
        return self.publish_dir / ".staging"

    @property
    def archive(self) -> Path:
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        return self.root / "quarantine"

    @property
    def dbt_dir(self) -> Path:
        """dbt's artefacts of this data directory: one target folder per run, parse state."""
        return self.root / "dbt"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    def ensure(self) -> DataPaths:
        for path in (self.landing, self.warehouse_db.parent, self.publish_dir, self.dagster_home):
            path.mkdir(parents=True, exist_ok=True)
        return self
