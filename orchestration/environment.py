"""Make the settings visible to child processes (dbt reads PROCURE_WAREHOUSE from the environment)."""

import os
import shutil
import sys
from pathlib import Path

from warehouse.settings import REPO_ROOT, get_settings

DAGSTER_YAML_TEMPLATE = Path(__file__).with_name("dagster.yaml")


def export_environment() -> None:
    """Export the resolved settings (which already honour the user's variables) and turn telemetry off."""
    s = get_settings()
    os.environ["PROCURE_WAREHOUSE"] = str(s.warehouse)
    os.environ["PROCURE_DUCKDB_MEMORY"] = s.duckdb_memory
    os.environ["PROCURE_DUCKDB_THREADS"] = str(s.duckdb_threads)
    os.environ["DAGSTER_HOME"] = str(s.dagster_home)
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    s.warehouse.parent.mkdir(parents=True, exist_ok=True)
    ensure_dagster_home(Path(os.environ["DAGSTER_HOME"]))


def ensure_dagster_home(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    if not target.exists():
        shutil.copyfile(DAGSTER_YAML_TEMPLATE, target)


def dbt_executable() -> str:
    """The dbt next to this interpreter (the repo's virtualenv), even when it is not on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else (shutil.which("dbt") or "dbt")


DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
