"""End to end through the real CLI: generate -> run (Dagster, dbt, Soda) -> publish -> query the snapshot.

Values are checked against the synthetic generator's own ground truth (computed while generating, not from
the marts). A second run with a payment that breaks the Soda contract must publish nothing new.
"""

import csv
import json
import os
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.e2e.conftest import procure_env, published_rows

pytestmark = pytest.mark.e2e

BIN = Path(sys.executable).parent
SCALE = "0.002"


def procure(home: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "procure"), *args], env=procure_env(home), capture_output=True, text=True, timeout=900)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    home = tmp_path_factory.mktemp("e2e") / "data"
    gen = procure(home, "generate", "--scale", SCALE, "--seed", "7")
    assert gen.returncode == 0, gen.stdout + gen.stderr
    run = procure(home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    return home, run


def _truth(home: Path) -> list[dict]:
    with open(home / "truth" / "synthetic" / "kpis.csv", newline="") as fh:
        return list(csv.DictReader(fh))


def test_run_prints_summary(published):
    home, run = published
    out = run.stdout
    assert "payments" in out and "rows quarantined" in out
    import re

    computed = re.search(r"KPIs computed: (\d+) \(([^)]*)\)", out)
    assert computed, out
    con = duckdb.connect(str(home / "published" / "current.duckdb"), read_only=True)
    with_data = {r[0] for r in con.execute("SELECT DISTINCT kpi_id FROM kpi_values WHERE status <> 'no_data'").fetchall()}
    assert int(computed.group(1)) == len(with_data) >= 3
    assert set(computed.group(2).split(", ")) == with_data
    assert str(home / "published" / "current.duckdb") in out.replace("\n", "")
    assert "127.0.0.1:8501" in out and "127.0.0.1:3000" in out
    from warehouse.gate import gated_datasets

    assert f"gate passed: {len(gated_datasets())} contracts" in out  # every contract vouches for the snapshot


def test_snapshot_matches_generator_ground_truth(published):
    home, _ = published
    truth = [t for t in _truth(home) if not t["agency_id"]]
    assert len(truth) >= 12  # 3 KPIs x 4 states x at least one fiscal year
    con = duckdb.connect(str(home / "published" / "current.duckdb"), read_only=True)
    for t in truth:
        row = con.execute(
            "SELECT numerator, denominator, value FROM kpi_values WHERE kpi_id = ? AND state_code = ? AND fiscal_year = ?"
            " AND agency_id IS NULL AND fiscal_month IS NULL AND category_code IS NULL AND supplier_id IS NULL",
            [t["kpi_id"], t["state_code"], int(t["fiscal_year"])],
        ).fetchone()
        assert row is not None, f"kpi {t['kpi_id']} missing for {t['state_code']} FY{t['fiscal_year']}"
        assert Decimal(row[0]) == Decimal(t["numerator"]), t
        assert Decimal(row[1]) == Decimal(t["denominator"]), t
        assert row[2] == pytest.approx(float(t["value"]), abs=1e-9), t


def test_agency_grain_matches_ground_truth(published):
    home, _ = published
    truth = [t for t in _truth(home) if t["agency_id"]]
    assert truth
    con = duckdb.connect(str(home / "published" / "current.duckdb"), read_only=True)
    for t in truth:
        row = con.execute(
            "SELECT numerator, denominator FROM kpi_values WHERE kpi_id = ? AND state_code = ? AND agency_id = ?"
            " AND fiscal_year = ? AND fiscal_month IS NULL",
            [t["kpi_id"], t["state_code"], t["agency_id"], int(t["fiscal_year"])],
        ).fetchone()
        assert row is not None and (Decimal(row[0]), Decimal(row[1])) == (Decimal(t["numerator"]), Decimal(t["denominator"])), t


def test_rows_loaded_and_quarantined_match_generator(published):
    import json

    home, _ = published
    counts = json.loads((home / "truth" / "synthetic" / "row_counts.json").read_text())
    with open(home / "truth" / "synthetic" / "expected_quarantine.csv", newline="") as fh:
        expected_q = list(csv.DictReader(fh))
    wh = duckdb.connect(str(home / "warehouse" / "procure.duckdb"), read_only=True)
    ledger = dict(
        (r[0], (r[1], r[2])) for r in wh.execute("SELECT entity, sum(rows_loaded), sum(rows_quarantined) FROM raw._loads GROUP BY 1").fetchall()
    )
    quarantined = {(r[0], int(r[1])) for r in wh.execute("SELECT 'payments', _row_number FROM quarantine.payments UNION ALL SELECT 'invoices', _row_number FROM quarantine.invoices").fetchall()}
    assert quarantined == {(q["entity"], int(q["row_number"])) for q in expected_q}
    assert set(counts["valid_rows"]) == set(ledger)
    for entity, n in counts["valid_rows"].items():
        assert ledger[entity][0] == n, entity


def test_snapshot_is_self_describing(published):
    home, _ = published
    con = duckdb.connect(str(home / "published" / "current.duckdb"), read_only=True)
    tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert {"kpi_values", "kpi_definitions", "fct_payments", "dim_date", "dim_state", "dim_agency", "dim_supplier",
            "dim_commodity", "snapshot_manifest"} <= tables
    attrs = con.execute("SELECT count(DISTINCT attribute_id), min(attribute_id), max(attribute_id) FROM kpi_definitions").fetchone()
    assert attrs == (12, 1, 12)
    from ingestion.common.schema import load_schema

    sensitive = {c.name for e in load_schema().values() for c in e.columns if c.sensitive}
    assert {"tax_id", "bank_account", "contact_email"} <= sensitive
    published_cols = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns").fetchall()}
    assert not (sensitive & published_cols), sensitive & published_cols


def test_no_sensitive_value_reaches_the_snapshot_or_its_briefings(published):
    """Tax ids, bank accounts and contact e-mails (the schema's sensitive columns) stay in the working warehouse:
    no text cell of any snapshot table, nor the manifest, nor a briefing holds one of their values."""
    from ingestion.common.schema import load_schema

    home, _ = published
    con = duckdb.connect()
    con.execute(f"ATTACH '{home / 'warehouse' / 'procure.duckdb'}' AS wh (READ_ONLY)")
    con.execute(f"ATTACH '{home / 'published' / 'current.duckdb'}' AS snap (READ_ONLY)")
    selects = [f'SELECT "{c.name}" AS v FROM wh.raw."{e}" WHERE "{c.name}" IS NOT NULL'
               for e, entity in load_schema().items() for c in entity.columns if c.sensitive]
    con.execute(f"CREATE TEMP TABLE secrets AS SELECT DISTINCT v FROM ({' UNION ALL '.join(selects)}) WHERE length(v) >= 6")
    assert con.execute("SELECT count(*) FROM secrets").fetchone()[0] >= 50  # the data has them: the test can fail
    columns = con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() WHERE database_name = 'snap' AND data_type = 'VARCHAR'"
    ).fetchall()
    assert len(columns) > 50
    leaks = [(t, c) for t, c in columns if con.execute(
        f'SELECT count(*) FROM snap.main."{t}" WHERE "{c}" IN (SELECT v FROM secrets)').fetchone()[0]]
    assert leaks == []
    secrets = [v for (v,) in con.execute("SELECT v FROM secrets").fetchall()]
    texts = [p.read_text(encoding="utf-8") for p in (home / "published").rglob("*") if p.suffix in (".json", ".html")]
    assert texts
    assert [v for v in secrets if any(v in text for text in texts)] == []


def test_status_reports_last_run_and_snapshot(published):
    home, _ = published
    st = procure(home, "status")
    assert st.returncode == 0, st.stderr
    assert "success" in st.stdout and "current snapshot:" in st.stdout and "gate: passed" in st.stdout


def test_run_is_recorded_in_the_persistent_dagster_instance(published):
    import json

    home, _ = published
    last = json.loads((home / "status" / "last_run.json").read_text())
    proc = subprocess.run(
        [sys.executable, "-c",
         "import dagster as dg; i = dg.DagsterInstance.get(); r = i.get_run_by_id(%r); print(r.job_name, r.status.value)" % last["run_id"]],
        env={**procure_env(home), "DAGSTER_HOME": str(home / "dagster")}, capture_output=True, text=True, timeout=120,
    )
    assert proc.stdout.split() == ["procure_job", "SUCCESS"], proc.stderr


def test_rerun_with_nothing_new_is_up_to_date_and_a_full_refresh_is_idempotent_while_readers_query(published):
    home, _ = published
    current = home / "published" / "current.duckdb"
    query = "SELECT kpi_id, state_code, agency_id, fiscal_year, fiscal_month, numerator, denominator FROM kpi_values ORDER BY ALL"
    con = duckdb.connect(str(current), read_only=True)
    before = con.execute(query).fetchall()
    id_before = con.execute("SELECT snapshot_id FROM snapshot_manifest").fetchone()[0]
    con.close()
    # Nothing new: the run says so and stops; the snapshot stays current (warehouse/fingerprint.py).
    quick = procure(home, "run")
    assert quick.returncode == 0, quick.stdout + quick.stderr
    said = " ".join(quick.stdout.split())
    assert f"up to date: nothing new since snapshot {id_before}: all 21 landing file(s) are in the load ledger" in said
    assert f"snapshot {id_before} stays current" in said
    assert json.loads((home / "status" / "last_run.json").read_text())["status"] == "up_to_date"
    assert "the last run found nothing to do: nothing new since snapshot" in " ".join(procure(home, "status").stdout.split())
    con = duckdb.connect(str(current), read_only=True)
    assert con.execute("SELECT snapshot_id FROM snapshot_manifest").fetchone()[0] == id_before
    con.close()
    # A full refresh (runs even with nothing new) while analysts read: every read-only open of the stable path
    # succeeds and sees a whole snapshot; the numbers equal the incremental build's.
    run = subprocess.Popen([str(BIN / "procure"), "run", "--full-refresh"], env=procure_env(home), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True)
    reads = 0
    while run.poll() is None:
        con = duckdb.connect(str(current), read_only=True)
        try:
            assert con.execute("SELECT count(*) FROM kpi_values").fetchone()[0] == len(before)
        finally:
            con.close()
        reads += 1
    out, err = run.communicate()
    assert run.returncode == 0, out + err
    assert reads >= 5
    assert "payments" in out and "0 / 0" in out  # nothing new loaded
    con = duckdb.connect(str(current), read_only=True)
    assert con.execute("SELECT snapshot_id FROM snapshot_manifest").fetchone()[0] != id_before
    assert con.execute(query).fetchall() == before
    wh = duckdb.connect(str(home / "warehouse" / "procure.duckdb"), read_only=True)
    assert wh.execute("SELECT count(*) FROM raw._loads").fetchone()[0] == 21


def test_new_files_of_one_entity_rebuild_only_what_depends_on_it_and_equal_a_full_refresh(published):
    home, _ = published
    current = home / "published" / "current.duckdb"
    before = published_rows(current)
    # Late receipts: 30 more goods receipts (new ids) for the last purchase-order lines, delivered a week late.
    src = home / "landing" / "synthetic" / "receipts.csv"
    with open(src, newline="") as fh:
        reader = csv.DictReader(fh)
        cols, rows = reader.fieldnames, list(reader)[-30:]
    late = home / "landing" / "synthetic" / "receipts__late.csv"
    with open(late, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for r in rows:
            day = date.fromisoformat(r["receipt_date"]) + timedelta(days=7)
            w.writerow({**r, "receipt_id": "LATE-" + r["receipt_id"], "receipt_date": day.isoformat()})
    run = procure(home, "run")
    assert run.returncode == 0, run.stdout + run.stderr
    said = " ".join(run.stdout.split())
    assert "built what depends on receipts:" in said and "1 new landing file(s): synthetic/receipts__late.csv" in said
    partial = published_rows(current)
    assert partial != before  # the late receipts changed published numbers
    # What the run materialised (Dagster's event log) against dbt's own graph of what reads raw.receipts.
    code = (
        "import json, subprocess, dagster as dg\n"
        "from orchestration.environment import DBT_PROJECT_DIR, dbt_executable, export_environment\n"
        "export_environment()\n"
        "last = json.load(open(%r))\n"
        "recs = dg.DagsterInstance.get().get_records_for_run(last['run_id'], of_type=dg.DagsterEventType.ASSET_MATERIALIZATION, limit=10000).records\n"
        "done = sorted({'/'.join(r.event_log_entry.dagster_event.asset_key.path) for r in recs})\n"
        "ls = subprocess.run([dbt_executable(), 'ls', '--project-dir', str(DBT_PROJECT_DIR), '--profiles-dir', str(DBT_PROJECT_DIR),\n"
        "    '--select', 'source:raw.receipts+', '--resource-type', 'model', '--output', 'json', '--output-keys', 'name schema', '--quiet', '--no-use-colors'],\n"
        "    capture_output=True, text=True, check=True).stdout\n"
        "dbt = sorted(n['schema'] + '/' + n['name'] for n in (json.loads(line) for line in ls.splitlines() if line.startswith('{')))\n"
        "print(json.dumps({'done': done, 'dbt': dbt}))\n"
    ) % str(home / "status" / "last_run.json")
    proc = subprocess.run([sys.executable, "-c", code], env=procure_env(home), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.splitlines()[-1])
    assert len(seen["dbt"]) >= 10 and "marts/fct_invoices" in seen["dbt"]
    assert set(seen["done"]) == {"raw/receipts", "raw/payments", "published/snapshot", *seen["dbt"]}
    # The same loads rebuilt from scratch publish the same tables.
    full = procure(home, "run", "--full-refresh")
    assert full.returncode == 0, full.stdout + full.stderr
    assert "built everything" in " ".join(full.stdout.split())
    assert published_rows(current) == partial
    # Taking the late receipts back out (the file removed, its load retracted) rebuilds from raw, facts included:
    # the published tables are again those from before the delivery.
    late.unlink()
    loads = procure(home, "loads", "--entity", "receipts")
    [load_id] = [line.split()[0] for line in loads.stdout.splitlines() if "receipts__late.csv" in line]
    assert procure(home, "retract", load_id, "--reason", "test").returncode == 0
    back = procure(home, "run")
    assert back.returncode == 0, back.stdout + back.stderr
    said = " ".join(back.stdout.split())
    assert "built everything" in said and f"1 load(s) retracted since snapshot" in said and "rebuilding from raw" in said
    assert published_rows(current) == before


def test_second_run_while_one_holds_the_warehouse_is_refused(published, monkeypatch):
    from warehouse.lock import warehouse_lock

    home, _ = published
    monkeypatch.setenv("PROCURE_HOME", str(home))
    with warehouse_lock("a test standing in for a running pipeline", warehouse=home / "warehouse" / "procure.duckdb"):
        run = procure(home, "run")
    assert run.returncode == 3
    err = " ".join(run.stderr.split())
    assert f"in use by pid {os.getpid()} (a test standing in for a running pipeline) since" in err


def test_gate_failure_publishes_nothing_and_names_the_check(published):
    home, _ = published
    current = home / "published" / "current.duckdb"
    before = os.readlink(current)
    # A late feed of two payments: one dated 2099 (a row-level problem: quarantined at ingest, it blocks nothing)
    # and one valid payment, which a volume tolerance of 0 (a cross-run check only the gate can make) refuses.
    src = home / "landing" / "synthetic" / "payments.csv"
    with open(home / "truth" / "synthetic" / "expected_quarantine.csv", newline="") as fh:
        bad_rows = {int(q["row_number"]) for q in csv.DictReader(fh) if q["entity"] == "payments"}
    with open(src, newline="") as fh:
        reader = csv.reader(fh)
        cols = next(reader)
        values = next(row for i, row in enumerate(reader, start=1) if i not in bad_rows)
    late = list(values)
    late[cols.index("payment_id")] = "GATE-TEST-2099"
    late[cols.index("payment_date")] = "2099-01-01"
    values[cols.index("payment_id")] = "GATE-TEST-1"
    bad = home / "landing" / "late_feed" / "payments.csv"
    bad.parent.mkdir(parents=True)
    with open(bad, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(cols)
        w.writerow(late)
        w.writerow(values)
    run = subprocess.run([str(BIN / "procure"), "run"], env=procure_env(home, PROCURE_VOLUME_TOLERANCE="0"),
                         capture_output=True, text=True, timeout=1800)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "marts.fct_payments: check 'row count vs previous snapshot' failed" in run.stderr, run.stderr
    assert "previous snapshot stays current" in run.stderr
    assert os.readlink(current) == before
    con = duckdb.connect(str(current), read_only=True)
    assert con.execute("SELECT count(*) FROM fct_payments WHERE payment_id LIKE 'GATE-TEST-%'").fetchone()[0] == 0
    con.close()
    wh = duckdb.connect(str(home / "warehouse" / "procure.duckdb"), read_only=True)
    [(reason,)] = wh.execute("SELECT _reason FROM quarantine.payments WHERE payment_id = 'GATE-TEST-2099'").fetchall()
    wh.close()
    assert reason.startswith("payment_date: '2099-01-01' is after "), reason
    st = procure(home, "status")
    assert "gate_failed" in st.stdout and "FAILED" in st.stdout and "earlier, good run" in st.stdout
    # The Dagster UI shows the check's latest evaluation: failed, with the table, the check and the bounds.
    code = (
        "import dagster as dg\n"
        "from orchestration.environment import export_environment\n"
        "export_environment()\n"
        "key = dg.AssetCheckKey(dg.AssetKey(['marts', 'fct_payments']), 'fct_payments_passes_soda_contract')\n"
        "rec = dg.DagsterInstance.get().event_log_storage.get_latest_asset_check_execution_by_key([key])[key]\n"
        "ev = rec.evaluation\n"
        "print(ev.passed); print(ev.description); print(ev.metadata['failures'].value)\n"
    )
    ui = subprocess.run([sys.executable, "-c", code], env=procure_env(home), capture_output=True, text=True, timeout=300)
    assert ui.returncode == 0, ui.stderr
    passed, *rest = ui.stdout.splitlines()
    shown = "\n".join(rest)
    assert passed == "False"
    assert "marts.fct_payments: check 'row count vs previous snapshot' failed" in shown
    assert "PROCURE_VOLUME_TOLERANCE=0" in shown


def test_publishing_alone_after_a_failed_gate_is_refused(published):
    """Blocking checks act within one run; the publish step itself refuses when the latest gate did not pass."""
    home, _ = published
    current = home / "published" / "current.duckdb"
    before = os.readlink(current)
    code = (
        "import dagster as dg\n"
        "from procure_cli.runner import dbt_parse\n"
        "from orchestration.environment import export_environment\n"
        "export_environment(); dbt_parse()\n"
        "from orchestration.definitions import defs\n"
        "r = defs.resolve_job_def('procure_job').execute_in_process(instance=dg.DagsterInstance.get(), raise_on_error=False,\n"
        "    asset_selection=[dg.AssetKey(['published', 'snapshot'])])\n"
        "fails = [e.step_failure_data.user_failure_data.description for e in r.all_events if e.event_type_value == 'STEP_FAILURE']\n"
        "print('SUCCESS' if r.success else 'FAILED'); print(fails)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=procure_env(home), capture_output=True, text=True, timeout=600)
    assert proc.stdout.splitlines()[0] == "FAILED", proc.stdout + proc.stderr
    assert "fct_payments_passes_soda_contract" in proc.stdout and "did not pass" in proc.stdout
    assert os.readlink(current) == before
