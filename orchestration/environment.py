"""Make the settings visible to child processes (dbt reads PROCURE_WAREHOUSE from the environment)."""

import os
import shutil
import sys
from pathlib import Path

from orchestration.dbt_child import real_dbt
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
    """How to start dbt: `procure-dbt` (installed with the project), which makes dbt die with the process that
    started it (see orchestration/dbt_child.py); the plain dbt of this virtualenv or PATH where it is missing."""
    launcher = Path(sys.executable).parent / "procure-dbt"
    return str(launcher) if launcher.exists() else real_dbt()


DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"
