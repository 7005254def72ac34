"""The executive briefing (dashboards/briefing.py) on a small snapshot file built here, every number chosen so that
the page can be asserted exactly."""

import re
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest

from dashboards import briefing
from dashboards.briefing import BriefingError, briefing_pdf, pdf_page_count, render_briefing, write_briefings

SNAPSHOT_ID = "20261125T184501Z-abc123"
CREATED = datetime(2026, 11, 25, 18, 45, 1)
ATTRIBUTES = [
    "Strategic Alignment", "Category Management", "Demand Management", "Sourcing and Negotiation",
    "Contract Management", "Supplier Relationship Management", "Procure-to-Pay Process", "Technology Enablement",
    "Talent Management", "Performance Measurement", "Risk Management", "Governance and Compliance",
]
SCRIPT = "<script>alert(1)</script>"

# (state, agency, attribute, fy, score, scored, on, near, off, with_data, defined, previous, change)
SCORECARD = [
    ("CA", None, 1, 2025, 80.0, 5, 3, 2, 0, 6, 7, 70.0, 10.0),
    ("CA", None, 2, 2025, 50.0, 2, 0, 2, 0, 2, 4, 60.0, -10.0),
    ("CA", None, 3, 2025, 0.0, 1, 0, 0, 1, 1, 3, None, None),
    ("CA", None, 4, 2025, None, 0, 0, 0, 0, 1, 3, 40.0, None),
    *[("CA", None, a, 2025, 100.0, 1, 1, 0, 0, 1, 2, 100.0, 0.0) for a in range(5, 12)],
    # attribute 12 has no CA 2025 row: "Not measured"
    ("CA", "CA-01", 1, 2025, 10.0, 1, 0, 0, 1, 1, 1, None, None),  # an agency row: never on the state's page
    ("CA", None, 1, 2024, 70.0, 5, 3, 1, 1, 5, 7, None, None),
    ("TX", None, 1, 2025, 40.0, 5, 2, 0, 3, 5, 7, None, None),
]

# (kpi_id, attribute, state, agency, category, supplier, fy, fm, num, den, value, target, status)
KPI_VALUES = [
    ("1.2", 1, "CA", None, None, None, 2025, None, 1, 2, 0.5, 0.6, "near"),
    ("1.3", 1, "CA", None, None, None, 2025, None, 1, 2, 0.5, 0.6, "near"),
    ("2.1", 2, "CA", None, None, None, 2025, None, 1, 2, 0.5, 0.6, "near"),
    ("3.1", 3, "CA", None, None, None, 2025, None, 1, 2, 0.5, 0.9, "off"),
    ("1.1", 1, "CA", None, None, None, 2025, None, 9, 10, 0.9, 0.8, "on_target"),
    ("5.1", 5, "CA", "CA-01", None, None, 2025, None, 1, 2, 0.5, 0.9, "off"),  # agency row
    ("6.1", 6, "CA", None, None, None, 2024, None, 1, 2, 0.5, 0.9, "off"),  # other year
    ("1.1", 1, "CA", None, None, None, 2024, None, 9, 10, 0.9, 0.8, "on_target"),
    ("1.1", 1, "TX", None, None, None, 2025, None, 9, 10, 0.9, 0.8, "on_target"),
    ("1.1", 1, "NY", None, None, None, 2025, None, None, None, None, 0.8, "no_data"),  # no value: no briefing
]

LABELS = {
    "realised_in_payments": ("Realised in payments (baseline - paid price)", "realised"),
    "negotiated_vs_baseline": ("Negotiated vs baseline (projected at award)", "projected"),
    "maverick_leakage": ("Leakage to off-contract buying", "realised"),
    "competitive_bid": ("Competitive bid (runner-up bid - award)", "projected"),
}
# (method, baseline_kind, basis, state, agency, category, fy, baseline, savings)
SAVINGS = [
    ("realised_in_payments", "prior_price", "hard", "CA", None, None, 2025, 10_000_000.00, 1_234_567.89),
    ("negotiated_vs_baseline", "estimate", "avoidance", "CA", None, None, 2025, 500_000.00, -4_975.70),
    ("maverick_leakage", "available_contract_price", "hard", "CA", None, None, 2025, 3_934_397.00, -1_155_336.00),
    ("realised_in_payments", "prior_price", "hard", "CA", "CA-01", None, 2025, 1_000_000.00, 888_888.00),  # agency
    ("realised_in_payments", "prior_price", "hard", "CA", None, None, None, 90_000_000.00, 7_777_777.00),  # all years
    ("realised_in_payments", "prior_price", "hard", "CA", None, None, 2024, 5_000_000.00, 250_000.00),
    # categories of CA 2025 (the top 5 of six; each with its method)
    ("realised_in_payments", "prior_price", "hard", "CA", None, "43210000", 2025, 2_000_000.00, 400_000.00),
    ("competitive_bid", "runner_up_bid", "avoidance", "CA", None, "43210000", 2025, 9_000_000.00, 3_000_000.00),
    ("realised_in_payments", "prior_price", "hard", "CA", None, "27110000", 2025, 1_000_000.00, 55_500.00),
    ("realised_in_payments", "prior_price", "hard", "CA", None, "44120000", 2025, 1_000_000.00, 42_000.00),
    ("realised_in_payments", "prior_price", "hard", "CA", None, "72150000", 2025, 1_000_000.00, 1_000.00),
    ("maverick_leakage", "available_contract_price", "hard", "CA", None, "44120000", 2025, 1_000_000.00, -90_000.00),
    ("realised_in_payments", "prior_price", "hard", "TX", None, None, 2025, 1_000_000.00, 10_000.00),
]
CATEGORIES = [("43210000", "Computer Equipment and Accessories"), ("27110000", "Tools & <Hardware>"),
              ("44120000", "Office supplies"), ("72150000", "Specialised trade construction")]

# (rule_id, rule_name, entity_type, entity_id, state, agency, supplier, amount, detected_at, evidence)
RED_FLAGS = [
    ("RF10", "bid_price_anomaly", "solicitation", "SOL-1", "CA", None, "V1", 61_443_880.00, "2025-01-29",
     "runner-up gap 1.1487 outside the state fences"),
    ("RF05", "payment_above_ceiling", "contract", "CT-1", "CA", "CA-01", "V2", 4_936_114.35, "2025-04-28",
     f"paid 4936114.35 {SCRIPT} over the ceiling"),
    ("RF01", "split_purchase", "purchase_order", "PO-1", "CA", "CA-01", "V3", 143_455.13, "2024-07-14", "4 other POs"),
    ("RF01", "split_purchase", "purchase_order", "PO-2", "CA", "CA-01", "V3", 143_455.13, "2024-07-15", "4 other POs"),
    ("RF06", "po_after_invoice", "purchase_order", "PO-3", "CA", "CA-02", "V4", 55_635.26, "2024-09-01", "PO 12 days after"),
    ("RF01", "split_purchase", "purchase_order", "PO-4", "CA", "CA-02", "V3", 1_000.00, "2025-06-30", "2 other POs"),
    ("RF05", "payment_above_ceiling", "contract", "CT-2", "CA", None, "V2", 500.00, "2024-12-01", "paid 500 over"),
    ("RF12", "excluded_payee", "payment", "PAY-9", "CA", None, "V9", 99_000_000.00, "2024-06-30", "FY2024: not shown"),
    ("RF12", "excluded_payee", "payment", "PAY-8", "TX", None, "V9", 88_000_000.00, "2025-01-01", "TX: not shown"),
]


def build_snapshot(path: Path) -> Path:
    """A snapshot file with the tables the briefing reads, in main, as publish() writes them."""
    con = duckdb.connect(str(path))
    try:
        con.execute("CREATE TABLE snapshot_manifest (snapshot_id VARCHAR, created_at TIMESTAMP, code_version VARCHAR,"
                    " manifest VARCHAR, tables VARCHAR)")
        con.execute("INSERT INTO snapshot_manifest VALUES (?, ?, 'abc123def', '{}', '{}')", [SNAPSHOT_ID, CREATED])
        con.execute("CREATE TABLE dim_state AS SELECT * FROM (VALUES ('CA', 'California', 7, 'USD'), "
                    "('TX', 'Texas', 9, 'USD'), ('NY', 'New York', 4, 'USD')) AS t(state_code, state_name, "
                    "fiscal_year_start_month, currency)")
        con.execute("CREATE TABLE dim_attribute (attribute_id INTEGER, attribute_name VARCHAR, description VARCHAR)")
        con.executemany("INSERT INTO dim_attribute VALUES (?, ?, 'd')", [(i + 1, n) for i, n in enumerate(ATTRIBUTES)])
        con.execute("""CREATE TABLE attribute_scorecard (state_code VARCHAR, agency_id VARCHAR, attribute_id INTEGER,
            fiscal_year INTEGER, score DOUBLE, kpis_scored HUGEINT, kpis_on_target HUGEINT, kpis_near HUGEINT,
            kpis_off HUGEINT, kpis_with_data BIGINT, kpis_defined HUGEINT, previous_score DOUBLE, score_change DOUBLE)""")
        con.executemany(f"INSERT INTO attribute_scorecard VALUES ({', '.join('?' * 13)})", SCORECARD)
        con.execute("""CREATE TABLE kpi_definitions (kpi_id VARCHAR, attribute_id INTEGER, attribute_name VARCHAR,
            kpi_name VARCHAR, kind VARCHAR, unit VARCHAR, direction VARCHAR, description VARCHAR, formula VARCHAR,
            caveats VARCHAR, no_data_reason VARCHAR)""")
        kpis = sorted({(v[0], v[1]) for v in KPI_VALUES})
        con.executemany("INSERT INTO kpi_definitions VALUES (?, ?, ?, ?, 'other', 'pct', 'up', '', '', '', '')",
                        [(k, a, ATTRIBUTES[a - 1], f"KPI {k}") for k, a in kpis])
        con.execute("""CREATE TABLE kpi_values (kpi_id VARCHAR, attribute_id INTEGER, state_code VARCHAR,
            agency_id VARCHAR, category_code VARCHAR, supplier_id VARCHAR, fiscal_year INTEGER, fiscal_month INTEGER,
            numerator DECIMAL(38, 8), denominator DECIMAL(38, 8), value DOUBLE, excluded_rows BIGINT, target DOUBLE,
            status VARCHAR, basis VARCHAR)""")
        con.executemany(
            "INSERT INTO kpi_values (kpi_id, attribute_id, state_code, agency_id, category_code, supplier_id,"
            f" fiscal_year, fiscal_month, numerator, denominator, value, target, status) VALUES ({', '.join('?' * 13)})",
            KPI_VALUES)
        con.execute("""CREATE TABLE savings (method VARCHAR, method_label VARCHAR, baseline_kind VARCHAR, basis VARCHAR,
            savings_stage VARCHAR, state_code VARCHAR, agency_id VARCHAR, category_code VARCHAR, fiscal_year INTEGER,
            baseline_amount DECIMAL(38, 4), actual_amount DECIMAL(38, 4), savings_amount DECIMAL(38, 4),
            savings_rate DOUBLE, lines_count BIGINT, flagged_savings_amount DECIMAL(38, 4) DEFAULT 0,
            flagged_lines_count BIGINT DEFAULT 0)""")
        con.executemany(
            "INSERT INTO savings (method, method_label, baseline_kind, basis, savings_stage, state_code, agency_id,"
            " category_code, fiscal_year, baseline_amount, actual_amount, savings_amount, savings_rate, lines_count)"
            f" VALUES ({', '.join('?' * 14)})",
            [(m, LABELS[m][0], k, b, LABELS[m][1], s, a, c, y, base, base - sav, sav, sav / base, 1)
             for m, k, b, s, a, c, y, base, sav in SAVINGS])
        con.execute("CREATE TABLE dim_commodity AS SELECT * FROM (VALUES " + ", ".join("(?, ?)" for _ in CATEGORIES)
                    + ") AS t(category_code, category_title)", [x for c in CATEGORIES for x in c])
        con.execute("CREATE TABLE dim_agency AS SELECT * FROM (VALUES ('CA-01', 'CA', 'Department of Transport'), "
                    "('CA-02', 'CA', 'University of California')) AS t(agency_id, state_code, agency_name)")
        con.execute("""CREATE TABLE red_flags (rule_id VARCHAR, rule_name VARCHAR, entity_type VARCHAR,
            entity_id VARCHAR, state_code VARCHAR, agency_id VARCHAR, supplier_id VARCHAR, amount DECIMAL(18, 2),
            detected_at DATE, evidence VARCHAR)""")
        con.executemany(f"INSERT INTO red_flags VALUES ({', '.join('?' * 10)})", RED_FLAGS)
        # each state's fiscal calendar: CA's year starts in July, TX's in September (FY = the year it ends in)
        con.execute("""CREATE TABLE dim_date AS
            SELECT s.state_code, d::DATE AS date_day,
                   (year(d) + CASE WHEN month(d) >= s.m THEN 1 ELSE 0 END)::INTEGER AS fiscal_year,
                   ((month(d) - s.m + 12) % 12 + 1)::INTEGER AS fiscal_month
            FROM range(DATE '2023-07-01', DATE '2026-12-31', INTERVAL 1 DAY) AS r(d),
                 (VALUES ('CA', 7), ('TX', 9), ('NY', 4)) AS s(state_code, m)""")
        con.execute("CREATE TABLE fct_payments AS SELECT * FROM (VALUES ('CA', DATE '2025-03-15', 10.00), "
                    "('CA', DATE '2024-01-02', 20.00), ('TX', DATE '2025-08-31', 30.00)) AS t(state_code, payment_date, amount)")
    finally:
        con.close()
    return path


@pytest.fixture
def snapshot(tmp_path) -> Path:
    return build_snapshot(tmp_path / "snap.duckdb")


class _Rows(HTMLParser):
    """Every <tr> with a data-* attribute: its attributes and the text of each of its <td>."""

    def __init__(self):
        super().__init__()
        self.rows: list[tuple[dict, list[str]]] = []
        self._row = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and any(k.startswith("data-") for k in attrs):
            self._row = (attrs, [])
        elif tag == "td" and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "td" and self._cell is not None:
            self._row[1].append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def parse_rows(html: str) -> list[tuple[dict, list[str]]]:
    parser = _Rows()
    parser.feed(html)
    return parser.rows


def rows(html: str, attribute: str) -> dict[str, list[str]]:
    """Cell texts of the rows carrying `attribute` (e.g. data-attribute-id), keyed by its value, in page order."""
    return {a[attribute]: cells for a, cells in parse_rows(html) if attribute in a}


# ------------------------------------------------------------------------------------------------ the page


def test_header_names_state_year_snapshot_and_data_through(snapshot):
    html = render_briefing(snapshot, "CA", 2025)
    assert html.startswith("<!DOCTYPE html>")
    assert "<title>California — fiscal year 2025 — executive procurement briefing</title>" in html
    assert '<span class="state">California</span> <span class="fy">Fiscal year 2025</span>' in html
    assert "1 Jul 2024 – 30 Jun 2025" in html
    assert '<span class="so-far">9 of 12 months so far</span>' in html  # data through 15 Mar 2025 = fiscal month 9
    assert '<dd data-field="data-through">15 Mar 2025</dd>' in html
    assert f'<dd data-field="snapshot-id"><code>{SNAPSHOT_ID}</code></dd>' in html
    assert '<dd data-field="published-at">2026-11-25 18:45 UTC</dd>' in html
    assert "abc123def" in html  # code version
    assert 'money in <span data-field="currency">USD</span>, the state\'s currency as published' in html
    for doc in ("docs/kpis.md", "docs/scorecard.md", "docs/red_flags.md"):
        assert doc in html


def test_a_complete_year_has_no_months_so_far_note(snapshot):
    html = render_briefing(snapshot, "CA", 2024)
    assert "1 Jul 2023 – 30 Jun 2024" in html
    assert "months so far" not in html


def test_scorecard_rows_equal_the_snapshot(snapshot):
    html = render_briefing(snapshot, "CA", 2025)
    card = rows(html, "data-attribute-id")
    assert list(card) == [str(i) for i in range(1, 13)]
    # cells: id, name, score, bar, standing, change, KPIs on target, KPIs with data, off / near KPIs
    assert card["1"] == ["1", "Strategic Alignment", "80", "", "✔ On track", "▲ +10 points", "3 of 5", "6 of 7",
                         "▲ Near target: 1.2, 1.3"]
    assert card["2"] == ["2", "Category Management", "50", "", "▲ Watch", "▼ -10 points", "0 of 2", "2 of 4",
                         "▲ Near target: 2.1"]
    assert card["3"][2:] == ["0", "", "✖ Off track", "—", "0 of 1", "1 of 3", "✖ Off target: 3.1"]
    assert card["4"][2:] == ["—", "", "∅ Not measured", "—", "0 of 0", "1 of 3", "none"]
    assert card["5"][2:] == ["100", "", "✔ On track", "= +0 points", "1 of 1", "1 of 2", "none"]  # agency's 5.1 not here
    assert card["12"][2:] == ["—", "", "∅ Not measured", "—", "—", "—", "none"]  # no row at all
    assert 'style="width:80.0%;background:#009E73"' in html  # the bar: the score, in the band's Okabe-Ito colour
    assert "vs FY2024" in html
    bands = re.search(r'<span class="summary" data-field="bands">(.*?)</span></h2>', html, re.S).group(1)
    assert [" ".join(re.sub(r"<[^>]+>", "", b).split()) for b in bands.split("&nbsp;")] == [
        "✔ 8 On track", "▲ 1 Watch", "✖ 1 Off track", "∅ 2 Not measured"]


def test_savings_per_method_are_shown_apart_and_never_summed(snapshot):
    html = render_briefing(snapshot, "CA", 2025)
    methods = rows(html, "data-method")
    assert list(methods) == ["realised_in_payments", "maverick_leakage", "negotiated_vs_baseline"]  # realised first
    assert methods["realised_in_payments"] == [
        "Realised in payments (baseline - paid price)", "Prior contract price", "Realised · hard savings",
        "$1.23M", "$10.0M", "+12.3%"]
    assert methods["maverick_leakage"][3:] == ["-$1.16M", "$3.93M", "-29.4%"]
    assert methods["negotiated_vs_baseline"][1:] == [
        "Solicitation estimate", "Projected · cost avoidance", "-$4.98K", "$500K", "-1.0%"]
    # no total across methods (1,234,567.89 - 4,975.70 - 1,155,336.00), nor the agency, all-years or FY2024 rows
    for never in ("$74.3K", "$889K", "$7.78M", "$250K"):
        assert never not in html


def test_top_five_categories_each_name_their_method(snapshot):
    html = render_briefing(snapshot, "CA", 2025)
    table = html[html.index('<table class="categories">'):]
    table = table[:table.index("</table>")]
    got = [(a["data-category"], cells[1], cells[2], cells[4]) for a, cells in parse_rows(table)]
    assert got == [
        ("43210000", "Competitive bid (runner-up bid - award)", "$3.00M", "+33.3%"),
        ("43210000", "Realised in payments (baseline - paid price)", "$400K", "+20.0%"),
        ("27110000", "Realised in payments (baseline - paid price)", "$55.5K", "+5.5%"),
        ("44120000", "Realised in payments (baseline - paid price)", "$42.0K", "+4.2%"),
        ("72150000", "Realised in payments (baseline - paid price)", "$1.00K", "+0.1%"),
    ]  # the sixth (leakage, -$90.0K) is not in the top five
    assert "Tools &amp; &lt;Hardware&gt; <code" in table  # titles are escaped


def test_top_risks_are_the_years_largest_flags_with_counts_per_rule(snapshot):
    html = render_briefing(snapshot, "CA", 2025)
    table = html[html.index('<table class="flags">'):]
    table = table[:table.index("</table>")]
    got = [(a["data-rule-id"], a["data-entity-id"], cells[0], cells[1]) for a, cells in parse_rows(table)]
    assert got == [
        ("RF10", "SOL-1", "$61.4M", "RF10 Bid price anomaly"),
        ("RF05", "CT-1", "$4.94M", "RF05 Payment above ceiling"),
        ("RF01", "PO-1", "$143K", "RF01 Split purchase"),  # ties: by rule, then entity
        ("RF01", "PO-2", "$143K", "RF01 Split purchase"),
        ("RF06", "PO-3", "$55.6K", "RF06 PO after invoice"),
    ]
    assert "University of California · 1 Sep 2024" in table
    assert "state level · 29 Jan 2025" in table
    assert '<span class="sub" data-field="flag-count">7 red-flag findings under 4' in html
    per_rule = re.findall(r'<li data-rule-id="(RF\d+)"><span class="n">(\d+)</span>.*?<span class="amount">([^<]*)</span>',
                          html, re.S)
    assert per_rule == [("RF01", "3", "$288K"), ("RF05", "2", "$4.94M"), ("RF10", "1", "$61.4M"), ("RF06", "1", "$55.6K")]
    assert "PAY-9" not in html and "PAY-8" not in html  # another fiscal year, another state


def test_every_snapshot_value_is_escaped_and_the_page_is_self_contained(snapshot):
    html = render_briefing(snapshot, "CA", 2025)
    assert SCRIPT not in html
    assert "paid 4936114.35 &lt;script&gt;alert(1)&lt;/script&gt; over the ceiling" in html
    assert "<script" not in html.lower()  # no JavaScript at all
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html)
    assert "@import" not in html and "url(" not in html
    assert "@media print" in html and "@page" in html
    assert "Tools & <Hardware>" not in html


def test_a_state_name_with_markup_is_escaped(tmp_path):
    path = build_snapshot(tmp_path / "s.duckdb")
    con = duckdb.connect(str(path))
    con.execute("UPDATE dim_state SET state_name = 'Cal<b>ifornia</b> & co' WHERE state_code = 'CA'")
    con.close()
    html = render_briefing(path, "CA", 2025)
    assert "Cal&lt;b&gt;ifornia&lt;/b&gt; &amp; co" in html and "<b>" not in html


def test_a_year_without_savings_or_flags_says_so(snapshot):
    html = render_briefing(snapshot, "TX", 2025)
    assert "No red flags detected in this fiscal year." not in html  # TX has one in FY2025 (1 Jan 2025)
    assert "months so far" not in html  # TX's data run to 31 Aug 2025, the last day of its FY2025
    html = render_briefing(snapshot, "CA", 2026)
    assert "No savings measured for this fiscal year." in html
    assert "No red flags detected in this fiscal year." in html
    assert '<span class="so-far">0 of 12 months so far</span>' in html


def test_no_snapshot_is_a_clear_error(tmp_path):
    with pytest.raises(BriefingError, match="no published snapshot"):
        render_briefing(tmp_path / "published" / "current.duckdb", "CA", 2025)


def test_rule_words():
    assert briefing.rule_words("RF06", "po_after_invoice") == "RF06 PO after invoice"
    assert briefing.rule_words("RF18", "coop_without_pa") == "RF18 Co-op without PA"


# ------------------------------------------------------------------------------------------------ files


def test_write_briefings_writes_one_file_per_state_and_year_with_data_and_an_index(snapshot, tmp_path):
    out = tmp_path / "briefings" / SNAPSHOT_ID
    paths = write_briefings(snapshot, out)
    assert [p.name for p in paths] == ["CA-FY2025.html", "CA-FY2024.html", "TX-FY2025.html", "index.html"]
    assert sorted(p.name for p in out.iterdir()) == ["CA-FY2024.html", "CA-FY2025.html", "TX-FY2025.html", "index.html"]
    assert paths[0].read_text(encoding="utf-8") == render_briefing(snapshot, "CA", 2025)
    index = (out / "index.html").read_text(encoding="utf-8")
    for name in ("CA-FY2025.html", "CA-FY2024.html", "TX-FY2025.html"):
        assert f'<a href="{name}">' in index
    assert "New York" not in index  # no KPI values
    assert SNAPSHOT_ID in index

    # one state again: only its files are rewritten, the index keeps linking the others
    (out / "TX-FY2025.html").write_text("old", encoding="utf-8")
    paths = write_briefings(snapshot, out, states=["CA"], years=[2024])
    assert [p.name for p in paths] == ["CA-FY2024.html", "index.html"]
    assert (out / "TX-FY2025.html").read_text(encoding="utf-8") == "old"
    assert '<a href="TX-FY2025.html">' in (out / "index.html").read_text(encoding="utf-8")


def test_write_briefings_is_atomic(snapshot, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_briefings(snapshot, out)
    before = (out / "CA-FY2025.html").read_text(encoding="utf-8")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(briefing.os, "fsync", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        write_briefings(snapshot, out)
    assert (out / "CA-FY2025.html").read_text(encoding="utf-8") == before  # the old file, whole
    assert sorted(p.name for p in out.iterdir()) == ["CA-FY2024.html", "CA-FY2025.html", "TX-FY2025.html", "index.html"]


def test_retention_removes_the_briefings_of_a_deleted_snapshot(procure_home, monkeypatch):
    from tests.warehouse.tables import write_kpis, write_payments
    from warehouse.publish import BRIEFINGS_NAME, list_snapshots, publish
    from warehouse.settings import get_settings

    monkeypatch.setenv("PROCURE_KEEP_SNAPSHOTS", "1")
    settings = get_settings()
    settings.warehouse.parent.mkdir(parents=True)
    write_payments(settings.warehouse)
    write_kpis(settings.warehouse)
    tables = [("marts", "fct_payments"), ("kpi", "kpi_values")]
    first = publish(tables, {}, settings=settings)
    (settings.published / BRIEFINGS_NAME / first.snapshot_id).mkdir(parents=True)
    (settings.published / BRIEFINGS_NAME / first.snapshot_id / "index.html").write_text("x")
    second = publish(tables, {}, settings=settings)
    assert [s.snapshot_id for s in list_snapshots(settings)] == [second.snapshot_id]
    assert not (settings.published / BRIEFINGS_NAME / first.snapshot_id).exists()


# ------------------------------------------------------------------------------------------------ PDF


def test_briefing_pdf_prints_one_page(snapshot, tmp_path):
    html = tmp_path / "CA-FY2025.html"
    html.write_text(render_briefing(snapshot, "CA", 2025), encoding="utf-8")
    pdf = briefing_pdf(html, tmp_path / "pdf" / "CA-FY2025.pdf")
    content = pdf.read_bytes()
    assert content.startswith(b"%PDF")
    assert pdf_page_count(content) == 1
    assert [p.name for p in pdf.parent.iterdir()] == ["CA-FY2025.pdf"]  # no temporary file left


def test_briefing_pdf_without_chromium_names_make_browser(tmp_path, monkeypatch):
    monkeypatch.setattr(briefing.shutil, "which", lambda name: None)
    html = tmp_path / "b.html"
    html.write_text("<!DOCTYPE html><p>x</p>")
    with pytest.raises(BriefingError, match="make browser"):
        briefing_pdf(html, tmp_path / "b.pdf")
    assert not (tmp_path / "b.pdf").exists()


def test_an_unknown_state_is_a_clear_error(snapshot):
    with pytest.raises(BriefingError, match="'ZZ' is not in snapshot"):
        render_briefing(snapshot, "ZZ", 2025)


# ------------------------------------------------------------------------------------------------ CLI


def test_procure_briefing_writes_into_the_current_snapshots_folder(procure_home):
    import subprocess
    import sys

    def procure(*args):
        return subprocess.run([str(Path(sys.executable).parent / "procure"), "briefing", *args],
                              capture_output=True, text=True, timeout=120)

    result = procure()
    assert result.returncode == 1 and "no snapshot published yet" in result.stderr

    snapshots = procure_home / "published" / "snapshots"
    snapshots.mkdir(parents=True)
    build_snapshot(snapshots / f"{SNAPSHOT_ID}.duckdb")
    (procure_home / "published" / "current.duckdb").symlink_to(f"snapshots/{SNAPSHOT_ID}.duckdb")
    result = procure("--state", "ca", "--year", "2025")
    assert result.returncode == 0, result.stdout + result.stderr
    folder = procure_home / "published" / "briefings" / SNAPSHOT_ID
    assert result.stdout.splitlines()[:2] == [str(folder / "CA-FY2025.html"), str(folder / "index.html")]
    assert sorted(p.name for p in folder.iterdir()) == ["CA-FY2025.html", "index.html"]

    result = procure("--state", "NY")
    assert result.returncode == 2
    assert "CA FY2024-FY2025, TX FY2025-FY2025" in " ".join(result.stderr.split())
