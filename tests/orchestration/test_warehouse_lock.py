"""One writer per warehouse: `procure run` refuses at once naming the holder; a step of a Dagster-launched run
waits for the lock (logging who holds it), then proceeds; it gives up after PROCURE_LOCK_TIMEOUT_S."""

import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.orchestration.helpers import AGENCIES, LockHolder, write


def test_lock_is_reentrant_in_a_process_and_refuses_other_processes(tmp_path):
    from warehouse.lock import WarehouseBusy, held_by_this_process, hold_for_process, read_holder, warehouse_lock

    wh = tmp_path / "wh.duckdb"
    with warehouse_lock("outer", warehouse=wh):
        with warehouse_lock("inner", warehouse=wh):  # the same process re-enters
            assert held_by_this_process(wh)
        assert hold_for_process("a step inside", warehouse=wh) is False  # covered by the scoped hold
        assert read_holder(wh).what == "outer"
        probe = subprocess.run(
            [sys.executable, "-c",
             "import sys; from pathlib import Path; from warehouse.lock import warehouse_lock, WarehouseBusy\n"
             "try:\n    warehouse_lock('probe', warehouse=Path(sys.argv[1])).__enter__()\n"
             "except WarehouseBusy as e:\n    print(e)\n", str(wh)],
            capture_output=True, text=True, timeout=60,
        )
        assert "in use by pid" in probe.stdout and "(outer)" in probe.stdout and " since " in probe.stdout
    assert not held_by_this_process(wh)
    with LockHolder(wh, "another process") as holder:
        with pytest.raises(WarehouseBusy, match=f"pid {holder.pid}"):
            with warehouse_lock("second", warehouse=wh):
                pass


def test_procure_run_refuses_while_the_warehouse_is_held(procure_home):
    from warehouse.settings import get_settings

    wh = get_settings().warehouse
    wh.parent.mkdir(parents=True, exist_ok=True)
    with LockHolder(wh, "a Dagster run of procure_job") as holder:
        run = subprocess.run([str(Path(sys.executable).parent / "procure"), "run"], capture_output=True, text=True, timeout=300)
    assert run.returncode == 3, run.stdout + run.stderr
    err = " ".join(run.stderr.split())
    assert "refused" in err and f"in use by pid {holder.pid} (a Dagster run of procure_job) since" in err


def _ingest_definitions():
    from orchestration.defs.ingestion.assets import ingest_landing
    from orchestration.jobs import ingest_job

    return dg.Definitions(assets=[ingest_landing], jobs=[ingest_job])


def _messages(instance, run_id) -> list[str]:
    return [r.user_message for r in instance.all_logs(run_id)]


def test_dagster_step_waits_for_the_lock_then_proceeds(procure_home):
    from warehouse.settings import get_settings

    settings = get_settings()
    write(settings.landing / "feed" / "agencies.csv", AGENCIES)
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    job = _ingest_definitions().resolve_job_def("ingest_job")
    instance = dg.DagsterInstance.ephemeral()
    run_id = str(uuid.uuid4())
    outcome = {}
    with LockHolder(settings.warehouse, "procure run, Dagster run 1234") as holder:
        worker = threading.Thread(target=lambda: outcome.update(
            result=job.execute_in_process(instance=instance, run_id=run_id, raise_on_error=False)))
        worker.start()
        for _ in range(600):  # until the step says it waits (bounded: 600 x 0.1 s)
            waiting = [m for m in _messages(instance, run_id) if "waiting for the warehouse" in m]
            if waiting or not worker.is_alive():
                break
            time.sleep(0.1)
        assert waiting, _messages(instance, run_id)
        assert f"in use by pid {holder.pid} (procure run, Dagster run 1234) since" in waiting[0]
        assert not outcome  # still waiting while held
    worker.join(timeout=120)
    assert outcome["result"].success
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    assert con.execute("SELECT file, status FROM raw._loads").fetchall() == [("feed/agencies.csv", "loaded")]
    con.close()


def test_dagster_step_gives_up_after_the_timeout(procure_home, monkeypatch):
    from warehouse.settings import get_settings

    monkeypatch.setenv("PROCURE_LOCK_TIMEOUT_S", "1")
    settings = get_settings()
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    job = _ingest_definitions().resolve_job_def("ingest_job")
    with LockHolder(settings.warehouse, "a long backfill") as holder:
        result = job.execute_in_process(instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    description = failure.step_failure_data.user_failure_data.description
    assert "gave up after waiting" in description and f"pid {holder.pid} (a long backfill)" in description
    assert "PROCURE_LOCK_TIMEOUT_S" in description
