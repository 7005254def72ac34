"""Small DuckDB files with the gated tables (the shapes dbt builds), for the gate, publication and dashboard tests.

write_payments / write_kpis write one layer each (publication and dashboard tests need no more);
write_gate_warehouse adds what the contracts of marts.fct_payments and kpi.kpi_values reach for: the dimensions
their foreign keys point at and the staging table fct_payments reconciles with.
"""

from pathlib import Path

import duckdb

FCT_PAYMENTS_DDL = """
CREATE TABLE marts.fct_payments (
    payment_id VARCHAR, state_code VARCHAR, agency_id VARCHAR, supplier_id VARCHAR, supplier_key VARCHAR,
    commodity_code VARCHAR, category_code VARCHAR, contract_id VARCHAR, invoice_id VARCHAR, po_id VARCHAR,
    payment_date DATE, fiscal_year INTEGER, fiscal_month INTEGER, amount DECIMAL(18, 2),
    is_addressable BOOLEAN, is_on_contract BOOLEAN, is_within_contract_term BOOLEAN, is_in_covered_category BOOLEAN,
    payment_method VARCHAR, discount_taken DECIMAL(18, 2), interest_paid DECIMAL(18, 2), _load_id VARCHAR,
    period_month DATE, _loaded_through TIMESTAMP, _invocation_id VARCHAR, currency VARCHAR
)"""

KPI_VALUES_DDL = """
CREATE TABLE kpi.kpi_values (
    kpi_id VARCHAR, attribute_id INTEGER, state_code VARCHAR, agency_id VARCHAR, category_code VARCHAR,
    supplier_id VARCHAR, fiscal_year INTEGER, fiscal_month INTEGER, numerator DECIMAL(38, 8),
    denominator DECIMAL(38, 8), value DOUBLE, excluded_rows BIGINT, target DOUBLE, status VARCHAR, basis VARCHAR
)"""

KPI_DEFINITIONS_DDL = """
CREATE TABLE kpi.kpi_definitions (
    kpi_id VARCHAR, attribute_id INTEGER, attribute_name VARCHAR, kpi_name VARCHAR, kind VARCHAR, unit VARCHAR,
    direction VARCHAR, description VARCHAR, grains VARCHAR, is_computed BOOLEAN
)"""

KPI_DEFINITIONS = [
    ("1.1", 1, "Spend management", "Spend under management", "other", "pct", "up", "Share of addressable spend under management", "state,agency", True),
    ("7.2", 7, "Procure-to-pay", "Invoice-to-pay time", "cycle_time", "days", "down", "Median days from invoice to payment", "state,agency", True),
    ("12.2", 12, "Compliance", "Maverick spend", "compliance", "pct", "down", "Share of spend off contract", "state,agency", True),
]

# (kpi_id, attribute_id, state, agency, category, supplier, fy, fm, numerator, denominator, value, target, status)
KPI_VALUES = [
    ("1.1", 1, "CA", None, None, None, 2024, None, 620, 1000, 0.62, 0.8, "off"),
    ("7.2", 7, "CA", None, None, None, 2024, None, 3300, 100, 33.0, 30.0, "near"),
    ("12.2", 12, "CA", None, None, None, 2024, None, 50, 1000, 0.05, 0.1, "on_target"),
    ("1.1", 1, "CA", None, None, None, 2025, None, 700, 1000, 0.7, 0.8, "near"),
    ("7.2", 7, "CA", None, None, None, 2025, None, 2500, 100, 25.0, 30.0, "on_target"),
    ("12.2", 12, "CA", None, None, None, 2025, None, 150, 1000, 0.15, 0.1, "off"),
    ("1.1", 1, "CA", "A1", None, None, 2025, None, 300, 400, 0.75, 0.8, "near"),
    ("1.1", 1, "CA", None, None, None, 2025, 3, 60, 100, 0.6, 0.8, "off"),
    ("1.1", 1, "TX", None, None, None, 2023, None, 900, 1000, 0.9, 0.8, "on_target"),
    ("7.2", 7, "TX", None, None, None, 2023, None, 4100, 100, 41.0, None, "no_target"),
    ("12.2", 12, "TX", None, None, None, 2023, None, None, None, None, 0.1, "no_data"),
]


def write_payments(path: Path, n: int = 12) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(FCT_PAYMENTS_DDL)
        con.execute(
            """
            INSERT INTO marts.fct_payments
            SELECT 'P-' || lpad(i::VARCHAR, 3, '0'), CASE WHEN i % 2 = 0 THEN 'CA' ELSE 'TX' END, 'A' || (i % 3),
                   'S' || (i % 4), 'K' || (i % 4), '43211500', 'IT', NULL, 'I-' || i, 'PO-' || i,
                   DATE '2024-07-01' + i::INTEGER, 2025, 1 + (i % 12)::INTEGER, (100 + i)::DECIMAL(18, 2),
                   TRUE, i % 2 = 0, TRUE, TRUE, 'ach', 0, 0, 'load-1',
                   date_trunc('month', DATE '2024-07-01' + i::INTEGER)::DATE, TIMESTAMP '2024-12-01 00:00:00', 'inv-1', 'USD'
            FROM range(?) AS t(i)
            """,
            [n],
        )
    finally:
        con.close()


def write_kpis(path: Path, values=KPI_VALUES, definitions=KPI_DEFINITIONS, schema: str = "kpi") -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        con.execute(KPI_VALUES_DDL.replace("kpi.", f"{schema}."))
        con.execute(KPI_DEFINITIONS_DDL.replace("kpi.", f"{schema}."))
        if definitions:
            con.executemany(f"INSERT INTO {schema}.kpi_definitions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", definitions)
        if values:
            con.executemany(
                f"INSERT INTO {schema}.kpi_values (kpi_id, attribute_id, state_code, agency_id, category_code,"
                " supplier_id, fiscal_year, fiscal_month, numerator, denominator, value, target, status)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", values)
    finally:
        con.close()


DIMENSIONS_SQL = [
    "CREATE SCHEMA IF NOT EXISTS marts",
    "CREATE TABLE marts.dim_state AS SELECT * FROM (VALUES ('CA', 'California', 'USD'), ('TX', 'Texas', 'USD')) "
    "AS t(state_code, state_name, currency)",
    "CREATE TABLE marts.dim_agency AS SELECT * FROM (VALUES ('A0', 'CA'), ('A1', 'TX'), ('A2', 'CA')) AS t(agency_id, state_code)",
    "CREATE TABLE marts.dim_supplier AS SELECT 'K' || i AS supplier_key FROM range(4) AS r(i)",
    "CREATE TABLE marts.dim_contract AS SELECT * FROM (VALUES ('C-1'), ('C-2')) AS t(contract_id)",
    "CREATE TABLE marts.dim_attribute AS SELECT CAST(i AS INTEGER) AS attribute_id FROM range(1, 13) AS r(i)",
]


def write_dimensions(path: Path) -> None:
    """The dimensions the fct_payments and kpi_values contracts check foreign keys against (key columns only)."""
    execute(path, *DIMENSIONS_SQL)


def write_staging_payments(path: Path) -> None:
    """staging.stg_raw__payments as a copy of marts.fct_payments: the two reconcile until a test changes one."""
    execute(
        path,
        "CREATE SCHEMA IF NOT EXISTS staging",
        "CREATE TABLE staging.stg_raw__payments AS SELECT payment_id, state_code, amount FROM marts.fct_payments",
    )


def write_gate_warehouse(path: Path, n: int = 12) -> None:
    """fct_payments, kpi_values and kpi_definitions with everything their contracts reach for."""
    write_dimensions(path)
    write_payments(path, n=n)
    write_staging_payments(path)
    write_kpis(path)


def execute(path: Path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    try:
        for sql in statements:
            con.execute(sql)
    finally:
        con.close()
