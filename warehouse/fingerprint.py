"""What a snapshot was built from, and whether a run would change anything.

A published snapshot records its inputs (`inputs_fingerprint`): the load ledger (which loads exist, with their
status), the code that turns raw rows into the published tables (the dbt project, the supplier resolution, the
gate's contracts, the publisher and the briefings) and the settings that change the build. A run with no landing
file the ledger does not know and the same inputs as the current snapshot would rebuild the same tables:
`procure run` and the daily schedule then say so and stop (`up_to_date`), instead of rebuilding and re-publishing
identical numbers (a minute at the default scale, many at scale 10). `procure run --full-refresh` always runs.

When only data changed (same code and settings), the check also says which entities changed since the snapshot
(`Freshness.changed`): entities with new landing files, and entities whose loads differ from the loads the
snapshot records (loaded by the landing sensor since, retracted, ...). A run then builds only what depends on
them (orchestration/selection.py). Anything that makes that unsafe (no snapshot, a snapshot without its inputs or
its loads, changed code or settings, a working warehouse that lacks loads or tables the snapshot was built from)
leaves `changed` None: the run builds everything.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import duckdb

from warehouse.connection import connect
from warehouse.settings import REPO_ROOT, Settings, get_settings

# Code whose change changes what a run publishes (paths relative to the repository).
CODE_PATHS = (
    "dbt_project/models",
    "dbt_project/macros",
    "dbt_project/seeds",
    "dbt_project/dbt_project.yml",
    "dbt_project/profiles.yml",
    "ingestion/resolution",
    "ingestion/common/canonical_schema.yml",
    "warehouse/soda",
    "warehouse/gate.py",
    "warehouse/publish.py",
    "orchestration/defs",
    "dashboards/briefing.py",
)
_CODE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".py", ".md"}
# Settings read by the build or the gate (warehouse/settings.py, dbt_project/profiles.yml).
SETTINGS = ("PROCURE_DBT_TARGET", "PROCURE_VOLUME_TOLERANCE", "PROCURE_FRESHNESS_MAX_DAYS")


def code_fingerprint(root: Path = REPO_ROOT) -> str:
    """sha256 over the relative path and content of every file of CODE_PATHS (sorted)."""
    h = hashlib.sha256()
    for rel in CODE_PATHS:
        base = root / rel
        files = [base] if base.is_file() else sorted(
            p for p in base.rglob("*") if p.is_file() and p.suffix in _CODE_SUFFIXES and "__pycache__" not in p.parts
        )
        for path in files:
            h.update(str(path.relative_to(root)).encode() + b"\0")
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def ledger_fingerprint(con: duckdb.DuckDBPyConnection) -> str:
    """md5 over every load of raw._loads (id and status), in load-id order; '' without a ledger."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'raw' AND table_name = '_loads'"
    ).fetchone()[0]
    if not exists:
        return ""
    row = con.execute(
        "SELECT count(*), md5(coalesce(string_agg(load_id || ':' || status, ',' ORDER BY load_id), '')) FROM raw._loads"
    ).fetchone()
    return f"{row[0]}:{row[1]}"


def inputs_fingerprint(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """What the tables built from this warehouse now depend on (recorded in each snapshot's manifest)."""
    return {
        "ledger": ledger_fingerprint(con),
        "code": code_fingerprint(),
        "settings": ";".join(f"{name}={os.environ.get(name, '')}" for name in SETTINGS),
    }


@dataclass
class Freshness:
    up_to_date: bool
    reason: str                 # why a run is (not) needed, in words
    snapshot_id: str | None = None
    files: int = 0              # landing files looked at
    new_files: list[str] | None = None
    # entities whose data changed since the snapshot (sorted); None: build everything (see the module's doc)
    changed: list[str] | None = None
    snapshot_at: datetime | None = None  # when the current snapshot was published
    # loads retracted since the snapshot: their rows left raw, which the facts' incremental rule (it looks at new
    # loads) does not see, so the run must rebuild the facts from raw (as --full-refresh)
    retracted: list[str] = field(default_factory=list)


class Pending(NamedTuple):
    files: list[str]        # landing files (relative paths) whose content the ledger does not know for their entity
    count: int              # files the landing area holds
    entities: set[str]      # the entities those new files feed


def pending_files(con: duckdb.DuckDBPyConnection, landing: Path, remember: bool = True) -> Pending:
    """The landing files whose content the ledger does not know for their entity. Uses the hash cache
    (ingestion/common/loader.cached_sha256)."""
    from ingestion.common.loader import cached_sha256, discover

    files, _ = discover(landing)
    known = {(e, s) for e, s in con.execute("SELECT DISTINCT entity, file_sha256 FROM raw._loads").fetchall()}
    hashes: dict[Path, str] = {}
    new: list[str] = []
    entities: set[str] = set()
    for lf in files:
        if lf.path not in hashes:
            hashes[lf.path] = cached_sha256(con, lf.path, remember=remember)
        if (lf.entity, hashes[lf.path]) not in known:
            entities.add(lf.entity)
            if lf.relative not in new:
                new.append(lf.relative)
    return Pending(new, len(hashes), entities)


class Changes(NamedTuple):
    entities: set[str] | None   # None: the warehouse cannot be built on in part (`untrusted` says why)
    untrusted: str
    retracted: list[str]        # "<load_id> (<file>)" of the loads retracted since the snapshot


def changed_since(con: duckdb.DuckDBPyConnection, manifest: dict) -> Changes:
    """Entities whose loads differ from those the snapshot (its manifest) was built from, and the loads retracted
    since; entities None with the reason when the working warehouse cannot be trusted to hold what the snapshot
    was built from (a partial build on top of it would then be wrong): the snapshot lists no loads, the ledger
    lacks one of them, or a published table is missing."""
    recorded = manifest.get("loads")
    if recorded is None:
        return Changes(None, "the snapshot does not list its loads", [])
    now = {load_id: (entity, status) for load_id, entity, status in con.execute(
        "SELECT load_id, entity, status FROM raw._loads").fetchall()}
    changed: set[str] = set()
    retracted: list[str] = []
    for load in recorded:
        current = now.pop(load["load_id"], None)
        if current is None:
            return Changes(None, f"the load ledger lacks load {load['load_id']} ({load['file']}) the snapshot was "
                                 "built from", [])
        if current != (load["entity"], load["status"]):
            changed.update({current[0], load["entity"]})
            if current[1] == "retracted":
                retracted.append(f"{load['load_id']} ({load['file']})")
    changed.update(entity for entity, _status in now.values())  # loads the snapshot does not know
    tables = {f"{s}.{t}" for s, t in con.execute(
        "SELECT table_schema, table_name FROM information_schema.tables").fetchall()}
    missing = [name for name in manifest.get("tables", []) if name not in tables]
    if missing:
        return Changes(None, f"the working warehouse lacks {len(missing)} published table(s), e.g. {missing[0]}", retracted)
    return Changes(changed, "", retracted)


def check_up_to_date(settings: Settings | None = None) -> Freshness:
    """Is the current snapshot built from exactly what a run would build from now? Call it holding the warehouse
    lock (it opens the warehouse read-write to remember file hashes)."""
    from ingestion.common.loader import ensure_warehouse
    from warehouse.publish import current_snapshot

    settings = settings or get_settings()
    snap = current_snapshot(settings)
    if snap is None:
        return Freshness(False, "no snapshot is published yet")
    recorded = snap.manifest.get("inputs")
    if not recorded:
        return Freshness(False, f"snapshot {snap.snapshot_id} does not record what it was built from", snap.snapshot_id)
    if not settings.warehouse.exists():
        return Freshness(False, "no working warehouse", snap.snapshot_id)
    with connect(settings.warehouse) as con:
        ensure_warehouse(con)
        new, count, new_entities = pending_files(con, settings.landing)
        now = inputs_fingerprint(con)
        entities, untrusted, retracted = changed_since(con, snap.manifest)
    differs = [k for k in ("ledger", "code", "settings") if recorded.get(k) != now[k]]
    if not new and not differs:
        return Freshness(True, f"nothing new since snapshot {snap.snapshot_id}: all {count} landing file(s) are in "
                         "the load ledger and the code and settings are unchanged", snap.snapshot_id, count, [], [],
                         snap.created_at)
    words = {"ledger": "the load ledger", "code": "the code", "settings": "the settings"}
    reasons = [f"{len(new)} new landing file(s): " + ", ".join(new[:5]) + (f" and {len(new) - 5} more" if len(new) > 5 else "")] if new else []
    reasons += [f"{words[k]} changed since snapshot {snap.snapshot_id}" for k in differs if k != "ledger" or not new]
    if "code" in differs or "settings" in differs:
        entities = None  # the code or the settings changed: everything may build differently
    elif entities is not None:
        entities |= new_entities
    elif untrusted:
        reasons.append(untrusted)
    if retracted:
        reasons.append(f"{len(retracted)} load(s) retracted since snapshot {snap.snapshot_id} "
                       f"({', '.join(retracted[:3])}{' and more' if len(retracted) > 3 else ''}): rebuilding from raw")
        entities = None
    return Freshness(False, "; ".join(reasons), snap.snapshot_id, count, new,
                     sorted(entities) if entities is not None else None, snap.created_at, retracted)
