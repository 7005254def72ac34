"""Queries behind the dashboard, against the published snapshot only.

Every function opens its own short-lived read-only connection to the snapshot *file* (the resolved target of
``current.duckdb``, so one page render reads one snapshot even if a publication switches the link meanwhile),
binds every value as a parameter, and closes the connection before returning.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
import json
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Iterator

import duckdb
import pandas as pd

from warehouse.settings import get_settings

SNAPSHOT_ENV_VAR = "PROCURE_SNAPSHOT"

# The headline KPIs of the first page, in display order.
HEADLINE_KPIS = ("1.1", "7.2", "12.2")

STATUS_WORDS = {
    "on_target": "On target",
    "near": "Near target",
    "off": "Off target",
    "no_target": "No target set",
    "no_data": "No data",
}


@dataclass(frozen=True)
class Snapshot:
    snapshot_id: str
    created_at: datetime  # naive, UTC (as stored in snapshot_manifest)
    code_version: str | None
    path: Path  # the resolved snapshot file
    manifest: dict = field(default_factory=dict)  # what the snapshot contains: loads, gate results, run id


def snapshot_path() -> Path:
    """The file the dashboard reads: $PROCURE_SNAPSHOT, else the published current.duckdb."""
    override = os.environ.get(SNAPSHOT_ENV_VAR)
    return Path(override).expanduser() if override else get_settings().current_snapshot


@contextmanager
def _connect(path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con
    finally:
        con.close()


def open_snapshot(path: Path | None = None) -> Snapshot | None:
    """The snapshot behind `path` (default: snapshot_path()), or None when nothing is published there."""
    path = path or snapshot_path()
    if not path.exists():  # also a dangling current.duckdb link
        return None
    resolved = path.resolve()
    with _connect(resolved) as con:
        row = con.execute(
            "SELECT snapshot_id, created_at, code_version, manifest FROM main.snapshot_manifest LIMIT 1"
        ).fetchone()
    if row is None:
        return None
    try:
        manifest = json.loads(row[3] or "{}")
    except json.JSONDecodeError:
        manifest = {}
    return Snapshot(snapshot_id=row[0], created_at=row[1], code_version=row[2], path=resolved,
                    manifest=manifest if isinstance(manifest, dict) else {})


def states(path: Path) -> list[str]:
    with _connect(path) as con:
        rows = con.execute(
            "SELECT DISTINCT state_code FROM main.kpi_values WHERE state_code IS NOT NULL ORDER BY state_code"
        ).fetchall()
    return [r[0] for r in rows]


_HEADLINE_SQL = """
SELECT v.fiscal_year, v.kpi_id, d.kpi_name, d.unit, d.direction,
       v.numerator, v.denominator, v.value, v.target, v.status
FROM main.kpi_values AS v
LEFT JOIN main.kpi_definitions AS d ON d.kpi_id = v.kpi_id
WHERE v.state_code = ?
  AND v.kpi_id IN (SELECT unnest(?::VARCHAR[]))
  AND v.agency_id IS NULL AND v.category_code IS NULL AND v.supplier_id IS NULL
  AND v.fiscal_month IS NULL
ORDER BY v.fiscal_year DESC, array_position(?::VARCHAR[], v.kpi_id)
"""


def headline_by_year(path: Path, state_code: str, kpi_ids: tuple[str, ...] = HEADLINE_KPIS) -> pd.DataFrame:
    """State-level, whole-year rows of the headline KPIs for one state, newest fiscal year first."""
    ids = list(kpi_ids)
    with _connect(path) as con:
        return con.execute(_HEADLINE_SQL, [state_code, ids, ids]).df()


def definitions(path: Path, kpi_ids: tuple[str, ...] = HEADLINE_KPIS) -> pd.DataFrame:
    with _connect(path) as con:
        return con.execute(
            "SELECT kpi_id, kpi_name, unit, direction, description FROM main.kpi_definitions "
            "WHERE kpi_id IN (SELECT unnest(?::VARCHAR[]))",
            [list(kpi_ids)],
        ).df()


def months_with_data(path: Path, state_code: str, fiscal_year: int) -> int:
    """How many fiscal months of the year have state-level KPI rows (a year in progress has fewer than 12)."""
    with _connect(path) as con:
        return con.execute(
            "SELECT count(DISTINCT fiscal_month) FROM main.kpi_values WHERE state_code = ? AND fiscal_year = ?"
            " AND fiscal_month IS NOT NULL AND agency_id IS NULL AND category_code IS NULL AND supplier_id IS NULL",
            [state_code, fiscal_year],
        ).fetchone()[0]


def latest_year_with_data(by_year: pd.DataFrame) -> int | None:
    """The newest fiscal year in which at least one headline KPI has a value."""
    with_value = by_year[by_year["value"].notna()]
    if with_value.empty:
        return None
    return int(with_value["fiscal_year"].max())


def format_value(value: float | None, unit: str | None) -> str:
    if value is None or pd.isna(value):
        return "—"
    if unit == "pct":
        return f"{value * 100:.1f}%"
    if unit == "pct_unbounded":  # not a share: savings can be negative, growth can exceed 100%
        return f"{value * 100:+.1f}%"
    if unit == "days":
        return f"{value:.1f} days"
    if unit == "usd":
        return f"${value:,.0f}"
    return f"{value:,.2f}"


def format_money(value: float | None) -> str:
    """$K / $M / $B with three significant digits, as executives read money."""
    if value is None or pd.isna(value):
        return "—"
    sign, v = ("-" if value < 0 else ""), abs(float(value))
    for div, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if v >= div:
            return f"{sign}${v / div:,.{max(0, 2 - len(str(int(v // div))) + 1)}f}{suffix}"
    return f"{sign}${v:,.0f}"


def format_basis(value: float | None, unit: str | None, part: str) -> str:
    """Numerator / denominator in words: money for shares of spend, days and counts for medians."""
    if value is None or pd.isna(value):
        return "—"
    if unit in ("pct", "pct_unbounded"):
        return format_money(value)
    if unit == "days":
        return f"{value:,.0f} days" if part == "numerator" else f"{value:,.0f} items"
    return f"{value:,.2f}"


def status_words(status: str | None) -> str:
    if status is None or (isinstance(status, float) and pd.isna(status)):
        return "No data"
    return STATUS_WORDS.get(status, str(status))
