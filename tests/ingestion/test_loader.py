"""Landing -> raw/quarantine with lineage, the ledger, idempotence and reconciliation, on a real DuckDB file."""

from decimal import Decimal
from pathlib import Path

import duckdb

from ingestion.common.loader import discover, ingest

PAYMENTS_HEADER = "payment_id,state_code,agency_id,supplier_id,payee_name,invoice_id,po_id,contract_id,commodity_code,payment_date,amount,payment_method,discount_taken,interest_paid,bank_account"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _payments(landing: Path, name="payments.csv", extra_rows=()) -> Path:
    rows = [
        "P1,NV,A1,S1,Acme,,,,43211500,2024-07-01,\"$1,234.50\",ach,,,",
        "P2,NV,A1,S1,Acme,,,,43211500,07/02/2024,(12.00),check,,,",
        "P3,NV,A1,,Acme,,,,43211500,2024-13-45,12x,ach,,,",
        *extra_rows,
    ]
    return _write(landing / "state_checkbook" / name, PAYMENTS_HEADER + "\n" + "\n".join(rows) + "\n")


def test_loads_valid_rows_and_quarantines_bad_ones_with_lineage(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    _payments(landing)
    report = ingest(landing, wh)
    [load] = report.loads
    assert (load.status, load.rows_in, load.rows_loaded, load.rows_quarantined) == ("loaded", 3, 2, 1)
    assert load.samples[0].startswith("state_checkbook/payments.csv:3 [supplier_id,payment_date,amount]")
    con = duckdb.connect(str(wh), read_only=True)
    raw = con.execute("SELECT payment_id, amount, payment_date, _source, _file, _row_number, _load_id FROM raw.payments ORDER BY 1").fetchall()
    assert [(r[0], r[1]) for r in raw] == [("P1", Decimal("1234.50")), ("P2", Decimal("-12.00"))]
    assert str(raw[1][2]) == "2024-07-02"
    assert raw[0][3:6] == ("state_checkbook", "state_checkbook/payments.csv", 1)
    assert raw[0][6] == load.load_id
    q = con.execute("SELECT payment_id, payment_date, amount, _row_number, _columns, _reason FROM quarantine.payments").fetchall()
    assert q[0][:5] == ("P3", "2024-13-45", "12x", 3, "supplier_id,payment_date,amount")
    ledger = con.execute(
        "SELECT status, rows_in, rows_loaded, rows_quarantined, amount_loaded, amount_quarantined FROM raw._loads"
    ).fetchall()
    assert ledger == [("loaded", 3, 2, 1, Decimal("1222.50"), None)]


def test_same_file_twice_or_renamed_is_loaded_once(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    first = _payments(landing)
    ingest(landing, wh)
    again = ingest(landing, wh)
    assert [l.status for l in again.loads] == ["skipped_duplicate"]
    first.rename(first.with_name("payments__renamed.csv"))
    renamed = ingest(landing, wh)
    assert [l.status for l in renamed.loads] == ["skipped_duplicate"]
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("SELECT count(*) FROM raw.payments").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM raw._loads").fetchone()[0] == 1


def test_corrected_redelivery_is_a_new_load(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    _payments(landing)
    ingest(landing, wh)
    _payments(landing, name="payments__2.csv", extra_rows=["P4,NV,A1,S1,Acme,,,,43211500,2024-07-03,5.00,ach,,,"])
    report = ingest(landing, wh)
    assert sorted(l.status for l in report.loads) == ["loaded", "skipped_duplicate"]
    con = duckdb.connect(str(wh), read_only=True)
    # every row of both deliveries is kept in raw (staging picks the latest version per key)
    assert con.execute("SELECT count(*), count(DISTINCT _load_id) FROM raw.payments").fetchone() == (5, 2)


def test_reconciliation_holds_for_every_load(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    _payments(landing)
    _payments(landing, name="payments__b.csv", extra_rows=["P9,NV,A1,S1,Acme,,,,43211500,2024-07-03,bad,ach,,,"])
    ingest(landing, wh)
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute(
        """
        SELECT l.load_id, l.rows_in, l.rows_loaded, l.rows_quarantined,
               (SELECT count(*) FROM raw.payments r WHERE r._load_id = l.load_id),
               (SELECT count(*) FROM quarantine.payments q WHERE q._load_id = l.load_id)
        FROM raw._loads l
        """
    ).fetchall()
    assert len(rows) == 2
    for _, rows_in, loaded, quarantined, in_raw, in_quarantine in rows:
        assert rows_in == loaded + quarantined
        assert (loaded, quarantined) == (in_raw, in_quarantine)


def test_file_level_problems_do_not_stop_other_files(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    _payments(landing)
    _write(landing / "src" / "invoices.csv", "")  # empty file
    _write(landing / "src" / "agencies.csv", "agency_id,state_code,agency_id\nA1,NV,A1\n")  # duplicate column
    _write(landing / "src" / "mystery.csv", "a,b\n1,2\n")
    _write(landing / "stray.csv", "a\n1\n")
    report = ingest(landing, wh)
    by_file = {l.file: l for l in report.loads}
    assert by_file["state_checkbook/payments.csv"].status == "loaded"
    assert by_file["src/invoices.csv"].status == "rejected" and "empty file" in by_file["src/invoices.csv"].message
    assert by_file["src/agencies.csv"].status == "rejected" and "'agency_id' twice" in by_file["src/agencies.csv"].message
    assert any(u.startswith("src/mystery.csv") for u in report.unrecognised)
    assert any(u.startswith("stray.csv") for u in report.unrecognised)


def test_missing_required_column_quarantines_every_row_with_the_column_named(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    _write(landing / "src" / "agencies.csv", "agency_id,state_code,agency_type\nA1,NV,state_agency\nA2,NV,k12\n")
    [load] = ingest(landing, wh).loads
    assert (load.rows_loaded, load.rows_quarantined) == (0, 2)
    assert "missing required column(s): agency_name" in load.message
    assert "agency_name: required value is empty" in load.samples[0]


def test_discover_accepts_entity_folders_and_parts(tmp_path):
    landing = tmp_path / "landing"
    for rel in ("a/payments.csv", "a/payments__2024-07.csv", "b/invoices/jan.csv", "b/readme.txt"):
        _write(landing / rel, "x\n")
    found, unrecognised = discover(landing)
    assert sorted((f.source, f.entity) for f in found) == [("a", "payments"), ("a", "payments"), ("b", "invoices")]
    assert any("readme.txt" in u for u in unrecognised)


def test_retracting_a_load_removes_its_rows_and_lets_the_file_load_again(tmp_path):
    import pytest

    from ingestion.common.loader import IngestionError, retract

    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    _payments(landing)
    _payments(landing, name="payments__extra.csv", extra_rows=["P9,NV,A1,S1,Acme,,,,43211500,2024-08-01,5.00,ach,,,"])
    first, other = ingest(landing, wh).loads
    done = retract(first.load_id, wh, reason="delivered twice by mistake")
    assert (done.entity, done.file, done.rows_deleted, done.rows_unquarantined) == ("payments", first.file, 2, 1)
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM raw.payments WHERE _load_id = ?", [first.load_id]).fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM quarantine.payments WHERE _load_id = ?", [first.load_id]).fetchone()[0] == 0
        # the other load is untouched
        assert con.execute("SELECT count(*) FROM raw.payments WHERE _load_id = ?", [other.load_id]).fetchone()[0] == 3
        status, message, rows_loaded = con.execute(
            "SELECT status, message, rows_loaded FROM raw._loads WHERE load_id = ?", [first.load_id]).fetchone()
        assert status == "retracted" and "delivered twice by mistake" in message and rows_loaded == 2  # history kept
    finally:
        con.close()
    with pytest.raises(IngestionError, match="is retracted, only a loaded load"):
        retract(first.load_id, wh)
    with pytest.raises(IngestionError, match="no load 'nope'"):
        retract("nope", wh)
    # the same content loads again as a new load
    again = ingest(landing, wh).loads
    assert [(l.file, l.status) for l in again] == [(first.file, "loaded"), (other.file, "skipped_duplicate")]
    assert again[0].load_id != first.load_id and again[0].rows_loaded == 2


def test_files_of_one_entity_load_together_each_with_its_own_ledger_row_lineage_and_samples(tmp_path, monkeypatch):
    from ingestion.common import loader

    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    feed = landing / "state_checkbook" / "payments"
    _write(feed / "payments_2024-07.csv", PAYMENTS_HEADER + "\nP1,NV,A1,S1,Acme,,,,43211500,2024-07-01,10.00,ach,,,\n"
           "P2,NV,A1,S1,Acme,,,,43211500,2024-07-02,bad,ach,,,\n")
    # other column order, one column missing (bank_account), an extra one: still one batch
    _write(feed / "payments_2024-08.csv", "amount,payment_id,state_code,agency_id,supplier_id,payee_name,invoice_id,po_id,"
           "contract_id,commodity_code,payment_date,payment_method,discount_taken,interest_paid,note\n"
           "20.00,P3,NV,A1,S1,Acme,,,,43211500,2024-08-01,ach,,,hello\n30.00,P4,NV,A1,S1,Acme,,,,43211500,2024-08-31,ach,,,\n")
    _write(feed / "payments_2024-09.csv", "")  # empty: rejected, the others load
    _write(feed / "payments_2024-10.csv", PAYMENTS_HEADER + "\n")  # header only: loaded with 0 rows
    _write(feed / "payments_2024-11.csv", (feed / "payments_2024-07.csv").read_text())  # same content again
    seen = []
    real = loader._load_prepared
    monkeypatch.setattr(loader, "_load_prepared", lambda con, e, batch: seen.append(len(batch)) or real(con, e, batch))
    report = ingest(landing, wh)
    assert seen == [3]  # one pass for the three readable, new files
    by_file = {load.file.rsplit("/", 1)[1]: load for load in report.loads}
    assert [(f, by_file[f].status, by_file[f].rows_in, by_file[f].rows_loaded, by_file[f].rows_quarantined) for f in sorted(by_file)] == [
        ("payments_2024-07.csv", "loaded", 2, 1, 1),
        ("payments_2024-08.csv", "loaded", 2, 2, 0),
        ("payments_2024-09.csv", "rejected", 0, 0, 0),
        ("payments_2024-10.csv", "loaded", 0, 0, 0),
        ("payments_2024-11.csv", "skipped_duplicate", 0, 0, 0),
    ]
    assert by_file["payments_2024-07.csv"].samples == [
        "state_checkbook/payments/payments_2024-07.csv:2 [amount] amount: 'bad' is not a valid money"]
    assert "ignored columns not in the canonical schema: note" in by_file["payments_2024-08.csv"].message
    assert "same content as state_checkbook/payments/payments_2024-07.csv (this ingest)" in by_file["payments_2024-11.csv"].message
    con = duckdb.connect(str(wh), read_only=True)
    rows = con.execute("SELECT payment_id, amount, bank_account, _file, _row_number, _load_id FROM raw.payments ORDER BY 1").fetchall()
    assert [(r[0], r[1], r[2], r[3].rsplit("/", 1)[1], r[4]) for r in rows] == [
        ("P1", Decimal("10.00"), None, "payments_2024-07.csv", 1),
        ("P3", Decimal("20.00"), None, "payments_2024-08.csv", 1),
        ("P4", Decimal("30.00"), None, "payments_2024-08.csv", 2),
    ]
    assert rows[0][5] == by_file["payments_2024-07.csv"].load_id and rows[1][5] == by_file["payments_2024-08.csv"].load_id
    assert con.execute("SELECT payment_id, _file, _row_number, _load_id FROM quarantine.payments").fetchall() == [
        ("P2", "state_checkbook/payments/payments_2024-07.csv", 2, by_file["payments_2024-07.csv"].load_id)]
    ledger = con.execute("SELECT file, status, rows_in, rows_loaded, rows_quarantined, amount_loaded FROM raw._loads ORDER BY file").fetchall()
    assert [(f.rsplit("/", 1)[1], *rest) for f, *rest in ledger] == [
        ("payments_2024-07.csv", "loaded", 2, 1, 1, Decimal("10.00")),
        ("payments_2024-08.csv", "loaded", 2, 2, 0, Decimal("50.00")),
        ("payments_2024-09.csv", "rejected", 0, 0, 0, None),
        ("payments_2024-10.csv", "loaded", 0, 0, 0, None),
    ]
    con.close()


def test_batches_are_bounded_and_keep_mapped_files_apart(tmp_path, monkeypatch):
    from ingestion.common import loader

    landing = tmp_path / "landing"
    for month in range(1, 6):
        _payments(landing, name=f"payments__2024-{month:02d}.csv")
    files, _ = discover(landing)
    assert [len(b) for b in loader._batches(files)] == [5]
    monkeypatch.setattr(loader, "BATCH_MAX_FILES", 2)
    assert [len(b) for b in loader._batches(files)] == [2, 2, 1]
    monkeypatch.setattr(loader, "BATCH_MAX_FILES", 200)
    monkeypatch.setattr(loader, "BATCH_MAX_BYTES", files[0].path.stat().st_size * 3)
    assert [len(b) for b in loader._batches(files)] == [3, 2]


def test_retracting_a_file_takes_back_every_entity_it_made_and_holds_it_until_it_changes_or_is_readmitted(tmp_path):
    import pytest

    from ingestion.common.loader import IngestionError, retract_file

    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    folder = landing / "erp"
    _write(folder / "mapping.yml", "version: 1\nfiles: ['export*.csv']\nentities:\n"
           "  suppliers: {distinct: true, columns: {supplier_id: Vendor, supplier_name: Name}}\n"
           "  agencies: {distinct: true, columns: {agency_id: Dept, state_code: {value: NV}, agency_name: Dept, "
           "agency_type: {value: state_agency}}}\n")
    export = _write(folder / "export.csv", "Vendor,Name,Dept\nV1,Acme,D1\nV2,,D2\n")
    loads = ingest(landing, wh).loads
    assert sorted((l.entity, l.status, l.rows_loaded, l.rows_quarantined) for l in loads) == [
        ("agencies", "loaded", 2, 0), ("suppliers", "loaded", 1, 1)]

    done = retract_file("erp/export.csv", wh, reason="wrong month")
    assert sorted((r.entity, r.rows_deleted, r.rows_unquarantined) for r in done.retractions) == [
        ("agencies", 2, 0), ("suppliers", 1, 1)]
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM raw.suppliers").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM quarantine.suppliers").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM raw.agencies").fetchone()[0] == 0
        assert {r[0] for r in con.execute("SELECT status FROM raw._loads").fetchall()} == {"retracted"}
    finally:
        con.close()
    # held: the next ingest skips it, saying why, even under another name
    export.rename(folder / "export_copy.csv")
    again = ingest(landing, wh).loads
    assert {(l.entity, l.status) for l in again} == {("suppliers", "held"), ("agencies", "held")}
    assert all("retract --file" in l.message and "--readmit" in l.message for l in again)
    # a changed file is new content: it loads
    _write(folder / "export_copy.csv", "Vendor,Name,Dept\nV1,Acme,D1\nV2,Beta,D2\n")
    assert {(l.entity, l.status, l.rows_loaded) for l in ingest(landing, wh).loads} == {
        ("suppliers", "loaded", 2), ("agencies", "loaded", 2)}
    # re-admitting the held content: back under its first content, it loads again
    retract_file("erp/export_copy.csv", wh)
    _write(folder / "export_copy.csv", "Vendor,Name,Dept\nV1,Acme,D1\nV2,,D2\n")
    assert {l.status for l in ingest(landing, wh).loads} == {"held"}
    assert retract_file(str(folder / "export_copy.csv"), wh, readmit=True).readmitted == 1
    assert {(l.entity, l.status) for l in ingest(landing, wh).loads} == {("suppliers", "loaded"), ("agencies", "loaded")}
    with pytest.raises(IngestionError, match="no load of this file"):
        retract_file("erp/nothing.csv", wh)


def test_a_row_in_another_currency_than_its_states_is_quarantined_at_ingest(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    ref = landing / "reference"
    _write(ref / "states.csv", "state_code,state_name,fiscal_year_start_month,small_business_goal_pct,currency\n"
           "PY,Paraguay,1,,PYG\nNV,Nevada,7,,\n")
    _write(landing / "src" / "solicitations.csv",
           "solicitation_id,state_code,agency_id,title,method,commodity_code,issue_date,close_date,estimated_value,currency,status\n"
           "S1,PY,A1,Works,open,,2024-01-02,2024-02-01,100.00,PYG,awarded\n")
    _write(landing / "src" / "awards.csv",
           "award_id,solicitation_id,supplier_id,award_date,published_date,award_value,status,currency\n"
           "W1,S1,V1,2024-03-01,,90.00,active,PYG\nW2,S1,V1,2024-03-01,,10.00,active,USD\n")
    payments = PAYMENTS_HEADER + "\n" + "P1,NV,A1,S1,Acme,,,,43211500,2024-07-01,10.00,ach,,,\n"
    _write(landing / "src" / "payments.csv", payments)
    loads = {l.entity: l for l in ingest(landing, wh).loads}
    assert (loads["awards"].rows_loaded, loads["awards"].rows_quarantined) == (1, 1)
    assert "[currency] currency: 'USD' is not the currency of PY (PYG in states.csv): amounts are never converted" in \
        loads["awards"].samples[0]
    assert (loads["solicitations"].rows_loaded, loads["payments"].rows_loaded) == (1, 1)  # NV: empty = USD
