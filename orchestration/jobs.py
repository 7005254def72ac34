"""Jobs. Both run in one process (in-process executor): DuckDB has one writer per file, and the warehouse
lock a run takes in its first writing step is held until its process ends (warehouse/lock.py)."""

import dagster as dg

# Everything in one run. The fiscal-month facts are materialised without a partition key: their step then
# rebuilds only the months touched by new loads (orchestration/defs/transform/assets.py).
procure_job = dg.define_asset_job(
    name="procure_job",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description=(
        "Ingest the landing area, resolve the supplier records, build every dbt model and test (the "
        "fiscal-month facts incrementally: only the months touched by new loads; resource "
        "dbt_options.full_refresh rebuilds everything), run the gate, publish a snapshot. `procure run` "
        "executes it; the daily schedule launches it."
    ),
)

# The raw layer only: what the landing sensor requests for new files (each run selects the entities of the
# new files). The dbt models and the snapshot follow in the next procure_job run.
ingest_job = dg.define_asset_job(
    name="ingest_job",
    selection=dg.AssetSelection.groups("raw"),
    executor_def=dg.in_process_executor,
    description="Load new landing files into raw.* (the ledger raw._loads skips content already loaded).",
)
