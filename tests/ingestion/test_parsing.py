"""The SQL parsers of received text, run in DuckDB (the real engine that validates every row)."""

from decimal import Decimal
import datetime as dt

import duckdb
import pytest

from ingestion.common.parsing import parse_boolean, parse_date, parse_decimal, parse_integer, problems, validation_sql
from ingestion.common.schema import Column, entity


def _eval(expr_builder, text):
    con = duckdb.connect()
    try:
        return con.execute(f"SELECT {expr_builder('v')} FROM (SELECT CAST(? AS VARCHAR) AS v)", [text]).fetchone()[0]
    finally:
        con.close()


@pytest.mark.parametrize(
    "text,expected",
    [
        ("1234.50", Decimal("1234.50")),
        ("$15,739.58", Decimal("15739.58")),
        (" $1,000 ", Decimal("1000.00")),
        ("(12.00)", Decimal("-12.00")),
        ("12.00-", Decimal("-12.00")),
        ("-7.1", Decimal("-7.10")),
        ("0", Decimal("0.00")),
        ("12,3x", None),
        ("1.005", None),  # would round: refused, never changed silently
        ("abc", None),
        ("", None),
        ("99999999999999999.99", None),  # overflows DECIMAL(18,2)
    ],
)
def test_money(text, expected):
    assert _eval(lambda e: parse_decimal(e, 18, 2), text) == expected


def test_price_keeps_four_decimals():
    assert _eval(lambda e: parse_decimal(e, 18, 4), "0.0025") == Decimal("0.0025")
    assert _eval(lambda e: parse_decimal(e, 18, 4), "0.00251") is None


@pytest.mark.parametrize(
    "text,expected",
    [
        ("2024-07-01", dt.date(2024, 7, 1)),
        ("07/02/2024", dt.date(2024, 7, 2)),
        ("2024-02-29", dt.date(2024, 2, 29)),
        ("2023-02-29", None),
        ("2024-13-45", None),
        ("31/12/2024", None),
        ("yesterday", None),
    ],
)
def test_date(text, expected):
    assert _eval(parse_date, text) == expected


@pytest.mark.parametrize("text,expected", [("3", 3), ("1,200", 1200), ("3.5", None), ("x", None)])
def test_integer(text, expected):
    assert _eval(parse_integer, text) == expected


@pytest.mark.parametrize(
    "text,expected", [("true", True), ("Y", True), ("1", True), ("no", False), ("FALSE", False), ("maybe", None)]
)
def test_boolean(text, expected):
    assert _eval(parse_boolean, text) is expected


def _reasons(col: Column, text):
    con = duckdb.connect()
    try:
        found = []
        for cond, msg in problems(col, "v"):
            row = con.execute(f"SELECT CASE WHEN {cond} THEN {msg} END FROM (SELECT CAST(? AS VARCHAR) AS v)", [text]).fetchone()
            if row[0]:
                found.append(row[0])
        return found
    finally:
        con.close()


def test_validation_messages_name_column_and_value():
    pay = entity("payments")
    assert _reasons(pay.column("amount"), "12,3x") == ["amount: '12,3x' is not a valid money"]
    assert _reasons(pay.column("amount"), " ") == ["amount: required value is empty"]
    assert _reasons(pay.column("payment_method"), "cash") == ["payment_method: 'cash' is not one of ach, check, pcard, wire"]
    assert _reasons(pay.column("discount_taken"), "-1") == ["discount_taken: '-1' is below 0"]
    assert _reasons(pay.column("payment_method"), None) == []  # optional and empty is fine
    assert _reasons(pay.column("amount"), "$1,000.00") == []


def test_validation_sql_flags_only_bad_rows():
    e = entity("agencies")
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES ('A1', 'NV', 'Dept', 'state_agency', 1), "
        "('A2', 'NV', '', 'state_agency', 2), ('A3', 'NV', 'X', 'federal', 3)) v(agency_id, state_code, agency_name, agency_type, _row_number)"
    )
    rows = con.execute(f"SELECT agency_id, _reason, _columns FROM ({validation_sql(e, 't', set(e.column_names))}) ORDER BY 1").fetchall()
    assert rows[0] == ("A1", None, None)
    assert rows[1][2] == "agency_name" and "required" in rows[1][1]
    assert rows[2][2] == "agency_type" and "'federal'" in rows[2][1]
