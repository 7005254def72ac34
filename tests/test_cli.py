"""The command line: --help everywhere, clear refusals."""

import subprocess
import sys
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent


@pytest.mark.parametrize("args", [[], ["generate"], ["run"], ["status"], ["ingest"], ["docs"], ["dev"], ["dashboard"],
                                  ["snapshots"], ["publish"], ["loads"], ["retract"], ["map"], ["reference"]])
def test_help_everywhere(args):
    proc = subprocess.run([str(BIN / "procure"), *args, "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Usage" in proc.stdout


def test_python_m_ingestion_help():
    proc = subprocess.run([sys.executable, "-m", "ingestion", "--help"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "generate" in proc.stdout and "ingest" in proc.stdout


def test_unknown_state_is_a_clear_error(procure_home):
    proc = subprocess.run([str(BIN / "procure"), "generate", "--states", "NV,ZZ"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "ZZ" in proc.stderr and "Traceback" not in proc.stderr


def test_status_before_any_run(procure_home):
    proc = subprocess.run([str(BIN / "procure"), "status"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0
    assert "no run yet" in proc.stdout and "none published yet" in proc.stdout


def test_generate_refuses_to_mix_data_sets(tmp_path):
    out = tmp_path / "d"
    gen = lambda *a: subprocess.run([str(BIN / "procure"), "generate", "--out", str(out), "--scale", "0.002", *a],
                                    capture_output=True, text=True, timeout=120)
    assert gen().returncode == 0
    assert gen().returncode == 0  # the same settings again: same bytes, nothing mixed
    other = gen("--seed", "9")
    assert other.returncode == 2 and "mix two data sets" in other.stderr
    assert gen("--seed", "9", "--force").returncode == 0


def test_ingest_names_file_row_and_column_of_quarantined_rows(procure_home):
    feed = procure_home / "landing" / "feed"
    feed.mkdir(parents=True)
    (feed / "states.csv").write_text("state_code,state_name,fiscal_year_start_month\nNV,Nevada,7\nTX,Texas,13\n")
    proc = subprocess.run([str(BIN / "procure"), "ingest"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    # the bracketed column list is user data, not console markup: it must be printed as is
    assert "feed/states.csv:2 [fiscal_year_start_month] fiscal_year_start_month: '13' is above 12" in proc.stdout


def test_snapshots_list_gate_results_and_rollback_switches_current(procure_home):
    from tests.warehouse.tables import write_kpis, write_payments
    from warehouse.publish import current_snapshot, publish
    from warehouse.settings import get_settings

    settings = get_settings()
    settings.warehouse.parent.mkdir(parents=True)
    write_payments(settings.warehouse, n=5)
    write_kpis(settings.warehouse)
    tables = [("marts", "fct_payments"), ("kpi", "kpi_values")]
    gate = {"passed": True, "contracts": [{"dataset": "marts.fct_payments", "passed": True, "checks_evaluated": 11}]}
    loads = [{"status": "loaded", "rows_loaded": 5, "rows_quarantined": 1}]
    first = publish(tables, {"gate": gate, "loads": loads}, settings=settings)
    second = publish(tables, {"gate": gate, "loads": loads}, settings=settings)

    procure = lambda *a: subprocess.run([str(BIN / "procure"), *a], capture_output=True, text=True, timeout=120)
    listing = procure("snapshots")
    assert listing.returncode == 0, listing.stderr
    lines = listing.stdout.splitlines()
    row = lambda sid: next(line for line in lines if sid in line)
    assert row(second.snapshot_id).startswith("* ") and row(first.snapshot_id).startswith("  ")
    assert "gate passed: 1 contracts, 11 checks" in row(first.snapshot_id)
    assert "loads 1 files: 5 rows loaded, 1 quarantined" in row(first.snapshot_id)

    rolled = procure("publish", "--rollback", first.snapshot_id)
    assert rolled.returncode == 0, rolled.stderr
    assert f"current snapshot is now {first.snapshot_id}" in rolled.stdout and f"was {second.snapshot_id}" in rolled.stdout
    assert current_snapshot(settings).snapshot_id == first.snapshot_id
    status = procure("status")
    assert f"current snapshot: {first.snapshot_id}" in status.stdout
    assert f"a newer snapshot {second.snapshot_id} exists but is not current" in status.stdout

    unknown = procure("publish", "--rollback", "20200101T000000Z-000000")
    assert unknown.returncode == 2 and "is not kept" in unknown.stderr and "Traceback" not in unknown.stderr
    assert current_snapshot(settings).snapshot_id == first.snapshot_id
    assert procure("publish").returncode == 2


def test_loads_lists_the_ledger_and_retract_takes_a_load_out(procure_home):
    feed = procure_home / "landing" / "feed"
    feed.mkdir(parents=True)
    (feed / "states.csv").write_text("state_code,state_name,fiscal_year_start_month\nNV,Nevada,7\nTX,Texas,13\n")
    procure = lambda *a: subprocess.run([str(BIN / "procure"), *a], capture_output=True, text=True, timeout=120)
    assert procure("ingest").returncode == 0
    listing = procure("loads", "--entity", "states")
    assert listing.returncode == 0, listing.stderr
    [line] = listing.stdout.splitlines()
    load_id = line.split()[0]
    assert "states  loaded  feed/states.csv  in 2 = loaded 1 + quarantined 1" in line

    out = procure("retract", load_id, "--reason", "wrong month")
    assert out.returncode == 0, out.stderr
    assert f"retracted load {load_id} (states, feed/states.csv): 1 rows removed from raw.states, 1 from quarantine.states" in out.stdout
    assert "retracted" in procure("loads", "--status", "retracted").stdout
    again = procure("retract", load_id)
    assert again.returncode == 2 and "only a loaded load can be retracted" in again.stderr
    # the file loads again as a new load
    assert procure("ingest").returncode == 0
    assert len(procure("loads", "--status", "loaded").stdout.splitlines()) == 1


def test_writing_commands_refuse_while_another_process_holds_the_warehouse(procure_home):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom warehouse.lock import warehouse_lock\n"
         "with warehouse_lock('test holder'):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        for args in (["ingest"], ["retract", "whatever"]):
            proc = subprocess.run([str(BIN / "procure"), *args], capture_output=True, text=True, timeout=120)
            assert proc.returncode == 3, proc.stdout + proc.stderr
            assert f"pid {holder.pid}" in proc.stderr and "test holder" in proc.stderr
    finally:
        holder.kill()
        holder.wait()


def test_a_file_rejected_for_every_entity_it_feeds_is_reported_once(procure_home):
    """An unreadable OCDS file is a rejected load for each of the entities it would feed; the user reads it once."""
    folder = procure_home / "landing" / "publisher"
    folder.mkdir(parents=True)
    (folder / "publisher.yml").write_text('version: 1\nfiles: ["*.json"]\nread: {format: ocds}\nocds: {state_code: ZZ}\n')
    (folder / "not_ocds.json").write_text('{"foo": 1}')
    proc = subprocess.run([str(BIN / "procure"), "ingest"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    reported = [line for line in proc.stderr.splitlines() if line.startswith("rejected")]
    assert len(reported) == 1, proc.stderr
    assert "not_ocds.json" in reported[0] and "(entities: " in proc.stderr, proc.stderr
    loads = subprocess.run([str(BIN / "procure"), "loads", "--status", "rejected"], capture_output=True, text=True,
                           timeout=300)
    assert loads.stdout.count("not_ocds.json") > 1  # the ledger keeps one rejected load per entity
