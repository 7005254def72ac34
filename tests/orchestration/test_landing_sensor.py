"""The landing sensor, evaluated on a real instance against a real landing area and warehouse: it fires for a new
file, not twice for the same files, not for files already in the load ledger, and the run it requests (executed
in process) loads the file."""

import json

import dagster as dg
import duckdb
import pytest

from tests.orchestration.helpers import AGENCIES, write


@pytest.fixture
def setup(procure_home):
    from orchestration.defs.ingestion.assets import ingest_landing
    from orchestration.defs.ingestion.sensors import landing_sensor
    from orchestration.jobs import ingest_job
    from warehouse.settings import get_settings

    # the sensor and the job without the dbt models (no manifest needed): the real ingest asset and job
    defs = dg.Definitions(assets=[ingest_landing], jobs=[ingest_job], sensors=[landing_sensor])
    return defs, dg.DagsterInstance.ephemeral(), get_settings()


def _tick(defs, instance, cursor=None):
    sensor = defs.get_sensor_def("landing_sensor")
    with dg.build_sensor_context(instance=instance, cursor=cursor, repository_def=defs.get_repository_def()) as context:
        result = sensor.evaluate_tick(context)
    return result


def _ledger(settings) -> list[tuple[str, str]]:
    con = duckdb.connect(str(settings.warehouse), read_only=True)
    try:
        return con.execute("SELECT file, status FROM raw._loads ORDER BY file").fetchall()
    finally:
        con.close()


def test_sensor_fires_once_for_a_new_file_and_its_run_loads_it(setup):
    defs, instance, settings = setup
    empty = _tick(defs, instance)
    assert not empty.run_requests and "no new files" in empty.skip_message

    write(settings.landing / "feed" / "agencies.csv", AGENCIES)
    first = _tick(defs, instance)
    [request] = first.run_requests
    assert request.run_key and request.asset_selection == [dg.AssetKey(["raw", "agencies"])]
    assert json.loads(first.cursor).keys() == {"feed/agencies.csv"}

    # the same files again: no second run
    again = _tick(defs, instance, cursor=first.cursor)
    assert not again.run_requests and "no new files" in again.skip_message

    # the requested run loads the file
    job = defs.resolve_job_def("ingest_job")
    result = job.execute_in_process(instance=instance, asset_selection=request.asset_selection, tags=request.tags)
    assert result.success
    assert _ledger(settings) == [("feed/agencies.csv", "loaded")]


def test_sensor_does_not_fire_for_files_already_in_the_ledger(setup):
    from ingestion.common.loader import ingest

    defs, instance, settings = setup
    write(settings.landing / "feed" / "agencies.csv", AGENCIES)
    ingest(settings.landing, settings.warehouse)
    # a fresh cursor (a reset sensor): the file is in the ledger, so no run; the cursor remembers it
    known = _tick(defs, instance)
    assert not known.run_requests and "already in the load ledger" in known.skip_message
    assert json.loads(known.cursor).keys() == {"feed/agencies.csv"}
    # the same content under another name is in the ledger too
    write(settings.landing / "other_feed" / "agencies__copy.csv", AGENCIES)
    copy = _tick(defs, instance, cursor=known.cursor)
    assert not copy.run_requests
    # new content in place of a loaded file is new
    write(settings.landing / "feed" / "agencies.csv", AGENCIES + "NV-903,NV,Nevada Third Agency,state_agency\n")
    changed = _tick(defs, instance, cursor=copy.cursor)
    [request] = changed.run_requests
    assert request.asset_selection == [dg.AssetKey(["raw", "agencies"])]


def test_sensor_skips_while_the_warehouse_is_held(setup):
    from tests.orchestration.helpers import LockHolder

    defs, instance, settings = setup
    write(settings.landing / "feed" / "agencies.csv", AGENCIES)
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    with LockHolder(settings.warehouse, "a test holding the warehouse") as holder:
        busy = _tick(defs, instance)
        assert not busy.run_requests and f"pid {holder.pid}" in busy.skip_message
        assert busy.cursor is None  # looked at again at the next tick
    assert len(_tick(defs, instance).run_requests) == 1
