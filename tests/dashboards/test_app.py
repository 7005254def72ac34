"""The dashboard without a usable snapshot, under Streamlit's AppTest: it explains what to do, never crashes.
(The pages' numbers are checked on a real published snapshot in tests/e2e/test_dashboard_pages.py.)"""

from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.registry import PAGES
from tests.warehouse.tables import write_kpis

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")


def run_page(monkeypatch, snapshot: Path | None, script: str | None = None) -> AppTest:
    if snapshot is None:
        monkeypatch.delenv("PROCURE_SNAPSHOT", raising=False)
    else:
        monkeypatch.setenv("PROCURE_SNAPSHOT", str(snapshot))
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    if script:
        at.switch_page(script).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.mark.parametrize("page", PAGES, ids=[p.url_path for p in PAGES])
def test_every_page_explains_what_to_do_when_nothing_is_published(tmp_path, monkeypatch, page):
    at = run_page(monkeypatch, tmp_path / "published" / "current.duckdb", page.script)
    assert [t.value for t in at.title] == [page.title]
    [info] = [i.value for i in at.info]
    assert "No published snapshot yet" in info and "make run" in info and "procure status" in info
    assert not at.metric and not at.dataframe and not at.error


def test_default_path_is_the_published_current_snapshot(procure_home, monkeypatch):
    at = run_page(monkeypatch, None)
    assert "No published snapshot yet" in at.info[0].value


def test_a_dangling_current_link_is_the_empty_state(tmp_path, monkeypatch):
    link = tmp_path / "current.duckdb"
    link.symlink_to("snapshots/gone.duckdb")
    at = run_page(monkeypatch, link)
    assert "No published snapshot yet" in at.info[0].value


def test_a_file_that_is_not_a_snapshot_is_reported_with_what_to_do(tmp_path, monkeypatch):
    snapshot = tmp_path / "snap.duckdb"
    con = duckdb.connect(str(snapshot))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    at = run_page(monkeypatch, snapshot)
    [error] = [e.value for e in at.error]
    assert "could not be read" in error and str(snapshot) in error and "procure publish --rollback" in error


def test_a_snapshot_without_kpi_values_says_so(tmp_path, monkeypatch):
    snapshot = tmp_path / "snap.duckdb"
    write_kpis(snapshot, values=[], schema="main")
    con = duckdb.connect(str(snapshot))
    con.execute("CREATE TABLE main.dim_state (state_code VARCHAR, state_name VARCHAR)")
    con.execute("CREATE TABLE main.dim_agency (state_code VARCHAR, agency_id VARCHAR, agency_name VARCHAR)")
    con.execute("CREATE TABLE main.dim_commodity (category_code VARCHAR, category_title VARCHAR)")
    con.execute("CREATE TABLE main.attribute_scorecard (state_code VARCHAR, agency_id VARCHAR, fiscal_year INTEGER,"
                " kpis_with_data INTEGER)")
    con.execute("CREATE TABLE main.fct_payments (state_code VARCHAR, payment_date DATE)")
    con.execute("CREATE TABLE main.dim_date (state_code VARCHAR, date_day DATE, fiscal_year INTEGER, fiscal_month INTEGER)")
    con.execute("CREATE TABLE main.snapshot_manifest (snapshot_id VARCHAR, created_at TIMESTAMP, code_version VARCHAR,"
                " manifest VARCHAR, tables VARCHAR)")
    con.execute("INSERT INTO main.snapshot_manifest VALUES ('S1', ?, 'abc', '{}', '{}')", [datetime(2026, 11, 25)])
    con.close()
    at = run_page(monkeypatch, snapshot)
    assert "holds no KPI values yet" in at.info[0].value
