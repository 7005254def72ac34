"""The bad-input corpus: every case is one landing file delivered beside a good one, loaded by one real `ingest`
run (as `procure run` does) into a real DuckDB warehouse.

For every case: the bad file is loaded correctly (values checked), or its bad rows are quarantined with a
reason naming file, row and column, or the whole file is rejected with a message naming the file (and, where
a byte or a line is at fault, where); the good file in the same run still loads; and reconciliation proves
nothing was lost: for every load, rows_in = rows_loaded + rows_quarantined, and raw and quarantine hold
exactly those rows for that load.

More cases live beside the code they test: other formats and encodings through mappings
(tests/ingestion/test_mapping.py), OCDS packages with missing or duplicate ids and JSON that is not OCDS
(tests/ingestion/test_ocds.py, tests/ingestion/test_ocds_loading.py), retractions
(tests/test_cli.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest

from ingestion.common.loader import ingest
from tests.ingestion.test_mapping import PAY_MAPPING as MAPPING_OF_PAYMENTS
from tests.ingestion.test_mapping import _text

H = ("payment_id,state_code,agency_id,supplier_id,payee_name,invoice_id,po_id,contract_id,commodity_code,"
     "payment_date,amount,payment_method,discount_taken,interest_paid,bank_account")
GOOD = "G1,NV,A1,S1,Acme,,,,43211500,2024-07-01,100.00,ach,,,"
BAD = "src/payments.csv"  # where the case's file lands, unless it says otherwise


def row(pid: str = "X1", date: str = "2024-07-01", amount: str = "10.00", payee: str = "Acme",
        method: str = "ach") -> str:
    return f"{pid},NV,A1,S1,{payee},,,,43211500,{date},{amount},{method},,,"


def csv_text(*rows: str, header: str = H) -> bytes:
    return (header + "\n" + "".join(r + "\n" for r in rows)).encode("utf-8")


def pay_mapping(glob: str, read: str = "") -> bytes:
    """test_mapping's payments mapping (Id, Agency, Payee, Date, Amount), reading the landing files named by glob."""
    return (f'files: ["{glob}"]\n' + _text(MAPPING_OF_PAYMENTS.format(read=read))).encode()


def _xlsx_with_title_rows(path: Path) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Payments made, fiscal year 2025"])
    ws.append([])
    ws.append(["Id", "Agency", "Supplier", "Payee", "Date", "Amount"])
    ws.append(["X1", "A1", "S1", "Acme", "2024-07-01", "10.00"])
    ws.append(["X2", "A1", "S1", "Acme", "2024-07-02", "not money"])
    wb.save(path)


@dataclass
class Outcome:
    """What one load of the case's file must show."""
    status: str                        # loaded | rejected | skipped_duplicate
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    message: tuple[str, ...] = ()      # texts the load's message must contain
    samples: tuple[str, ...] = ()      # texts the quarantine samples must contain (file:row [columns] ...)


@dataclass
class Case:
    files: dict[str, bytes | Callable[[Path], None]]      # landing-relative path -> content (or a writer)
    outcomes: dict[str, list[Outcome]]                     # landing-relative path -> its loads, in order
    raw: dict[str, object] = field(default_factory=dict)  # payment_id -> expected (payee, amount) or a check
    runs: int = 1                                          # ingest runs (the files stay; later ones find them known)
    before_run: Callable[[Path, int], None] | None = None  # called before run i (0-based) with the landing
    unrecognised: tuple[str, ...] = ()                     # texts the run's unrecognised messages must contain


CASES: dict[str, Case] = {
    "empty file": Case({BAD: b""}, {BAD: [Outcome("rejected", message=(BAD, "empty file (no header)"))]}),
    "header only": Case({BAD: csv_text()}, {BAD: [Outcome("loaded")]}),
    "truncated last line": Case(  # the file ends in the middle of a row: said so, not only "required value is empty"
        {BAD: csv_text(row("X1")) + b"X2,NV,A1,S1,Ac"},
        {BAD: [Outcome("loaded", 2, 1, 1, samples=(
            f"{BAD}:2 [payment_date,amount] the line has 5 of 15 fields and the file ends there, without a line break: "
            "the file seems cut short", "; payment_date: required value is empty"))]},
        raw={"X1": ("Acme", Decimal("10.00"))}),
    "truncated last line missing only optional fields": Case(  # still quarantined: its last value may be cut too
        {BAD: csv_text(row("X1")) + row("X2").rsplit(",", 3)[0].encode()},
        {BAD: [Outcome("loaded", 2, 1, 1, samples=(
            f"{BAD}:2 [discount_taken,interest_paid,bank_account] the line has 12 of 15 fields and the file ends there",))]},
        raw={"X1": ("Acme", Decimal("10.00"))}),
    "last line complete without a line break": Case(  # a missing final line break alone is no problem
        {BAD: csv_text(row("X1")) + row("X2").encode()},
        {BAD: [Outcome("loaded", 2, 2)]},
        raw={"X2": ("Acme", Decimal("10.00"))}),
    "a whole last row with a value on two lines, without a line break": Case(  # looks short, is not
        {BAD: csv_text(row("X1")) + row("X2", payee='"Acme\nWest"').encode()},
        {BAD: [Outcome("loaded", 2, 2)]},
        raw={"X2": ("Acme\nWest", Decimal("10.00"))}),
    "the same cut through a mapping": Case(
        {"cut/payments.csv": b"Id,Agency,Supplier,Payee,Date,Amount\nX1,A1,S1,Acme,2024-07-01,10.00\nX2,A1,S1,Ac",
         "cut/m.yml": pay_mapping("payments.csv")},
        {"cut/payments.csv": [Outcome("loaded", 2, 1, 1, samples=(
            "cut/payments.csv:2 [payment_date,amount] the line has 4 of 6 fields and the file ends there",))]},
        raw={"X1": ("Acme", Decimal("10.00"))}),
    "wrong delimiter": Case(
        {BAD: csv_text(row().replace(",", ";"), header=H.replace(",", ";"))},
        {BAD: [Outcome("rejected", message=(BAD, "the file seems separated by ';'", "read.delimiter"))]}),
    "byte-order mark": Case(
        {BAD: "\ufeff".encode() + csv_text(row("X1"))}, {BAD: [Outcome("loaded", 1, 1)]},
        raw={"X1": ("Acme", Decimal("10.00"))}),
    "Latin-1 text in a canonical file": Case(
        {BAD: (H + "\n" + row("X1", payee="Café Müller") + "\n").encode("latin-1")},
        {BAD: [Outcome("rejected", message=(BAD, "row 1 [payee_name]: byte", "is not valid utf-8", "read.encoding"))]}),
    "a bad byte after a quoted comma": Case(  # the column is counted by fields, not by delimiters
        {BAD: (H + "\n" + row("X1", payee='"Smith, Café"') + "\n").encode("latin-1")},
        {BAD: [Outcome("rejected", message=(BAD, "row 1 [payee_name]: byte", "is not valid utf-8"))]}),
    "Windows-1252 text in a canonical file": Case(
        {BAD: (H + "\n" + row("X1") + "\n" + row("X2", payee="“Smart” – Co") + "\n").encode("cp1252")},
        {BAD: [Outcome("rejected", message=(BAD, "row 2 [payee_name]: byte", "is not valid utf-8"))]}),
    "Latin-1 text declared in a mapping": Case(
        {"latin/payments.csv": ("Id,Agency,Supplier,Payee,Date,Amount\nX1,A1,S1,Café Müller,2024-07-01,10.00\n").encode("latin-1"),
         "latin/m.yml": pay_mapping("payments.csv", "read: {encoding: latin-1}")},
        {"latin/payments.csv": [Outcome("loaded", 1, 1)]}, raw={"X1": ("Café Müller", Decimal("10.00"))}),
    "binary garbage": Case(
        {BAD: bytes(range(256)) * 4}, {BAD: [Outcome("rejected", message=(BAD, "is not valid utf-8"))]}),
    "missing required column": Case(
        {BAD: csv_text("X1,NV,A1,S1,Acme,,,,43211500,10.00,ach,,,", header=H.replace("payment_date,", ""))},
        {BAD: [Outcome("loaded", 1, 0, 1, message=("missing required column(s): payment_date",),
                       samples=(f"{BAD}:1 [payment_date] payment_date: required value is empty",))]}),
    "unknown extra columns": Case(
        {BAD: csv_text(row("X1") + ",zzz", header=H + ",mystery")},
        {BAD: [Outcome("loaded", 1, 1, message=("ignored columns not in the canonical schema: mystery",))]},
        raw={"X1": ("Acme", Decimal("10.00"))}),
    "SQL in a header and in the values (taken as text, never run)": Case(
        {BAD: csv_text(row("Q1", payee="Robert'); DROP TABLE raw._loads; --") + ",1; DROP TABLE raw.payments",
                       header=H + ',"x""); DROP TABLE raw.payments; --"')},
        {BAD: [Outcome("loaded", 1, 1, message=("ignored columns not in the canonical schema: x", "); DROP TABLE raw.payments; --"))]},
        raw={"Q1": ("Robert'); DROP TABLE raw._loads; --", Decimal("10.00"))}),
    "duplicate column names": Case(
        {BAD: csv_text(row() + ",11.00", header=H + ",amount")},
        {BAD: [Outcome("rejected", message=(BAD, "header has the column 'amount' twice"))]}),
    "dates in several formats": Case(
        {BAD: csv_text(row("D1", "2024-07-01"), row("D2", "07/02/2024"), row("D3", "2024/07/03"), row("D4", "3 Jul 2024"))},
        {BAD: [Outcome("loaded", 4, 2, 2, samples=(f"{BAD}:3 [payment_date] payment_date: '2024/07/03' is not a valid date",
                                                  f"{BAD}:4 [payment_date] payment_date: '3 Jul 2024' is not a valid date"))]},
        raw={"D1": lambda r: str(r["payment_date"]) == "2024-07-01", "D2": lambda r: str(r["payment_date"]) == "2024-07-02"}),
    "impossible dates": Case(
        {BAD: csv_text(row("I1", "2024-02-30"), row("I2", "2023-02-29"), row("I3", "13/13/2024"), row("I4", "2024-02-29"))},
        {BAD: [Outcome("loaded", 4, 1, 3, samples=(f"{BAD}:1 [payment_date] payment_date: '2024-02-30' is not a valid date",
                                                  f"{BAD}:2 [payment_date] payment_date: '2023-02-29' is not a valid date",
                                                  f"{BAD}:3 [payment_date] payment_date: '13/13/2024' is not a valid date"))]},
        raw={"I4": lambda r: str(r["payment_date"]) == "2024-02-29"}),
    "money with $, thousands separators, parentheses, trailing minus": Case(
        {BAD: csv_text(row("M1", amount='"$1,234.50"'), row("M2", amount="(12.00)"), row("M3", amount="12.00-"),
                       row("M4", amount='"-$7"'))},
        {BAD: [Outcome("loaded", 4, 4)]},
        raw={"M1": ("Acme", Decimal("1234.50")), "M2": ("Acme", Decimal("-12.00")), "M3": ("Acme", Decimal("-12.00")),
             "M4": ("Acme", Decimal("-7.00"))}),
    "amounts in scientific notation": Case(
        {BAD: csv_text(row("E1", amount="1.5E3"), row("E2", amount="2.5e-1"))}, {BAD: [Outcome("loaded", 2, 2)]},
        raw={"E1": ("Acme", Decimal("1500.00")), "E2": ("Acme", Decimal("0.25"))}),
    "money that is not money": Case(
        {BAD: csv_text(row("N1", amount="12x"), row("N2", amount="1.2.3"))},
        {BAD: [Outcome("loaded", 2, 0, 2, samples=(f"{BAD}:1 [amount] amount: '12x'", f"{BAD}:2 [amount] amount: '1.2.3'"))]}),
    "a value outside the allowed list": Case(
        {BAD: csv_text(row("V1", method="bitcoin"))},
        {BAD: [Outcome("loaded", 1, 0, 1, samples=(f"{BAD}:1 [payment_method] payment_method: 'bitcoin'",))]}),
    "negative quantities (credits and returns)": Case(
        {"src/coop_sales.csv": csv_text(
            "CS1,CT1,NASPO ValuePoint,V1,NV,state_agency,Dept,A1,,,return,2024-07-01,,2024-07-03,I1,P-1,Item,43211500,EA,10,8,-2.00,-16.00,-0.04,",
            header="sales_line_id,master_contract_id,coop_program,supplier_id,state_code,customer_type,customer_name,"
                   "agency_id,customer_po_number,contractor_order_number,order_type,po_date,ship_date,invoice_date,"
                   "invoice_number,product_number,product_description,commodity_code,unit_of_measure,list_price,"
                   "contract_price,quantity,total,admin_fee,dealer")},
        {"src/coop_sales.csv": [Outcome("loaded", 1, 1)]}),
    "duplicated rows": Case(  # the first copy loads, the second is quarantined as its duplicate and counted
        {BAD: csv_text(row("R1"), row("R1"))},
        {BAD: [Outcome("loaded", 2, 1, 1, message=("1 exact duplicate row(s) quarantined",),
                       samples=(":2 [payment_id] exact duplicate of row 1",))]},
        raw={"R1": lambda r: r["_row_number"] == 1}),
    "one key, two versions in one file": Case(  # nothing says which is right: both quarantined, naming each other
        {BAD: csv_text(row("R1", amount="10.00"), row("R2"), row("R1", amount="12.00"))},
        {BAD: [Outcome("loaded", 3, 1, 2, message=("2 row(s) quarantined sharing a key (payment_id)",),
                       samples=(":1 [payment_id] payment_id=R1 is the key of rows 1, 3 of this file, with different values",
                                ":3 [payment_id] payment_id=R1 is the key of rows 1, 3"))]},
        raw={"R2": ("Acme", Decimal("10.00"))}),
    "one key spelt in two cases in one file": Case(  # staging compares schemes and state codes upper-cased
        {"src/commodity_codes.csv": (
            "scheme,commodity_code,commodity_title,is_addressable,is_po_exempt\n"
            "nigp,20500,Computer hardware,true,false\n"
            "NIGP,20500,Computers,true,false\n"
            "NIGP,20600,Software,true,false\n").encode()},
        {"src/commodity_codes.csv": [Outcome("loaded", 3, 1, 2, message=(
            "2 row(s) quarantined sharing a key (scheme,commodity_code)",), samples=(
            "src/commodity_codes.csv:1 [scheme,commodity_code] scheme=NIGP, commodity_code=20500 is the key of rows 1, 2",))]}),
    "binary-float noise in money": Case(  # spreadsheet/JSON doubles: the value meant loads, a real third decimal does not
        {BAD: csv_text(row("F1", amount="552169.81000000006"), row("F2", amount="72.400000000000006"),
                       row("F3", amount="1.005"), row("F4", amount="1.5E+3"))},
        {BAD: [Outcome("loaded", 4, 3, 1, samples=(
            f"{BAD}:3 [amount] amount: '1.005' has more decimals than money keeps (2): not rounded",))]},
        raw={"F1": ("Acme", Decimal("552169.81")), "F2": ("Acme", Decimal("72.40")), "F4": ("Acme", Decimal("1500.00"))}),
    "placeholder and out-of-window dates": Case(  # 2100 and 1900 placeholders quarantined row by row, naming the window
        {BAD: csv_text(row("D1", date="2100-01-01"), row("D2", date="1900-01-01"), row("D3", date="2024-07-02"))},
        {BAD: [Outcome("loaded", 3, 1, 2, samples=(
            f"{BAD}:1 [payment_date] payment_date: '2100-01-01' is after ",
            f"{BAD}:2 [payment_date] payment_date: '1900-01-01' is before 1990-01-01, the earliest date accepted"))]},
        raw={"D3": ("Acme", Decimal("10.00"))}),
    "a contract ending before it starts": Case(  # a rule between two columns of one row, checked at ingest
        {"src/contracts.csv": (
            "contract_id,contract_number,state_code,agency_id,supplier_id,title,vehicle,procurement_method,"
            "commodity_code,signed_date,start_date,end_date,original_value,current_value\n"
            "K1,K1,NV,A1,S1,Old,agency,open,43211500,1977-03-01,1977-04-01,1987-03-31,1000.00,1000.00\n"
            "K2,K2,NV,A1,S1,Backwards,agency,open,43211500,2024-01-01,2024-02-01,2023-12-31,10.00,10.00\n").encode()},
        {"src/contracts.csv": [Outcome("loaded", 2, 1, 1, samples=(
            "src/contracts.csv:2 [end_date] end_date: '2023-12-31' is before start_date 2024-02-01",))]}),
    "the same file delivered twice": Case(
        {BAD: csv_text(row("T1"))}, {BAD: [Outcome("loaded", 1, 1), Outcome("skipped_duplicate")]}, runs=2),
    "a file renamed but identical": Case(
        {BAD: csv_text(row("T1"))},
        {BAD: [Outcome("loaded", 1, 1)], "src/payments__renamed.csv": [Outcome("skipped_duplicate")]}, runs=2,
        before_run=lambda landing, i: (landing / BAD).rename(landing / "src/payments__renamed.csv") if i == 1 else None),
    "a corrected re-delivery": Case(
        {BAD: csv_text(row("C1", amount="10.00"))},
        {BAD: [Outcome("loaded", 1, 1), Outcome("skipped_duplicate")], "src/payments__corrected.csv": [Outcome("loaded", 1, 1)]},
        runs=2,
        before_run=lambda landing, i: (landing / "src/payments__corrected.csv").write_bytes(csv_text(row("C1", amount="11.00")))
        if i == 1 else None,
        raw={"C1": lambda r: r["amount"] in (Decimal("10.00"), Decimal("11.00"))}),  # both versions kept in raw
    "a very long field": Case(
        {BAD: csv_text(row("L1", payee="A" * 200_000))}, {BAD: [Outcome("loaded", 1, 1)]},
        raw={"L1": lambda r: r["payee_name"] == "A" * 200_000}),
    "embedded newlines and quotes": Case(
        {BAD: csv_text(row("Q1", payee='"Acme\nWest ""Division"", Inc."'), row("Q2"))},
        {BAD: [Outcome("loaded", 2, 2)]},
        raw={"Q1": ('Acme\nWest "Division", Inc.', Decimal("10.00")), "Q2": ("Acme", Decimal("10.00"))}),
    "formula-looking cells": Case(
        {BAD: csv_text(row("F1", payee='"=HYPERLINK(""http://example.invalid"",""x"")"'), row("F2", payee="+1-2"),
                       row("F3", payee="@SUM(A1)"))},
        {BAD: [Outcome("loaded", 3, 3)]},  # kept verbatim as text: exports neutralise them
        raw={"F1": ('=HYPERLINK("http://example.invalid","x")', Decimal("10.00")), "F2": ("+1-2", Decimal("10.00")),
             "F3": ("@SUM(A1)", Decimal("10.00"))}),
    "an XLSX with a title row above the header": Case(
        {"xl/payments.xlsx": _xlsx_with_title_rows,
         "xl/m.yml": pay_mapping("*.xlsx", "read: {header_row: 3}")},
        {"xl/payments.xlsx": [Outcome("loaded", 2, 1, 1, samples=("xl/payments.xlsx:2 [amount] amount (from 'Amount'): 'not money'",))]},
        raw={"X1": ("Acme", Decimal("10.00"))}),
    "an XLSX without a mapping": Case(
        {"xl/payments.xlsx": _xlsx_with_title_rows}, {},
        unrecognised=("xl/payments.xlsx: unsupported file type .xlsx without a mapping",)),
    "a zero-byte Parquet file": Case(
        {"pq/payments.parquet": b"", "pq/m.yml": pay_mapping("*.parquet", "")},
        {"pq/payments.parquet": [Outcome("rejected", message=("pq/payments.parquet", "zero bytes, not Parquet"))]}),
    "a Parquet file that is not Parquet": Case(
        {"pq/payments.parquet": b"PAR1 this is not a parquet file", "pq/m.yml": pay_mapping("*.parquet", "")},
        {"pq/payments.parquet": [Outcome("rejected", message=("pq/payments.parquet", "cannot be read"))]}),
    "a JSON Lines file with a broken line": Case(
        {"js/payments.jsonl": b'{"Id": "X1", "Agency": "A1", "Supplier": "S1", "Payee": "Acme", "Date": "2024-07-01", "Amount": "1"}\n{"Id": "X2",\n',
         "js/m.yml": pay_mapping("*.jsonl", "")},
        {"js/payments.jsonl": [Outcome("rejected", message=("js/payments.jsonl", "line 2 is not valid JSON"))]}),
    "JSON that is not a list of records": Case(
        {"js/payments.json": b'{"total": 3}', "js/m.yml": pay_mapping("*.json", "")},
        {"js/payments.json": [Outcome("rejected", message=("js/payments.json", "cannot be read"))]}),
    "a file named after no entity": Case(
        {"src/checkbook_export.csv": csv_text(row())}, {},
        unrecognised=("src/checkbook_export.csv: no canonical entity named in the file name",)),
    "a file outside a source folder": Case(
        {"payments.csv": csv_text(row())}, {}, unrecognised=("payments.csv: files must sit in a source folder",)),
}


def _raw_rows(con: duckdb.DuckDBPyConnection) -> dict[str, list[dict]]:
    cur = con.execute("SELECT * FROM raw.payments")
    names = [d[0] for d in cur.description]
    out: dict[str, list[dict]] = {}
    for values in cur.fetchall():
        r = dict(zip(names, values))
        out.setdefault(r["payment_id"], []).append(r)
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_loaded_or_quarantined_with_a_reason_and_nothing_is_lost(tmp_path, name):
    case = CASES[name]
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    (landing / "good").mkdir(parents=True)
    (landing / "good" / "payments.csv").write_bytes(csv_text(GOOD))
    for rel, content in case.files.items():
        path = landing / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        content(path) if callable(content) else path.write_bytes(content)
    loads, unrecognised = [], []
    for i in range(case.runs):
        if case.before_run:
            case.before_run(landing, i)
        report = ingest(landing, wh)
        loads += report.loads
        unrecognised += report.unrecognised
    # the good file beside it loaded, once
    good = [load for load in loads if load.file == "good/payments.csv"]
    assert [(g.status, g.rows_loaded) for g in good][:1] == [("loaded", 1)]
    # the case's files: exactly the expected loads, in order
    for rel, expected in case.outcomes.items():
        got = [load for load in loads if load.file == rel]
        assert len(got) == len(expected), (rel, [(g.status, g.message) for g in got])
        for load, want in zip(got, expected):
            assert (load.status, load.rows_in, load.rows_loaded, load.rows_quarantined) == \
                (want.status, want.rows_in, want.rows_loaded, want.rows_quarantined), (load.message, load.samples)
            for text in want.message:
                assert text in (load.message or ""), load.message
            for text in want.samples:
                assert any(text in s for s in load.samples), load.samples
    assert not {load.file for load in loads} - {"good/payments.csv", *case.outcomes}
    for text in case.unrecognised:
        assert any(text in u for u in unrecognised), unrecognised
    con = duckdb.connect(str(wh), read_only=True)
    try:
        # reconciliation: every row of every load is in raw or in quarantine, counted by the ledger
        ledger = con.execute("SELECT load_id, entity, status, rows_in, rows_loaded, rows_quarantined FROM raw._loads").fetchall()
        assert ledger
        for load_id, entity, status, rows_in, loaded, quarantined in ledger:
            if status == "rejected":  # a rejected file loads none of its rows; rows_in says how many it held
                assert loaded == quarantined == 0, load_id
            else:
                assert rows_in == loaded + quarantined, load_id
            in_raw = con.execute(f"SELECT count(*) FROM raw.{entity} WHERE _load_id = ?", [load_id]).fetchone()[0]
            in_quarantine = con.execute(f"SELECT count(*) FROM quarantine.{entity} WHERE _load_id = ?", [load_id]).fetchone()[0]
            assert (in_raw, in_quarantine) == (loaded, quarantined), (load_id, status)
        raw = _raw_rows(con)
    finally:
        con.close()
    # the values that loaded are the values delivered
    for payment_id, want in case.raw.items():
        assert payment_id in raw, sorted(raw)
        for r in raw[payment_id]:
            if callable(want):
                assert want(r), r
            else:
                assert (r["payee_name"], r["amount"]) == want


def test_the_corpus_has_at_least_thirty_cases():
    assert len(CASES) >= 30
