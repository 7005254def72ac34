"""The raw layer's Soda contracts: generated from the canonical schema, verified on files the real loader loaded.

Every kind of raw rule has a case that trips it (check name, failing row count, sample key) and one that passes:
schema, required and lineage columns, the file-row grain, allowed values, ranges, reconciliation with the load
ledger in rows and in money, the ledger's own sanity, and freshness.
"""

from pathlib import Path

import duckdb
import pytest
import yaml

from ingestion.common.contracts import RAW_CONTRACTS_DIR, raw_contract_files, render_entity_contract
from ingestion.common.loader import ingest
from ingestion.common.schema import SchemaError, _parse, load_schema
from tests.warehouse.tables import execute
from warehouse.gate import gated_datasets, verify, verify_all

HEADER = ("payment_id,state_code,agency_id,supplier_id,payee_name,invoice_id,po_id,contract_id,commodity_code,"
          "payment_date,amount,payment_method,discount_taken,interest_paid,bank_account")
JANUARY = [
    "P1,NV,A1,S1,Acme,,,,43211500,2024-07-01,\"$1,234.50\",ach,,,",
    "P2,NV,A1,S1,Acme,,,,43211500,2024-07-02,(12.00), check ,,,",  # padded: the loader trims before comparing
    "P3,NV,A2,S2,Bolt,,,,43211500,2024-07-03,100.00,wire,1.50,,",
    "P4,NV,A2,S2,Bolt,,,,43211500,2024-07-04,50.00,,,0.25,",
    "P5,NV,A2,,Bolt,,,,43211500,2024-07-05,75.00,ach,,,",  # quarantined: no supplier; its amount parses
    "P6,NV,A2,S2,Bolt,,,,43211500,2024-07-06,12x,ach,,,",  # quarantined: its amount does not parse
]
FEBRUARY = [
    "P1,NV,A1,S1,Acme,,,,43211500,2024-07-01,1234.50,ach,,,",  # a second version of P1: raw keeps both
    "P7,NV,A1,S1,Acme,,,,43211500,2024-08-01,10.00,pcard,,,",
]
ROWS = "rows reconcile with the load ledger"
MONEY = "amount reconciles with the load ledger"
FRESH = "newest load within max age"


# Every path setting under tmp: the volume checks never see the developer's real snapshots.
pytestmark = pytest.mark.usefixtures("procure_home")


@pytest.fixture(scope="module")
def loaded(tmp_path_factory) -> tuple[Path, str, str]:
    """A warehouse the loader built from two payments files; returns (file, january load_id, february load_id)."""
    root = tmp_path_factory.mktemp("raw")
    landing = root / "landing" / "checkbook"
    landing.mkdir(parents=True)
    (landing / "payments__2024_07.csv").write_text(HEADER + "\n" + "\n".join(JANUARY) + "\n")
    first = ingest(root / "landing", root / "wh.duckdb")
    (landing / "payments__2024_08.csv").write_text(HEADER + "\n" + "\n".join(FEBRUARY) + "\n")
    second = ingest(root / "landing", root / "wh.duckdb")
    jan = next(l for l in first.loads if l.status == "loaded")
    feb = next(l for l in second.loads if l.status == "loaded")
    assert (jan.rows_loaded, jan.rows_quarantined, feb.rows_loaded) == (4, 2, 2)
    return root / "wh.duckdb", jan.load_id, feb.load_id


@pytest.fixture
def wh(loaded, tmp_path) -> Path:
    """A private copy of the loaded warehouse that a test may damage."""
    copy = tmp_path / "wh.duckdb"
    copy.write_bytes(loaded[0].read_bytes())
    return copy


@pytest.fixture
def jan(loaded) -> str:
    return loaded[1]


def failing(report) -> dict:
    return {c.check: c for c in report.failures()}


# ---------------------------------------------------------------------------------------------- generation


def test_every_entity_and_the_ledger_have_a_generated_contract_naming_them():
    files = raw_contract_files()
    assert {p.stem for p in files} == set(load_schema()) | {"_loads"}
    for path, text in files.items():
        assert path.parent == RAW_CONTRACTS_DIR
        assert yaml.safe_load(text)["dataset"] == f"procure/raw/{path.stem}"
        assert path.read_text() == text  # committed and current (procure docs)
    raw = [t for s, t in gated_datasets() if s == "raw"]
    assert sorted(raw) == sorted(p.stem for p in files)


def test_contracts_follow_the_canonical_schema():
    schema = load_schema()
    payments = yaml.safe_load(render_entity_contract(schema["payments"]))
    columns = [c["name"] for c in payments["columns"]]
    assert columns == schema["payments"].column_names + ["_source", "_file", "_row_number", "_load_id", "_loaded_at"]
    by_column = {c["name"]: c for c in payments["columns"]}
    assert by_column["amount"]["numeric_scale"] == 2 and by_column["_loaded_at"]["data_type"] == "timestamp"
    method = by_column["payment_method"]["checks"][0]["invalid"]
    assert method["valid_values"] == ["ach", "check", "pcard", "wire"]
    assert {"missing": {"name": "payment_id not missing"}} in by_column["payment_id"]["checks"]
    names = [next(iter(c.values()))["name"] for c in payments["checks"]]
    assert names == ["columns and types", "one row per load and file row", ROWS, MONEY, FRESH]
    staff = yaml.safe_load(render_entity_contract(schema["procurement_staff"]))
    fte = {c["name"]: c for c in staff["columns"]}["fte"]["checks"][1]["invalid"]
    assert (fte["name"], fte["valid_min"], fte["valid_max"]) == ("fte in 0..1", 0, 1)
    # freshness only where the schema flags it; the money check only where the entity has an amount column
    flagged = {n for n, e in schema.items() if e.freshness}
    assert {"payments", "invoices", "purchase_orders"} <= flagged
    for name, e in schema.items():
        text = render_entity_contract(e)
        assert (FRESH in text) == (name in flagged)
        assert ("reconciles with the load ledger" in text) == (e.amount_column is not None)


def test_freshness_flag_must_be_a_boolean():
    spec = {"entities": {"x": {"description": "d", "kind": "master", "primary_key": ["k"], "freshness": "yes",
                               "columns": [{"name": "k", "type": "string", "required": True}]}}}
    with pytest.raises(SchemaError, match="freshness"):
        _parse(spec)


# ---------------------------------------------------------------------------------------------- passing


def test_loaded_raw_tables_pass_their_contracts(wh):
    for table in ("payments", "_loads", "states", "agencies"):
        report = verify(wh, "raw", table)
        assert report.passed, report.summary()
    names = {c.check for c in verify(wh, "raw", "payments").checks}
    assert {ROWS, MONEY, FRESH, "one row per load and file row", "payment_method in (ach, check, pcard, wire)",
            "discount_taken >= 0", "columns and types", "_load_id not missing"} <= names


def test_an_entity_never_delivered_is_not_stale(wh):
    # invoices and purchase_orders are flagged for freshness but this warehouse never received any: a source
    # without such data (Nevada's exports have no invoices) must not block the gate; the KPIs say no_data.
    reports = {r.dataset: r for r in verify_all(wh, [d for d in gated_datasets() if d[0] == "raw"])}
    assert {name: sorted(failing(r)) for name, r in reports.items() if not r.passed} == {}
    assert FRESH in {c.check for c in reports["raw.invoices"].checks}


# ---------------------------------------------------------------------------------------------- tripping


def test_rows_reconciliation_names_the_load_that_lost_a_row(wh, jan):
    execute(wh, "DELETE FROM raw.payments WHERE payment_id = 'P2'")
    fails = failing(verify(wh, "raw", "payments"))
    assert set(fails) == {ROWS, MONEY}
    assert fails[ROWS].failed_rows == 1
    assert fails[ROWS].sample_keys == [
        f"load_id={jan} ledger_status=loaded ledger_rows_in=6 ledger_rows_loaded=4 raw_rows=3 "
        "ledger_rows_quarantined=2 quarantine_rows=2"
    ]


def test_rows_reconciliation_counts_quarantined_rows(wh, jan):
    execute(wh, "DELETE FROM quarantine.payments WHERE payment_id = 'P6'")  # its amount never counted
    fails = failing(verify(wh, "raw", "payments"))
    assert set(fails) == {ROWS}
    assert "ledger_rows_quarantined=2 quarantine_rows=1" in fails[ROWS].sample_keys[0]


def test_rows_reconciliation_catches_rows_of_an_unknown_load(wh):
    execute(wh, "INSERT INTO raw.payments SELECT * REPLACE ('ghost' AS _load_id) FROM raw.payments WHERE payment_id = 'P7'")
    fails = failing(verify(wh, "raw", "payments"))
    assert set(fails) == {ROWS, MONEY}
    assert fails[ROWS].sample_keys == ["load_id=ghost raw_rows=1 quarantine_rows=0"]


def test_money_reconciliation_names_the_load_whose_amount_differs(wh, jan):
    execute(wh, "UPDATE raw.payments SET amount = amount + 1 WHERE payment_id = 'P3'")
    fails = failing(verify(wh, "raw", "payments"))
    assert set(fails) == {MONEY}
    assert fails[MONEY].failed_rows == 1
    assert fails[MONEY].sample_keys == [
        f"load_id={jan} ledger_amount_loaded=1372.50 raw_amount=1373.50 "
        "ledger_amount_quarantined=75.00 quarantine_amount=75.00"
    ]


def test_money_reconciliation_covers_quarantined_amounts(wh, jan):
    execute(wh, "UPDATE raw._loads SET amount_quarantined = 0 WHERE load_id = ?".replace("?", f"'{jan}'"))
    fails = failing(verify(wh, "raw", "payments"))
    assert set(fails) == {MONEY}
    assert "ledger_amount_quarantined=0.00 quarantine_amount=75.00" in fails[MONEY].sample_keys[0]


def test_a_ledger_that_does_not_add_up_fails_both_contracts(wh, jan):
    execute(wh, f"UPDATE raw._loads SET rows_in = rows_in + 1 WHERE load_id = '{jan}'")
    assert set(failing(verify(wh, "raw", "payments"))) == {ROWS}
    fails = failing(verify(wh, "raw", "_loads"))
    assert set(fails) == {"rows_in = rows_loaded + rows_quarantined"}
    assert fails["rows_in = rows_loaded + rows_quarantined"].sample_keys == [f"load_id={jan}"]


def test_ledger_status_must_be_known(wh, jan):
    execute(wh, f"UPDATE raw._loads SET status = 'weird' WHERE load_id = '{jan}'")
    fails = failing(verify(wh, "raw", "_loads"))
    assert set(fails) == {"status in (loaded, rejected, retracted)"}
    assert fails["status in (loaded, rejected, retracted)"].failed_rows == 1


# (sql, check, rows, first sample key, other checks the change also trips)
CASES = {
    "allowed value": ("UPDATE raw.payments SET payment_method = 'cash' WHERE payment_id = 'P3'",
                      "payment_method in (ach, check, pcard, wire)", 1, "payment_id=P3 _load_id={jan} _row_number=3", set()),
    "range": ("UPDATE raw.payments SET discount_taken = -1 WHERE payment_id = 'P3'",
              "discount_taken >= 0", 1, "payment_id=P3 _load_id={jan} _row_number=3", set()),
    "required": ("UPDATE raw.payments SET agency_id = NULL WHERE payment_id = 'P4'",
                 "agency_id not missing", 1, "payment_id=P4 _load_id={jan} _row_number=4", set()),
    "lineage": ("UPDATE raw.payments SET _file = NULL WHERE payment_id IN ('P3', 'P4')",
                "_file not missing", 2, "payment_id=P3 _load_id={jan} _row_number=3", set()),
    "file row twice": ("INSERT INTO raw.payments SELECT * FROM raw.payments WHERE payment_id = 'P4'",
                       "one row per load and file row", 1, "payment_id=P4 _load_id={jan} _row_number=4", {ROWS, MONEY}),
}


@pytest.mark.parametrize("case", CASES)
def test_each_raw_rule_trips_and_names_the_file_row(wh, jan, case):
    sql, check, rows, key, also = CASES[case]
    execute(wh, sql)
    report = verify(wh, "raw", "payments")
    fails = failing(report)
    assert set(fails) == {check} | also, report.summary()
    assert fails[check].failed_rows == rows
    assert fails[check].sample_keys[0] == key.format(jan=jan)
    assert f"raw.payments: check '{check}' failed on {rows} row(s), e.g. {key.format(jan=jan)}" in report.summary()


def test_schema_drift_fails(wh):
    execute(wh, "ALTER TABLE raw.payments ADD COLUMN iban VARCHAR")
    fails = failing(verify(wh, "raw", "payments"))
    assert set(fails) == {"columns and types"}
    assert fails["columns and types"].sample_keys == ["column=iban (unexpected)"]


def test_stale_deliveries_fail_freshness_unless_the_allowed_age_is_raised(wh, monkeypatch):
    execute(wh, "UPDATE raw.payments SET _loaded_at = _loaded_at - INTERVAL 60 DAY")
    report = verify(wh, "raw", "payments")
    fails = failing(report)
    assert set(fails) == {FRESH}
    assert fails[FRESH].failed_rows == 1
    [sample] = fails[FRESH].sample_keys
    assert "entity=payments" in sample and "age_days=60" in sample and "allowed_days=35" in sample, sample
    monkeypatch.setenv("PROCURE_FRESHNESS_MAX_DAYS", "90")
    assert verify(wh, "raw", "payments").passed


def test_the_same_key_in_two_loads_is_fine_in_raw(wh):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM raw.payments WHERE payment_id = 'P1'").fetchone()[0] == 2
    finally:
        con.close()
    assert verify(wh, "raw", "payments").passed


def test_a_retracted_load_reconciles_only_when_its_rows_are_gone(wh, jan):
    from ingestion.common.loader import retract

    retract(jan, wh, reason="test")
    for table in ("payments", "_loads"):
        report = verify(wh, "raw", table)
        assert report.passed, report.summary()
    # a retracted load whose rows are still there (a half-done manual delete, say) does not reconcile
    execute(wh, f"INSERT INTO raw.payments SELECT * REPLACE ('{jan}' AS _load_id) FROM raw.payments LIMIT 1")
    fails = failing(verify(wh, "raw", "payments"))
    assert ROWS in fails and f"load_id={jan} ledger_status=retracted" in fails[ROWS].sample_keys[0]
