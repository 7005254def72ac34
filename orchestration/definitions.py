"""The Dagster code location (workspace.yaml points here).

Assets: raw.* (ingestion) -> resolution.supplier_matches (supplier resolution in Python) -> dbt models ->
gate checks -> published/snapshot.

Operations (all visible in `make dev`):
- jobs: procure_job (everything, one in-process run; `procure run` executes it) and ingest_job (raw only);
- schedule daily_procure_run: procure_job daily (PROCURE_SCHEDULE_CRON, default "0 6 * * *", in
  PROCURE_SCHEDULE_TIMEZONE, default UTC);
- sensor landing_sensor: new landing files -> ingest_job for their entities (orchestration/defs/ingestion/sensors.py);
- the four high-volume facts partitioned by fiscal month (backfill months from the asset's Partitions tab).
Schedule and sensor start RUNNING under the daemon; PROCURE_AUTOMATION=off starts them STOPPED.
One writer per warehouse: runs take the warehouse lock (warehouse/lock.py) in their first writing step,
dagster.yaml allows one run at a time (max_concurrent_runs 1) and one step in the duckdb_writer pool,
telemetry is off. Every run, including a "Materialize" from the UI, uses the in-process executor.
"""

import dagster as dg

from orchestration.defs.gate.checks import GATE_CHECKS
from orchestration.defs.ingestion.assets import ingest_landing
from orchestration.defs.ingestion.sensors import landing_sensor
from orchestration.defs.pipeline.schedules import daily_schedule
from orchestration.defs.publish.assets import published_snapshot
from orchestration.defs.resolution.assets import supplier_matches
from orchestration.defs.transform.assets import dbt_models
from orchestration.jobs import ingest_job, procure_job
from orchestration.resources import build_resources

defs = dg.Definitions(
    assets=[ingest_landing, supplier_matches, dbt_models, published_snapshot],
    asset_checks=GATE_CHECKS,
    jobs=[procure_job, ingest_job],
    schedules=[daily_schedule()],
    sensors=[landing_sensor],
    resources=build_resources(),
    executor=dg.in_process_executor,
)
