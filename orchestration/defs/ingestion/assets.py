"""Ingestion: every file in the landing area -> raw.<entity> (keys [raw, <entity>] meet dbt's sources)."""

import dagster as dg

from ingestion.common.loader import ingest
from ingestion.common.schema import load_schema
from orchestration.locking import hold_warehouse
from warehouse.settings import get_settings

RAW_SPECS = [
    dg.AssetSpec(
        key=["raw", name],
        description=f"raw.{name}: {e.description} Validated rows with lineage; rejects in quarantine.{name}.",
        group_name="raw",
        kinds={"duckdb", "python"},
    )
    for name, e in load_schema().items()
]


@dg.multi_asset(specs=RAW_SPECS, can_subset=True, pool="duckdb_writer", name="ingest_landing")
def ingest_landing(context: dg.AssetExecutionContext):
    """Load new landing files (the ledger skips content already loaded) and reconcile each load."""
    hold_warehouse(context)
    settings = get_settings()
    wanted = {key.path[-1] for key in context.selected_asset_keys}

    def progress(name: str, done: int, total: int) -> None:
        if name != "done":
            context.log.info(f"ingesting [{done + 1}/{total}] {name}")

    report = ingest(settings.landing, settings.warehouse, entities=wanted, progress=progress)
    for note in report.upgraded:
        context.log.warning(f"upgraded the warehouse: {note}")
    for problem in report.unrecognised:
        context.log.warning(f"not loaded: {problem}")
    for problem in report.mapping_errors:
        context.log.error(f"mapping error (the files it maps were not loaded; other files were): {problem}")
    totals = report.by_entity()
    for load in report.loads:
        if load.status == "rejected":
            context.log.error(f"rejected {load.file}: {load.message}")
        for sample in load.samples:
            context.log.warning(f"quarantined {sample}")
    for key in sorted(context.selected_asset_keys, key=lambda k: k.path[-1]):
        t = totals.get(key.path[-1], {"files": 0, "skipped": 0, "rows_loaded": 0, "rows_quarantined": 0})
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "files_loaded": t["files"],
                "files_skipped_as_duplicates": t["skipped"],
                "rows_loaded": t["rows_loaded"],
                "rows_quarantined": t["rows_quarantined"],
            },
        )
