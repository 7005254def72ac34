"""Publication: copy the published marts into a new snapshot file and switch to it atomically."""

from datetime import datetime, timezone

import dagster as dg

from orchestration.defs.gate.checks import gate_check_key, gate_problems, latest_gate_records
from orchestration.locking import hold_warehouse
from orchestration.project import dbt_project
from orchestration.selection import SNAPSHOT_KEY
from warehouse.connection import connect
from warehouse.fingerprint import inputs_fingerprint
from warehouse.gate import gated_datasets
from warehouse.publish import BRIEFINGS_NAME, SnapshotInfo, publish
from warehouse.settings import get_settings

PUBLISHED_TAG = "published"


def published_tables() -> list[tuple[str, str]]:
    """The published interface: every dbt model tagged `published` (the snapshot's tables)."""
    import json

    manifest = json.loads(dbt_project.manifest_path.read_text())
    tables = {
        (node["schema"], node.get("alias") or node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and PUBLISHED_TAG in (node.get("tags") or [])
    }
    return sorted(tables)


def _loads_summary() -> list[dict]:
    with connect(get_settings().warehouse, read_only=True) as con:
        rows = con.execute(
            "SELECT load_id, entity, file, file_sha256, status, rows_in, rows_loaded, rows_quarantined, finished_at"
            " FROM raw._loads ORDER BY started_at, load_id"
        ).fetchall()
    names = ["load_id", "entity", "file", "file_sha256", "status", "rows_in", "rows_loaded", "rows_quarantined", "finished_at"]
    return [dict(zip(names, r)) for r in rows]


def _inputs() -> dict[str, str]:
    """What the published tables were built from (warehouse/fingerprint.py): a later run with the same inputs and
    no new landing file has nothing to publish."""
    with connect(get_settings().warehouse, read_only=True) as con:
        return inputs_fingerprint(con)


def _gate_results(instance: dg.DagsterInstance, run_id: str) -> dict:
    """What vouches for this snapshot: the latest evaluation of every gate contract, and this run's dbt tests."""
    contracts = []
    for (schema, table), record in latest_gate_records(instance).items():
        key = gate_check_key(schema, table)
        evaluation = record.evaluation if record is not None else None
        metadata = evaluation.metadata if evaluation is not None else {}

        def number(name: str) -> int | None:
            value = metadata.get(name)
            return int(value.value) if value is not None else None

        contracts.append({
            "dataset": f"{schema}.{table}",
            "check": key.name,
            "passed": bool(evaluation and evaluation.passed),
            "checks_evaluated": number("checks_evaluated"),
            "checks_failed": number("checks_failed"),
            "run_id": record.run_id if record is not None else None,
            "evaluated_at": datetime.fromtimestamp(record.event.timestamp, timezone.utc).isoformat(timespec="seconds")
            if record is not None and record.event is not None else None,
        })
    gate_keys = {gate_check_key(s, t) for s, t in gated_datasets()}
    passed = failed = warned = 0
    for event in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = event.dagster_event.event_specific_data
        if dg.AssetCheckKey(evaluation.asset_key, evaluation.check_name) in gate_keys:
            continue
        if evaluation.passed:
            passed += 1
        elif evaluation.severity == dg.AssetCheckSeverity.WARN:  # a dbt test with severity warn: it blocks nothing
            warned += 1
        else:
            failed += 1
    return {
        "passed": all(c["passed"] for c in contracts) and bool(contracts),
        "contracts": contracts,
        "dbt_tests": {"passed": passed, "failed": failed, "warned": warned} if passed + failed + warned else None,
    }


def write_snapshot_briefings(log, info: SnapshotInfo) -> dict:
    """The executive briefings of a just-published snapshot into published/briefings/<snapshot_id>/.

    Never raises: the snapshot is already published and current, so a failure here only logs a warning (with the
    reason) and is recorded in the returned metadata; `procure briefing` writes them again later.
    """
    out_dir = get_settings().published / BRIEFINGS_NAME / info.snapshot_id
    try:
        from dashboards.briefing import write_briefings

        paths = write_briefings(info.path, out_dir)
    except Exception as exc:  # noqa: BLE001 - a briefing must never fail or undo a publication
        log.warning(f"snapshot {info.snapshot_id} is published, but its executive briefings were not written to "
                    f"{out_dir}: {type(exc).__name__}: {exc}. Write them with `procure briefing`.")
        return {"count": 0, "dir": str(out_dir), "error": f"{type(exc).__name__}: {exc}"}
    briefings = [p for p in paths if p.name != "index.html"]
    log.info(f"wrote {len(briefings)} executive briefings to {out_dir}")
    return {"count": len(briefings), "dir": str(out_dir)}


@dg.asset(
    key=SNAPSHOT_KEY,
    deps=[dg.AssetKey([schema, table]) for schema, table in published_tables()],
    group_name="published",
    pool="duckdb_writer",
    kinds={"duckdb"},
    description="Read-only snapshot of marts and KPIs, switched atomically; readers open published/current.duckdb.",
)
def published_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
    hold_warehouse(context)  # reads the warehouse: not while another process writes it
    problems = gate_problems(context.instance)
    if problems:
        raise dg.Failure(
            description="not publishing: the gate does not vouch for the current tables: " + "; ".join(problems)
            + ". Run the whole job (procure run) so the gate checks run on what is published.",
        )
    tables = published_tables()
    manifest = {
        "run_id": context.run_id,
        "tables": [f"{s}.{t}" for s, t in tables],
        "loads": _loads_summary(),
        "gate": _gate_results(context.instance, context.run_id),
        "inputs": _inputs(),
    }
    info = publish(tables, manifest)
    context.log.info(f"published snapshot {info.snapshot_id} at {info.path}")
    briefings = write_snapshot_briefings(context.log, info)
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": info.snapshot_id,
            "path": dg.MetadataValue.path(str(info.path)),
            "current": dg.MetadataValue.path(str(get_settings().current_snapshot)),
            "tables": len(tables),
            "briefings": dg.MetadataValue.json(briefings),
        }
    )
