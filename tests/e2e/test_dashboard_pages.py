"""Every dashboard page under Streamlit's AppTest, on the snapshot `procure run` published for the default data
set; the numbers on screen are checked against the snapshot's tables queried here, independently of the app's
queries (dashboards/data.py)."""

import shutil
import statistics
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards import format as fmt
from dashboards.registry import PAGES
from tests.e2e.conftest import dashboard_default_view

pytestmark = pytest.mark.e2e

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")


@pytest.fixture(scope="module")
def snapshot(default_home) -> Path:
    return (default_home / "published" / "current.duckdb").resolve()


@pytest.fixture(scope="module")
def sql(snapshot):
    con = duckdb.connect(str(snapshot), read_only=True)
    yield lambda q, p=(): con.execute(q, list(p)).fetchall()
    con.close()


@pytest.fixture(scope="module")
def default_view(snapshot) -> tuple[str, int]:
    return dashboard_default_view(snapshot)


def open_page(monkeypatch, snapshot: Path, url_path: str, **params) -> AppTest:
    monkeypatch.setenv("PROCURE_SNAPSHOT", str(snapshot))
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = str(value)
    at.run()
    page = next(p for p in PAGES if p.url_path == url_path)
    if url_path != PAGES[0].url_path:
        at.switch_page(page.script).run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    assert [t.value for t in at.title] == [page.title]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def captions(at: AppTest) -> str:
    return "\n".join(c.value for c in at.caption)


def test_scorecard_shows_each_attributes_score(monkeypatch, snapshot, sql, default_view):
    state, year = default_view
    at = open_page(monkeypatch, snapshot, "scorecard")
    assert at.query_params["state"] == state and at.query_params["fy"] == str(year)  # the view is in the URL
    rows = sql("""SELECT attribute_id, score, kpis_on_target, kpis_scored FROM main.attribute_scorecard
                  WHERE state_code = ? AND agency_id IS NULL AND fiscal_year = ? ORDER BY attribute_id""", [state, year])
    assert len(rows) == 12
    shown = metrics(at)
    for attribute_id, score, _, _ in rows:
        expected = "Not measured" if score is None else f"{score:.0f} / 100"
        assert shown[f"Score, attribute {attribute_id}"] == expected
    on, scored = sum(r[2] or 0 for r in rows), sum(r[3] or 0 for r in rows)
    assert shown["KPIs on target"] == f"{on:.0f} of {scored:.0f}"
    measured = sum(1 for r in rows if r[1] is not None)
    assert shown["Attributes measured"] == f"{measured} of 12"
    # every attribute's band is said in words with a symbol, not by colour alone
    text = " ".join(m.value for m in at.markdown)
    assert sum(text.count(w) for w in ("On track", "Watch", "Off track", "Not measured")) >= 12


def test_attribute_detail_shows_kpis_against_targets(monkeypatch, snapshot, sql, default_view):
    state, year = default_view
    at = open_page(monkeypatch, snapshot, "attribute", attribute=7)
    assert at.query_params["attribute"] == "7"
    rows = sql("""SELECT v.kpi_id, v.value, v.target, v.status, d.unit FROM main.kpi_values AS v
                  JOIN main.kpi_definitions AS d USING (kpi_id)
                  WHERE v.attribute_id = 7 AND v.state_code = ? AND v.fiscal_year = ? AND v.agency_id IS NULL
                    AND v.category_code IS NULL AND v.supplier_id IS NULL AND v.fiscal_month IS NULL""", [state, year])
    assert len(rows) >= 5
    shown, text = metrics(at), captions(at)
    for kpi_id, value, target, status, unit in rows:
        assert shown[f"{kpi_id} FY {year}"] == fmt.kpi_value(value, unit)
        assert f"Target {fmt.kpi_value(target, unit)} · {fmt.status(status)}" in text
    # 7.2 by agency: one row per agency with a value, as in kpi_values
    agencies = sql("""SELECT count(*) FROM main.kpi_values WHERE kpi_id = '7.2' AND state_code = ? AND fiscal_year = ?
                      AND agency_id IS NOT NULL AND category_code IS NULL AND supplier_id IS NULL
                      AND fiscal_month IS NULL""", [state, year])[0][0]
    tables = [d.value for d in at.dataframe]
    assert any(list(t.columns)[:2] == ["Agency", "Value"] and len(t) == agencies for t in tables)


def test_savings_names_each_method_and_never_a_total(monkeypatch, snapshot, sql):
    at = open_page(monkeypatch, snapshot, "savings", state="NV", fy=2025)
    rows = sql("""SELECT method_label, replace(baseline_kind, '_', ' '), sum(savings_amount), sum(baseline_amount)
                  FROM main.savings WHERE state_code = 'NV' AND fiscal_year = 2025 AND agency_id IS NULL
                  AND category_code IS NULL GROUP BY 1, 2""")
    by_method = at.dataframe[0].value
    assert sorted(zip(by_method["Method"], by_method["Baseline"])) == sorted((r[0], r[1]) for r in rows)
    for label, baseline_kind, saved, baseline in rows:
        row = by_method[(by_method["Method"] == label) & (by_method["Baseline"] == baseline_kind)].iloc[0]
        assert row["Savings"] == fmt.money(saved)
        assert row["Savings rate"] == fmt.pct(saved / baseline)
    assert not any("total" in m.label.lower() for m in at.metric)


def test_cycle_times_median_equals_the_facts(monkeypatch, snapshot, sql, default_view):
    state, year = default_view
    at = open_page(monkeypatch, snapshot, "cycle-times")
    days = [r[0] for r in sql("""SELECT requisition_to_payment_days FROM main.fct_procure_to_pay
                                 WHERE state_code = ? AND fiscal_year = ? AND requisition_to_payment_days IS NOT NULL""",
                              [state, year])]
    assert len(days) > 50
    shown = metrics(at)
    assert shown["Requisition to payment, median"] == fmt.days(statistics.median(days))
    assert shown["POs measured end to end"] == f"{len(days):,}"
    steps = at.dataframe[0].value
    assert list(steps["Step"])[0] == "Requisition approval" and len(steps) == 7


def test_compliance_lists_every_red_flag_of_the_year(monkeypatch, snapshot, sql):
    at = open_page(monkeypatch, snapshot, "compliance", state="TX", fy=2025)
    flags = sql("""SELECT count(*), sum(r.amount) FROM main.red_flags AS r JOIN main.dim_date AS d
                   ON d.state_code = r.state_code AND d.date_day = r.detected_at
                   WHERE r.state_code = 'TX' AND d.fiscal_year = 2025""")[0]
    assert flags[0] > 10
    shown = metrics(at)
    assert shown["Red flags"] == f"{flags[0]:,}"
    assert shown["Amount flagged"] == fmt.money(flags[1])
    findings = at.dataframe[-1].value
    assert len(findings) == flags[0] and findings["Evidence"].notna().all()
    # filter by one rule: only its findings remain
    rule = sql("""SELECT r.rule_id, count(*) FROM main.red_flags AS r JOIN main.dim_date AS d
                  ON d.state_code = r.state_code AND d.date_day = r.detected_at
                  WHERE r.state_code = 'TX' AND d.fiscal_year = 2025 GROUP BY 1 ORDER BY 2 DESC LIMIT 1""")[0]
    at.multiselect(key="flag_rules").select(rule[0]).run()
    assert len(at.dataframe[-1].value) == rule[1]
    # the search runs in SQL, case-insensitive, with LIKE's wildcards taken literally
    at.multiselect(key="flag_rules").unselect(rule[0]).run()
    window = sql("""SELECT count(*) FROM main.red_flags AS r JOIN main.dim_date AS d
                    ON d.state_code = r.state_code AND d.date_day = r.detected_at
                    WHERE r.state_code = 'TX' AND d.fiscal_year = 2025 AND r.evidence ILIKE '%WINDOW 30 DAYS%'""")[0][0]
    assert window > 0
    at.text_input(key="flag_search").input("WINDOW 30 days").run()
    assert len(at.dataframe[-1].value) == window
    at.text_input(key="flag_search").input("window_30%").run()
    assert "No rows for this selection." in captions(at)


def test_red_flags_beyond_the_table_limit_are_counted_and_exported(snapshot, sql):
    from dashboards import data

    f = data.Filters(state="TX", fiscal_year=2025)
    total = sql("""SELECT count(*) FROM main.red_flags AS r JOIN main.dim_date AS d
                   ON d.state_code = r.state_code AND d.date_day = r.detected_at
                   WHERE r.state_code = 'TX' AND d.fiscal_year = 2025""")[0][0]
    first = data.red_flags(snapshot, f, limit=5)
    assert len(first) == 5 and set(first["matching"]) == {total}
    assert list(first["amount"]) == sorted(first["amount"], reverse=True)
    assert len(data.red_flags(snapshot, f)) == total  # what the CSV button exports


def test_cooperative_purchasing_by_state_and_customer_type(monkeypatch, snapshot, sql):
    at = open_page(monkeypatch, snapshot, "cooperative", state="NY", fy=2025)
    total, below = sql("""SELECT sum(total), sum(list_price_discount_amount) FROM main.fct_coop_sales
                          WHERE state_code = 'NY' AND fiscal_year = 2025 AND coop_program = 'NASPO ValuePoint'""")[0]
    shown = metrics(at)
    assert shown["Sales in NY"] == fmt.money(total)
    assert shown["Discount from list price"] == fmt.pct(below / (total + below))
    types = {r[0] for r in sql("""SELECT DISTINCT customer_type FROM main.fct_coop_sales WHERE fiscal_year = 2025
                                  AND coop_program = 'NASPO ValuePoint'""")}
    table = at.dataframe[0].value
    assert {t.replace(" ", "_") for t in table["Customer type"]} == types


def test_contracts_expiring_within_180_days(monkeypatch, snapshot, sql):
    at = open_page(monkeypatch, snapshot, "contracts", state="NV")
    as_of = sql("SELECT max(payment_date) FROM main.fct_payments WHERE state_code = 'NV'")[0][0]
    ids = {r[0] for r in sql("""SELECT contract_id FROM main.dim_contract WHERE state_code = 'NV'
                                AND effective_end_date BETWEEN ? AND ?""", [as_of, as_of + timedelta(days=180)])}
    assert ids
    shown = metrics(at)
    assert shown["Expiring within 180 days"] == f"{len(ids):,}"
    table = at.dataframe[0].value
    assert len(table) == len(ids)
    without = sql("""SELECT count(*) FROM main.dim_contract WHERE state_code = 'NV' AND effective_end_date
                     BETWEEN ? AND ? AND NOT coalesce(has_successor, false)""", [as_of, as_of + timedelta(days=180)])[0][0]
    assert shown["Without a successor"] == f"{without:,}"
    assert (table["Successor"] == "✖ none").sum() == without


def test_data_quality_shows_gate_and_quarantine(monkeypatch, snapshot, default_home):
    at = open_page(monkeypatch, snapshot, "data-quality")
    con = duckdb.connect(str(default_home / "warehouse" / "procure.duckdb"), read_only=True)
    try:  # the working warehouse's ledger: what the snapshot's manifest must agree with
        loaded, quarantined = con.execute(
            "SELECT sum(rows_loaded), sum(rows_quarantined) FROM raw._loads WHERE status = 'loaded'").fetchone()
    finally:
        con.close()
    shown = metrics(at)
    assert shown["Rows loaded"] == f"{loaded:,}"
    assert shown["Rows quarantined"] == f"{quarantined:,}"
    assert shown["Quality gate"] == "✔ Passed"
    by_source = at.dataframe[0].value
    assert sum(int(v.replace(",", "")) for v in by_source["Quarantined"]) == quarantined


def test_filters_come_from_and_go_to_the_url(monkeypatch, snapshot, sql):
    at = open_page(monkeypatch, snapshot, "savings", state="TX", fy=2024, agency="TX-002")
    name = sql("SELECT agency_name FROM main.dim_agency WHERE agency_id = 'TX-002'")[0][0]
    assert f"Texas · {name}" in at.caption[0].value and "fiscal year 2024" in at.caption[0].value
    at.sidebar.selectbox(key="filter_state").select("NV").run()
    assert at.query_params["state"] == "NV"
    assert "agency" not in at.query_params  # TX's agency is not one of NV's: the filter resets to all agencies
    # a value that is not an option (a stale or hostile link) falls back to the default, never reaches SQL
    at = open_page(monkeypatch, snapshot, "scorecard", state="NV' OR 1=1 --", fy="2025; DROP TABLE x")
    assert at.query_params["state"] == sql("SELECT min(state_code) FROM main.kpi_values")[0][0]


def test_agency_and_category_together_say_that_kpis_are_kept_for_one_of_them(monkeypatch, snapshot, sql):
    both = sql("SELECT count(*) FROM main.kpi_values WHERE agency_id IS NOT NULL AND category_code IS NOT NULL")[0][0]
    assert both == 0  # the grain the message is about
    at = open_page(monkeypatch, snapshot, "attribute", state="TX", agency="TX-002", category="43190000")
    assert at.query_params["agency"] == "TX-002" and at.query_params["category"] == "43190000"
    assert any("not for both at once" in i.value for i in at.info)


def test_a_new_publication_is_not_served_from_the_previous_cache(monkeypatch, tmp_path, snapshot, sql, default_view):
    state, year = default_view
    first = open_page(monkeypatch, snapshot, "scorecard")
    copy = tmp_path / "next.duckdb"
    shutil.copy(snapshot, copy)
    con = duckdb.connect(str(copy))
    con.execute("UPDATE main.snapshot_manifest SET snapshot_id = snapshot_id || '-next'")
    con.execute("UPDATE main.attribute_scorecard SET score = 99 WHERE attribute_id = 1 AND state_code = ? "
                "AND agency_id IS NULL AND fiscal_year = ?", [state, year])
    con.close()
    second = open_page(monkeypatch, copy, "scorecard")
    assert metrics(second)["Score, attribute 1"] == "99 / 100"
    assert metrics(first)["Score, attribute 1"] != "99 / 100"


def test_every_page_reads_a_read_only_snapshot_file(monkeypatch, tmp_path, snapshot):
    copy = tmp_path / "ro.duckdb"
    shutil.copy(snapshot, copy)
    copy.chmod(0o444)
    for page in PAGES:
        open_page(monkeypatch, copy, page.url_path)


def test_the_sidebar_says_which_snapshot_and_what_vouched_for_it(monkeypatch, snapshot, sql):
    import json

    snapshot_id, manifest = sql("SELECT snapshot_id, manifest FROM main.snapshot_manifest")[0]
    manifest = json.loads(manifest)
    at = open_page(monkeypatch, snapshot, "scorecard")
    about = " ".join(c.value for c in at.sidebar.caption)
    contracts = manifest["gate"]["contracts"]
    checks = sum(c["checks_evaluated"] for c in contracts)
    assert snapshot_id in about
    assert f"passed: {len(contracts)} contracts, {checks} checks" in about
    loaded = sum(ld["rows_loaded"] for ld in manifest["loads"] if ld["status"] == "loaded")
    assert f"{loaded:,} rows loaded" in about


def test_every_table_has_a_csv_download_of_its_rows(monkeypatch, snapshot):
    for page in PAGES:
        at = open_page(monkeypatch, snapshot, page.url_path)
        tables = [d.value for d in at.dataframe]
        buttons = [b.proto.label for b in at.get("download_button")]
        assert tables, page.url_path
        assert buttons == [f"Download CSV ({len(t):,} rows)" for t in tables], page.url_path


def test_every_page_handles_a_selection_without_data(monkeypatch, snapshot, sql):
    """The oldest fiscal year offered (scores, but no purchase orders yet) and a category nobody bought: every
    page says there is nothing to show instead of failing."""
    state = sql("SELECT min(state_code) FROM main.kpi_values")[0][0]
    oldest = sql("""SELECT min(fiscal_year) FROM main.attribute_scorecard WHERE state_code = ? AND agency_id IS NULL
                    AND kpis_with_data > 0""", [state])[0][0]
    assert not sql("SELECT count(*) FROM main.fct_procure_to_pay WHERE state_code = ? AND fiscal_year = ?",
                   [state, oldest])[0][0]
    unused = sql("""SELECT min(category_code) FROM main.dim_commodity WHERE category_code NOT IN
                    (SELECT category_code FROM main.fct_procure_to_pay WHERE category_code IS NOT NULL)""")[0][0]
    for params in ({"state": state, "fy": oldest}, {"state": state, "category": unused}):
        for page in PAGES:
            at = open_page(monkeypatch, snapshot, page.url_path, **params)
            assert at.query_params["fy"] == str(params.get("fy", at.query_params["fy"]))
    at = open_page(monkeypatch, snapshot, "cycle-times", state=state, fy=oldest)
    assert "No purchase orders" in at.info[0].value


def test_data_quality_without_a_recorded_gate_or_loads(monkeypatch, tmp_path, snapshot):
    copy = tmp_path / "bare.duckdb"
    shutil.copy(snapshot, copy)
    con = duckdb.connect(str(copy))
    con.execute("UPDATE main.snapshot_manifest SET manifest = '{}', snapshot_id = snapshot_id || '-bare'")
    con.close()
    at = open_page(monkeypatch, copy, "data-quality")
    shown = metrics(at)
    assert shown["Quality gate"] == "Not recorded" and shown["Rows loaded"] == "0"
