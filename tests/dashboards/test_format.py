"""Number formats, status words and the CSV export's formula neutralisation."""

import csv
import io
from decimal import Decimal

import pandas as pd
import pytest

from dashboards import format as fmt


@pytest.mark.parametrize("value, text", [
    (0, "$0"), (999.4, "$999"), (1000, "$1.00K"), (45_600, "$45.6K"), (999_960, "$1.00M"), (1_234_567.89, "$1.23M"),
    (123_456_789, "$123M"), (2.5e9, "$2.50B"), (-4_500, "-$4.50K"), (Decimal("70057868.12"), "$70.1M"),
    (None, "—"), (float("nan"), "—"),
])
def test_money_reads_in_thousands_millions_billions(value, text):
    assert fmt.money(value) == text


def test_rates_days_and_kpi_units():
    assert fmt.pct(0.2534) == "25.3%"
    assert fmt.kpi_value(-0.056, "pct_unbounded") == "-5.6%"
    assert fmt.kpi_value(0.056, "pct_unbounded") == "+5.6%"
    assert fmt.kpi_value(25, "days") == "25.0 days"
    assert fmt.kpi_value(1_500_000, "usd") == "$1.50M"
    assert fmt.kpi_value(3, "count") == "3"
    assert fmt.kpi_value(None, "pct") == "—"
    assert fmt.kpi_basis(700, "pct", "numerator") == "$700"
    assert fmt.kpi_basis(31, "days", "denominator") == "31 items"


def test_status_reads_without_colour():
    words = {code: fmt.status(code) for code in fmt.STATUS}
    assert words["on_target"] == "✔ On target" and words["off"] == "✖ Off target" and words["near"] == "▲ Near target"
    assert len({w.split()[0] for w in words.values()}) == len(words)  # a distinct symbol per status
    assert fmt.status(None) == "∅ No data"
    assert fmt.score_band(80) == ("on_target", "On track")
    assert fmt.score_band(50) == ("near", "Watch")
    assert fmt.score_band(49.9) == ("off", "Off track")
    assert fmt.score_band(None) == ("no_data", "Not measured")
    assert fmt.change(8.3) == "▲ +8 points" and fmt.change(-3) == "▼ -3 points" and fmt.change(0) == "= +0 points"


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://x","click")', "+1+2", "-2+3", "@SUM(A1)", "\t=1", "\r=1"])
def test_csv_neutralises_formula_cells(cell):
    frame = pd.DataFrame({"evidence": [cell, "plain text"], "amount": [-12.5, 3.0]})
    rows = list(csv.reader(io.StringIO(fmt.csv_bytes(frame).decode("utf-8-sig"))))
    assert rows[0] == ["evidence", "amount"]
    assert rows[1][0] == "'" + cell and rows[2][0] == "plain text"
    assert rows[1][1] == "-12.5"  # numbers stay numbers, negative ones included


def test_csv_neutralises_headers_and_keeps_unicode():
    frame = pd.DataFrame({"=cmd": ["Bogotá — ✔"]})
    text = fmt.csv_bytes(frame)
    assert text.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens UTF-8 right
    rows = list(csv.reader(io.StringIO(text.decode("utf-8-sig"))))
    assert rows == [["'=cmd"], ["Bogotá — ✔"]]
