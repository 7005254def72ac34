"""End to end: marts.load_reconciliation accounts for every raw row of every load, in rows and money, and the
gate refuses a warehouse where a row or a cent went missing between raw and the marts.

The expected figures are computed here from the landing CSVs (csv + Decimal), never from the marts: which
lines belong to a cancelled purchase order, and what each entity's loaded rows add up to."""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from orchestration.environment import DBT_PROJECT_DIR, dbt_executable
from warehouse.gate import VolumeBaseline, verify

pytestmark = pytest.mark.e2e

# entity -> (money column, published table); entities without money are checked in rows only
MONEY = {"payments": "amount", "invoices": "amount", "purchase_orders": "total_amount",
         "purchase_order_lines": "line_amount", "solicitations": "estimated_value", "bids": "bid_amount",
         "awards": "award_value", "contracts": "current_value", "contract_amendments": "value_change",
         "coop_sales": "total", "requisitions": "estimated_amount"}


def _csv(home: Path, entity: str) -> list[dict]:
    with open(home / "landing" / "synthetic" / f"{entity}.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def _query(db: Path, sql: str, params=None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _quarantined_rows(home: Path, entity: str) -> set[int]:
    """File rows ingestion refused (they are in quarantine, not raw: the reconciliation starts from raw)."""
    return {n for (n,) in _query(home / "warehouse" / "procure.duckdb", f"SELECT _row_number FROM quarantine.{entity}")}


@pytest.fixture(scope="module")
def reconciliation(default_home) -> dict[str, dict]:
    rows = _query(default_home / "published" / "current.duckdb", "SELECT * FROM load_reconciliation")
    columns = [c for (c,) in _query(default_home / "published" / "current.duckdb",
                                    "SELECT column_name FROM duckdb_columns() WHERE table_name = 'load_reconciliation' "
                                    "ORDER BY column_index")]
    out = {}
    for r in rows:
        d = dict(zip(columns, r))
        assert d["entity"] not in out, "the default data set has one load per entity"
        out[d["entity"]] = d
    return out


def test_every_load_is_accounted_for_and_each_entity_adds_up_to_its_csv(default_home, reconciliation):
    entities = sorted(p.stem for p in (default_home / "landing" / "synthetic").glob("*.csv"))
    assert sorted(reconciliation) == entities
    for entity in entities:
        got = reconciliation[entity]
        refused = _quarantined_rows(default_home, entity)
        kept = [r for i, r in enumerate(_csv(default_home, entity), start=1) if i not in refused]
        assert got["load_file"] == f"synthetic/{entity}.csv", got
        assert got["loaded_rows"] == len(kept), entity
        assert (got["unaccounted_rows"], got["superseded_rows"], got["held_back_rows"]) == (0, 0, 0), got
        outcomes = sum(got[f"{o}_rows"] for o in ("published", "staged", "cancelled", "held_back", "superseded"))
        assert outcomes == got["loaded_rows"], got
        if entity in MONEY:
            expected = sum((Decimal(r[MONEY[entity]]) for r in kept if r[MONEY[entity]]), Decimal("0"))
            assert got["loaded_amount"] == expected, entity
            assert got["unaccounted_amount"] == 0, got
        else:
            assert got["loaded_amount"] is None and got["unaccounted_amount"] is None, got


def test_lines_of_a_cancelled_purchase_order_are_cancelled_spend_not_spend(default_home, reconciliation):
    cancelled_pos = {r["po_id"] for r in _csv(default_home, "purchase_orders") if r["status"] == "cancelled"}
    lines = _csv(default_home, "purchase_order_lines")
    assert not any(r["status"] for r in lines)  # the generator sets header statuses only
    of_cancelled = [r for r in lines if r["po_id"] in cancelled_pos]
    assert cancelled_pos and of_cancelled  # the default data set has some
    expected_amount = sum((Decimal(r["line_amount"]) for r in of_cancelled), Decimal("0"))
    got = reconciliation["purchase_order_lines"]
    assert (got["cancelled_rows"], got["cancelled_amount"]) == (len(of_cancelled), expected_amount)
    assert got["published_rows"] == len(lines) - len(of_cancelled)
    snapshot = default_home / "published" / "current.duckdb"
    published = _query(snapshot, "SELECT po_id, line_number, cancelled_by FROM fct_purchase_order_lines_cancelled")
    assert {(p, n) for p, n, _ in published} == {(r["po_id"], int(r["line_number"])) for r in of_cancelled}
    assert {by for _, _, by in published} == {"purchase_order"}
    assert _query(snapshot, "SELECT count(*) FROM fct_purchase_order_lines WHERE po_status = 'cancelled'") == [(0,)]


def _dbt_run(warehouse: Path, tmp: Path, *models: str) -> None:
    env = {**os.environ, "PROCURE_WAREHOUSE": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [dbt_executable(), "run", "--select", *models, "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp / "target"), "--log-path", str(tmp / "logs")],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_a_row_or_a_cent_lost_between_raw_and_the_marts_fails_the_gate_naming_the_load(default_home, tmp_path):
    """Three losses made by hand in a copy of the default run's warehouse: a payment deleted from fct_payments,
    an invoice whose amount changed by a cent in fct_invoices, and a raw payment hidden in staging by a second
    row of its own load whose key differs only by spaces (staging trims keys; ingestion would have quarantined
    both). The rebuilt reconciliation counts each, and the gate names the loads."""
    wh = tmp_path / "procure.duckdb"
    shutil.copy(default_home / "warehouse" / "procure.duckdb", wh)
    con = duckdb.connect(str(wh))
    try:
        deleted_id, deleted_amount = con.execute(
            "SELECT payment_id, amount FROM marts.fct_payments ORDER BY payment_id LIMIT 1").fetchone()
        con.execute("DELETE FROM marts.fct_payments WHERE payment_id = ?", [deleted_id])
        invoice_id = con.execute("SELECT min(invoice_id) FROM marts.fct_invoices").fetchone()[0]
        con.execute("UPDATE marts.fct_invoices SET amount = amount + 0.01 WHERE invoice_id = ?", [invoice_id])
        hidden_id, hidden_amount, last_row = con.execute(
            "SELECT payment_id, amount, (SELECT max(_row_number) FROM raw.payments) FROM raw.payments "
            "WHERE payment_id <> ? ORDER BY payment_id DESC LIMIT 1", [deleted_id]).fetchone()
        con.execute("CREATE TEMP TABLE twin AS SELECT * FROM raw.payments WHERE payment_id = ?", [hidden_id])
        con.execute("UPDATE twin SET payment_id = ' ' || payment_id || ' ', _row_number = ?", [last_row + 1])
        con.execute("INSERT INTO raw.payments SELECT * FROM twin")
        payments_load = con.execute("SELECT DISTINCT _load_id FROM raw.payments").fetchone()[0]
        invoices_load = con.execute("SELECT DISTINCT _load_id FROM raw.invoices").fetchone()[0]
    finally:
        con.close()

    _dbt_run(wh, tmp_path, "stg_raw__payments", "load_reconciliation")

    got = {e: (rows, amount) for e, rows, amount in _query(
        wh, "SELECT entity, unaccounted_rows, unaccounted_amount FROM marts.load_reconciliation "
            "WHERE unaccounted_rows <> 0 OR unaccounted_amount <> 0")}
    assert got == {"payments": (2, deleted_amount + hidden_amount), "invoices": (0, Decimal("-0.01"))}

    report = verify(wh, "marts", "load_reconciliation", baseline=VolumeBaseline(None, {}, 0.5))
    assert not report.passed
    summary = report.summary()
    assert "every raw row and cent of each load is accounted for" in summary, summary
    assert payments_load in summary and invoices_load in summary, summary
