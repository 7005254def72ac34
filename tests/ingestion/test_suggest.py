"""`procure map --suggest` (ingestion/files/suggest.py) on real exports and on made-up values.

The real files are slices of West Virginia University's PO lines (tests/fixtures/wvu_purchases) and of Nevada's
eProcurement exports (tests/fixtures/nevada_epro), whose hand-written mappings ship in mappings/nevada_epro: the
drafts are compared with those. A draft is refused while a TODO is left, and once the TODOs are filled it loads
(through the trial load of `procure ingest --check`) with the quarantine its comments predicted.
"""

import csv
import io
from pathlib import Path

import polars as pl
import pytest
import yaml
from typer.testing import CliRunner

from ingestion.files.mapping import MappingError, load_mapping, parse_mapping
from ingestion.files.suggest import SuggestError, profile, suggest
from tests.conftest import FIXTURES

WVU = FIXTURES / "wvu_purchases" / "po_lines.csv"
NEVADA = FIXTURES / "nevada_epro"


def _columns(text: str, entity: str) -> dict:
    return yaml.safe_load(text)["entities"][entity]["columns"]


def _comment(text: str, column: str) -> str:
    """The comment lines just above `column:` in the draft."""
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.strip().startswith(f"{column}:"))
    out = []
    for line in reversed(lines[:at]):
        if not line.strip().startswith("#"):
            break
        out.append(line.strip())
    return "\n".join(reversed(out))


# ------------------------------------------------------------------------------------------ WVU PO lines
def test_wvu_po_lines_are_drafted_as_purchase_order_lines_with_the_pos_they_hold():
    draft = suggest(WVU)
    assert draft.entities == ["purchase_order_lines"]
    cols = _columns(draft.text, "purchase_order_lines")
    assert {k: cols[k] for k in ("po_id", "line_number", "quantity", "unit_of_measure", "unit_price", "line_amount")} == {
        "po_id": "Number", "line_number": "Line", "quantity": "Quantity", "unit_of_measure": "UOM",
        "unit_price": "Price", "line_amount": "Amount"}
    # purchase_orders places every required column too, but its key repeats (several lines per PO): ranked down,
    # offered as a second entity
    ranked = [f.entity.name for f in draft.ranked]
    assert ranked.index("purchase_orders") > 0
    assert "--entity purchase_order_lines --entity purchase_orders" in draft.text


def test_wvu_approved_date_is_the_po_date_with_its_format_and_amount_is_money():
    draft = suggest(WVU, ["purchase_order_lines", "purchase_orders"])
    pos = yaml.safe_load(draft.text)["entities"]["purchase_orders"]
    assert pos["distinct"] is True  # one PO per PO number, from its first line
    assert pos["columns"]["po_date"] == {"from": "Approved Date", "date_format": "%Y-%m-%d %H:%M:%S"}
    assert "high confidence" in _comment(draft.text, "po_date")
    assert pos["columns"]["total_amount"] == "Amount"
    assert "100% of 53 values are amounts" in _comment(draft.text, "total_amount")
    assert "a line's amount" in _comment(draft.text, "total_amount")  # a PO total is not a line's amount
    # spreadsheet float noise (131.30000000000001, 7597372.1200000001) is read as the value meant: no warning
    note = _comment(draft.text, "line_amount")
    assert "would be quarantined" not in note
    # the sampled codes: the certain ones mapped, the guess left to the user
    assert pos["columns"]["status"]["map"] == {"Closed": "closed", "Finally Closed": {"TODO": "closed?"}, "Open": "open"}
    assert pos["columns"]["state_code"] == {"TODO": "a constant {value: XX} or a source column"}
    assert "required and unmapped: state_code" in draft.text


def test_a_draft_is_refused_until_its_todos_are_filled_then_loads_as_its_comments_said(tmp_path):
    from ingestion.files.dryrun import dry_run

    text = suggest(WVU, ["purchase_order_lines", "purchase_orders"]).text
    path = tmp_path / "wvu.yml"
    # lines come first in the draft, and carry a status of their own
    with pytest.raises(MappingError, match=r"wvu\.yml:\d+: purchase_order_lines\.status: map 'Finally Closed': TODO left .*closed\?"):
        parse_mapping(text, path)
    text = text.replace('{TODO: "closed?"}', '"closed"')
    with pytest.raises(MappingError, match=r"wvu\.yml:\d+: purchase_orders\.state_code: TODO left from the suggested draft"):
        parse_mapping(text, path)
    path.write_text(text.replace('state_code: {TODO: "a constant {value: XX} or a source column"}', "state_code: {value: WV}"))
    mapping = load_mapping(path)
    checks = {c.entity: c for c in dry_run(mapping, [WVU])}
    lines, pos = checks["purchase_order_lines"], checks["purchase_orders"]
    # every line loads, float noise included (row 51's amount is '7597372.1200000001')
    assert (lines.rows_in, lines.would_load, lines.would_quarantine) == (53, 53, 0)
    assert not lines.reasons
    assert "would be quarantined" not in _comment(text, "quantity")
    with open(WVU, newline="", encoding="utf-8") as fh:
        po_numbers = {row["Number"] for row in csv.DictReader(fh)}
    assert (pos.rows_in, pos.would_load, pos.would_quarantine) == (len(po_numbers), len(po_numbers), 0)


# ------------------------------------------------------------------------------------------ Nevada
@pytest.mark.parametrize("file, entity, shipped", [
    ("purchase_orders.csv", "purchase_orders", "purchase_orders.yml"),
    ("contracts.csv", "contracts", "contracts.yml"),
    ("bids.csv", "solicitations", "bids.yml"),
    ("vendors.csv", "suppliers", "vendors.yml"),
])
def test_nevada_exports_get_the_entity_and_columns_of_the_hand_written_mappings(file, entity, shipped):
    draft = suggest(NEVADA / file)
    assert draft.entities == [entity]
    [em] = [em for em in load_mapping(Path("mappings/nevada_epro") / shipped).entities if em.entity.name == entity]
    placed = draft.fits[0].placed
    # every column the draft places from a source column is the one the hand-written mapping reads it from
    agree = disagree = 0
    for spec in em.columns:
        if spec.value is not None or len(spec.source_columns) != 1 or spec.target not in placed:
            continue
        if placed[spec.target].header == spec.source_columns[0]:
            agree += 1
        elif spec.source is not None and spec.extract is None and spec.split is None and not spec.cases:
            disagree += 1  # the same plain column read differently: a wrong guess
    assert agree >= 4 and disagree == 0


def test_nevada_purchase_orders_dates_and_money():
    text = suggest(NEVADA / "purchase_orders.csv").text
    cols = _columns(text, "purchase_orders")
    assert cols["po_date"] == {"from": "Sent Date", "date_format": "%m/%d/%Y"}
    assert cols["total_amount"] == "Total"  # "$15,739.58", "$.00": the loader reads them, no option needed
    assert "100% of 2000 values are amounts" in _comment(text, "total_amount")
    assert "would be quarantined" not in _comment(text, "total_amount")
    assert set(cols["status"]["map"]) == {"3PS - Sent", "3PPR - Partial Receipt", "3PCR - Complete Receipt", "3PCO - Closed"}
    assert cols["status"]["map"]["3PCO - Closed"] == {"TODO": "closed?"}
    assert yaml.safe_load(text)["read"] == {"format": "csv"}


def test_nevada_bids_opening_date_with_its_time_is_the_close_date():
    cols = _columns(suggest(NEVADA / "bids.csv").text, "solicitations")
    assert cols["close_date"] == {"from": "Bid Opening Date", "date_format": "%m/%d/%Y %H:%M:%S"}
    assert cols["solicitation_id"] == "Bid Solicitation #"


# ------------------------------------------------------------------------------------------ value formats
def _profile(values):
    return profile("x", pl.Series("x", values, dtype=pl.String))


@pytest.mark.parametrize("values, fmt", [
    (["03/04/2025", "12/31/2024"], "%m/%d/%Y"),           # US month first while no value rules it out
    (["03/04/2025", "13/04/2025"], "%d/%m/%Y"),           # 13 cannot be a month
    (["2025-01-02T03:04:05", "2024-12-31T23:59:59"], "%Y-%m-%dT%H:%M:%S"),
    (["2025-01-02 03:04:05", "2024-12-31 23:59:59"], "%Y-%m-%d %H:%M:%S"),
    (["31.12.2024", "01.02.2025"], "%d.%m.%Y"),
    (["20250102", "20241231"], "%Y%m%d"),
])
def test_date_formats_are_sniffed_from_the_values(values, fmt):
    assert _profile(values).date_format == fmt


def test_money_formats_are_sniffed_from_the_values():
    us = _profile(["$1,234.50", "(12.00)", "12.00-", "$.00", "1,234,567"])
    assert us.money_share == 1.0 and not us.decimal_comma and not us.date_format
    eu = _profile(["1.234,56", "12,50", "1.000.000,00"])
    assert eu.decimal_comma and eu.money_share == 1.0
    text = _profile(["Acme", "$12.00"])
    assert text.money_share == 0.5


def test_decimal_comma_money_gets_the_option(tmp_path):
    data = tmp_path / "zahlungen.csv"
    data.write_text("Payment ID;Agency;Vendor;Payment Date;Amount\n"
                    "P1;A1;Acme;31.12.2024;1.234,56\nP2;A2;Beta;01.02.2025;12,50\n", encoding="utf-8")
    text = suggest(data).text
    cols = _columns(text, "payments")
    assert cols["amount"] == {"from": "Amount", "decimal_comma": True}
    assert cols["payment_date"] == {"from": "Payment Date", "date_format": "%d.%m.%Y"}
    assert yaml.safe_load(text)["read"] == {"format": "csv", "delimiter": ";"}


# ------------------------------------------------------------------------------------------ refusals
def test_a_file_whose_header_matches_nothing_is_a_clear_error(tmp_path):
    data = tmp_path / "weather.csv"
    data.write_text("Wind,Humidity,Cloud Cover\n3,40,high\n", encoding="utf-8")
    with pytest.raises(SuggestError) as exc:
        suggest(data)
    message = str(exc.value)
    assert "none of its 3 column(s) ('Wind', 'Humidity', 'Cloud Cover')" in message
    assert "docs/data_dictionary.md" in message and "--entity" in message
    # naming the entity still gives a draft: every required column a TODO, refused until filled
    text = suggest(data, ["payments"]).text
    with pytest.raises(MappingError, match="TODO left"):
        parse_mapping(text, tmp_path / "d.yml")
    assert text.count("{TODO:") == 6


def test_unknown_entity_and_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(SuggestError, match="'payment' is not a canonical entity; one of: states, agencies"):
        suggest(WVU, ["payment"])
    with pytest.raises(SuggestError, match="no such file"):
        suggest(tmp_path / "absent.csv")


# ------------------------------------------------------------------------------------------ the command
@pytest.fixture
def cli_output(monkeypatch):
    from procure_cli import main

    out, err = io.StringIO(), io.StringIO()
    monkeypatch.setattr(main.console, "file", out)
    monkeypatch.setattr(main.err, "file", err)
    return out, err


def _procure(*args: str):
    from procure_cli.main import app

    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_cli_prints_the_draft_and_out_never_overwrites_without_force(tmp_path, cli_output):
    result = _procure("map", "--suggest", str(WVU))
    assert result.exit_code == 0
    assert yaml.safe_load(result.stdout)["entities"]["purchase_order_lines"]["columns"]["line_number"] == "Line"
    assert "po_lines.csv -> purchase_order_lines" in cli_output[1].getvalue()

    out = tmp_path / "draft.yml"
    result = _procure("map", "--suggest", str(WVU), "--out", str(out))
    assert result.exit_code == 0 and out.read_text().startswith("# Draft mapping")
    out.write_text("# my edits\n")
    result = _procure("map", "--suggest", str(WVU), "--out", str(out))
    assert result.exit_code == 2
    assert f"refused: {out} exists" in cli_output[1].getvalue()
    assert out.read_text() == "# my edits\n"
    result = _procure("map", "--suggest", str(WVU), "--out", str(out), "--force", "--entity", "purchase_orders")
    assert result.exit_code == 0 and "  purchase_orders:\n" in out.read_text()


def test_cli_unknown_header_exits_2_with_the_reason(tmp_path, cli_output):
    data = tmp_path / "weather.csv"
    data.write_text("Wind,Humidity\n3,40\n", encoding="utf-8")
    result = _procure("map", "--suggest", str(data), "--out", str(tmp_path / "d.yml"))
    assert result.exit_code == 2
    assert "cannot suggest" in cli_output[1].getvalue() and "none of its 2 column(s)" in cli_output[1].getvalue()
    assert not (tmp_path / "d.yml").exists()
    assert _procure("map").exit_code == 2


@pytest.mark.parametrize("fmt", ["parquet", "jsonl", "xlsx", "json", "nested json"])
def test_every_readable_format_gets_the_same_draft_columns(tmp_path, fmt):
    import json

    import openpyxl

    frame = pl.read_csv(NEVADA / "purchase_orders.csv", infer_schema=False).head(40)
    path = tmp_path / f"po.{fmt.split()[-1]}"
    if fmt == "parquet":
        frame.write_parquet(path)
    elif fmt == "jsonl":
        frame.write_ndjson(path)
    elif fmt == "xlsx":
        wb = openpyxl.Workbook()
        wb.active.append(frame.columns)
        for row in frame.rows():
            wb.active.append(list(row))
        wb.save(path)
    else:
        records = frame.to_dicts()
        path.write_text(json.dumps({"meta": {"n": 40}, "data": {"items": records}} if fmt == "nested json" else records))
    text = suggest(path).text
    cols = _columns(text, "purchase_orders")
    assert cols["po_date"] == {"from": "Sent Date", "date_format": "%m/%d/%Y"}
    assert (cols["po_number"], cols["agency_id"], cols["supplier_id"], cols["total_amount"]) == ("PO #", "Organization", "Vendor", "Total")
    read = yaml.safe_load(text)["read"]
    assert read == ({"format": "json", "records": "data.items"} if fmt == "nested json" else {"format": fmt})


def test_cli_ingest_check_reports_what_the_filled_draft_would_quarantine(procure_home, tmp_path, cli_output):
    from warehouse.settings import get_settings

    text = suggest(WVU, ["purchase_order_lines", "purchase_orders"]).text
    text = text.replace('{TODO: "a constant {value: XX} or a source column"}', "{value: WV}").replace('{TODO: "closed?"}', "closed")
    (tmp_path / "wvu.yml").write_text(text)
    # one amount with a genuine third decimal (row 51 holds '7597372.1200000001', float noise that loads)
    bad = tmp_path / "po_lines.csv"
    bad.write_bytes(WVU.read_bytes().replace(b"7597372.1200000001", b"7597372.125"))
    result = _procure("ingest", "--check", "--mapping", str(tmp_path / "wvu.yml"), str(bad))
    out, err = cli_output[0].getvalue(), cli_output[1].getvalue()
    assert result.exit_code == 1  # a row would be quarantined
    assert "po_lines.csv -> purchase_order_lines: 53 row(s) in: 52 would load, 1 would be quarantined" in out
    assert ("  line_amount (from 'Amount'): has more decimals than money keeps (2): not rounded (a mapping can "
            "round it: round: 2): 1 row(s), e.g. row 51 '7597372.125'") in out
    assert "not clean: 2 row(s) would be quarantined" in err  # the line and its PO
    assert not get_settings().warehouse.exists()  # a trial load only


def test_the_codes_of_a_map_come_from_the_whole_file_not_only_the_head(monkeypatch):
    # the fixture's last two rows are the only 'Open' ones: a 20-row sample lacks them
    draft = suggest(WVU, ["purchase_orders"], rows=20)
    status = _columns(draft.text, "purchase_orders")["status"]
    assert status["map"] == {"Closed": "closed", "Finally Closed": {"TODO": "closed?"}, "Open": "open"}
    assert "listed: the 3 value(s) of the whole file (53 non-empty)" in _comment(draft.text, "status")
    # above the size limit only the head is read, and the draft says so
    import ingestion.files.suggest as suggest_module

    monkeypatch.setattr(suggest_module, "WHOLE_FILE_CODES_MAX_BYTES", 0)
    draft = suggest(WVU, ["purchase_orders"], rows=20)
    assert "Open" not in _columns(draft.text, "purchase_orders")["status"]["map"]
    assert "# Note: the codes of 'Closure Status' are those of the first 20 rows only" in draft.text
