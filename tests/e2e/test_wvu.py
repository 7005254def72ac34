"""Real data end to end: West Virginia University's PO lines (tests/fixtures/wvu_purchases, every line of every
8th PO of the real FOIA release) with the shipped mapping (mappings/wvu_purchases/po_lines.yml), through
`procure run` to the published snapshot. The export has lines only (headers are aggregated by the mapping),
cancelled lines marked '*', a free-text category scheme, binary-float noise in its amounts, and no payments.
Expected values are computed here from the CSV with the csv and decimal modules, not from the warehouse.
"""

import csv
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "wvu_purchases" / "po_lines_every_8th_po.csv"
MAPPING = REPO / "mappings" / "wvu_purchases" / "po_lines.yml"
BIN = Path(sys.executable).parent
CENT = Decimal("0.01")


def _fixture_lines() -> list[dict]:
    with open(FIXTURE, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# One PO of a single line gets a placeholder date of 2100: its header (whose date is its lines' earliest) is
# quarantined at ingest for the date window, its line loads and, with no header to place it, is held back,
# named in held_back_rows with the header's file, row and reason; the rest publishes.
PLACEHOLDER = "2100-01-01 00:00:00"


def _placeholder_po() -> str:
    lines = _fixture_lines()
    counts: dict[str, int] = defaultdict(int)
    for r in lines:
        counts[r["Number"]] += 1
    return next(r["Number"] for r in lines if counts[r["Number"]] == 1 and r["Cancelled"].strip() != "*")


def _lines() -> list[dict]:
    """The lines as delivered to the landing area (the placeholder date in)."""
    po = _placeholder_po()
    return [{**r, "Approved Date": PLACEHOLDER} if r["Number"] == po else r for r in _fixture_lines()]


def _write_delivered(path: Path) -> None:
    lines = _lines()
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(lines[0]), lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(lines)


def _amount(text: str) -> Decimal:
    # the shortest decimal that names the same double: '552169.81000000006' -> 552169.81 (what the export meant)
    return Decimal(repr(float(text))).quantize(CENT)


def _fiscal_year(iso_day: str) -> int:
    year, month = int(iso_day[:4]), int(iso_day[5:7])
    return year + 1 if month >= 7 else year  # West Virginia's fiscal year starts on 1 July


def _expected() -> tuple[dict, dict]:
    """Per fiscal year of the PO's date (its earliest line's approval): (lines, money) of the lines that are
    spend, and of the cancelled lines."""
    lines = [r for r in _lines() if r["Number"] != _placeholder_po()]  # held back: its header is quarantined
    po_day: dict[str, str] = {}
    for r in lines:
        day = r["Approved Date"][:10]
        po_day[r["Number"]] = min(po_day.get(r["Number"], day), day)
    spend, cancelled = defaultdict(lambda: [0, Decimal(0)]), defaultdict(lambda: [0, Decimal(0)])
    for r in lines:
        bucket = cancelled if r["Cancelled"].strip() == "*" else spend
        fy = _fiscal_year(po_day[r["Number"]])
        bucket[fy][0] += 1
        bucket[fy][1] += _amount(r["Amount"])
    return ({fy: tuple(v) for fy, v in spend.items()}, {fy: tuple(v) for fy, v in cancelled.items()})


def _procure(home: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PROCURE_", "DAGSTER_HOME"))}
    env.update(PROCURE_HOME=str(home), DBT_SEND_ANONYMOUS_USAGE_STATS="false", SODA_CORE_TELEMETRY_ENABLED="false")
    return subprocess.run([str(BIN / "procure"), *args], env=env, capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def wvu(tmp_path_factory):
    home = tmp_path_factory.mktemp("wvu") / "data"
    landing = home / "landing" / "wvu_purchases"
    landing.mkdir(parents=True)
    _write_delivered(landing / "po_lines.csv")
    shutil.copy(MAPPING, landing / MAPPING.name)
    ref = _procure(home, "reference", "--state", "WV")
    assert ref.returncode == 0, ref.stdout + ref.stderr
    run = _procure(home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    return home, run


def _query(home: Path, sql: str, db: str = "published") -> list[tuple]:
    path = home / "published" / "current.duckdb" if db == "published" else home / "warehouse" / "procure.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_every_line_loads_nothing_valid_is_quarantined_and_the_run_publishes(wvu):
    home, run = wvu
    assert "published" in run.stdout, run.stdout
    lines = _lines()
    loads = {e: (n, q) for e, n, q in _query(
        home, "SELECT entity, rows_loaded, rows_quarantined FROM raw._loads WHERE file = 'wvu_purchases/po_lines.csv'",
        db="warehouse")}
    assert loads == {
        "purchase_order_lines": (len(lines), 0),
        "purchase_orders": (len({r["Number"] for r in lines}) - 1, 1),  # the 2100 placeholder
        "suppliers": (len({r["Supplier"].strip() for r in lines}), 0),
        "commodity_codes": (len({r["Category"].strip() for r in lines}), 0),
        "agencies": (1, 0),
    }


def test_spend_per_fiscal_year_matches_the_csv_with_cancelled_lines_apart(wvu):
    home, _ = wvu
    spend, cancelled = _expected()
    assert cancelled and spend  # the slice holds both kinds in several years
    published = {fy: (n, amount) for fy, n, amount in _query(
        home, "SELECT fiscal_year, count(*), sum(line_amount) FROM fct_purchase_order_lines GROUP BY 1")}
    assert published == spend
    apart = {fy: (n, amount) for fy, n, amount in _query(
        home, "SELECT fiscal_year, count(*), sum(cancelled_amount) FROM fct_purchase_order_lines_cancelled GROUP BY 1")}
    assert apart == cancelled
    # no cancelled line is anywhere in the spend fact
    assert _query(home, "SELECT count(*) FROM fct_purchase_order_lines WHERE line_status = 'cancelled'") == [(0,)]


def test_a_line_whose_header_is_quarantined_is_held_back_naming_the_headers_file_row_and_reason(wvu):
    home, _ = wvu
    po = _placeholder_po()
    [line] = [r for r in _lines() if r["Number"] == po]
    [row] = _query(home, "SELECT child_entity, child_key, child_file, amount, handling, parent_status, parent_file, "
                         "parent_row_number, parent_reason FROM held_back_rows")
    row_number = 1 + [r["Number"] for r in _lines()].index(po)
    assert row[:7] == ("purchase_order_lines", f"WVU-{po}/{line['Line']}", "wvu_purchases/po_lines.csv",
                       _amount(line["Amount"]), "held_back", "quarantined", "wvu_purchases/po_lines.csv")
    assert row[7] == row_number  # the header's row: its group's first file row
    assert "po_date (from 'Approved Date'): '2100-01-01' is after" in row[8], row[8]
    assert _query(home, f"SELECT count(*) FROM fct_purchase_order_lines WHERE po_number = '{po}'") == [(0,)]


def test_po_headers_are_aggregated_from_their_lines(wvu):
    home, _ = wvu
    lines = [r for r in _lines() if r["Number"] != _placeholder_po()]
    totals, statuses = defaultdict(Decimal), defaultdict(set)
    for r in lines:
        if r["Cancelled"].strip() != "*":
            totals[r["Number"]] += _amount(r["Amount"])
        statuses[r["Number"]].add("cancelled" if r["Cancelled"].strip() == "*" else r["Closure Status"])
    fully_cancelled = {n for n, s in statuses.items() if s == {"cancelled"}}
    assert fully_cancelled  # the slice has POs all of whose lines were cancelled
    rows = {n: (t, s) for n, t, s in _query(
        home, "SELECT po_number, total_amount, status FROM raw.purchase_orders", db="warehouse")}
    assert {n: t for n, (t, _) in rows.items()} == {n: totals.get(n, Decimal("0.00")) for n in statuses}
    assert {n for n, (_, s) in rows.items() if s == "cancelled"} == fully_cancelled
    assert {n for n, (_, s) in rows.items() if s == "open"} == {n for n, s in statuses.items() if "Open" in s}


def test_the_local_category_scheme_is_kept_with_its_own_categories(wvu):
    home, _ = wvu
    categories = {r["Category"].strip() for r in _lines()}
    rows = _query(home, "SELECT commodity_code, scheme, source_code, category_code FROM dim_commodity")
    assert {r[2] for r in rows} == categories
    assert all(r[1] == "WVU-CATEGORY" and r[0] == r[3] == f"WVU-CATEGORY:{r[2]}" for r in rows)
    # every spend line is classified: category KPIs have a category to group by
    assert _query(home, "SELECT count(*) FROM fct_purchase_order_lines WHERE category_code IS NULL") == [(0,)]


def test_kpis_without_their_inputs_say_no_data_with_a_reason(wvu):
    home, run = wvu
    # payments, invoices, contracts and solicitations are absent: KPI 1.1 (spend under management) cannot be
    # computed and is never shown as zero
    assert _query(home, "SELECT count(*) FROM kpi_values WHERE kpi_id = '1.1' AND status <> 'no_data'") == [(0,)]
    reasons = dict(_query(home, "SELECT kpi_id, no_data_reason FROM kpi_definitions"))
    assert reasons["1.1"] and "payments" in reasons["1.1"]
    # the export does not say how a PO was placed: catalog share (8.1) is no_data, not 0 %
    assert _query(home, "SELECT count(*) FROM kpi_values WHERE kpi_id = '8.1' AND status <> 'no_data'") == [(0,)]
    # no red-flag rule can be evaluated on PO lines alone (no thresholds, contract prices, invoices or payments)
    assert _query(home, "SELECT count(*) FROM kpi_values WHERE kpi_id = '11.3' AND status <> 'no_data'") == [(0,)]
    # the spend KPIs that need only spend and categories run on committed spend (the PO lines)
    computed = dict(_query(home, """SELECT kpi_id, string_agg(DISTINCT basis, ',') FROM kpi_values
        WHERE kpi_id IN ('2.2', '2.3', '6.2', '11.2') AND status <> 'no_data' GROUP BY kpi_id"""))
    assert computed == {"2.2": "committed", "2.3": "committed", "6.2": "committed", "11.2": "committed"}
    [(missing,)] = _query(home, "SELECT missing_inputs FROM kpi_coverage WHERE kpi_id = '1.1' LIMIT 1")
    assert missing == "contracts"
    assert "channel" in reasons["8.1"]
    # what the lines do support is computed: price variance (2.4) has values for West Virginia
    assert _query(home, "SELECT count(*) > 0 FROM kpi_values WHERE kpi_id = '2.4' AND state_code = 'WV' "
                        "AND status <> 'no_data'") == [(True,)]
