"""Paths and knobs, read from the environment with embedded defaults.

Every path the project uses comes from here, so one variable moves the whole installation:

| variable                 | default                                   | meaning                                  |
|--------------------------|-------------------------------------------|------------------------------------------|
| PROCURE_HOME             | <repo>/data                               | root of all data below                   |
| PROCURE_LANDING          | $PROCURE_HOME/landing                     | files to ingest: <source>/<entity>.csv   |
| PROCURE_TRUTH            | $PROCURE_HOME/truth                       | generator ground truth (never ingested)  |
| PROCURE_WAREHOUSE        | $PROCURE_HOME/warehouse/procure.duckdb    | the working warehouse (one writer)       |
| PROCURE_PUBLISHED        | $PROCURE_HOME/published                   | snapshots/ and the current.duckdb link   |
| PROCURE_DUCKDB_MEMORY    | 4GB                                       | DuckDB memory_limit for the writer       |
| PROCURE_DUCKDB_THREADS   | 2                                         | DuckDB threads for the writer            |
| PROCURE_KEEP_SNAPSHOTS   | 5                                         | snapshots kept for rollback (>= 1)       |
| DAGSTER_HOME             | $PROCURE_HOME/dagster                     | the persistent Dagster instance          |
| PROCURE_VOLUME_TOLERANCE | 0.5                                       | gate: allowed change of a published      |
|                          |                                           | table's rows vs the current snapshot     |
|                          |                                           | (0.5: 50 %..150 % of its row count)      |
| PROCURE_FRESHNESS_MAX_DAYS | 35                                      | gate: max age in days of the newest load |
|                          |                                           | of a periodic raw entity (monthly files) |

To accept a legitimate jump in volume (a new source, a back-fill), raise the tolerance for one run only:
``PROCURE_VOLUME_TOLERANCE=3 procure run``.
"""

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def _path(var: str, default: Path) -> Path:
    value = os.environ.get(var)
    return Path(value).expanduser().resolve() if value else default


@dataclass(frozen=True)
class Settings:
    home: Path
    landing: Path
    truth: Path
    warehouse: Path
    published: Path
    dagster_home: Path
    duckdb_memory: str
    duckdb_threads: int
    keep_snapshots: int
    volume_tolerance: float = 0.5
    freshness_max_days: float = 35.0

    @property
    def current_snapshot(self) -> Path:
        """The stable path analysts and dashboards open (read-only)."""
        return self.published / "current.duckdb"

    @property
    def snapshots_dir(self) -> Path:
        return self.published / "snapshots"


def get_settings() -> Settings:
    home = _path("PROCURE_HOME", REPO_ROOT / "data")
    threads = int(os.environ.get("PROCURE_DUCKDB_THREADS", "2"))
    keep = int(os.environ.get("PROCURE_KEEP_SNAPSHOTS", "5"))
    if threads < 1:
        raise ValueError("PROCURE_DUCKDB_THREADS must be >= 1")
    if keep < 1:
        raise ValueError("PROCURE_KEEP_SNAPSHOTS must be >= 1")
    tolerance = float(os.environ.get("PROCURE_VOLUME_TOLERANCE", "0.5"))
    max_days = float(os.environ.get("PROCURE_FRESHNESS_MAX_DAYS", "35"))
    if not tolerance >= 0:
        raise ValueError("PROCURE_VOLUME_TOLERANCE must be >= 0 (a fraction: 0.5 = 50 %)")
    if not max_days > 0:
        raise ValueError("PROCURE_FRESHNESS_MAX_DAYS must be > 0")
    return Settings(
        home=home,
        landing=_path("PROCURE_LANDING", home / "landing"),
        truth=_path("PROCURE_TRUTH", home / "truth"),
        warehouse=_path("PROCURE_WAREHOUSE", home / "warehouse" / "procure.duckdb"),
        published=_path("PROCURE_PUBLISHED", home / "published"),
        dagster_home=_path("DAGSTER_HOME", home / "dagster"),
        duckdb_memory=os.environ.get("PROCURE_DUCKDB_MEMORY", "4GB"),
        duckdb_threads=threads,
        keep_snapshots=keep,
        volume_tolerance=tolerance,
        freshness_max_days=max_days,
    )
