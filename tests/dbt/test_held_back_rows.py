"""marts.held_back_rows names every child whose parent is not in staging, with the parent's quarantine file, row
and reason when ingestion refused it: canonical files loaded by the real loader, the models built by dbt on
DuckDB. The expected rows are written here from the files, not read from any model."""

import os
import subprocess
from pathlib import Path

from ingestion.common.loader import ingest
from orchestration.environment import DBT_PROJECT_DIR, dbt_executable
from warehouse.connection import connect

FILES = {
    "states.csv": "state_code,state_name,fiscal_year_start_month\nNV,Nevada,7\n",
    "purchase_orders.csv": (
        "po_id,po_number,state_code,agency_id,supplier_id,contract_id,po_date,total_amount,status\n"
        "PO1,N1,NV,A1,S1,,2024-07-01,100.00,closed\n"
        "PO2,N2,NV,A1,S1,,2100-01-01,50.00,closed\n"       # a placeholder date: quarantined, row 2
        "PO3,N3,NV,A1,S1,K7,2024-07-02,30.00,closed\n"),   # its contract was never delivered
    "purchase_order_lines.csv": (
        "po_id,line_number,quantity,unit_of_measure,unit_price,line_amount\n"
        "PO1,1,1,EA,100,100.00\n"
        "PO1,2,1,EA,10,10.0x\n"),  # not money: quarantined, row 2
    "receipts.csv": (
        "receipt_id,po_id,line_number,receipt_date,quantity_received\n"
        "R1,PO1,1,2024-07-05,1\n"
        "R2,PO1,2,2024-07-05,1\n"       # its line is in quarantine
        "R3,PO1,9,2024-07-05,1\n"),     # its line was never delivered
    "invoices.csv": (
        "invoice_id,invoice_number,state_code,agency_id,supplier_id,po_id,invoice_date,received_date,due_date,"
        "amount,is_electronic\n"
        "I1,V1,NV,A1,S1,PO1,2024-07-10,2024-07-10,2024-08-10,100.00,true\n"
        "I2,V2,NV,A1,S1,PO2,2024-07-10,2024-07-10,2024-08-10,50.00,true\n"     # its PO is in quarantine
        "I3,V3,NV,A1,S1,PO9,2024-07-10,2024-07-10,2024-08-10,7.00,true\n"      # its PO was never delivered
        "I4,V4,NV,A1,,PO1,2024-07-10,2024-07-10,2024-08-10,9.00,true\n"),      # no supplier: quarantined, row 4
    "payments.csv": (
        "payment_id,state_code,agency_id,supplier_id,invoice_id,po_id,payment_date,amount\n"
        "P1,NV,A1,S1,I1,PO1,2024-07-20,100.00\n"
        "P2,NV,A1,S1,I4,PO2,2024-07-20,9.00\n"   # its invoice is in quarantine (listed for it, not its PO)
        "P3,NV,A1,S1,,PO2,2024-07-21,4.00\n"),   # no invoice, its PO in quarantine
    "contract_prices.csv": (
        "contract_id,item_number,unit_of_measure,contract_price,effective_from\n"
        "K9,ITEM-1,EA,12.50,2024-01-01\n"),  # a price list of a contract never delivered
}


def test_children_of_a_missing_parent_are_named_with_the_parents_quarantine_file_row_and_reason(tmp_path):
    landing = tmp_path / "landing"
    (landing / "feed").mkdir(parents=True)
    for name, text in FILES.items():
        (landing / "feed" / name).write_text(text)
    wh = tmp_path / "wh.duckdb"
    report = ingest(landing, wh)
    assert not [load for load in report.loads if load.status == "rejected"], report.loads

    env = {**os.environ, "PROCURE_WAREHOUSE": str(wh), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    proc = subprocess.run(
        [dbt_executable(), "run", "--select", "+held_back_rows", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs")],
        env=env, capture_output=True, text=True, timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]

    with connect(wh, read_only=True) as con:
        rows = con.execute(
            "SELECT child_entity, child_key, child_row_number, amount, parent_entity, parent_key, handling, "
            "parent_status, parent_file, parent_row_number, parent_reason FROM marts.held_back_rows ORDER BY ALL"
        ).fetchall()
    got = {(r[0], r[1]): r[2:] for r in rows}
    quarantined = {key: r for key, r in got.items() if r[5] == "quarantined"}
    assert set(got) == {("contract_prices", "K9/ITEM-1/2024-01-01"), ("invoices", "I2"), ("invoices", "I3"),
                        ("payments", "P2"), ("payments", "P3"), ("purchase_orders", "PO3"), ("receipts", "R2"),
                        ("receipts", "R3")}
    assert got[("purchase_orders", "PO3")][:6] == (3, 30, "contracts", "K7", "kept_parent_unknown", "not_delivered")
    assert got[("contract_prices", "K9/ITEM-1/2024-01-01")][:6] == (1, None, "contracts", "K9", "kept_parent_unknown",
                                                                     "not_delivered")
    assert got[("invoices", "I3")][:6] == (3, 7, "purchase_orders", "PO9", "kept_parent_unknown", "not_delivered")
    assert got[("receipts", "R3")][:6] == (3, None, "purchase_order_lines", "PO1/9", "kept_parent_unknown",
                                           "not_delivered")
    # the quarantined parents: the file and row ingestion refused, and why
    i2, p2, r2 = got[("invoices", "I2")], got[("payments", "P2")], got[("receipts", "R2")]
    assert i2[:7] == (2, 50, "purchase_orders", "PO2", "kept_parent_unknown", "quarantined", "feed/purchase_orders.csv")
    assert i2[7] == 2 and "'2100-01-01' is after" in i2[8]
    assert p2[:7] == (2, 9, "invoices", "I4", "kept_parent_unknown", "quarantined", "feed/invoices.csv")
    assert p2[7] == 4 and "supplier_id" in p2[8]
    assert r2[:7] == (2, None, "purchase_order_lines", "PO1/2", "kept_parent_unknown", "quarantined",
                      "feed/purchase_order_lines.csv")
    assert r2[7] == 2 and "'10.0x'" in r2[8]
    p3 = got[("payments", "P3")]
    assert p3[:7] == (3, 4, "purchase_orders", "PO2", "kept_parent_unknown", "quarantined", "feed/purchase_orders.csv")
    assert len(quarantined) == 4
