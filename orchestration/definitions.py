"""The Dagster code location (workspace.yaml points here)."""

import dagster as dg

from orchestration.defs.gate.checks import GATE_CHECKS
from orchestration.defs.ingestion.assets import ingest_landing
from orchestration.defs.publish.assets import published_snapshot
from orchestration.defs.transform.assets import dbt_models
from orchestration.resources import build_resources

# Everything in one run, in one process: DuckDB has one writer per file (docs/architecture.md).
procure_job = dg.define_asset_job(
    name="procure_job",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest the landing area, build every dbt model and test, run the gate, publish a snapshot.",
)

defs = dg.Definitions(
    assets=[ingest_landing, dbt_models, published_snapshot],
    asset_checks=GATE_CHECKS,
    jobs=[procure_job],
    resources=build_resources(),
)
