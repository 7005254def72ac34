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


# ------------------------------------------------------------------------------------------------ filters


@dataclass(frozen=True)
class Filters:
    """What every page is filtered by; kept in the URL (?state=NV&fy=2025&agency=NV-001&category=43)."""

    state: str
    fiscal_year: int | None
    agency: str | None = None
    category: str | None = None


def _df(path: Path, sql: str, params: list | None = None) -> pd.DataFrame:
    with _connect(path) as con:
        return con.execute(sql, params or []).df()


# How far the data runs in each state: the fiscal year and month of its newest payment date, and whether that day
# is the last of its month. One definition for the dashboard's year list and the briefing's "N of 12 months".
_THROUGH = """through AS (
    SELECT p.state_code, p.day AS date_day, d.fiscal_year, d.fiscal_month, d.date_day = last_day(d.date_day) AS month_end
    FROM (SELECT state_code, max(payment_date) AS day FROM main.fct_payments GROUP BY 1) AS p
    LEFT JOIN main.dim_date AS d ON d.state_code = p.state_code AND d.date_day = p.day  -- NULLs: outside the calendar
)"""
# Months of fiscal year s.fiscal_year the data covers, given through t: 12 for a year the newest payment date is
# past (or on the last day of its 12th month), that date's fiscal month in the year it falls in, 0 for a year
# after it, NULL when the state has no payments (unknown).
_MONTHS_COVERED = """CASE WHEN t.fiscal_year IS NULL THEN NULL
                          WHEN s.fiscal_year > t.fiscal_year THEN 0
                          WHEN s.fiscal_year < t.fiscal_year OR (t.fiscal_month = 12 AND t.month_end) THEN 12
                          ELSE t.fiscal_month END"""


def filter_options(path: Path) -> dict[str, pd.DataFrame]:
    """States, their fiscal years (with KPI rows), agencies and categories for the sidebar."""
    return {
        "states": _df(path, "SELECT s.state_code, s.state_name FROM main.dim_state AS s WHERE s.state_code IN "
                            "(SELECT state_code FROM main.attribute_scorecard WHERE kpis_with_data > 0) ORDER BY s.state_code"),
        # Fiscal years with KPI values (from the scorecard's state rows, small) and how many of their months the
        # data covers (_MONTHS_COVERED; 0 when unknown: no payments).
        "years": _df(path, f"""
            WITH {_THROUGH}
            SELECT s.state_code, s.fiscal_year, coalesce({_MONTHS_COVERED}, 0) AS months
            FROM (SELECT state_code, fiscal_year FROM main.attribute_scorecard
                  WHERE agency_id IS NULL AND kpis_with_data > 0 GROUP BY ALL) AS s
            LEFT JOIN through AS t ON t.state_code = s.state_code
            ORDER BY s.state_code, s.fiscal_year DESC"""),
        "agencies": _df(path, "SELECT state_code, agency_id, agency_name FROM main.dim_agency ORDER BY state_code, agency_name"),
        "categories": _df(path, "SELECT DISTINCT category_code, category_title FROM main.dim_commodity "
                                "WHERE category_code IS NOT NULL ORDER BY category_code"),
    }


# The grain of a filtered KPI row: the agency and category given (or the state total), never supplier or month.
_GRAIN = ("v.agency_id IS NOT DISTINCT FROM ? AND v.category_code IS NOT DISTINCT FROM ? "
          "AND v.supplier_id IS NULL AND v.fiscal_month IS NULL")


# ---------------------------------------------------------------------------------------------- scorecard


def scorecard(path: Path, f: Filters) -> pd.DataFrame:
    """The twelve attributes for the state (or agency) and every fiscal year: score, counts, change."""
    return _df(path, """
        SELECT a.attribute_id, a.attribute_name, a.description, s.fiscal_year, s.score, s.previous_score,
               s.score_change, s.kpis_scored, s.kpis_on_target, s.kpis_near, s.kpis_off, s.kpis_with_data,
               s.kpis_defined
        FROM main.dim_attribute AS a
        LEFT JOIN main.attribute_scorecard AS s
          ON s.attribute_id = a.attribute_id AND s.state_code = ? AND s.agency_id IS NOT DISTINCT FROM ?
        ORDER BY a.attribute_id, s.fiscal_year""", [f.state, f.agency])


def kpi_rows(path: Path, f: Filters, attribute_id: int | None = None, kind: str | None = None) -> pd.DataFrame:
    """KPI rows at the filtered grain for every fiscal year, with their definitions (one attribute or one kind)."""
    return _df(path, f"""
        SELECT d.attribute_id, d.attribute_name, d.kpi_id, d.kpi_name, d.kind, d.unit, d.direction,
               d.description, d.formula, d.caveats, d.no_data_reason, v.fiscal_year, v.numerator,
               v.denominator, v.value, v.target, v.status, v.basis, v.excluded_rows
        FROM main.kpi_definitions AS d
        LEFT JOIN main.kpi_values AS v
          ON v.kpi_id = d.kpi_id AND v.state_code = ? AND {_GRAIN}
        WHERE d.attribute_id IS NOT DISTINCT FROM coalesce(?, d.attribute_id) AND d.kind = coalesce(?, d.kind)
        ORDER BY d.attribute_id, string_split(d.kpi_id, '.')[2]::INTEGER, v.fiscal_year""",
        [f.state, f.agency, f.category, attribute_id, kind])


def kpi_by_agency(path: Path, f: Filters, kpi_id: str) -> pd.DataFrame:
    """One KPI for every agency of the state in the fiscal year (agency x fiscal-year rows)."""
    return _df(path, """
        SELECT v.agency_id, coalesce(a.agency_name, v.agency_id) AS agency_name, v.numerator, v.denominator,
               v.value, v.target, v.status
        FROM main.kpi_values AS v
        LEFT JOIN main.dim_agency AS a ON a.agency_id = v.agency_id
        WHERE v.kpi_id = ? AND v.state_code = ? AND v.fiscal_year = ? AND v.agency_id IS NOT NULL
          AND v.category_code IS NULL AND v.supplier_id IS NULL AND v.fiscal_month IS NULL
        ORDER BY v.value DESC NULLS LAST, agency_name""", [kpi_id, f.state, f.fiscal_year])


# ------------------------------------------------------------------------------------------------ savings


def savings_by_method(path: Path, f: Filters) -> pd.DataFrame:
    """Savings per method (never summed across methods: their baselines overlap) for every fiscal year."""
    return _df(path, """
        SELECT method, method_label, baseline_kind, basis, savings_stage, fiscal_year,
               sum(baseline_amount) AS baseline_amount, sum(actual_amount) AS actual_amount,
               sum(savings_amount) AS savings_amount,
               sum(savings_amount) / nullif(sum(baseline_amount), 0) AS savings_rate,
               sum(lines_count) AS lines_count,
               sum(flagged_savings_amount) AS flagged_savings_amount, sum(flagged_lines_count) AS flagged_lines_count
        FROM main.savings
        WHERE state_code = ? AND agency_id IS NOT DISTINCT FROM ? AND category_code IS NOT DISTINCT FROM ?
          AND fiscal_year IS NOT NULL  -- the rows without a year are all-years totals, another grain
        GROUP BY ALL
        ORDER BY fiscal_year, method_label, baseline_kind""", [f.state, f.agency, f.category])


def top_savings_categories(path: Path, f: Filters, limit: int = 10) -> pd.DataFrame:
    """The categories that saved most in the fiscal year, per method (category rows of kpi.savings)."""
    return _df(path, """
        SELECT s.method_label, s.baseline_kind, s.category_code, coalesce(c.category_title, s.category_code) AS category_title,
               sum(s.baseline_amount) AS baseline_amount, sum(s.actual_amount) AS actual_amount,
               sum(s.savings_amount) AS savings_amount,
               sum(s.savings_amount) / nullif(sum(s.baseline_amount), 0) AS savings_rate
        FROM main.savings AS s
        LEFT JOIN (SELECT DISTINCT category_code, category_title FROM main.dim_commodity) AS c
          ON c.category_code = s.category_code
        WHERE s.state_code = ? AND s.fiscal_year = ? AND s.agency_id IS NULL AND s.category_code IS NOT NULL
          AND s.category_code = coalesce(?, s.category_code)
        GROUP BY ALL
        ORDER BY savings_amount DESC
        LIMIT ?""", [f.state, f.fiscal_year, f.category, limit])


# ------------------------------------------------------------------------------------------- cycle times

# Each step of procure-to-pay (fct_procure_to_pay), in process order: (column, label).
CYCLE_STEPS = (
    ("requisition_approval_days", "Requisition approval"),
    ("requisition_to_po_days", "Requisition to PO"),
    ("po_to_first_receipt_days", "PO to first receipt"),
    ("last_receipt_to_invoice_days", "Last receipt to invoice"),
    ("invoice_to_received_days", "Invoice to received"),
    ("received_to_payment_days", "Received to payment"),
    ("requisition_to_payment_days", "Requisition to payment (end to end)"),
)
_STEP_COLUMNS = {c for c, _ in CYCLE_STEPS}


def _p2p_where() -> str:
    return ("state_code = ? AND fiscal_year = ? AND agency_id = coalesce(?, agency_id) "
            "AND category_code IS NOT DISTINCT FROM coalesce(?, category_code)")


def cycle_step_summary(path: Path, f: Filters) -> pd.DataFrame:
    """Per step: POs measured, quartiles, median and 90th percentile of days, in one scan of the fact (one sort
    per step: the four quantiles are one list-valued quantile_cont)."""
    columns = ", ".join(f"count({c}) AS {c}__n, quantile_cont({c}, [0.25, 0.5, 0.75, 0.9]) AS {c}__q, avg({c}) AS {c}__mean"
                        for c, _ in CYCLE_STEPS)
    row = _df(path, f"SELECT {columns} FROM main.fct_procure_to_pay WHERE {_p2p_where()}",
              [f.state, f.fiscal_year, f.agency, f.category]).iloc[0]
    rows = []
    for i, (c, label) in enumerate(CYCLE_STEPS):
        q = row[f"{c}__q"]
        q = list(q) if pd.api.types.is_list_like(q) else [None] * 4  # no PO measured: NULL (pd.NA), not a list
        rows.append({"position": i, "step": label, "pos_measured": row[f"{c}__n"], "p25": q[0], "median": q[1],
                     "p75": q[2], "p90": q[3], "mean": row[f"{c}__mean"]})
    return pd.DataFrame(rows)


def cycle_step_distribution(path: Path, f: Filters, column: str) -> pd.DataFrame:
    """Histogram of one step's days (POs per day bucket, capped at the 99th percentile's bucket)."""
    if column not in _STEP_COLUMNS:  # an identifier cannot be a parameter: only the known columns pass
        raise ValueError(f"unknown cycle-time step {column!r}")
    return _df(path, f"""
        WITH d AS (SELECT {column} AS days FROM main.fct_procure_to_pay WHERE {_p2p_where()} AND {column} IS NOT NULL),
        cap AS (SELECT greatest(1, ceil(quantile_cont(days, 0.99))) AS cap FROM d)
        SELECT least(days, cap) AS days, count(*) AS pos
        FROM d, cap GROUP BY ALL ORDER BY days""", [f.state, f.fiscal_year, f.agency, f.category])


def cycle_step_trend(path: Path, f: Filters) -> pd.DataFrame:
    """Median days of each step by fiscal month of the PO in the fiscal year (one scan for all steps)."""
    medians = ", ".join(f"median({c}) AS {c}__median, count({c}) AS {c}__pos" for c, _ in CYCLE_STEPS)
    wide = _df(path, f"SELECT fiscal_month, {medians} FROM main.fct_procure_to_pay WHERE {_p2p_where()} "
                     "GROUP BY fiscal_month ORDER BY fiscal_month", [f.state, f.fiscal_year, f.agency, f.category])
    parts = [pd.DataFrame({"step": label, "fiscal_year": f.fiscal_year, "fiscal_month": wide["fiscal_month"],
                           "median": wide[f"{c}__median"], "pos": wide[f"{c}__pos"]}) for c, label in CYCLE_STEPS]
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


# --------------------------------------------------------------------------------------------- red flags

# The flags of a state's fiscal year (the year of the day the rule detected it, in the state's calendar): the
# year's first and last day are looked up once, so the calendar join is not needed for the filter.
_FLAGS_WHERE = """
    r.state_code = ? AND r.agency_id IS NOT DISTINCT FROM coalesce(?, r.agency_id)
    AND r.detected_at BETWEEN (SELECT min(date_day) FROM main.dim_date WHERE state_code = ? AND fiscal_year = ?)
                          AND (SELECT max(date_day) FROM main.dim_date WHERE state_code = ? AND fiscal_year = ?)
"""


def _flags_params(f: Filters) -> list:
    return [f.state, f.agency, f.state, f.fiscal_year, f.state, f.fiscal_year]


def red_flag_summary(path: Path, f: Filters) -> pd.DataFrame:
    """Findings and amount flagged per rule in the state's fiscal year (agency filter applies; red flags carry
    no category)."""
    return _df(path, f"""
        SELECT r.rule_id, r.rule_name, count(*) AS findings, sum(r.amount) AS amount
        FROM main.red_flags AS r WHERE {_FLAGS_WHERE}
        GROUP BY ALL ORDER BY r.rule_id""", _flags_params(f))


def red_flags(path: Path, f: Filters, rules: tuple[str, ...] = (), search: str = "",
              limit: int | None = None) -> pd.DataFrame:
    """The findings of the state's fiscal year, largest amount first: only the given rules (all when empty) and
    those whose evidence, id, agency or supplier contains `search` (case-insensitive); at most `limit` rows.
    Column `matching`: how many findings match, however many are returned."""
    return _df(path, f"""
        SELECT r.rule_id, r.rule_name, r.entity_type, r.entity_id, r.agency_id,
               coalesce(a.agency_name, r.agency_id) AS agency_name, r.supplier_id, r.amount, r.detected_at,
               r.evidence, count(*) OVER () AS matching
        FROM main.red_flags AS r
        LEFT JOIN main.dim_agency AS a ON a.agency_id = r.agency_id
        WHERE {_FLAGS_WHERE}
          AND (len(?::VARCHAR[]) = 0 OR list_contains(?::VARCHAR[], r.rule_id))
          AND (? = '' OR concat_ws(' ', r.evidence, r.entity_id, a.agency_name, r.agency_id, r.supplier_id)
                         ILIKE '%' || replace(replace(replace(?, '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%' ESCAPE '\\')
        ORDER BY r.amount DESC NULLS LAST, r.rule_id, r.entity_id
        LIMIT ?""", _flags_params(f) + [list(rules), list(rules), search, search, limit if limit is not None else 2**62])


# ------------------------------------------------------------------------------------------- cooperative


def coop_by_state(path: Path, f: Filters) -> pd.DataFrame:
    """Cooperative sales of the fiscal year by programme, state and customer type (every state, to compare)."""
    return _df(path, """
        SELECT coop_program, state_code, customer_type, count(*) AS lines, sum(total) AS sales,
               sum(list_price_discount_amount) AS list_price_discount,
               sum(total) + sum(list_price_discount_amount) AS list_value,
               sum(admin_fee) AS admin_fee, sum(expected_admin_fee) AS expected_admin_fee
        FROM main.fct_coop_sales
        WHERE fiscal_year = ? AND category_code IS NOT DISTINCT FROM coalesce(?, category_code)
        GROUP BY ALL ORDER BY coop_program, state_code, customer_type""", [f.fiscal_year, f.category])


# --------------------------------------------------------------------------------------------- contracts


def data_as_of(path: Path, state: str):
    """The newest payment date of the state: the day the published data runs to."""
    with _connect(path) as con:
        return con.execute("SELECT max(payment_date) FROM main.fct_payments WHERE state_code = ?", [state]).fetchone()[0]


def expiring_contracts(path: Path, f: Filters, as_of, horizon_days: int = 180) -> pd.DataFrame:
    """Contracts whose effective end falls within the horizon after as_of, with the 12 months' spend before it."""
    return _df(path, """
        WITH c AS (
            SELECT * FROM main.dim_contract
            WHERE state_code = ? AND effective_end_date BETWEEN ?::DATE AND ?::DATE + ?::INTEGER
              AND agency_id IS NOT DISTINCT FROM coalesce(?, agency_id)
              AND category_code IS NOT DISTINCT FROM coalesce(?, category_code)
        ),
        spend AS (
            SELECT p.contract_id, sum(p.amount) AS trailing_12m_spend, count(*) AS payments
            FROM main.fct_payments AS p
            WHERE p.state_code = ? AND p.contract_id IN (SELECT contract_id FROM c)
              AND p.payment_date > ?::DATE - INTERVAL 12 MONTH AND p.payment_date <= ?::DATE
            GROUP BY 1
        )
        SELECT c.contract_id, c.contract_number, c.title, c.agency_id, coalesce(a.agency_name, c.agency_id) AS agency_name,
               coalesce(s.supplier_name, c.supplier_key) AS supplier_name, c.vehicle, c.coop_program,
               c.category_code, c.effective_end_date, datediff('day', ?::DATE, c.effective_end_date) AS days_left,
               c.current_value, coalesce(spend.trailing_12m_spend, 0) AS trailing_12m_spend,
               coalesce(spend.payments, 0) AS payments, c.has_successor, c.successor_contract_id,
               c.successor_start_date
        FROM c
        LEFT JOIN spend ON spend.contract_id = c.contract_id
        LEFT JOIN main.dim_agency AS a ON a.agency_id = c.agency_id
        LEFT JOIN main.dim_supplier AS s ON s.supplier_key = c.supplier_key
        ORDER BY c.effective_end_date, trailing_12m_spend DESC""",
        [f.state, as_of, as_of, horizon_days, f.agency, f.category, f.state, as_of, as_of, as_of])



# ------------------------------------------------------------------------------------------ data quality


def gate_results(manifest: dict) -> pd.DataFrame:
    """The gate's contracts as recorded in the snapshot's manifest: one row per checked table."""
    rows = [
        {"dataset": c.get("dataset"), "passed": bool(c.get("passed")), "checks": int(c.get("checks_evaluated") or 0),
         "failed": int(c.get("checks_failed") or 0), "evaluated_at": c.get("evaluated_at")}
        for c in ((manifest.get("gate") or {}).get("contracts") or [])
    ]
    return pd.DataFrame(rows, columns=["dataset", "passed", "checks", "failed", "evaluated_at"])


def loads_by_source(manifest: dict) -> pd.DataFrame:
    """Files, rows loaded and quarantined per source folder and entity, with the newest load (freshness)."""
    rows = [
        {"source": str(ld.get("file") or "?").split("/", 1)[0], "entity": ld.get("entity"),
         "rows_in": int(ld.get("rows_in") or 0), "rows_loaded": int(ld.get("rows_loaded") or 0),
         "rows_quarantined": int(ld.get("rows_quarantined") or 0), "finished_at": ld.get("finished_at")}
        for ld in (manifest.get("loads") or []) if ld.get("status") == "loaded"
    ]
    frame = pd.DataFrame(rows, columns=["source", "entity", "rows_in", "rows_loaded", "rows_quarantined", "finished_at"])
    frame["finished_at"] = pd.to_datetime(frame["finished_at"], errors="coerce")
    out = frame.groupby(["source", "entity"], as_index=False).agg(
        files=("rows_in", "size"), rows_in=("rows_in", "sum"), rows_loaded=("rows_loaded", "sum"),
        rows_quarantined=("rows_quarantined", "sum"), newest_load=("finished_at", "max"))
    out["quarantined_share"] = out["rows_quarantined"] / out["rows_in"].where(out["rows_in"] != 0)
    return out.sort_values(["source", "entity"]).reset_index(drop=True)


_DATA_THROUGH = {  # the fact tables and the date that says how recent their data is
    "fct_payments": "payment_date", "fct_invoices": "invoice_date", "fct_procure_to_pay": "po_date",
    "fct_awards": "award_date", "fct_solicitations": "close_date", "fct_coop_sales": "invoice_date",
}


def data_through(path: Path, state: str) -> pd.DataFrame:
    """Per fact table: the state's rows and newest business date (how recent the published data is)."""
    parts = [f"SELECT '{t}' AS table_name, count(*) AS rows, max({c}) AS newest_date FROM main.{t} WHERE state_code = ?"
             for t, c in _DATA_THROUGH.items()]
    return _df(path, " UNION ALL ".join(parts) + " ORDER BY table_name", [state] * len(_DATA_THROUGH))


# ---- briefing


def briefing_context(path: Path, state: str, fiscal_year: int) -> dict:
    """The header of the executive briefing (dashboards/briefing.py) for a state and fiscal year.

    state_name and currency (None when the state is not in dim_state); first_day / last_day of the fiscal year in
    the state's calendar (None outside dim_date); data_through: the newest payment date of the state;
    months_so_far: None when the year is complete (the data runs past it, or to the last day of its 12th month),
    else the fiscal months begun by data_through (0 when the data ends before the year starts).
    """
    with _connect(path) as con:
        state_row = con.execute("SELECT state_name, currency FROM main.dim_state WHERE state_code = ?", [state]).fetchone()
        first_day, last_day = con.execute(
            "SELECT min(date_day), max(date_day) FROM main.dim_date WHERE state_code = ? AND fiscal_year = ?",
            [state, fiscal_year]).fetchone()
        through, months = con.execute(
            f"WITH {_THROUGH} SELECT t.date_day, {_MONTHS_COVERED} FROM (SELECT ?::INTEGER AS fiscal_year) AS s "
            "LEFT JOIN through AS t ON t.state_code = ?", [fiscal_year, state]).fetchone()
    if months == 12:
        months = None  # a complete year has no "so far"
    return {
        "state_name": state_row[0] if state_row else None,
        "currency": state_row[1] if state_row else None,
        "first_day": first_day,
        "last_day": last_day,
        "data_through": through,
        "months_so_far": months,
    }
