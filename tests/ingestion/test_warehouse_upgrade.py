"""A warehouse an older version built, ingested into by this version: its tables gain the columns added since
(their old rows NULL there) in this version's column order, or, when that cannot be done without loss, the
ingest is refused with a message naming table, column and types, and nothing is changed.

The older warehouses are made by hand: this version's CREATE statements minus a column (or with another type),
with a load already in raw, quarantine and the ledger.
"""

import dataclasses
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from ingestion.common.loader import LEDGER_DDL, WarehouseUpgradeError, ensure_warehouse, ingest
from ingestion.common.schema import Entity, load_schema, quarantine_table_ddl, raw_table_ddl
from warehouse.gate import verify

HEADER = ("payment_id,state_code,agency_id,supplier_id,payee_name,invoice_id,po_id,contract_id,commodity_code,"
          "payment_date,amount,payment_method,discount_taken,interest_paid,bank_account,currency")
NEW_ROWS = [
    "P1,NV,A1,S1,Acme,,,,43211500,2024-07-01,10.00,ach,,,,MXN",
    "P2,NV,A1,S1,Acme,,,,43211500,2024-07-02,20.00,check,,,,",
    "P3,NV,A1,,Acme,,,,43211500,2024-07-03,30.00,ach,,,,USD",  # quarantined: no supplier
]
OLD_LOAD = "20240601T000000-00000000-old000"


def _payments(drop: tuple[str, ...] = (), retype: dict[str, str] | None = None) -> Entity:
    """The payments entity as an older version had it: some columns missing, some of another canonical type."""
    e = load_schema()["payments"]
    retype = retype or {}
    columns = tuple(dataclasses.replace(c, type=retype.get(c.name, c.type)) for c in e.columns if c.name not in drop)
    return dataclasses.replace(e, columns=columns)


def _insert(con: duckdb.DuckDBPyConnection, table: str, row: dict) -> None:
    """Insert the values of `row` whose columns the table has."""
    have = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    names = [k for k in row if k in have]
    con.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})",
                [row[k] for k in names])


def _old_warehouse(wh: Path, payments: Entity, ledger: str = LEDGER_DDL, raw_extra: str = "") -> None:
    """raw/quarantine.payments and raw._loads of an older version (no raw._file_hashes, no other entity yet),
    with one earlier load: P0 loaded, P0b quarantined (its amount does not parse)."""
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    raw_ddl = raw_table_ddl(payments)
    if raw_extra:
        raw_ddl = raw_ddl[: -len("\n)")] + f",\n  {raw_extra}\n)"
    con = duckdb.connect(str(wh))
    try:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE SCHEMA quarantine")
        con.execute(ledger)
        con.execute(raw_ddl)
        con.execute(quarantine_table_ddl(payments))
        lineage = {"_source": "old", "_load_id": OLD_LOAD, "_loaded_at": now, "_file": "old/payments.csv"}
        _insert(con, "raw.payments", {
            "payment_id": "P0", "state_code": "NV", "agency_id": "A0", "supplier_id": "S0", "payee_name": "Zenith",
            "payment_date": datetime(2024, 6, 1).date(), "amount": Decimal("5.00"), "payment_method": "wire",
            "_row_number": 1, "iban": "NV0001", **lineage})  # iban: only where a case added such a column
        _insert(con, "quarantine.payments", {
            "payment_id": "P0b", "state_code": "NV", "agency_id": "A0", "supplier_id": "S0",
            "payment_date": "2024-06-02", "amount": "12x", "_row_number": 2, **lineage,
            "_reason": "amount: '12x' is not an amount", "_columns": "amount"})
        _insert(con, "raw._loads", {
            "load_id": OLD_LOAD, "source": "old", "entity": "payments", "file": "old/payments.csv",
            "file_sha256": "0" * 64, "file_bytes": 100, "status": "loaded", "rows_in": 2, "rows_loaded": 1,
            "rows_quarantined": 1, "amount_loaded": Decimal("5.00"), "amount_quarantined": None,
            "message": None, "started_at": now, "finished_at": now})
    finally:
        con.close()


def _landing(tmp_path: Path) -> Path:
    landing = tmp_path / "landing"
    (landing / "checkbook").mkdir(parents=True)
    (landing / "checkbook" / "payments__2024_07.csv").write_text(HEADER + "\n" + "\n".join(NEW_ROWS) + "\n")
    return landing


def _columns(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """schema.table -> [(column, type)] in table order, of every table in raw and quarantine."""
    out: dict[str, list[tuple[str, str]]] = {}
    for schema, table, column, type_ in con.execute(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE schema_name IN ('raw', 'quarantine') ORDER BY schema_name, table_name, column_index"
    ).fetchall():
        out.setdefault(f"{schema}.{table}", []).append((column, type_))
    return out


def _state(wh: Path) -> tuple:
    """Every raw and quarantine table's columns, and the rows of the three tables an older warehouse has."""
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return (_columns(con), *(con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
                                 for t in ("raw.payments", "quarantine.payments", "raw._loads")))
    finally:
        con.close()


def _fresh_columns(tmp_path: Path) -> dict[str, list[tuple[str, str]]]:
    """The tables this version creates in a new warehouse."""
    con = duckdb.connect(str(tmp_path / "fresh.duckdb"))
    try:
        ensure_warehouse(con)
        return _columns(con)
    finally:
        con.close()


def test_an_older_warehouse_gains_the_new_column_keeps_its_rows_and_loads_new_files(tmp_path, procure_home):
    wh = tmp_path / "wh.duckdb"
    _old_warehouse(wh, _payments(drop=("currency",)))

    report = ingest(_landing(tmp_path), wh)

    assert report.upgraded == [
        "raw.payments: added column currency VARCHAR (NULL in 1 existing row(s))",
        "quarantine.payments: added column currency VARCHAR (NULL in 1 existing row(s))",
    ]
    [load] = report.loads
    assert (load.status, load.rows_in, load.rows_loaded, load.rows_quarantined) == ("loaded", 3, 2, 1)
    con = duckdb.connect(str(wh), read_only=True)
    try:
        # every table now looks as in a new warehouse: the same columns, types and order
        assert _columns(con) == _fresh_columns(tmp_path)
        raw = con.execute(
            "SELECT payment_id, agency_id, payee_name, amount, payment_method, currency, _file, _row_number, _load_id "
            "FROM raw.payments ORDER BY payment_id").fetchall()
        assert raw == [
            ("P0", "A0", "Zenith", Decimal("5.00"), "wire", None, "old/payments.csv", 1, OLD_LOAD),
            ("P1", "A1", "Acme", Decimal("10.00"), "ach", "MXN", "checkbook/payments__2024_07.csv", 1, load.load_id),
            ("P2", "A1", "Acme", Decimal("20.00"), "check", None, "checkbook/payments__2024_07.csv", 2, load.load_id),
        ]
        quarantined = con.execute(
            "SELECT payment_id, amount, currency, _columns, _load_id FROM quarantine.payments ORDER BY payment_id"
        ).fetchall()
        assert quarantined == [("P0b", "12x", None, "amount", OLD_LOAD),
                               ("P3", "30.00", "USD", "supplier_id", load.load_id)]
        # the ledger reconciles, the old load and the new one: its counts and money are the rows in raw and quarantine
        ledger = con.execute("""
            SELECT l.load_id, l.rows_in, l.rows_loaded, l.rows_quarantined, l.amount_loaded, l.amount_quarantined,
                   (SELECT count(*) FROM raw.payments r WHERE r._load_id = l.load_id),
                   (SELECT count(*) FROM quarantine.payments q WHERE q._load_id = l.load_id),
                   (SELECT sum(amount) FROM raw.payments r WHERE r._load_id = l.load_id)
            FROM raw._loads l ORDER BY l.started_at""").fetchall()
        assert ledger == [
            (OLD_LOAD, 2, 1, 1, Decimal("5.00"), None, 1, 1, Decimal("5.00")),
            (load.load_id, 3, 2, 1, Decimal("30.00"), Decimal("30.00"), 2, 1, Decimal("30.00")),
        ]
    finally:
        con.close()
    # the raw gate passes on the upgraded tables (its schema check wants this version's columns in order)
    for table in ("payments", "_loads"):
        report_ = verify(wh, "raw", table)
        assert report_.passed, report_.summary()

    again = ingest(tmp_path / "landing", wh)
    assert again.upgraded == []
    assert [l.status for l in again.loads] == ["skipped_duplicate"]


def test_a_column_of_another_type_is_refused_naming_it_and_nothing_changes(tmp_path):
    wh = tmp_path / "wh.duckdb"
    # amount as text (an incompatible type) and, in both tables, no currency (which alone could be upgraded)
    _old_warehouse(wh, _payments(drop=("currency",), retype={"amount": "string"}))
    before = _state(wh)

    with pytest.raises(WarehouseUpgradeError) as refused:
        ingest(_landing(tmp_path), wh)

    message = str(refused.value)
    assert "raw.payments: column amount is VARCHAR, this version expects DECIMAL(18,2)" in message
    assert f"{wh} was built by another version of the project" in message
    assert "nothing was changed" in message
    assert f"move {wh} (and its .wal file, if any) aside" in message and "run `procure run`" in message
    after = _state(wh)
    assert after == before
    assert len(after[1]) == len(after[2]) == len(after[3]) == 1  # the old load's rows are all still there
    # not half-changed: quarantine.payments (upgradable on its own) still lacks currency, no table was created
    assert "currency" not in [c for c, _ in after[0]["quarantine.payments"]]
    assert sorted(after[0]) == ["quarantine.payments", "raw._loads", "raw.payments"]


@pytest.mark.parametrize("case, payments, ledger, raw_extra, problem", [
    ("a new required column, old rows without it",
     _payments(drop=("agency_id",)), LEDGER_DDL, "",
     "raw.payments: column agency_id VARCHAR is new and required, but the 1 row(s) already there have no value for it"),
    ("a column this version does not know, NOT NULL",
     _payments(), LEDGER_DDL, "iban VARCHAR NOT NULL",
     "raw.payments: column iban is not in this version's schema and NOT NULL without a default here"),
    ("a ledger without a NOT NULL column",
     _payments(), LEDGER_DDL.replace(",\n  finished_at TIMESTAMP NOT NULL", ""), "",
     "raw._loads: column finished_at TIMESTAMP is new and required, but the 1 row(s) already there"),
])
def test_what_old_rows_cannot_fill_is_refused(tmp_path, case, payments, ledger, raw_extra, problem):
    wh = tmp_path / "wh.duckdb"
    _old_warehouse(wh, payments, ledger, raw_extra)
    with pytest.raises(WarehouseUpgradeError, match="cannot be upgraded in place") as refused:
        ingest(_landing(tmp_path), wh)
    assert problem in str(refused.value), case


def test_unknown_columns_are_left_alone_and_an_older_ledger_is_upgraded(tmp_path):
    wh = tmp_path / "wh.duckdb"
    ledger = LEDGER_DDL.replace("  message VARCHAR,\n", "")
    _old_warehouse(wh, _payments(drop=("currency",)), ledger, raw_extra="legacy_note VARCHAR")

    report = ingest(_landing(tmp_path), wh)

    assert "raw._loads: added column message VARCHAR (NULL in 1 existing row(s))" in report.upgraded
    [load] = report.loads
    assert (load.status, load.rows_loaded, load.rows_quarantined) == ("loaded", 2, 1)
    con = duckdb.connect(str(wh), read_only=True)
    try:
        columns = _columns(con)
        fresh = _fresh_columns(tmp_path)
        # raw.payments keeps the column it has and this version does not know; currency is appended after it
        assert [c for c, _ in columns["raw.payments"]][-2:] == ["legacy_note", "currency"]
        assert con.execute("SELECT payment_id, legacy_note, currency FROM raw.payments ORDER BY 1").fetchall() == [
            ("P0", None, None), ("P1", None, "MXN"), ("P2", None, None)]
        # the ledger is rebuilt in this version's shape (its primary key included), its old row kept
        assert columns["raw._loads"] == fresh["raw._loads"]
        assert con.execute("SELECT load_id, rows_in, message FROM raw._loads ORDER BY started_at").fetchall() == [
            (OLD_LOAD, 2, None), (load.load_id, 3, load.message or None)]
        assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE table_name = '_loads' "
                           "AND constraint_type = 'PRIMARY KEY'").fetchone()[0] == 1
    finally:
        con.close()
