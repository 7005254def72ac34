"""Publication: copy the published marts into a new snapshot file and switch to it atomically."""

import dagster as dg

from orchestration.defs.gate.checks import gate_problems
from orchestration.project import dbt_project
from warehouse.connection import connect
from warehouse.publish import publish
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
            "SELECT load_id, entity, file, status, rows_loaded, rows_quarantined FROM raw._loads ORDER BY started_at"
        ).fetchall()
    return [dict(zip(["load_id", "entity", "file", "status", "rows_loaded", "rows_quarantined"], r)) for r in rows]


@dg.asset(
    key=["published", "snapshot"],
    deps=[dg.AssetKey([schema, table]) for schema, table in published_tables()],
    group_name="published",
    pool="duckdb_writer",
    kinds={"duckdb"},
    description="Read-only snapshot of marts and KPIs, switched atomically; readers open published/current.duckdb.",
)
def published_snapshot(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
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
    }
    info = publish(tables, manifest)
    context.log.info(f"published snapshot {info.snapshot_id} at {info.path}")
    return dg.MaterializeResult(
        metadata={
            "snapshot_id": info.snapshot_id,
            "path": dg.MetadataValue.path(str(info.path)),
            "current": dg.MetadataValue.path(str(get_settings().current_snapshot)),
            "tables": len(tables),
        }
    )
