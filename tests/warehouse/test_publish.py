"""Publication: snapshot files, the atomic switch of current.duckdb, failures that leave current untouched,
retention, and readers that keep an old snapshot open across a switch."""

import json
import os
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.tables import execute, write_kpis, write_payments
from warehouse import publish as publish_module
from warehouse.publish import (
    PublishError,
    current_snapshot,
    gate_summary,
    list_snapshots,
    loads_summary,
    publication_log,
    publish,
    rollback,
    verify_snapshot,
)
from warehouse.settings import get_settings

TABLES = [("marts", "fct_payments"), ("kpi", "kpi_values"), ("kpi", "kpi_definitions")]


@pytest.fixture
def settings(procure_home, monkeypatch):
    monkeypatch.setenv("PROCURE_KEEP_SNAPSHOTS", "3")
    s = get_settings()
    s.warehouse.parent.mkdir(parents=True)
    write_payments(s.warehouse, n=12)
    write_kpis(s.warehouse)
    return s


def snapshot_files(settings) -> list[str]:
    return sorted(p.name for p in settings.snapshots_dir.iterdir())


def test_publish_twice_switches_current_to_the_second(settings):
    first = publish(TABLES, {"run_id": "r1"}, settings=settings)
    execute(settings.warehouse, "DELETE FROM marts.fct_payments WHERE payment_id = 'P-000'")
    second = publish(TABLES, {"run_id": "r2"}, settings=settings)

    assert first.snapshot_id != second.snapshot_id
    current = settings.current_snapshot
    assert current.is_symlink()
    assert os.readlink(current) == f"snapshots/{second.snapshot_id}.duckdb"  # relative target
    assert current_snapshot(settings).snapshot_id == second.snapshot_id
    assert current_snapshot(settings).manifest == {"run_id": "r2"}
    assert second.tables == {"fct_payments": 11, "kpi_values": 11, "kpi_definitions": 3}

    con = duckdb.connect(str(current), read_only=True)
    try:
        tables = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
        assert tables == {"fct_payments", "kpi_values", "kpi_definitions", "snapshot_manifest"}
        assert con.execute("SELECT count(*) FROM fct_payments").fetchone()[0] == 11
        sid, created_at, code_version, manifest = con.execute(
            "SELECT snapshot_id, created_at, code_version, manifest FROM snapshot_manifest").fetchone()
        assert sid == second.snapshot_id
        assert json.loads(manifest) == {"run_id": "r2"}
        assert code_version
        # money stays decimal
        assert con.execute("SELECT typeof(amount) FROM fct_payments LIMIT 1").fetchone()[0] == "DECIMAL(18,2)"
    finally:
        con.close()

    sidecar = json.loads((settings.snapshots_dir / f"{second.snapshot_id}.json").read_text())
    assert sidecar["snapshot_id"] == second.snapshot_id and sidecar["manifest"] == {"run_id": "r2"}

    listed = list_snapshots(settings)
    assert [s.snapshot_id for s in listed] == [second.snapshot_id, first.snapshot_id]
    assert [s.is_current for s in listed] == [True, False]


def test_snapshot_ids_sort_by_time():
    from datetime import datetime, timezone

    a = publish_module.new_snapshot_id(datetime(2026, 11, 25, 18, 45, 1, tzinfo=timezone.utc))
    b = publish_module.new_snapshot_id(datetime(2026, 11, 25, 18, 45, 2, tzinfo=timezone.utc))
    assert a.startswith("20261125T184501Z-") and len(a) == len("20261125T184501Z-3fa2c1")
    assert a < b


def test_no_snapshot_yet(settings):
    assert current_snapshot(settings) is None
    assert list_snapshots(settings) == []


def test_failure_while_writing_leaves_current_untouched(settings):
    good = publish(TABLES, {"run_id": "good"}, settings=settings)
    link_before = os.readlink(settings.current_snapshot)
    files_before = snapshot_files(settings)

    with pytest.raises(PublishError):
        publish(TABLES + [("marts", "no_such_table")], {"run_id": "bad"}, settings=settings)

    assert os.readlink(settings.current_snapshot) == link_before
    assert snapshot_files(settings) == files_before  # no partial or temporary file left
    assert current_snapshot(settings).snapshot_id == good.snapshot_id
    con = duckdb.connect(str(settings.current_snapshot), read_only=True)
    assert con.execute("SELECT count(*) FROM fct_payments").fetchone()[0] == 12
    con.close()


def test_failed_verification_leaves_current_untouched(settings, monkeypatch):
    good = publish(TABLES, {"run_id": "good"}, settings=settings)
    files_before = snapshot_files(settings)

    def broken(path, expected, snapshot_id):
        raise PublishError("verification: simulated row-count mismatch")

    monkeypatch.setattr(publish_module, "verify_snapshot", broken)
    with pytest.raises(PublishError, match="simulated"):
        publish(TABLES, {"run_id": "bad"}, settings=settings)
    assert snapshot_files(settings) == files_before
    assert current_snapshot(settings).snapshot_id == good.snapshot_id


def test_a_published_snapshot_verifies_and_a_damaged_copy_does_not(settings, tmp_path):
    info = publish(TABLES, {"run_id": "r1"}, settings=settings)
    assert verify_snapshot(settings.current_snapshot) == info.snapshot_id
    assert verify_snapshot(info.path) == info.snapshot_id
    damaged = tmp_path / f"{info.snapshot_id}.duckdb"
    damaged.write_bytes(info.path.read_bytes())
    execute(damaged, "DELETE FROM main.kpi_values WHERE rowid = 0")
    with pytest.raises(PublishError, match="kpi_values has 10 rows in the snapshot, 11 in the source"):
        verify_snapshot(damaged)
    renamed = tmp_path / "20200101T000000Z-abcdef.duckdb"
    renamed.write_bytes(info.path.read_bytes())
    with pytest.raises(PublishError, match="does not hold exactly this snapshot's row"):
        verify_snapshot(renamed)


def test_publication_deletes_what_a_killed_publication_left(settings):
    first = publish(TABLES, {"run_id": "r1"}, settings=settings)
    # A publication killed while writing (its temporary file and WAL) or between the two steps of its switch.
    left = [settings.snapshots_dir / ".20200101T000000Z-abcdef.duckdb.tmp",
            settings.snapshots_dir / ".20200101T000000Z-abcdef.duckdb.tmp.wal",
            settings.snapshots_dir / ".20200101T000000Z-abcdef.json.tmp"]
    for path in left:
        path.write_bytes(b"half")
    old_link = settings.published / ".current.20200101T000000Z-abcdef.0a0b0c.tmp"
    os.symlink("snapshots/nowhere.duckdb", old_link)
    os.utime(old_link, (1, 1), follow_symlinks=False)
    fresh_link = settings.published / ".current.20300101T000000Z-abcdef.0a0b0c.tmp"  # a rollback switching now
    os.symlink(f"snapshots/{first.snapshot_id}.duckdb", fresh_link)
    second = publish(TABLES, {"run_id": "r2"}, settings=settings)
    assert not any(p.exists() for p in left) and not old_link.is_symlink()
    assert fresh_link.is_symlink()
    assert snapshot_files(settings) == sorted(f"{s.snapshot_id}.{ext}" for s in (first, second) for ext in ("duckdb", "json"))


def test_failure_on_the_first_publication_leaves_nothing(settings):
    with pytest.raises(PublishError):
        publish([("kpi", "nope")], {}, settings=settings)
    assert not settings.current_snapshot.exists() and not settings.current_snapshot.is_symlink()
    assert snapshot_files(settings) == []


def test_missing_warehouse_fails_cleanly(procure_home):
    s = get_settings()
    with pytest.raises(PublishError, match="no warehouse"):
        publish(TABLES, {}, settings=s)
    assert current_snapshot(s) is None


def test_retention_keeps_the_newest_n(settings):
    published = [publish(TABLES, {"n": i}, settings=settings) for i in range(5)]
    kept = list_snapshots(settings)
    assert [s.snapshot_id for s in kept] == [p.snapshot_id for p in reversed(published[-3:])]
    assert len(list(settings.snapshots_dir.glob("*.duckdb"))) == 3
    assert len(list(settings.snapshots_dir.glob("*.json"))) == 3
    assert kept[0].is_current


def test_retention_never_deletes_the_current_snapshot(settings, monkeypatch):
    a, b, c = (publish(TABLES, {"n": i}, settings=settings) for i in range(3))
    assert rollback(a.snapshot_id, settings=settings).snapshot_id == a.snapshot_id
    assert current_snapshot(settings).snapshot_id == a.snapshot_id
    monkeypatch.setenv("PROCURE_KEEP_SNAPSHOTS", "1")
    deleted = publish_module._apply_retention(get_settings())
    assert deleted == [b.snapshot_id]
    assert {s.snapshot_id for s in list_snapshots(settings)} == {a.snapshot_id, c.snapshot_id}
    assert current_snapshot(settings).snapshot_id == a.snapshot_id


def test_rollback_without_id_goes_to_the_previous_snapshot(settings):
    a = publish(TABLES, {"n": 1}, settings=settings)
    publish(TABLES, {"n": 2}, settings=settings)
    assert rollback(settings=settings).snapshot_id == a.snapshot_id
    assert current_snapshot(settings).manifest == {"n": 1}


def test_rollback_to_a_named_snapshot_and_back(settings):
    a = publish(TABLES, {"n": 1}, settings=settings)
    b = publish(TABLES, {"n": 2}, settings=settings)
    c = publish(TABLES, {"n": 3}, settings=settings)
    assert rollback(a.snapshot_id, settings=settings).snapshot_id == a.snapshot_id
    assert current_snapshot(settings).snapshot_id == a.snapshot_id
    assert [s.snapshot_id for s in list_snapshots(settings) if s.is_current] == [a.snapshot_id]
    # the newest is still kept: rolling forward again is a rollback to it
    assert rollback(c.snapshot_id, settings=settings).snapshot_id == c.snapshot_id
    log = publication_log(settings)
    assert [(e["action"], e["snapshot_id"], e["previous_snapshot_id"]) for e in log] == [
        ("publish", a.snapshot_id, None),
        ("publish", b.snapshot_id, a.snapshot_id),
        ("publish", c.snapshot_id, b.snapshot_id),
        ("rollback", a.snapshot_id, c.snapshot_id),
        ("rollback", c.snapshot_id, a.snapshot_id),
    ]


def test_rollback_to_an_unknown_snapshot_is_refused_and_changes_nothing(settings):
    a = publish(TABLES, {"n": 1}, settings=settings)
    with pytest.raises(PublishError, match=f"is not kept; kept snapshots \\(newest first\\): {a.snapshot_id}"):
        rollback("20200101T000000Z-abcdef", settings=settings)
    with pytest.raises(PublishError, match="is not a snapshot id"):
        rollback("../../etc/passwd", settings=settings)
    assert current_snapshot(settings).snapshot_id == a.snapshot_id
    assert [e["action"] for e in publication_log(settings)] == ["publish"]


def test_manifest_summaries_name_gate_results_and_loads():
    manifest = {
        "gate": {
            "passed": True,
            "contracts": [
                {"dataset": "marts.fct_payments", "passed": True, "checks_evaluated": 11},
                {"dataset": "kpi.kpi_values", "passed": True, "checks_evaluated": 10},
            ],
            "dbt_tests": {"passed": 400, "failed": 0},
        },
        "loads": [
            {"status": "loaded", "rows_loaded": 1000, "rows_quarantined": 4},
            {"status": "loaded", "rows_loaded": 20, "rows_quarantined": 0},
            {"status": "rejected", "rows_loaded": 0, "rows_quarantined": 0},
        ],
    }
    assert gate_summary(manifest) == "passed: 2 contracts, 21 checks; dbt tests 400 passed, 0 failed"
    assert loads_summary(manifest) == "2 files: 1,020 rows loaded, 4 quarantined"
    # a dbt test of severity warn that did not pass blocks nothing: it is counted apart, not as a failure
    manifest["gate"]["dbt_tests"] = {"passed": 399, "failed": 0, "warned": 1}
    assert gate_summary(manifest) == "passed: 2 contracts, 21 checks; dbt tests 399 passed, 0 failed, 1 warned"
    manifest["gate"]["contracts"][1]["passed"] = False
    assert gate_summary(manifest).startswith("FAILED (1 contract(s))")
    assert gate_summary({}) == "not recorded" and loads_summary({}) == "not recorded"


def test_a_reader_of_the_old_snapshot_keeps_working_across_a_switch(settings, monkeypatch):
    monkeypatch.setenv("PROCURE_KEEP_SNAPSHOTS", "1")  # retention even unlinks the old file while it is open
    s = get_settings()
    old = publish(TABLES, {"n": "old"}, settings=s)
    reader = duckdb.connect(str(s.current_snapshot), read_only=True)
    try:
        assert reader.execute("SELECT count(*) FROM fct_payments").fetchone()[0] == 12

        execute(s.warehouse, "INSERT INTO marts.fct_payments SELECT * REPLACE ('P-NEW' AS payment_id) "
                             "FROM marts.fct_payments LIMIT 1")
        new = publish(TABLES, {"n": "new"}, settings=s)
        assert not old.path.exists()  # retention removed it; the open reader still holds it

        assert reader.execute("SELECT count(*) FROM fct_payments").fetchone()[0] == 12
        assert reader.execute("SELECT snapshot_id FROM snapshot_manifest").fetchone()[0] == old.snapshot_id

        fresh = duckdb.connect(str(s.current_snapshot), read_only=True)
        try:
            assert fresh.execute("SELECT count(*) FROM fct_payments").fetchone()[0] == 13
            assert fresh.execute("SELECT snapshot_id FROM snapshot_manifest").fetchone()[0] == new.snapshot_id
        finally:
            fresh.close()
    finally:
        reader.close()


def test_identifiers_are_validated(settings):
    with pytest.raises(ValueError):
        publish([("marts", 'fct_payments"; DROP TABLE x; --')], {}, settings=settings)
    with pytest.raises(PublishError, match="same name"):
        publish([("marts", "fct_payments"), ("kpi", "fct_payments")], {}, settings=settings)
    assert not settings.snapshots_dir.exists() or snapshot_files(settings) == []
