"""NASPO ValuePoint detailed sales reports through the shipped mapping (mappings/naspo_valuepoint/sales_report.yml).

The synthetic generator's cooperative sales lines of the NASPO ValuePoint programme are written out as the
contractors report them: one report per master agreement, an XLSX with a title block above the header,
"$" amounts with negatives in parentheses, MM/DD/YYYY dates and real date and number cells, and one report
as a CSV saved from the same template (UTF-8 with a byte-order mark, negatives as "-1234.00" and
"1234.00-", M/D/YY dates). The other programmes' lines stay a canonical file. coop_sales.csv is removed from
the landing folder, the reports are loaded with `procure ingest --mapping`, then `procure run` builds and
publishes everything.

A second installation runs the same generated data with the canonical coop_sales.csv. The reports must load
every line, and give the same raw values and totals per order type (credits and returns stay negative). They
must also give the same admin-fee KPI (12.4, cooperative fee compliance) in the published snapshot as that
canonical run.
"""

import csv
import datetime as dt
import io
import os
from collections import defaultdict
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from tests.conftest import _PATH_VARS as PATH_VARS
from warehouse.settings import REPO_ROOT

pytestmark = pytest.mark.e2e

MAPPING = REPO_ROOT / "mappings" / "naspo_valuepoint" / "sales_report.yml"
PROGRAM = "NASPO ValuePoint"
ADMIN_FEE_KPI = "12.4"  # Cooperative fee compliance (dbt_project/seeds/kpi_definitions.csv, docs/kpis.md)
# Variables export_environment() writes into os.environ during a run: restored after each installation.
EXPORTED_VARS = ("PROCURE_DUCKDB_MEMORY", "PROCURE_DUCKDB_THREADS")

HEADER = [
    "Master Agreement Number", "Contractor Name", "Contractor ID", "State", "Customer Type", "Customer Name",
    "Customer Bill-To Address", "Contractor Order Number", "Customer PO Number", "Order Type", "PO Date", "Ship Date",
    "Invoice Date", "Invoice Number", "Product Number", "Product Description", "UNSPSC", "Unit of Measure",
    "List Price/MSRP", "Contract Price", "Quantity", "Total Price", "NASPO ValuePoint Admin Fee", "Dealer",
]
# How contractors spell the canonical values (every spelling is used somewhere in the reports).
CUSTOMER_TYPES = {
    "state_agency": ["State Agency"],
    "higher_education": ["Higher Education", "Higher Ed"],
    "k12": ["K-12", "K12"],
    "local_government": ["Local Government", "City", "County"],
    "non_profit": ["Non-Profit", "Nonprofit"],
}
ORDER_TYPES = {"sale": ["Sales Order", "Sale"], "credit": ["Credit"], "return": ["Return"], "upgrade": ["Upgrade"]}
# Columns compared line by line between the report load and the canonical file (sales_line_id is derived,
# agency_id is not in the report).
COMPARED = ["master_contract_id", "coop_program", "supplier_id", "state_code", "customer_type", "customer_name",
            "customer_po_number", "contractor_order_number", "order_type", "po_date", "ship_date", "invoice_date",
            "invoice_number", "product_number", "product_description", "commodity_code", "unit_of_measure",
            "list_price", "contract_price", "quantity", "total", "admin_fee", "dealer"]


# ------------------------------------------------------------------------------------------ installations
def _remember(mp: pytest.MonkeyPatch, var: str) -> None:
    """Record var's current state so that leaving the context restores it, whatever a run sets meanwhile."""
    if var in os.environ:
        mp.setenv(var, os.environ[var])
    else:
        mp.setenv(var, "")
        mp.delenv(var)


@contextmanager
def _installation(home: Path):
    """Every path setting under `home` for the duration; the CLI's consoles captured (returned)."""
    from procure_cli import main

    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        for var in (*PATH_VARS, *EXPORTED_VARS):
            _remember(mp, var)
        for var in PATH_VARS:
            mp.delenv(var, raising=False)
        mp.setenv("PROCURE_HOME", str(home))
        mp.setenv("PROCURE_WAREHOUSE", str(home / "warehouse" / "procure.duckdb"))  # as export_environment() will
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        mp.setattr(main.console, "file", out)
        mp.setattr(main.err, "file", out)
        try:
            yield out
        finally:
            from warehouse.lock import release_process_holds

            release_process_holds()  # an in-process Dagster run holds the warehouse until released


def _procure(out: io.StringIO, *args: str) -> None:
    from procure_cli.main import app

    start = out.tell()
    result = CliRunner().invoke(app, list(args))
    out.seek(0, io.SEEK_END)
    printed = out.getvalue()[start:]
    assert result.exit_code == 0, f"procure {' '.join(args)} exited {result.exit_code}:\n{printed}\n{result.output}\n{result.exception!r}"


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


# ------------------------------------------------------------------------------------------ the reports
def _dec(text: str | None) -> Decimal | None:
    return Decimal(text) if text not in (None, "") else None


def _date(text: str | None) -> dt.date | None:
    return dt.date.fromisoformat(text) if text else None


def _usd(text: str | None) -> str | None:
    """'-1234.5' -> '($1,234.50)' as a contractor's spreadsheet shows it."""
    d = _dec(text)
    if d is None:
        return None
    body = f"${abs(d):,.2f}"
    assert Decimal(body[1:].replace(",", "")) == abs(d)  # nothing rounded on the way out
    return f"({body})" if d < 0 else body


def _csv_money(text: str | None, i: int) -> str | None:
    """The CSV variant: '1,234.50'; negatives alternate between '-1234.50' and '1234.50-'."""
    d = _dec(text)
    if d is None:
        return None
    if d >= 0:
        return f"{d:,.2f}"
    return f"-{abs(d):.2f}" if i % 2 else f"{abs(d):.2f}-"


def _whole(text: str) -> int:
    d = Decimal(text)
    assert d == d.to_integral_value(), text
    return int(d)


def _spelling(options: dict[str, list[str]], value: str, i: int) -> str:
    choices = options[value]
    return choices[i % len(choices)]


def _line(r: dict, i: int, contractor: str) -> dict:
    """The report's fields of one generated line, before formatting."""
    return {
        "Master Agreement Number": r["master_contract_id"], "Contractor Name": contractor, "Contractor ID": r["supplier_id"],
        "State": r["state_code"], "Customer Type": _spelling(CUSTOMER_TYPES, r["customer_type"], i),
        "Customer Name": r["customer_name"], "Customer Bill-To Address": f"{100 + i} Capitol Way, {r['state_code']}",
        "Contractor Order Number": r["contractor_order_number"], "Customer PO Number": r["customer_po_number"],
        "Order Type": _spelling(ORDER_TYPES, r["order_type"], i), "Product Number": r["product_number"],
        "Product Description": r["product_description"], "Unit of Measure": r["unit_of_measure"],
        "Invoice Number": r["invoice_number"], "Dealer": r["dealer"],
    }


def _write_xlsx(path: Path, rows: list[dict], contractor: str) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Detailed Sales"
    ws.append([f"NASPO ValuePoint Detailed Sales Report: master agreement {rows[0]['master_contract_id']}"])
    ws.append([f"Contractor: {contractor}", None, "Reporting period: all quarters to date"])
    ws.append(HEADER)
    for i, r in enumerate(rows):
        line = _line(r, i, contractor)
        line.update({
            "PO Date": _date(r["po_date"]).strftime("%m/%d/%Y"),           # text, as typed
            "Ship Date": _date(r["ship_date"]),                             # a real date cell
            "Invoice Date": _date(r["invoice_date"]).strftime("%m/%d/%Y"),
            "UNSPSC": int(r["commodity_code"]),                             # a number cell
            "List Price/MSRP": float(r["list_price"]), "Contract Price": float(r["contract_price"]),
            "Quantity": _whole(r["quantity"]),
            "Total Price": _usd(r["total"]), "NASPO ValuePoint Admin Fee": _usd(r["admin_fee"]),
        })
        ws.append([line[h] for h in HEADER])
        ws.cell(row=ws.max_row, column=HEADER.index("Ship Date") + 1).number_format = "mm/dd/yyyy"
    wb.save(path)


def _write_csv(path: Path, rows: list[dict], contractor: str) -> None:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([f"NASPO ValuePoint Detailed Sales Report: master agreement {rows[0]['master_contract_id']}"])
    writer.writerow([f"Contractor: {contractor}; reporting period: all quarters to date"])
    writer.writerow(HEADER)
    for i, r in enumerate(rows):
        line = _line(r, i, contractor)
        po, ship, inv = _date(r["po_date"]), _date(r["ship_date"]), _date(r["invoice_date"])
        line.update({
            "PO Date": f"{po.month}/{po.day}/{po:%y}",                      # M/D/YY
            "Ship Date": ship.isoformat(),
            "Invoice Date": f"{inv.month}/{inv.day}/{inv.year}",            # M/D/YYYY
            "UNSPSC": r["commodity_code"], "List Price/MSRP": r["list_price"], "Contract Price": r["contract_price"],
            "Quantity": str(_whole(r["quantity"])),
            "Total Price": _csv_money(r["total"], i),
            "NASPO ValuePoint Admin Fee": _usd(r["admin_fee"]) if i % 3 else _csv_money(r["admin_fee"], i),
        })
        writer.writerow(["" if line[h] is None else line[h] for h in HEADER])
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))  # Excel's "CSV UTF-8" writes a byte-order mark


def write_reports(lines: pl.DataFrame, suppliers: dict[str, str], folder: Path) -> tuple[list[Path], str]:
    """One report per master agreement: XLSX, except one as CSV (the smallest with both credits and returns).
    Returns the files and the master agreement written as CSV."""
    folder.mkdir(parents=True, exist_ok=True)
    by_master: dict[str, list[dict]] = defaultdict(list)
    for r in lines.iter_rows(named=True):
        by_master[r["master_contract_id"]].append(r)
    with_both = [m for m, rows in by_master.items() if {"credit", "return"} <= {r["order_type"] for r in rows}]
    as_csv = min(with_both, key=lambda m: (len(by_master[m]), m))
    files = []
    for master, rows in sorted(by_master.items()):
        contractor = suppliers[rows[0]["supplier_id"]]
        path = folder / f"{master}_sales_report.{'csv' if master == as_csv else 'xlsx'}"
        (_write_csv if master == as_csv else _write_xlsx)(path, rows, contractor)
        files.append(path)
    return files, as_csv


# ------------------------------------------------------------------------------------------ fixtures
@dataclass
class Installation:
    home: Path
    generated: pl.DataFrame          # the generator's coop_sales.csv, every column text
    reports: list[Path]
    csv_master: str

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse" / "procure.duckdb"

    @property
    def snapshot(self) -> Path:
        return self.home / "published" / "current.duckdb"


def _generated(home: Path) -> pl.DataFrame:
    return pl.read_csv(home / "landing" / "synthetic" / "coop_sales.csv", infer_schema=False)


@pytest.fixture(scope="module")
def canonical(default_home) -> Installation:
    """The baseline: the default data set as generated, coop_sales.csv included (built once per session by
    tests/e2e/conftest.py; the reported installation below generates the same default data)."""
    return Installation(default_home, _generated(default_home), [], "")


@pytest.fixture(scope="module")
def reported(tmp_path_factory) -> Installation:
    """The same data with the NASPO ValuePoint lines delivered as contractors' reports instead."""
    home = tmp_path_factory.mktemp("naspo-reports") / "data"
    with _installation(home) as out:
        _procure(out, "generate")
        landing = home / "landing" / "synthetic"
        generated = _generated(home)
        suppliers = dict(pl.read_csv(landing / "suppliers.csv", infer_schema=False).select("supplier_id", "supplier_name").iter_rows())
        naspo = generated.filter(pl.col("coop_program") == PROGRAM)
        assert 0 < naspo.height < generated.height
        (landing / "coop_sales.csv").unlink()
        generated.filter(pl.col("coop_program") != PROGRAM).write_csv(landing / "coop_sales__other_programs.csv")
        reports, csv_master = write_reports(naspo, suppliers, home / "reports")
        _procure(out, "ingest", "--mapping", str(MAPPING), *map(str, reports))
        _procure(out, "run")
    return Installation(home, generated, reports, csv_master)


def _report_loads(inst: Installation) -> list[tuple]:
    return _query(inst.warehouse, "SELECT file, status, rows_in, rows_loaded, rows_quarantined, message FROM raw._loads "
                                  "WHERE entity = 'coop_sales' AND source = 'naspo_valuepoint' ORDER BY file")


# ------------------------------------------------------------------------------------------ tests
def test_the_reports_are_xlsx_with_a_title_block_and_one_csv(reported):
    assert len(reported.reports) >= 3
    assert {p.suffix for p in reported.reports} == {".xlsx", ".csv"}
    sheet = openpyxl.load_workbook(next(p for p in reported.reports if p.suffix == ".xlsx")).active
    assert sheet["A1"].value.startswith("NASPO ValuePoint Detailed Sales Report")
    assert [c.value for c in sheet[3]] == HEADER
    values = [c.value for row in sheet.iter_rows(min_row=4) for c in row]
    assert any(isinstance(v, str) and v.startswith("($") for v in values)              # negatives in parentheses
    assert any(isinstance(v, dt.datetime) for v in values)                              # real date cells
    text = next(p for p in reported.reports if p.suffix == ".csv").read_bytes()
    assert text.startswith(b"\xef\xbb\xbfNASPO ValuePoint Detailed Sales Report")
    assert b'",' in text and b"-," in text                                                # "1,234.50" and 1234.50-


def test_every_report_line_is_loaded(reported):
    naspo = reported.generated.filter(pl.col("coop_program") == PROGRAM)
    loads = _report_loads(reported)
    assert [Path(f).name for f, *_ in loads] == sorted(p.name for p in reported.reports)
    for file, status, rows_in, loaded, quarantined, message in loads:
        assert (status, rows_in, quarantined) == ("loaded", loaded, 0), (file, message)
        assert str(MAPPING) in message
    assert sum(l[3] for l in loads) == naspo.height
    assert _query(reported.warehouse, "SELECT count(*) FROM raw.coop_sales WHERE _source = 'naspo_valuepoint'")[0][0] == naspo.height
    assert _query(reported.warehouse, "SELECT count(*) FROM quarantine.coop_sales")[0][0] == 0
    # no canonical coop_sales.csv was loaded, only the other programmes' file
    files = {r[0] for r in _query(reported.warehouse, "SELECT DISTINCT _file FROM raw.coop_sales WHERE _source = 'synthetic'")}
    assert files == {"synthetic/coop_sales__other_programs.csv"}


def _typed(r: dict) -> dict:
    """A generated line as raw.coop_sales types it."""
    out = {}
    for c in COMPARED:
        v = r[c]
        if c in ("po_date", "ship_date", "invoice_date"):
            out[c] = _date(v)
        elif c in ("list_price", "contract_price", "quantity", "total", "admin_fee"):
            out[c] = _dec(v)
        else:
            out[c] = v if v != "" else None
    return out


def test_each_report_line_equals_the_generated_line(reported):
    naspo = reported.generated.filter(pl.col("coop_program") == PROGRAM)
    con = duckdb.connect(str(reported.warehouse), read_only=True)
    try:
        cur = con.execute(f"SELECT sales_line_id, agency_id, _file, {', '.join(COMPARED)} FROM raw.coop_sales "
                          "WHERE _source = 'naspo_valuepoint'")
        names = [d[0] for d in cur.description]
        loaded = [dict(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()
    key = lambda r: (r["master_contract_id"], r["contractor_order_number"], r["invoice_number"], r["product_number"])
    by_key = {key(r): r for r in loaded}
    assert len(by_key) == len(loaded) == naspo.height  # the derived line key is unique in this data
    csv_lines = 0
    for r in naspo.iter_rows(named=True):
        got = by_key[key(r)]
        assert got["sales_line_id"] == "{}:{}-{}-{}".format(*key(r))
        assert got["agency_id"] is None
        assert {c: got[c] for c in COMPARED} == _typed(r), key(r)
        csv_lines += got["_file"].endswith(".csv")
    assert csv_lines == naspo.filter(pl.col("master_contract_id") == reported.csv_master).height > 0


def test_totals_per_order_type_equal_the_generated_file(reported):
    expected: dict[str, list] = defaultdict(lambda: [0, Decimal(0), Decimal(0), Decimal(0)])
    for r in reported.generated.iter_rows(named=True):
        e = expected[r["order_type"]]
        e[0] += 1
        e[1] += Decimal(r["total"])
        e[2] += Decimal(r["quantity"])
        e[3] += _dec(r["admin_fee"]) or 0
    got = {r[0]: list(r[1:]) for r in _query(
        reported.warehouse,
        "SELECT order_type, count(*), sum(total), sum(quantity), coalesce(sum(admin_fee), 0) FROM raw.coop_sales GROUP BY 1")}
    assert got == dict(expected)
    assert set(got) == {"sale", "credit", "return", "upgrade"}
    assert got["credit"][1] < 0 and got["return"][1] < 0 and got["sale"][1] > 0
    # line by line: credits and returns negative, sales and upgrades positive, in the reports as in the file
    signs = _query(reported.warehouse,
                   "SELECT order_type, min(sign(total)), max(sign(total)), min(sign(quantity)), max(sign(quantity)), "
                   "max(sign(admin_fee)) FROM raw.coop_sales WHERE _source = 'naspo_valuepoint' GROUP BY 1 ORDER BY 1")
    assert signs == [("credit", -1, -1, -1, -1, -1), ("return", -1, -1, -1, -1, -1),
                     ("sale", 1, 1, 1, 1, 1), ("upgrade", 1, 1, 1, 1, 1)]


def test_the_canonical_run_loaded_every_line(canonical):
    rows = _query(canonical.warehouse, "SELECT sum(rows_loaded), sum(rows_quarantined) FROM raw._loads WHERE entity = 'coop_sales'")
    assert rows == [(canonical.generated.height, 0)]


def _kpi_rows(inst: Installation) -> list[tuple]:
    con = duckdb.connect(str(inst.snapshot), read_only=True)
    try:
        cur = con.execute("SELECT * FROM kpi_values WHERE kpi_id = ?", [ADMIN_FEE_KPI])
        names = [d[0] for d in cur.description]
        rows = [tuple(zip(names, r)) for r in cur.fetchall()]
    finally:
        con.close()
    return sorted(rows, key=repr)


def test_admin_fee_kpi_equals_the_canonical_run(canonical, reported):
    assert canonical.generated.equals(reported.generated)  # the same generated data in both installations
    expected, got = _kpi_rows(canonical), _kpi_rows(reported)
    assert len(expected) > 10
    assert any(dict(r)["status"] != "no_data" and dict(r)["value"] is not None for r in expected)
    assert got == expected
