"""The headline page, run with Streamlit's AppTest against small snapshot files built here."""

import secrets
from datetime import datetime
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from tests.warehouse.tables import write_kpis

APP = str(Path(__file__).resolve().parents[2] / "dashboards" / "app.py")
TITLE = "Procurement KPIs — headline"
CREATED = datetime(2026, 11, 25, 18, 45, 1)


def write_snapshot(path: Path, manifest: str = "{}", **kpis) -> str:
    """A snapshot file as publish() writes it: tables in main plus snapshot_manifest. Returns its id."""
    snapshot_id = f"20261125T184501Z-{secrets.token_hex(3)}"  # unique: results are cached per snapshot id
    write_kpis(path, schema="main", **kpis)
    con = duckdb.connect(str(path))
    try:
        con.execute(
            "CREATE TABLE main.snapshot_manifest (snapshot_id VARCHAR, created_at TIMESTAMP, code_version VARCHAR,"
            " manifest VARCHAR, tables VARCHAR)"
        )
        con.execute("INSERT INTO main.snapshot_manifest VALUES (?, ?, 'abc123', ?, '{}')", [snapshot_id, CREATED, manifest])
    finally:
        con.close()
    return snapshot_id


def run_app(monkeypatch, snapshot: Path) -> AppTest:
    monkeypatch.setenv("PROCURE_SNAPSHOT", str(snapshot))
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def captions(at: AppTest) -> list[str]:
    return [c.value for c in at.caption]


def test_headline_metrics_equal_the_snapshot_values(tmp_path, monkeypatch):
    snapshot = tmp_path / "snap.duckdb"
    snapshot_id = write_snapshot(snapshot)
    at = run_app(monkeypatch, snapshot)

    assert at.title[0].value == TITLE
    assert any(snapshot_id in c and "2026-11-25 18:45:01 UTC" in c for c in captions(at))
    assert at.selectbox[0].options == ["CA", "TX"]
    assert at.selectbox[0].value == "CA"
    assert any("fiscal year 2025" in s.value for s in at.subheader)  # CA's latest year with data
    # CA 2025 has one monthly row in the fixture: the page says the year is not complete
    assert any("fiscal year 2025 (1 of 12 months so far)" in s.value for s in at.subheader)
    # 2025 state-level, whole-year rows (the agency row and the month row are not the headline)
    assert metrics(at) == {
        "1.1 Spend under management": "70.0%",
        "7.2 Invoice-to-pay time": "25.0 days",
        "12.2 Maverick spend": "15.0%",
    }
    text = captions(at)
    assert "Target: 80.0% · Status: Near target (higher is better)" in text
    assert "Target: 30.0 days · Status: On target (lower is better)" in text
    assert "Target: 10.0% · Status: Off target (lower is better)" in text

    table = at.dataframe[0].value
    assert list(table.columns) == ["Fiscal year", "KPI", "Numerator", "Denominator", "Value", "Target", "Status"]
    assert len(table) == 6  # 3 KPIs x fiscal years 2025 and 2024
    first = table.iloc[0]
    assert (first["Fiscal year"], first["KPI"], first["Numerator"], first["Denominator"]) == (
        2025, "1.1 Spend under management", "$700", "$1.00K")
    assert (first["Value"], first["Target"], first["Status"]) == ("70.0%", "80.0%", "Near target")
    assert table.iloc[3]["Fiscal year"] == 2024 and table.iloc[4]["Value"] == "33.0 days"


def test_switching_state_shows_that_states_latest_year(tmp_path, monkeypatch):
    snapshot = tmp_path / "snap.duckdb"
    write_snapshot(snapshot)
    at = run_app(monkeypatch, snapshot)
    at.selectbox[0].select("TX").run()
    assert not at.exception
    assert any("fiscal year 2023" in s.value for s in at.subheader)
    assert metrics(at) == {
        "1.1 Spend under management": "90.0%",
        "7.2 Invoice-to-pay time": "41.0 days",
        "12.2 Maverick spend": "—",
    }
    text = captions(at)
    assert "Target: — · Status: No target set (lower is better)" in text
    assert "Target: 10.0% · Status: No data (lower is better)" in text


def test_no_snapshot_shows_the_empty_state(tmp_path, monkeypatch):
    at = run_app(monkeypatch, tmp_path / "published" / "current.duckdb")
    assert at.title[0].value == TITLE
    assert [i.value for i in at.info] == ["No published snapshot yet — run `make run`"]
    assert not at.metric


def test_default_path_is_the_published_current_snapshot(procure_home, monkeypatch):
    monkeypatch.delenv("PROCURE_SNAPSHOT", raising=False)
    at = AppTest.from_file(APP, default_timeout=30)
    at.run()
    assert not at.exception
    assert [i.value for i in at.info] == ["No published snapshot yet — run `make run`"]


def test_a_dangling_current_link_is_the_empty_state(tmp_path, monkeypatch):
    link = tmp_path / "current.duckdb"
    link.symlink_to("snapshots/gone.duckdb")
    at = run_app(monkeypatch, link)
    assert [i.value for i in at.info] == ["No published snapshot yet — run `make run`"]


def test_a_snapshot_without_kpis_is_reported_not_raised(tmp_path, monkeypatch):
    snapshot = tmp_path / "snap.duckdb"
    con = duckdb.connect(str(snapshot))
    con.execute("CREATE TABLE t (x INTEGER)")
    con.close()
    at = run_app(monkeypatch, snapshot)
    assert at.error and "could not be read" in at.error[0].value


def test_the_sidebar_shows_the_snapshot_manifest(tmp_path, monkeypatch):
    import json

    manifest = {
        "gate": {"passed": True, "contracts": [{"dataset": "kpi.kpi_values", "passed": True, "checks_evaluated": 10}]},
        "loads": [{"status": "loaded", "rows_loaded": 1234, "rows_quarantined": 5}],
    }
    path = tmp_path / "snap.duckdb"
    sid = write_snapshot(path, manifest=json.dumps(manifest))
    at = run_app(monkeypatch, path)
    about = " ".join(m.value for m in at.sidebar.markdown)
    assert sid in about
    assert "passed: 1 contracts, 10 checks" in about
    assert "1 files: 1,234 rows loaded, 5 quarantined" in about
    assert "abc123" in about
