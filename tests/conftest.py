import os
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("SODA_CORE_TELEMETRY_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

FIXTURES = Path(__file__).parent / "fixtures"

_PATH_VARS = ("PROCURE_HOME", "PROCURE_LANDING", "PROCURE_TRUTH", "PROCURE_WAREHOUSE", "PROCURE_PUBLISHED", "DAGSTER_HOME")


@pytest.fixture
def procure_home(tmp_path, monkeypatch) -> Path:
    """An empty installation: every path setting points under tmp_path."""
    for var in _PATH_VARS:
        monkeypatch.delenv(var, raising=False)
    home = tmp_path / "data"
    monkeypatch.setenv("PROCURE_HOME", str(home))
    return home
