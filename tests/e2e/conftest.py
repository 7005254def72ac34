"""Shared by the end-to-end tests: the default data set (`procure generate` with its defaults: scale 0.02,
seed 42) run through the real CLI (`procure run`) once per session, for every module that measures against
its ground truth."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


def procure_env(home: Path, **extra: str) -> dict:
    """The environment of a `procure` subprocess working on PROCURE_HOME=home (nothing inherited from ours)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROCURE_", "DAGSTER_HOME"))}
    env.update(PROCURE_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="false", SODA_CORE_TELEMETRY_ENABLED="false",
               **extra)
    return env


def procure(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "procure"), *args], env=procure_env(home), capture_output=True, text=True,
                          timeout=1800)


# Build metadata of the facts (which dbt build wrote a row), and the load ids of load_reconciliation (a load's id
# is made when it loads: two installations that loaded the same files have different ids for the same loads)
META_COLUMNS = ("_invocation_id", "_loaded_through", "load_id")


def published_rows(path: Path) -> dict[str, list[tuple]]:
    """Every table of a snapshot but its manifest, without the facts' build metadata, sorted."""
    import duckdb

    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE table_name <> 'snapshot_manifest' ORDER BY 1").fetchall()]
        out = {}
        for table in tables:
            columns = [c for (c,) in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE table_name = ? ORDER BY column_index", [table]).fetchall()
                if c not in META_COLUMNS]
            out[table] = con.execute(f'SELECT {", ".join(chr(34) + c + chr(34) for c in columns)} FROM "{table}" ORDER BY ALL').fetchall()
        return out
    finally:
        con.close()


@pytest.fixture(scope="session")
def default_home(tmp_path_factory) -> Path:
    """PROCURE_HOME of a whole run on the default data set: landing/, truth/, warehouse/, published/."""
    home = tmp_path_factory.mktemp("default_data_set") / "data"
    gen = procure(home, "generate")
    assert gen.returncode == 0, gen.stdout + gen.stderr
    run = procure(home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    return home


def dashboard_default_view(snapshot: Path) -> tuple[str, int]:
    """The view a dashboard link without parameters opens, computed from the snapshot on its own terms: the
    first state with KPI values and its newest fiscal year with all 12 months of state-level monthly KPI rows."""
    import duckdb

    con = duckdb.connect(str(snapshot), read_only=True)
    try:
        state = con.execute("SELECT min(state_code) FROM main.kpi_values").fetchone()[0]
        year = con.execute("""SELECT max(fiscal_year) FROM (SELECT fiscal_year FROM main.kpi_values WHERE state_code = ?
                              AND fiscal_month IS NOT NULL AND agency_id IS NULL AND category_code IS NULL
                              AND supplier_id IS NULL GROUP BY 1 HAVING count(DISTINCT fiscal_month) = 12)""",
                           [state]).fetchone()[0]
    finally:
        con.close()
    return state, year
