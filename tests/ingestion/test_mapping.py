"""Declarative mappings (ingestion/files/mapping.py, readers.py) through the loader, on real DuckDB files.

Validation names the mapping file and line and loads nothing; every supported format gives the same raw rows;
each transform does what the mapping's docstring says; the landing convention finds mappings and their files.
Also the cases that were bugs once: an invalid date directive, non-UTF-8 bytes without read.encoding, a repeated
XLSX header, "$(3.10)", two-digit years, null_values before transforms, an invalid mapping's files, two sheets
of one workbook.
"""

import csv
import datetime as dt
import io
import json
import textwrap
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from ingestion.common.loader import ingest, mapped_files
from ingestion.files.mapping import MappingError, load_mapping


# ------------------------------------------------------------------------------------------ helpers
def _text(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


def _write_mapping(folder: Path, text: str, name: str = "mapping.yml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(_text(text), encoding="utf-8")
    return path


def _write_csv(path: Path, header: list[str], rows: list[tuple], *, encoding: str = "utf-8", delimiter: str = ",") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def _load(wh: Path, mapping: Path, *files: Path, landing: Path | None = None):
    """Load files with one mapping (like `procure ingest --mapping`); returns the report."""
    m = load_mapping(mapping)
    return ingest(landing or wh.parent / "landing", wh, files=mapped_files(m, list(files), landing=landing))


def _rows(wh: Path, sql: str, params: list | None = None) -> list[dict]:
    con = duckdb.connect(str(wh), read_only=True)
    try:
        cur = con.execute(sql, params or [])
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()


def _raw(wh: Path, entity: str, order: str = "_file, _row_number") -> list[dict]:
    return _rows(wh, f"SELECT * FROM raw.{entity} ORDER BY {order}")


def _quarantine(wh: Path, entity: str) -> list[dict]:
    return _rows(wh, f"SELECT * FROM quarantine.{entity} ORDER BY _file, _row_number")


def _ledger(wh: Path) -> list[dict]:
    return _rows(wh, "SELECT * FROM raw._loads ORDER BY started_at, load_id")


def _cols(base: str, extra: str) -> str:
    """A base mapping text plus more canonical columns (written at any indentation)."""
    return _text(base) + textwrap.indent(_text(extra), " " * 6)


def _mapping_error(tmp_path: Path, text: str) -> tuple[Path, str]:
    path = _write_mapping(tmp_path, text, "bad.yml")
    with pytest.raises(MappingError) as info:
        load_mapping(path)
    return path, str(info.value)


# ------------------------------------------------------------------------------------------ validation
SUPPLIERS_OK = """
    version: 1
    entities:
      suppliers:
        columns:
          supplier_id: Id
          supplier_name: Name
"""


def test_a_valid_mapping_parses(tmp_path):
    m = load_mapping(_write_mapping(tmp_path, SUPPLIERS_OK))
    assert [em.entity.name for em in m.entities] == ["suppliers"]
    assert m.source_columns() == {"Id": 5, "Name": 6}


@pytest.mark.parametrize(
    "text, line, fragment",
    [
        pytest.param("""
            version: 1
            sources: nevada
            entities:
              suppliers:
                columns: {supplier_id: Id, supplier_name: Name}
            """, 2, "unknown key 'sources'", id="unknown top-level key"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                  supplier_name: {from: Name, trim: true}
            """, 6, "unknown key 'trim'", id="unknown column-spec key"),
        pytest.param("""
            version: 1
            entities:
              vendors:
                columns: {supplier_id: Id}
            """, 3, "'vendors' is not a canonical entity", id="unknown entity"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                  supplier_name: Name
                  supplier_nme: Name
            """, 7, "suppliers has no column 'supplier_nme'", id="unknown canonical column"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                  city: City
            """, 4, "required canonical column(s) not mapped: supplier_name", id="required column not mapped"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                  supplier_name: {from: Name, value: Acme}
            """, 6, "give exactly one of from, value, template or coalesce (got from, value)", id="two bases"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                  supplier_name: Name
                  postal_code: {from: Address, extract: "(\\\\d{5}"}
            """, 7, "invalid regular expression", id="bad regex"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                  supplier_name: Name
                  registration_valid_from: {from: Since, date_format: "MM/DD/YYYY"}
            """, 7, "date_format must be a strftime format", id="bad date_format"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                  supplier_name: Name
                  city: {from: Since, date_format: "%m/%d/%Y"}
            """, 7, "date_format on a column of type string", id="date_format on a non-date column"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: {from: Ref, split: {separator: ":"}}
                  supplier_name: Name
            """, 5, "split needs {separator: ':', part: N}", id="split without part"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                 supplier_name: Name
            """, 6, "not valid YAML", id="invalid YAML"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                  supplier_name: Name
                  supplier_id: Code
            """, 7, "key 'supplier_id' appears twice", id="duplicate key"),
        pytest.param("""
            version: 1
            read: {format: xls}
            entities:
              suppliers:
                columns: {supplier_id: Id, supplier_name: Name}
            """, 2, "read.format 'xls' is not one of", id="unknown format"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                  supplier_name: {TODO: "a source column"}
            """, 6, "suppliers.supplier_name: TODO left from the suggested draft (a source column)", id="TODO left"),
        pytest.param("""
            version: 1
            entities:
              suppliers:
                columns:
                  supplier_id: Id
                  supplier_name: Name
                  is_small_business: {from: SB, map: {"Y": "true", "Maybe": {TODO: "true?"}}}
            """, 7, "map 'Maybe': TODO left from the suggested draft (true?)", id="TODO left in a map"),
    ],
)
def test_validation_names_the_mapping_file_and_line(tmp_path, text, line, fragment):
    path, message = _mapping_error(tmp_path, text)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message, message


def test_date_format_with_an_unknown_directive_is_a_mapping_error(tmp_path):
    path, message = _mapping_error(tmp_path, """
        version: 1
        entities:
          suppliers:
            columns:
              supplier_id: Id
              supplier_name: Name
              registration_valid_from: {from: Since, date_format: "%Q.%m.%d"}
        """)
    assert message.startswith(f"{path}:7: ") and "%Q" in message


def _procure(*args: str):
    from procure_cli.main import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def cli_output(monkeypatch):
    """The CLI's rich consoles are bound to the real streams at import: capture them here."""
    from procure_cli import main

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(main.console, "file", out)
    monkeypatch.setattr(main.err, "file", err)
    return out, err


def test_cli_ingest_with_an_invalid_mapping_loads_nothing(procure_home, tmp_path, cli_output):
    from warehouse.settings import get_settings

    data = _write_csv(tmp_path / "in" / "export.csv", ["Id", "Name", "Code", "Agency"],
                      [("S1", "Acme", "A1", "Dept of Roads"), ("S2", "Bolt", "A2", "Dept of Parks")])
    good = _write_mapping(tmp_path / "maps", SUPPLIERS_OK, "good.yml")
    first = _procure("ingest", "--mapping", str(good), str(data))
    assert first.exit_code == 0, cli_output
    wh = get_settings().warehouse
    before = _ledger(wh)
    assert [r["status"] for r in before] == ["loaded"]

    # the first entity is valid, the second is not: validation is complete before any row loads
    bad = _write_mapping(tmp_path / "maps", """
        version: 1
        entities:
          agencies:
            columns:
              agency_id: Code
              agency_name: Agency
              state_code: {value: NV}
              agency_type: {value: state_agency}
          suppliers:
            columns:
              supplier_id: {template: "X-{Id}"}
              supplier_name: Name
              city: {from: Name, extract: "([a-z"}
        """, "bad.yml")
    other = _write_csv(tmp_path / "in" / "export2.csv", ["Id", "Name", "Code", "Agency"], [("S3", "Cog", "A3", "Dept of Fish")])
    result = _procure("ingest", "--mapping", str(bad), str(other))
    assert result.exit_code == 1
    message = cli_output[1].getvalue()
    assert f"{bad}:13:" in message.replace("\n", "") and "invalid regular expression" in message
    assert _ledger(wh) == before
    assert _raw(wh, "agencies") == [] and _quarantine(wh, "agencies") == []
    assert [r["supplier_id"] for r in _raw(wh, "suppliers")] == ["S1", "S2"]


def test_cli_check_reports_missing_columns_and_loads_nothing(procure_home, tmp_path, cli_output):
    from warehouse.settings import get_settings

    data = _write_csv(tmp_path / "export.csv", ["Id", "Name"], [("S1", "Acme")])
    mapping = _write_mapping(tmp_path, SUPPLIERS_OK.replace("supplier_name: Name", "supplier_name: Vendor Name"))
    result = _procure("ingest", "--check", "--mapping", str(mapping), str(data))
    assert result.exit_code == 1
    assert "line 6: 'Vendor Name'" in cli_output[1].getvalue()
    assert not get_settings().warehouse.exists()


def test_a_source_column_the_file_lacks_rejects_the_file(tmp_path):
    wh = tmp_path / "wh.duckdb"
    mapping = _write_mapping(tmp_path, """
        version: 1
        entities:
          suppliers:
            columns:
              supplier_id: Id
              supplier_name: Name
              city: Town
        """)
    data = _write_csv(tmp_path / "suppliers export.csv", ["Id", "Name", "City"], [("S1", "Acme", "Reno")])
    [load] = _load(wh, mapping, data).loads
    assert load.status == "rejected"
    assert "line 7: 'Town'" in load.message and str(mapping) in load.message
    assert "the file's columns: 'Id', 'Name', 'City'" in load.message
    [ledger] = _ledger(wh)
    # the ledger still says how many rows the rejected file held, so the loss is visible in numbers
    assert (ledger["status"], ledger["rows_in"], ledger["message"]) == ("rejected", 1, load.message)
    assert _raw(wh, "suppliers") == []


# ------------------------------------------------------------------------------------------ formats
PAY_HEADER = ["Id", "Agency", "Payee", "Date", "Amount"]
PAY_ROWS = [
    ("P1", "A1", "José Peña", "2024-07-01", "1234.50"),
    ("P2", "A2", "Ñandú Café", "2024-07-15", "-12.00"),
    ("P3", "A1", "Zoë O'Brien, Inc.", "2024-08-31", "0.99"),
]
PAY_MAPPING = """
    version: 1
    source: formats
    {read}
    entities:
      payments:
        columns:
          payment_id: Id
          state_code: {{value: NV}}
          agency_id: Agency
          supplier_id: {{template: "NAME:{{Payee}}"}}
          payee_name: Payee
          payment_date: Date
          amount: Amount
"""
EXPECTED_PAYMENTS = [
    ("P1", "A1", "NAME:José Peña", "José Peña", dt.date(2024, 7, 1), Decimal("1234.50"), 1),
    ("P2", "A2", "NAME:Ñandú Café", "Ñandú Café", dt.date(2024, 7, 15), Decimal("-12.00"), 2),
    ("P3", "A1", "NAME:Zoë O'Brien, Inc.", "Zoë O'Brien, Inc.", dt.date(2024, 8, 31), Decimal("0.99"), 3),
]


def _pay_mapping(folder: Path, name: str, read: str = "") -> Path:
    return _write_mapping(folder, PAY_MAPPING.format(read=read), name)


def _payments_by_file(wh: Path) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for r in _raw(wh, "payments"):
        out.setdefault(Path(r["_file"]).name, []).append(
            (r["payment_id"], r["agency_id"], r["supplier_id"], r["payee_name"], r["payment_date"], r["amount"], r["_row_number"]))
    return out


def _xlsx_payments(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Payments"
    ws.append(["Payments made, fiscal year 2025"])  # a title row above the header
    ws.append([])
    ws.append(PAY_HEADER)
    for pid, agency, payee, date, amount in PAY_ROWS:
        ws.append([pid, agency, payee, dt.date.fromisoformat(date), float(amount)])  # real date and number cells
    for row in ws.iter_rows(min_row=4, min_col=5, max_col=5):
        row[0].number_format = '"$"#,##0.00'
    wb.save(path)
    return path


def test_every_format_loads_the_same_rows(tmp_path):
    src, maps, wh = tmp_path / "files", tmp_path / "maps", tmp_path / "wh.duckdb"
    src.mkdir()
    records = [dict(zip(PAY_HEADER, r)) for r in PAY_ROWS]
    # JSON numbers written as text so that 1234.50 stays 1234.50 (ijson reads it as a Decimal)
    json_records = ",".join(
        "{" + ", ".join(f"{json.dumps(k)}: {v if k == 'Amount' else json.dumps(v, ensure_ascii=False)}" for k, v in rec.items()) + "}"
        for rec in records)
    files = {
        "csv": (_write_csv(src / "p.csv", PAY_HEADER, PAY_ROWS), ""),
        "tsv": (_write_csv(src / "p.tsv", PAY_HEADER, PAY_ROWS, delimiter="\t"), ""),
        "xlsx": (_xlsx_payments(src / "p.xlsx"), "read: {header_row: 3}"),
        "json": (src / "p.json", ""),
        "json nested": (src / "p_nested.json", "read: {records: data.items}"),
        "jsonl": (src / "p.jsonl", ""),
        "parquet": (src / "p.parquet", ""),
        "csv title rows": (src / "p_title.csv", "read: {header_row: 3}"),
        "semicolon": (_write_csv(src / "p_semi.txt", PAY_HEADER, PAY_ROWS, delimiter=";"), "read: {format: csv, delimiter: ';'}"),
    }
    (src / "p.json").write_text(f"[{json_records}]", encoding="utf-8")
    (src / "p_nested.json").write_text(f'{{"meta": {{"n": 3}}, "data": {{"items": [{json_records}]}}}}', encoding="utf-8")
    (src / "p.jsonl").write_text(
        "\n".join(json.dumps(rec, ensure_ascii=False).replace(f'"{rec["Amount"]}"', rec["Amount"]) for rec in records) + "\n",
        encoding="utf-8")
    pl.DataFrame(
        {"Id": [r[0] for r in PAY_ROWS], "Agency": [r[1] for r in PAY_ROWS], "Payee": [r[2] for r in PAY_ROWS],
         "Date": [dt.date.fromisoformat(r[3]) for r in PAY_ROWS], "Amount": [Decimal(r[4]) for r in PAY_ROWS]},
        schema={"Id": pl.Utf8, "Agency": pl.Utf8, "Payee": pl.Utf8, "Date": pl.Date, "Amount": pl.Decimal(18, 2)},
    ).write_parquet(src / "p.parquet")
    (src / "p_title.csv").write_text("Payments made,,,,\nfiscal year 2025,,,,\n" + (src / "p.csv").read_text(encoding="utf-8"),
                                     encoding="utf-8")
    loads = []
    for i, (kind, (path, read)) in enumerate(files.items()):
        mapping = _pay_mapping(maps, f"m{i}.yml", read)
        loads += _load(wh, mapping, path).loads
    assert [(l.status, l.rows_loaded, l.rows_quarantined) for l in loads] == [("loaded", 3, 0)] * len(files), \
        [(l.file, l.message, l.samples) for l in loads]
    by_file = _payments_by_file(wh)
    assert len(by_file) == len(files)
    for name, rows in by_file.items():
        assert rows == EXPECTED_PAYMENTS, name


def test_xlsx_sheet_by_name_or_number(tmp_path):
    wh = tmp_path / "wh.duckdb"
    wb = openpyxl.Workbook()
    wb.active.title = "Notes"
    wb.active.append(["this sheet is not the data"])
    ws = wb.create_sheet("Payments")
    ws.append(PAY_HEADER)
    for r in PAY_ROWS:
        ws.append(list(r))
    wb.save(tmp_path / "book.xlsx")
    by_name = _pay_mapping(tmp_path, "by_name.yml", "read: {sheet: Payments}")
    by_number = _pay_mapping(tmp_path, "by_number.yml", "read: {sheet: 2}")
    [a] = _load(wh, by_name, tmp_path / "book.xlsx").loads
    assert (a.status, a.rows_loaded) == ("loaded", 3)
    assert _payments_by_file(wh)["book.xlsx"] == EXPECTED_PAYMENTS
    [b] = _load(tmp_path / "wh2.duckdb", by_number, tmp_path / "book.xlsx").loads
    assert (b.status, b.rows_loaded) == ("loaded", 3)


@pytest.mark.parametrize("encoding", ["latin-1", "cp1252"])
def test_latin1_and_cp1252_files_load_the_right_characters(tmp_path, encoding):
    wh = tmp_path / "wh.duckdb"
    rows = list(PAY_ROWS)
    if encoding == "cp1252":  # characters cp1252 has and latin-1 has not
        rows.append(("P4", "A1", "Dunkin’ Donuts – “Reno”", "2024-09-01", "5.00"))
    path = _write_csv(tmp_path / "p.csv", PAY_HEADER, rows, encoding=encoding)
    assert "é".encode("utf-8") not in path.read_bytes()  # really not UTF-8
    mapping = _pay_mapping(tmp_path, "m.yml", f"read: {{encoding: {encoding}}}")
    [load] = _load(wh, mapping, path).loads
    assert (load.status, load.rows_loaded, load.rows_quarantined) == ("loaded", len(rows), 0), load.message
    names = [r["payee_name"] for r in _raw(wh, "payments")]
    assert names == [r[2] for r in rows]
    assert names[0] == "José Peña" and names[1] == "Ñandú Café"


def test_an_undecodable_byte_in_a_declared_encoding_rejects_the_file(tmp_path):
    wh = tmp_path / "wh.duckdb"
    path = tmp_path / "p.csv"
    path.write_bytes(",".join(PAY_HEADER).encode() + b"\nP1,A1,Bad \x81 byte,2024-07-01,1.00\n")  # 0x81 is undefined in cp1252
    [load] = _load(wh, _pay_mapping(tmp_path, "m.yml", "read: {encoding: cp1252}"), path).loads
    assert load.status == "rejected" and "not valid cp1252" in load.message


def test_a_non_utf8_file_without_read_encoding_is_not_loaded_with_replacement_characters(tmp_path):
    wh = tmp_path / "wh.duckdb"
    path = _write_csv(tmp_path / "p.csv", PAY_HEADER, PAY_ROWS, encoding="cp1252")
    [load] = _load(wh, _pay_mapping(tmp_path, "m.yml"), path).loads
    names = [r["payee_name"] for r in _raw(wh, "payments")]
    assert not any("\ufffd" in n for n in names), names
    assert load.status == "rejected" and "encoding" in load.message


def test_utf8_with_byte_order_mark(tmp_path):
    wh = tmp_path / "wh.duckdb"
    path = _write_csv(tmp_path / "p.csv", PAY_HEADER, PAY_ROWS, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbfId,")
    [load] = _load(wh, _pay_mapping(tmp_path, "m.yml"), path).loads  # the first column is "Id", not "\ufeffId"
    assert (load.status, load.rows_loaded) == ("loaded", 3), load.message
    assert _payments_by_file(wh)["p.csv"] == EXPECTED_PAYMENTS


def test_repeated_header_column_rejects_a_csv(tmp_path):
    wh = tmp_path / "wh.duckdb"
    path = _write_csv(tmp_path / "p.csv", PAY_HEADER + ["Amount"], [r + ("9.99",) for r in PAY_ROWS])
    [load] = _load(wh, _pay_mapping(tmp_path, "m.yml"), path).loads
    assert load.status == "rejected" and "'Amount' twice" in load.message


def test_repeated_header_column_rejects_an_xlsx(tmp_path):
    wh = tmp_path / "wh.duckdb"
    wb = openpyxl.Workbook()
    wb.active.append(PAY_HEADER + ["Amount"])
    for r in PAY_ROWS:
        wb.active.append(list(r) + ["9.99"])
    wb.save(tmp_path / "p.xlsx")
    [load] = _load(wh, _pay_mapping(tmp_path, "m.yml"), tmp_path / "p.xlsx").loads
    assert load.status == "rejected" and "'Amount' twice" in load.message


# ------------------------------------------------------------------------------------------ transforms
def _load_csv(tmp_path: Path, mapping_text: str, header: list[str], rows: list[tuple], name: str = "export.csv"):
    """Write rows as a CSV under landing/src, load it with the mapping; returns (load, wh, relative file name)."""
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    path = _write_csv(landing / "src" / name, header, rows)
    mapping = _write_mapping(tmp_path / "maps", mapping_text)
    [load] = _load(wh, mapping, path, landing=landing).loads
    assert load.status == "loaded", load.message
    return load, wh, f"src/{name}"


PAYMENTS_BASE = """
    version: 1
    entities:
      payments:
        columns:
          payment_id: Id
          state_code: {value: NV}
          agency_id: {value: A1}
          supplier_id: {value: S1}
          payment_date: {value: "2024-07-01"}
"""


def test_money_text_keeps_signs(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _cols(PAYMENTS_BASE, "amount: Amount"), ["Id", "Amount"], [
        ("P1", "$1,234.50"), ("P2", "(12.00)"), ("P3", "12.00-"), ("P4", "-7.25"), ("P5", " ($3.10) "),
        ("P6", "1,000.00-"), ("P7", "-$0.50"), ("P8", "$ 1 000.01"),
    ])
    assert (load.rows_loaded, load.rows_quarantined) == (8, 0), load.samples
    assert [(r["payment_id"], r["amount"]) for r in _raw(wh, "payments")] == [
        ("P1", Decimal("1234.50")), ("P2", Decimal("-12.00")), ("P3", Decimal("-12.00")), ("P4", Decimal("-7.25")),
        ("P5", Decimal("-3.10")), ("P6", Decimal("-1000.00")), ("P7", Decimal("-0.50")), ("P8", Decimal("1000.01")),
    ]
    [ledger] = _ledger(wh)
    assert ledger["amount_loaded"] == Decimal("1234.50") - 12 - 12 - Decimal("7.25") - Decimal("3.10") - 1000 - Decimal("0.50") \
        + Decimal("1000.01")


def test_decimal_comma(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _cols(PAYMENTS_BASE, """
        amount: {from: Betrag, decimal_comma: true}
        discount_taken: {from: Skonto, decimal_comma: true}
        """), ["Id", "Betrag", "Skonto"], [
        ("P1", "1.234,56", "0,5"), ("P2", "(1.234,56)", ""), ("P3", "1.234.567,89-", "12"), ("P4", "€ 7,10", "1 000,25"),
    ])
    assert (load.rows_loaded, load.rows_quarantined) == (3, 1), load.samples
    assert [(r["payment_id"], r["amount"], r["discount_taken"]) for r in _raw(wh, "payments")] == [
        ("P1", Decimal("1234.56"), Decimal("0.50")), ("P2", Decimal("-1234.56"), None),
        ("P3", Decimal("-1234567.89"), Decimal("12.00")),
    ]
    # only "$" is a currency sign the money parser removes
    assert _quarantine(wh, "payments")[0]["_reason"] == "amount (from 'Betrag'): '€ 7.10' is not a valid money"


def test_money_with_the_currency_sign_before_the_parentheses_is_negative(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _cols(PAYMENTS_BASE, "amount: Amount\n"), ["Id", "Amount"],
                            [("P1", "$(3.10)"), ("P2", "$ (1,234.00)")])
    assert [r["amount"] for r in _raw(wh, "payments")] == [Decimal("-3.10"), Decimal("-1234.00")]


def test_money_with_more_decimals_than_kept_is_quarantined_not_rounded(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _cols(PAYMENTS_BASE, "amount: Amount\n"), ["Id", "Amount"],
                            [("P1", "1.005"), ("P2", "1.00")])
    assert (load.rows_loaded, load.rows_quarantined) == (1, 1)
    assert ("amount (from 'Amount'): '1.005' has more decimals than money keeps (2): not rounded "
            "(a mapping can round it: round: 2)") in _quarantine(wh, "payments")[0]["_reason"]


def test_date_format_list(tmp_path):
    load, wh, _ = _load_csv(tmp_path, """
        version: 1
        entities:
          payments:
            columns:
              payment_id: Id
              state_code: {value: NV}
              agency_id: {value: A1}
              supplier_id: {value: S1}
              amount: {value: "1.00"}
              payment_date: {from: Paid, date_format: ["%d.%m.%Y", "%Y%m%d", "%d %b %Y"]}
        """, ["Id", "Paid"], [
        ("P1", "31.01.2024"), ("P2", "20240215"), ("P3", " 3 Mar 2024 "), ("P4", "2024-04-30"), ("P5", "31.02.2024"), ("P6", "soon"),
    ])
    assert (load.rows_loaded, load.rows_quarantined) == (4, 2)
    assert [(r["payment_id"], r["payment_date"]) for r in _raw(wh, "payments")] == [
        ("P1", dt.date(2024, 1, 31)), ("P2", dt.date(2024, 2, 15)), ("P3", dt.date(2024, 3, 3)), ("P4", dt.date(2024, 4, 30))]
    reasons = [r["_reason"] for r in _quarantine(wh, "payments")]
    assert reasons == ["payment_date (from 'Paid'): '31.02.2024' is not a valid date",
                       "payment_date (from 'Paid'): 'soon' is not a valid date"]


def test_a_two_digit_year_is_not_the_year_24(tmp_path):
    load, wh, _ = _load_csv(tmp_path, """
        version: 1
        entities:
          suppliers:
            columns:
              supplier_id: Id
              supplier_name: Name
              registration_valid_from: From
              registration_valid_to: {from: To, date_format: "%m/%d/%Y"}
        """, ["Id", "Name", "From", "To"], [("S1", "Acme", "07/01/24", "06/30/25")])
    # loaded as 2024-07-01 and 2025-06-30, or quarantined: never a date in the first century
    dates = [(r["registration_valid_from"], r["registration_valid_to"]) for r in _raw(wh, "suppliers")]
    assert all(d.year > 1900 for pair in dates for d in pair), dates


PO_BASE = """
    version: 1
    entities:
      purchase_orders:
        columns:
          po_id: PO
          po_number: PO
          state_code: {value: NV}
          agency_id: {value: A1}
          supplier_id: {value: S1}
          po_date: {value: "2024-07-01"}
          total_amount: {value: "10.00"}
"""


def test_map_passes_an_unmapped_value_through_to_quarantine_naming_value_and_source(tmp_path):
    load, wh, rel = _load_csv(tmp_path, _cols(PO_BASE, """
              status:
                from: Status
                map: {"3PS - Sent": open, "3PCO - Closed": closed}
        """), ["PO", "Status"], [("PO1", "3PS - Sent"), ("PO2", " 3PCO - Closed "), ("PO3", "3PX - Lost"), ("PO4", "received")])
    assert (load.rows_loaded, load.rows_quarantined) == (3, 1)
    assert [(r["po_id"], r["status"]) for r in _raw(wh, "purchase_orders")] == [
        ("PO1", "open"), ("PO2", "closed"), ("PO4", "received")]  # a canonical value passes through unchanged
    [q] = _quarantine(wh, "purchase_orders")
    assert (q["po_id"], q["status"], q["_row_number"], q["_file"]) == ("PO3", "3PX - Lost", 3, rel)
    assert q["_reason"].startswith("status (from 'Status'): '3PX - Lost' is not one of open, ")


def test_map_default_replaces_unmapped_values_but_not_blanks(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _cols(PO_BASE, """
              status: {from: Status, map: {"3PS - Sent": open}, map_default: closed}
        """), ["PO", "Status"], [("PO1", "3PS - Sent"), ("PO2", "3PX - Lost"), ("PO3", "")])
    assert [(r["po_id"], r["status"]) for r in _raw(wh, "purchase_orders")] == [("PO1", "open"), ("PO2", "closed")]
    [q] = _quarantine(wh, "purchase_orders")
    assert q["po_id"] == "PO3" and q["_reason"] == "status (from 'Status'): required value is empty"


def test_cases_test_the_value_or_another_column_then_default(tmp_path):
    load, wh, _ = _load_csv(tmp_path, """
        version: 1
        entities:
          agencies:
            columns:
              agency_id: Code
              agency_name: Name
              state_code: {value: NV}
              agency_type:
                from: Name
                cases:
                  - {match: "(?i)university|college", value: higher_education}
                  - {column: Level, match: "^K-?12$", value: k12}
                  - {column: Level, match: "^City|County$", value: local_government}
                default: state_agency
        """, ["Code", "Name", "Level"], [
        ("A1", "University of Nevada, Reno", ""), ("A2", "Washoe County School District", "K12"),
        ("A3", "Department of Corrections", ""), ("A4", "Truckee Meadows Community College", "K-12"),
        ("A5", "Reno", "City"),
    ])
    assert (load.rows_loaded, load.rows_quarantined) == (5, 0)
    assert [(r["agency_id"], r["agency_type"]) for r in _raw(wh, "agencies")] == [
        ("A1", "higher_education"), ("A2", "k12"), ("A3", "state_agency"), ("A4", "higher_education"), ("A5", "local_government")]


def test_cases_without_default_give_null_when_nothing_matches(tmp_path):
    load, wh, _ = _load_csv(tmp_path, """
        version: 1
        entities:
          agencies:
            columns:
              agency_id: Code
              agency_name: Name
              state_code: {value: NV}
              agency_type: {from: Name, cases: [{match: "(?i)school", value: k12}]}
        """, ["Code", "Name"], [("A1", "Elko School District"), ("A2", "Elko Library")])
    assert (load.rows_loaded, load.rows_quarantined) == (1, 1)
    assert _quarantine(wh, "agencies")[0]["_reason"] == "agency_type (from 'Name'): required value is empty"


def test_template_with_a_blank_part_is_null_and_a_required_column_is_quarantined(tmp_path):
    load, wh, rel = _load_csv(tmp_path, """
        version: 1
        entities:
          agencies:
            columns:
              agency_id: {template: "{State}-{Code}"}
              agency_name: Name
              state_code: State
              agency_type: {value: state_agency}
        """, ["State", "Code", "Name"], [("NV", " 003 ", "Corrections"), ("NV", "  ", "Parks"), ("NV", "007", "Roads")])
    assert (load.rows_loaded, load.rows_quarantined) == (2, 1)
    assert [r["agency_id"] for r in _raw(wh, "agencies")] == ["NV-003", "NV-007"]  # parts are trimmed
    [q] = _quarantine(wh, "agencies")
    assert q["agency_id"] is None and q["_row_number"] == 2
    assert q["_reason"] == "agency_id (template '{State}-{Code}'): required value is empty"
    assert load.samples == [f"{rel}:2 [agency_id] agency_id (template '{{State}}-{{Code}}'): required value is empty"]


def test_split_and_extract(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _cols(PAYMENTS_BASE, """
              amount: {value: "1.00"}
              contract_id: {from: Ref, split: {separator: ":", part: 1}}
              invoice_id: {from: Ref, split: {separator: ":", part: 2}}
              commodity_code: {from: Memo, extract: "UNSPSC (\\\\d{8})"}
              bank_account: {from: Memo, extract: "\\\\d{4}$"}
        """), ["Id", "Ref", "Memo"], [
        ("P1", "C77:12", "laptops UNSPSC 43211503 acct 1234"),
        ("P2", "PO-9", "no code here"),
        ("P3", "C78:", "UNSPSC 4321 acct 5678"),
    ])
    assert (load.rows_loaded, load.rows_quarantined) == (3, 0)
    got = [(r["contract_id"], r["invoice_id"], r["commodity_code"], r["bank_account"]) for r in _raw(wh, "payments")]
    assert got == [
        ("C77", "12", "43211503", "1234"),
        (None, None, None, None),           # separator absent: NULL, not the whole value; no match: NULL
        ("C78", None, None, "5678"),        # empty part: NULL
    ]


def test_default_fills_empty_values(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _cols(PAYMENTS_BASE, """
              amount: Amount
              payment_method: {from: Method, default: ach}
              currency: {from: Currency, default: USD}
        """), ["Id", "Amount", "Method", "Currency"], [("P1", "1.00", "", "CAD"), ("P2", "2.00", "check", " ")])
    assert [(r["payment_method"], r["currency"]) for r in _raw(wh, "payments")] == [("ach", "CAD"), ("check", "USD")]


def test_null_values_are_empty(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _cols(_text(PAYMENTS_BASE).replace("version: 1\n", 'version: 1\nread: {null_values: ["N/A", "-"]}\n'), """
              amount: Amount
              payee_name: Payee
              contract_id: Contract
        """), ["Id", "Amount", "Payee", "Contract"], [("P1", "1.00", "N/A", "-"), ("P2", "N/A", "Acme", "C1"), ("P3", "3.00", "n/a", " - ")])
    assert (load.rows_loaded, load.rows_quarantined) == (2, 1)
    assert [(r["payment_id"], r["payee_name"], r["contract_id"]) for r in _raw(wh, "payments")] == [
        ("P1", None, None), ("P3", "n/a", None)]  # exact texts (after trimming), case-sensitive
    assert _quarantine(wh, "payments")[0]["_reason"] == "amount (from 'Amount'): required value is empty"


def test_null_values_apply_to_source_values_before_transforms(tmp_path):
    load, wh, _ = _load_csv(tmp_path, 'version: 1\nread: {null_values: ["N/A"]}\n' + _text("""
        entities:
          suppliers:
            columns:
              supplier_id: {template: "{Id}-{Name}"}
              supplier_name: {from: Name, default: unknown}
              city: {from: Kind, map: {x: Reno}, map_default: Elko}
        """), ["Id", "Name", "Kind"], [("S1", "N/A", "N/A"), ("S2", "Acme", "x")])
    raw = [(r["supplier_id"], r["supplier_name"], r["city"]) for r in _raw(wh, "suppliers")]
    quarantined = [(r["supplier_id"], r["supplier_name"], r["city"]) for r in _quarantine(wh, "suppliers")]
    # S1: "N/A" is empty: the template gives NULL (quarantined), default and map_default do not apply to it
    assert raw == [("S2-Acme", "Acme", "Reno")]
    assert quarantined == [(None, "unknown", None)]


def test_distinct_keeps_the_first_occurrence_per_key(tmp_path):
    load, wh, _ = _load_csv(tmp_path, """
        version: 1
        entities:
          agencies:
            distinct: true
            columns:
              agency_id: {template: "NV-{Org}"}
              agency_name: Org Name
              state_code: {value: NV}
              agency_type: {value: state_agency}
        """, ["PO", "Org", "Org Name"], [
        ("1", "A1", "Dept of Roads"), ("2", "A2", "Dept of Parks"), ("3", "A1", "Dept of Roads (renamed)"),
        ("4", " A2 ", "Parks again"), ("5", "A3", "Dept of Fish"),
    ])
    assert (load.rows_in, load.rows_loaded) == (3, 3)
    assert "distinct: 3 row(s) from 5 file row(s) (one per agency_id)" in load.message
    assert [(r["agency_id"], r["agency_name"], r["_row_number"]) for r in _raw(wh, "agencies")] == [
        ("NV-A1", "Dept of Roads", 1), ("NV-A2", "Dept of Parks", 2), ("NV-A3", "Dept of Fish", 5)]


def test_quarantined_rows_name_file_row_and_column_with_its_source(tmp_path):
    load, wh, rel = _load_csv(tmp_path, _cols(PAYMENTS_BASE.replace('payment_date: {value: "2024-07-01"}', "payment_date: Paid"), """
              amount: Amount
        """), ["Id", "Paid", "Amount"], [("P1", "2024-07-01", "1.00"), ("P2", "2024-13-45", "2.00"), ("P3", "2024-07-03", "12x")],
        name="pay ments.csv")
    assert (load.rows_loaded, load.rows_quarantined) == (1, 2)
    assert load.samples == [
        f"{rel}:2 [payment_date] payment_date (from 'Paid'): '2024-13-45' is not a valid date",
        f"{rel}:3 [amount] amount (from 'Amount'): '12x' is not a valid money",
    ]
    q = _quarantine(wh, "payments")
    assert [(r["_file"], r["_row_number"], r["_columns"], r["payment_date"], r["amount"]) for r in q] == [
        (rel, 2, "payment_date", "2024-13-45", "2.00"), (rel, 3, "amount", "2024-07-03", "12x")]
    [ledger] = _ledger(wh)
    assert (ledger["rows_in"], ledger["rows_loaded"], ledger["rows_quarantined"]) == (3, 1, 2)
    assert ledger["amount_loaded"] == Decimal("1.00") and ledger["amount_quarantined"] == Decimal("2.00")


# ------------------------------------------------------------------------------------------ landing convention
def _suppliers_xlsx(path: Path, rows: list[tuple]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    wb.active.append(["Vendor ID", "Vendor Name"])
    for r in rows:
        wb.active.append(list(r))
    wb.save(path)
    return path


VENDORS_MAPPING = """
    version: 1
    files: ["vendor_list*.xlsx", "vendor_list*.csv"]
    entities:
      suppliers:
        columns:
          supplier_id: {template: "V-{Vendor ID}"}
          supplier_name: Vendor Name
"""


def test_a_mapping_in_the_landing_folder_loads_its_files_without_flags(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    portal = landing / "vendor_portal"
    _write_mapping(portal, VENDORS_MAPPING, "vendors.yml")
    _suppliers_xlsx(portal / "vendor_list_2024.xlsx", [("1", "Acme"), ("2", "Bolt")])
    _suppliers_xlsx(portal / "2025" / "vendor_list.xlsx", [("3", "Cog")])  # no match: globs are relative to the mapping's folder
    _write_csv(portal / "VENDOR_LIST_B.CSV", ["Vendor ID", "Vendor Name"], [("4", "Dyn")])  # globs ignore case
    report = ingest(landing, wh)
    assert report.mapping_errors == []
    loads = {l.file: l for l in report.loads}
    assert set(loads) == {"vendor_portal/vendor_list_2024.xlsx", "vendor_portal/VENDOR_LIST_B.CSV"}
    assert all(l.status == "loaded" for l in loads.values())
    assert any("vendor_portal/2025/vendor_list.xlsx" in u for u in report.unrecognised)
    raw = _raw(wh, "suppliers", "supplier_id")
    assert [(r["supplier_id"], r["supplier_name"], r["_source"]) for r in raw] == [
        ("V-1", "Acme", "vendor_portal"), ("V-2", "Bolt", "vendor_portal"), ("V-4", "Dyn", "vendor_portal")]


def test_an_invalid_mapping_in_the_landing_folder_is_reported_and_its_files_not_loaded(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    portal = landing / "vendor_portal"
    mapping = _write_mapping(portal, VENDORS_MAPPING.replace("supplier_name: Vendor Name", "supplier_nam: Vendor Name"), "vendors.yml")
    _suppliers_xlsx(portal / "vendor_list_2024.xlsx", [("1", "Acme")])
    _write_csv(landing / "checkbook" / "agencies.csv", ["agency_id", "state_code", "agency_name", "agency_type"],
               [("A1", "NV", "Dept of Roads", "state_agency")])
    report = ingest(landing, wh)
    [error] = report.mapping_errors
    assert error.startswith(f"{mapping}:7: suppliers has no column 'supplier_nam'")
    assert [(l.file, l.status) for l in report.loads] == [("checkbook/agencies.csv", "loaded")]
    assert _raw(wh, "suppliers") == [] and _quarantine(wh, "suppliers") == []
    assert [r["agency_id"] for r in _raw(wh, "agencies")] == ["A1"]


def test_the_files_of_an_invalid_mapping_are_not_loaded_even_when_named_after_an_entity(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    nv = landing / "nevada_epro"
    _write_mapping(nv, """
        version: 1
        files: ["purchase_orders*.csv"]
        entities:
          purchase_orders:
            columns: {po_id: "PO #", bogus: Total}
        """, "purchase_orders.yml")
    _write_csv(nv / "purchase_orders.csv", ["PO #", "Total"], [("P1", "5.00")])
    report = ingest(landing, wh)
    assert len(report.mapping_errors) == 1
    assert report.loads == []
    assert _ledger(wh) == []


def test_the_same_file_delivered_twice_is_loaded_once_per_entity(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    src = landing / "nevada"
    _write_mapping(src, """
        version: 1
        files: ["po_*.csv"]
        entities:
          suppliers:
            distinct: true
            columns:
              supplier_id: {template: "NAME:{Vendor}"}
              supplier_name: Vendor
          agencies:
            distinct: true
            columns:
              agency_id: {template: "NV-{Org}"}
              agency_name: Org
              state_code: {value: NV}
              agency_type: {value: state_agency}
        """)
    rows = [("PO1", "Acme", "Roads"), ("PO2", "Bolt", "Roads"), ("PO3", "Acme", "Parks")]
    first = _write_csv(src / "po_2024-07.csv", ["PO", "Vendor", "Org"], rows)
    (src / "po_2024-07 (copy).csv").write_bytes(first.read_bytes())
    report = ingest(landing, wh)
    statuses = sorted((l.entity, l.status) for l in report.loads)
    assert statuses == [("agencies", "loaded"), ("agencies", "skipped_duplicate"),
                        ("suppliers", "loaded"), ("suppliers", "skipped_duplicate")]
    assert len(_raw(wh, "suppliers")) == 2 and len(_raw(wh, "agencies")) == 2
    again = ingest(landing, wh)
    assert {l.status for l in again.loads} == {"skipped_duplicate"} and len(again.loads) == 4
    # entities load parents first, in the canonical schema's order (agencies before suppliers)
    assert [(r["entity"], r["status"]) for r in _ledger(wh)] == [("agencies", "loaded"), ("suppliers", "loaded")]


def test_two_mappings_read_two_sheets_of_one_workbook(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    src = landing / "vendor_portal"
    src.mkdir(parents=True)
    wb = openpyxl.Workbook()
    wb.active.title = "Suppliers"
    wb.active.append(["Id", "Name"])
    wb.active.append(["S1", "Acme"])
    ws = wb.create_sheet("Agencies")
    ws.append(["Code", "Agency"])
    ws.append(["A1", "Dept of Roads"])
    wb.save(src / "export.xlsx")
    _write_mapping(src, """
        files: [export.xlsx]
        read: {sheet: Suppliers}
        entities:
          suppliers:
            columns: {supplier_id: Id, supplier_name: Name}
        """, "suppliers.yml")
    _write_mapping(src, """
        files: [export.xlsx]
        read: {sheet: Agencies}
        entities:
          agencies:
            columns: {agency_id: Code, agency_name: Agency, state_code: {value: NV}, agency_type: {value: state_agency}}
        """, "agencies.yml")
    report = ingest(landing, wh)
    assert sorted((l.entity, l.status) for l in report.loads) == [("agencies", "loaded"), ("suppliers", "loaded")], \
        [l.message for l in report.loads]


# ------------------------------------------------------------------------------------------ the shipped NASPO mapping
NASPO_MAPPING = Path(__file__).parents[2] / "mappings" / "naspo_valuepoint" / "sales_report.yml"
NASPO_HEADER = [
    "Master Agreement Number", "Contractor Name", "Contractor ID", "State", "Customer Type", "Customer Name",
    "Customer Bill-To Address", "Contractor Order Number", "Customer PO Number", "Order Type", "PO Date", "Ship Date",
    "Invoice Date", "Invoice Number", "Product Number", "Product Description", "UNSPSC", "Unit of Measure",
    "List Price/MSRP", "Contract Price", "Quantity", "Total Price", "NASPO ValuePoint Admin Fee", "Dealer",
]


def _naspo_line(**over) -> list[str]:
    line = {
        "Master Agreement Number": "MA-2019-001", "Contractor Name": "Acme Computers", "Contractor ID": "V1", "State": "NV",
        "Customer Type": "State Agency", "Customer Name": "Dept of Corrections", "Customer Bill-To Address": "1 Main St, Carson City",
        "Contractor Order Number": "SO1", "Customer PO Number": "CPO1", "Order Type": "Sales Order", "PO Date": "01/02/2024",
        "Ship Date": "01/03/2024", "Invoice Date": "01/04/2024", "Invoice Number": "I1", "Product Number": "P-1",
        "Product Description": "Laptop", "UNSPSC": "43211503", "Unit of Measure": "EA", "List Price/MSRP": "$1,500.00",
        "Contract Price": "1,234.5000", "Quantity": "1", "Total Price": "$1,234.50", "NASPO ValuePoint Admin Fee": "$3.09",
        "Dealer": "",
    }
    for key, value in over.items():
        assert key.replace("_", " ") in line, key
        line[key.replace("_", " ")] = value
    return [line[h] for h in NASPO_HEADER]


def _naspo_report(path: Path, lines: list[list[str]]) -> Path:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["NASPO ValuePoint Detailed Sales Report"])
    writer.writerow(["Contractor: Acme Computers", "Reporting period: 2024 Q1"])
    writer.writerow(NASPO_HEADER)
    writer.writerows(lines)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def test_naspo_mapping_reads_contractor_spellings_signs_and_dates(tmp_path):
    wh = tmp_path / "wh.duckdb"
    report = _naspo_report(tmp_path / "2024Q1_sales_report.csv", [
        _naspo_line(Contractor_Order_Number="SO1", Customer_Type="Higher Ed", PO_Date="1/5/24", Ship_Date="01/06/2024",
                    Invoice_Date="2024-01-07", Dealer="N/A"),
        _naspo_line(Contractor_Order_Number="SO2", Customer_Type="K12", Order_Type="Credit", Quantity="(1)",
                    Total_Price="(1,234.50)", NASPO_ValuePoint_Admin_Fee="($3.09)"),
        _naspo_line(Contractor_Order_Number="SO3", Customer_Type="County", Order_Type="Return", Quantity="-1",
                    Total_Price="-1234.50", NASPO_ValuePoint_Admin_Fee="-3.09"),
        _naspo_line(Contractor_Order_Number="SO4", Customer_Type="Nonprofit", Order_Type="Return", Quantity="1-",
                    Total_Price="1234.50-", NASPO_ValuePoint_Admin_Fee="3.09-"),
        _naspo_line(Contractor_Order_Number="SO5", Customer_Type="k12", Order_Type="Upgrade", Dealer="Reseller Inc."),
        _naspo_line(Contractor_Order_Number="SO6", Customer_Type="Tribal Nation"),
        _naspo_line(Contractor_Order_Number="SO7", Product_Number=" "),
        _naspo_line(Contractor_Order_Number="SO8", Order_Type="Sales order"),
    ])
    [load] = _load(wh, NASPO_MAPPING, report).loads
    assert (load.status, load.rows_in, load.rows_loaded, load.rows_quarantined) == ("loaded", 8, 5, 3), load.message
    raw = {r["contractor_order_number"]: r for r in _raw(wh, "coop_sales")}
    assert raw["SO1"]["sales_line_id"] == "MA-2019-001:SO1-I1-P-1"
    assert {k: raw["SO1"][k] for k in ("master_contract_id", "coop_program", "supplier_id", "state_code", "customer_type",
                                       "order_type", "po_date", "ship_date", "invoice_date", "commodity_code", "list_price",
                                       "contract_price", "quantity", "total", "admin_fee", "dealer", "agency_id")} == {
        "master_contract_id": "MA-2019-001", "coop_program": "NASPO ValuePoint", "supplier_id": "V1", "state_code": "NV",
        "customer_type": "higher_education", "order_type": "sale", "po_date": dt.date(2024, 1, 5),
        "ship_date": dt.date(2024, 1, 6), "invoice_date": dt.date(2024, 1, 7), "commodity_code": "43211503",
        "list_price": Decimal("1500"), "contract_price": Decimal("1234.5"), "quantity": Decimal("1"),
        "total": Decimal("1234.50"), "admin_fee": Decimal("3.09"), "dealer": None, "agency_id": None}
    signs = {k: (r["customer_type"], r["order_type"], r["quantity"], r["total"], r["admin_fee"]) for k, r in raw.items()}
    assert signs == {
        "SO1": ("higher_education", "sale", 1, Decimal("1234.50"), Decimal("3.09")),
        "SO2": ("k12", "credit", -1, Decimal("-1234.50"), Decimal("-3.09")),
        "SO3": ("local_government", "return", -1, Decimal("-1234.50"), Decimal("-3.09")),
        "SO4": ("non_profit", "return", -1, Decimal("-1234.50"), Decimal("-3.09")),
        "SO5": ("k12", "upgrade", 1, Decimal("1234.50"), Decimal("3.09")),
    }
    reasons = {r["contractor_order_number"]: r["_reason"] for r in _quarantine(wh, "coop_sales")}
    assert reasons["SO6"].startswith("customer_type (from 'Customer Type'): 'Tribal Nation' is not one of ")
    assert reasons["SO7"].startswith("sales_line_id (template '{Master Agreement Number}:{Contractor Order Number}-"
                                     "{Invoice Number}-{Product Number}'): required value is empty")
    assert "product_number (from 'Product Number'): required value is empty" in reasons["SO7"]
    assert reasons["SO8"].startswith("order_type (from 'Order Type'): 'Sales order' is not one of ")  # maps are case-sensitive


def test_naspo_mapping_rejects_a_report_without_agreement_and_contractor_columns(tmp_path):
    wh = tmp_path / "wh.duckdb"
    header = [h for h in NASPO_HEADER if h not in ("Master Agreement Number", "Contractor ID")]
    path = tmp_path / "sales_report.csv"
    path.write_text("NASPO ValuePoint Detailed Sales Report\nContractor: Acme\n" + ",".join(header) + "\n", encoding="utf-8")
    [load] = _load(wh, NASPO_MAPPING, path).loads
    lines = load_mapping(NASPO_MAPPING).source_columns()
    assert load.status == "rejected"
    assert f"line {lines['Master Agreement Number']}: 'Master Agreement Number'" in load.message
    assert f"line {lines['Contractor ID']}: 'Contractor ID'" in load.message
    assert "the file's columns: 'Contractor Name', 'State'," in load.message


# ------------------------------------------------------------------------------------------ aggregation, filters, coalesce, round, lookup
PO_FROM_LINES = """
    version: 1
    entities:
      purchase_orders:
        group_by: [po_id]
        columns:
          po_id: PO
          po_number: PO
          state_code: {value: NV}
          agency_id: Dept
          supplier_id: Vendor
          po_date: {from: Approved, aggregate: min}
          total_amount: {from: Amount, aggregate: sum}
          status: {from: Status, aggregate: first}
          contract_id: {from: Buyer, aggregate: any}
"""
PO_LINES_HEADER = ["PO", "Line", "Dept", "Vendor", "Approved", "Amount", "Status", "Buyer"]


def test_group_by_aggregates_lines_into_headers(tmp_path):
    load, wh, _ = _load_csv(tmp_path, PO_FROM_LINES, PO_LINES_HEADER, [
        ("P1", "1", "D1", "V1", "2024-03-05", "100.10", "open", ""),
        ("P1", "2", "D1", "V1", "03/01/2024", "$1,000.00", "closed", "B7"),
        ("P2", "1", "D2", "V2", "2024-04-01", "552169.81000000006", "open", ""),
        (" P1 ", "3", "D1", "", "2024-03-09", "(0.10)", "open", "B8"),
    ])
    assert (load.rows_in, load.rows_loaded, load.rows_quarantined) == (2, 2, 0)
    assert "group_by: 2 row(s) from 4 file row(s) (one per po_id)" in load.message
    rows = {r["po_id"]: r for r in _raw(wh, "purchase_orders")}
    p1 = rows["P1"]
    # sum of the parsed amounts (money text, a credit in parentheses), min of dates in two formats,
    # first row's status, first non-empty buyer; a blank supplier on one line does not disagree
    assert (p1["total_amount"], p1["po_date"], p1["status"], p1["contract_id"], p1["supplier_id"], p1["_row_number"]) == (
        Decimal("1100.00"), dt.date(2024, 3, 1), "open", "B7", "V1", 1)
    assert rows["P2"]["total_amount"] == Decimal("552169.81")


def test_group_rows_that_disagree_or_hold_a_bad_value_are_quarantined_naming_the_rows(tmp_path):
    load, wh, _ = _load_csv(tmp_path, PO_FROM_LINES, PO_LINES_HEADER, [
        ("P1", "1", "D1", "V1", "2024-03-05", "100.00", "open", ""),
        ("P1", "2", "D1", "V9", "2024-03-05", "5.00", "open", ""),
        ("P2", "1", "D2", "V2", "2024-04-01", "12.00", "open", ""),
        ("P2", "2", "D2", "V2", "2024-04-01", "twelve", "open", ""),
        ("", "1", "D3", "V3", "2024-04-01", "1.00", "open", ""),
        ("", "2", "D3", "V3", "2024-04-01", "2.00", "open", ""),
        ("P3", "1", "D3", "V3", "2024-05-01", "3.00", "open", ""),
    ])
    # P1, P2 and the two key-less lines (each a row of its own, never merged) are quarantined; P3 loads
    assert (load.rows_in, load.rows_loaded, load.rows_quarantined) == (5, 1, 4)
    reasons = {r["_row_number"]: (r["_reason"], r["_columns"]) for r in _quarantine(wh, "purchase_orders")}
    assert reasons[1] == ("supplier_id: the rows 1, 2 share po_id but disagree ('V1', 'V9'); "
                          "give it aggregate: first, any, min or max", "supplier_id")
    assert reasons[3][0].startswith("total_amount: sum over rows 3, 4: 'twelve' is not a valid money")
    assert reasons[3][1].split(",")[0] == "total_amount"
    assert sorted(reasons) == [1, 3, 5, 6]
    assert "po_id" in reasons[5][0] and "required value is empty" in reasons[5][0]


def test_where_and_skip_filter_rows_and_the_ledger_says_how_many(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _text("""
        version: 1
        skip: [{column: Bid, empty: true}]
        entities:
          suppliers:
            where: [{column: Kind, equals: [vendor, both]}]
            skip:
              - {column: Name, matches: "(?i)^test"}
            columns:
              supplier_id: Id
              supplier_name: Name
        """), ["Id", "Name", "Kind", "Bid"], [
        ("S1", "Acme", "vendor", "B1"), ("S2", "Test Co", "vendor", "B2"), ("S3", "Beta", "agency", "B3"),
        ("S4", "Gamma", "both", ""), ("S5", "Delta", " both ", "B5"),
    ])
    assert [r["supplier_id"] for r in _raw(wh, "suppliers")] == ["S1", "S5"]
    assert (load.rows_in, load.rows_loaded, load.rows_quarantined) == (2, 2, 0)
    assert ("3 of 5 file row(s) left out by the mapping (kept where 'Kind' is 'vendor' or 'both'; skipped where "
            "'Bid' is empty or 'Name' matches '(?i)^test')") in load.message
    [ledger] = _ledger(wh)
    assert ledger["message"] == load.message and ledger["rows_in"] == 2


def test_coalesce_takes_the_first_non_empty_column(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _cols(PAYMENTS_BASE, """
        amount: {coalesce: [Net, Gross, Fallback]}
        """), ["Id", "Net", "Gross", "Fallback"], [
        ("P1", "10.00", "12.00", "1"), ("P2", " ", "12.00", "1"), ("P3", "", "", "7.50"), ("P4", "", "", ""),
    ])
    assert [(r["payment_id"], r["amount"]) for r in _raw(wh, "payments")] == [
        ("P1", Decimal("10.00")), ("P2", Decimal("12.00")), ("P3", Decimal("7.50"))]
    assert "amount: required value is empty" in _quarantine(wh, "payments")[0]["_reason"]


def test_round_rounds_half_away_from_zero_and_leaves_non_numbers_to_quarantine(tmp_path):
    load, wh, _ = _load_csv(tmp_path, _cols(PAYMENTS_BASE, """
        amount: {from: Amount, round: 2}
        """), ["Id", "Amount"], [
        ("P1", "1.005"), ("P2", "-2.675"), ("P3", "$1,234.5678"), ("P4", "(3.333)"), ("P5", "n/a"),
    ])
    assert [(r["payment_id"], r["amount"]) for r in _raw(wh, "payments")] == [
        ("P1", Decimal("1.01")), ("P2", Decimal("-2.68")), ("P3", Decimal("1234.57")), ("P4", Decimal("-3.33"))]
    assert "amount (from 'Amount'): 'n/a' is not a valid money" in _quarantine(wh, "payments")[0]["_reason"]


def test_lookup_maps_values_from_a_reference_file_beside_the_mapping(tmp_path):
    maps = tmp_path / "maps"
    _write_csv(maps / "vendors.csv", ["Vendor No", "Our Id"], [("100", "S-ACME"), ("200", "S-BETA")])
    text = _cols(PAYMENTS_BASE.replace("supplier_id: {value: S1}", "supplier_id: {from: Vendor, lookup: "
                                       "{file: vendors.csv, key: Vendor No, value: Our Id}, map: {'300': S-GAMMA}}"),
                 "amount: {value: '1.00'}\n")
    load, wh, _ = _load_csv(tmp_path, text, ["Id", "Vendor"], [("P1", "100"), ("P2", " 200 "), ("P3", "300"), ("P4", "999")])
    assert [(r["payment_id"], r["supplier_id"]) for r in _raw(wh, "payments")] == [
        ("P1", "S-ACME"), ("P2", "S-BETA"), ("P3", "S-GAMMA"), ("P4", "999")]  # unmatched passes through, like map
    # the lookup file is part of the mapping's identity: a changed file is a changed mapping
    before = load_mapping(maps / "mapping.yml").sha256
    _write_csv(maps / "vendors.csv", ["Vendor No", "Our Id"], [("100", "S-ACME2")])
    assert load_mapping(maps / "mapping.yml").sha256 != before


@pytest.mark.parametrize("spec, line, fragment", [
    ("{from: Status, map: {A: open}, cases: [{match: x, value: closed}]}", 5,
     "cases come after map/lookup and replace its result"),
    ("{from: Status, aggregate: sum}", 5, "aggregate sum needs a numeric column"),
    ("{from: Status, aggregate: median}", 5, "aggregate 'median' is not one of sum, min, max, first, any"),
    ("{from: Status, round: 2}", 5, "round applies to money and price columns (prices, quantities, rates), not string"),
    ("{coalesce: [Status]}", 5, "coalesce needs a list of two or more source columns"),
    ("{from: Status, lookup: {file: nowhere.csv, key: a, value: b}}", 5, "cannot read the lookup file"),
    ("{from: Status, aggregate: first}", 5, "aggregate needs purchase_orders.group_by"),
])
def test_new_mapping_keys_are_validated_with_file_and_line(tmp_path, spec, line, fragment):
    path, message = _mapping_error(tmp_path, f"""
        version: 1
        entities:
          purchase_orders:
            columns:
              status: {spec}
              po_id: PO
              po_number: PO
              state_code: {{value: NV}}
              agency_id: A
              supplier_id: S
              po_date: D
              total_amount: T
        """)
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message, message


def test_a_where_condition_and_round_are_validated(tmp_path):
    path, message = _mapping_error(tmp_path, _cols(PAYMENTS_BASE, "amount: {from: Amount, round: 3}\n"))
    assert message.startswith(f"{path}:10: ") and "round must be a whole number of decimals from 0 to 2" in message
    path, message = _mapping_error(tmp_path, """
        version: 1
        where: [{column: Kind, matches: a, empty: true}]
        entities:
          suppliers: {columns: {supplier_id: Id, supplier_name: Name}}
        """)
    assert message.startswith(f"{path}:2: ") and "give exactly one of matches, equals or empty" in message, message
