"""The landing sensor: new files in the landing area -> a run of ingest_job for their entities.

What counts as new, and the cursor:
- The cursor maps each landing file already dealt with (relative path) to its signature "size:mtime_ns". A file
  whose path and signature are in the cursor is not looked at again (no hashing of the whole landing area every
  minute); a file that is new, or rewritten in place (size or mtime changed), is a candidate.
- A candidate whose content (sha256) is already in the load ledger raw._loads for its entity (any status: a
  loaded file would be skipped by ingestion, a rejected one rejected again) is recorded in the cursor without a
  run. The ledger is read through a read-only connection opened for the instant, under the warehouse lock:
  while a run holds the warehouse the tick is skipped and the files are looked at on the next one.
- The other candidates are new: one run request for them, with a run_key made of their paths and hashes
  (Dagster never launches the same run_key twice for this sensor), selecting the raw assets of their entities.
  They enter the cursor, so the sensor does not fire twice for the same files; files gone from the landing
  area leave the cursor.
If that run fails, its files stay in the cursor: the next procure_job run (daily schedule) loads them, as it
loads every file not in the ledger. Deliver files atomically (write under a name starting with "." and rename):
discover() ignores dot-files, so a half-written file is never seen.
"""

import hashlib
import json
from pathlib import Path

import dagster as dg

from ingestion.common.loader import LandingFile, discover, file_sha256
from orchestration.automation import AUTOMATION_NOTE, default_sensor_status
from orchestration.jobs import ingest_job
from warehouse.lock import WarehouseBusy, warehouse_lock
from warehouse.settings import get_settings

MINIMUM_INTERVAL_S = 60


def _signature(path: Path) -> str:
    st = path.stat()
    return f"{st.st_size}:{st.st_mtime_ns}"


def _ledger_hashes(warehouse: Path, wanted: set[str]) -> set[tuple[str, str]]:
    """(entity, sha256) pairs of the ledger among the wanted hashes; empty without a warehouse or ledger."""
    import duckdb

    if not warehouse.exists() or not wanted:
        return set()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        has_ledger = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = '_loads'"
        ).fetchone()[0]
        if not has_ledger:
            return set()
        placeholders = ", ".join("?" for _ in wanted)
        rows = con.execute(
            f"SELECT DISTINCT entity, file_sha256 FROM raw._loads WHERE file_sha256 IN ({placeholders})", sorted(wanted)
        ).fetchall()
    finally:
        con.close()
    return {(r[0], r[1]) for r in rows}


@dg.sensor(
    name="landing_sensor",
    job=ingest_job,
    minimum_interval_seconds=MINIMUM_INTERVAL_S,
    default_status=default_sensor_status(),
    description=(
        "Every minute: files in the landing area that are new (not in the cursor) and whose content is not in "
        "the load ledger raw._loads -> one ingest_job run for their entities (run_key = their paths and hashes). "
        f"{AUTOMATION_NOTE}"
    ),
)
def landing_sensor(context: dg.SensorEvaluationContext):
    settings = get_settings()
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    files, _unrecognised = discover(settings.landing)
    signatures = {f.relative: _signature(f.path) for f in files}
    candidates = [f for f in files if seen.get(f.relative) != signatures[f.relative]]
    # forget files that left the landing area
    cursor = {rel: sig for rel, sig in seen.items() if rel in signatures}
    if not candidates:
        if cursor != seen:
            context.update_cursor(json.dumps(cursor, sort_keys=True))
        return dg.SkipReason(f"no new files in {settings.landing} ({len(files)} already seen)")

    hashes = {f.relative: file_sha256(f.path) for f in candidates}
    try:
        with warehouse_lock("landing sensor: reading the load ledger", timeout_s=0):
            in_ledger = _ledger_hashes(settings.warehouse, set(hashes.values()))
    except WarehouseBusy as exc:
        return dg.SkipReason(f"the warehouse is busy ({exc}); looking again at the next tick")

    new: list[LandingFile] = [f for f in candidates if (f.entity, hashes[f.relative]) not in in_ledger]
    for f in candidates:
        cursor[f.relative] = signatures[f.relative]
    context.update_cursor(json.dumps(cursor, sort_keys=True))
    if not new:
        return dg.SkipReason(f"{len(candidates)} new or changed file(s), all already in the load ledger")

    for f in new:
        context.log.info(f"new landing file {f.relative} ({f.entity}, sha256 {hashes[f.relative][:12]})")
    key_material = "\n".join(sorted(f"{f.relative}:{hashes[f.relative]}" for f in new))
    entities = sorted({f.entity for f in new})
    return dg.RunRequest(
        run_key="landing-" + hashlib.sha256(key_material.encode()).hexdigest()[:20],
        asset_selection=[dg.AssetKey(["raw", e]) for e in entities],
        tags={"procure/trigger": "landing_sensor", "procure/new_files": str(len(new))},
    )
