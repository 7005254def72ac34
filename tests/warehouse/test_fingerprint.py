"""What a snapshot was built from (warehouse/fingerprint.py) and the landing files' hash cache it relies on."""

import os
from pathlib import Path

import duckdb
import pytest

from ingestion.common import loader
from ingestion.common.loader import cached_sha256, ensure_warehouse, file_sha256, ingest
from warehouse.fingerprint import CODE_PATHS, changed_since, code_fingerprint, ledger_fingerprint, pending_files

AGENCIES = "agency_id,state_code,agency_name,agency_type\nA1,NV,Dept of Testing,executive\n"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_code_fingerprint_follows_the_content_of_the_code_it_covers(tmp_path):
    model = _write(tmp_path / "dbt_project" / "models" / "a.sql", "select 1 as x\n")
    _write(tmp_path / "dashboards" / "app.py", "print('not part of the build')\n")
    first = code_fingerprint(tmp_path)
    assert code_fingerprint(tmp_path) == first
    model.write_text("select 2 as x\n", encoding="utf-8")
    assert code_fingerprint(tmp_path) != first
    model.write_text("select 1 as x\n", encoding="utf-8")
    assert code_fingerprint(tmp_path) == first
    (tmp_path / "dashboards" / "app.py").write_text("print('changed')\n", encoding="utf-8")
    assert code_fingerprint(tmp_path) == first  # the dashboard does not change what a run publishes
    _write(tmp_path / "dbt_project" / "models" / "b.sql", "select 1 as x\n")
    assert code_fingerprint(tmp_path) != first  # a new model counts
    assert "dbt_project/models" in CODE_PATHS and "dbt_project/macros" in CODE_PATHS


def test_ledger_fingerprint_changes_with_every_load_and_retraction(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    con = duckdb.connect(str(wh))
    assert ledger_fingerprint(con) == ""  # no ledger yet
    ensure_warehouse(con)
    empty = ledger_fingerprint(con)
    con.close()
    _write(landing / "feed" / "agencies.csv", AGENCIES)
    report = ingest(landing, wh)
    con = duckdb.connect(str(wh))
    loaded = ledger_fingerprint(con)
    assert loaded != empty and loaded.startswith("1:")
    con.execute("UPDATE raw._loads SET status = 'retracted' WHERE load_id = ?", [report.loads[0].load_id])
    assert ledger_fingerprint(con) not in (empty, loaded)
    con.close()


def test_hash_cache_reads_a_file_once_until_it_changes(tmp_path, monkeypatch):
    path = _write(tmp_path / "landing" / "feed" / "agencies.csv", AGENCIES)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    ensure_warehouse(con)
    sha = cached_sha256(con, path)
    assert sha == file_sha256(path)

    def must_not_hash(_path):
        raise AssertionError("the cached hash should have been used")

    monkeypatch.setattr(loader, "file_sha256", must_not_hash)
    assert cached_sha256(con, path) == sha
    # Rewritten in place (another size and mtime): hashed again, and the cache follows.
    monkeypatch.undo()
    path.write_text(AGENCIES + "A2,NV,Dept of Other Tests,executive\n", encoding="utf-8")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    changed = cached_sha256(con, path)
    assert changed == file_sha256(path) != sha
    assert con.execute("SELECT count(*), min(file_sha256) FROM raw._file_hashes").fetchone() == (1, changed)
    con.close()


def test_pending_files_are_those_whose_content_the_ledger_does_not_know(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    _write(landing / "feed" / "agencies.csv", AGENCIES)
    con = duckdb.connect(str(wh))
    ensure_warehouse(con)
    assert pending_files(con, landing) == (["feed/agencies.csv"], 1, {"agencies"})
    con.close()
    ingest(landing, wh)
    con = duckdb.connect(str(wh))
    assert pending_files(con, landing) == ([], 1, set())
    # The same content under another name is not new (the ledger knows it); other content is.
    _write(landing / "feed" / "agencies__copy.csv", AGENCIES)
    _write(landing / "feed" / "agencies__more.csv", AGENCIES + "A3,NV,Dept of More Tests,executive\n")
    assert pending_files(con, landing) == (["feed/agencies__more.csv"], 3, {"agencies"})
    con.close()


@pytest.mark.parametrize("remember", [True, False])
def test_a_read_only_check_does_not_write_the_cache(tmp_path, remember):
    landing = tmp_path / "landing"
    _write(landing / "feed" / "agencies.csv", AGENCIES)
    con = duckdb.connect(str(tmp_path / "wh.duckdb"))
    ensure_warehouse(con)
    pending_files(con, landing, remember=remember)
    assert con.execute("SELECT count(*) FROM raw._file_hashes").fetchone()[0] == (1 if remember else 0)
    con.close()


def _manifest(con, tables=()) -> dict:
    """A snapshot manifest's `loads` and `tables` as publication writes them, for the ledger as it is now."""
    rows = con.execute("SELECT load_id, entity, file, status FROM raw._loads ORDER BY load_id").fetchall()
    return {"loads": [dict(zip(("load_id", "entity", "file", "status"), r)) for r in rows], "tables": list(tables)}


def test_changed_since_names_the_entities_whose_loads_differ_from_the_snapshots(tmp_path):
    landing, wh = tmp_path / "landing", tmp_path / "wh.duckdb"
    _write(landing / "feed" / "agencies.csv", AGENCIES)
    _write(landing / "feed" / "states.csv", "state_code,state_name,fiscal_year_start_month\nNV,Nevada,7\n")
    ingest(landing, wh)
    con = duckdb.connect(str(wh))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.dim_state AS SELECT 1 AS x")
    snapshot = _manifest(con, ["marts.dim_state"])
    assert changed_since(con, snapshot) == (set(), "", [])
    con.close()
    # a file loaded since the snapshot (e.g. by the landing sensor) changes its entity only
    _write(landing / "feed" / "agencies__more.csv", AGENCIES + "A3,NV,Dept of More Tests,executive\n")
    ingest(landing, wh)
    con = duckdb.connect(str(wh))
    assert changed_since(con, snapshot) == ({"agencies"}, "", [])
    # a retraction changes the entity of the retracted load, and is named
    states_load = next(load["load_id"] for load in snapshot["loads"] if load["entity"] == "states")
    con.execute("UPDATE raw._loads SET status = 'retracted' WHERE load_id = ?", [states_load])
    assert changed_since(con, snapshot) == ({"agencies", "states"}, "", [f"{states_load} (feed/states.csv)"])
    # a warehouse that lacks what the snapshot was built from cannot be built on in part
    entities, reason, _ = changed_since(con, {**snapshot, "tables": ["marts.dim_state", "kpi.kpi_values"]})
    assert entities is None and "lacks 1 published table(s), e.g. kpi.kpi_values" in reason
    con.execute("DELETE FROM raw._loads WHERE load_id = ?", [states_load])
    entities, reason, _ = changed_since(con, snapshot)
    assert entities is None and f"lacks load {states_load} (feed/states.csv)" in reason
    assert changed_since(con, {"tables": []}) == (None, "the snapshot does not list its loads", [])
    con.close()
