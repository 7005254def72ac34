"""Publication: copy gated tables into a new read-only snapshot file and switch ``current.duckdb`` atomically.

Layout under ``settings.published``::

    snapshots/<snapshot_id>.duckdb   one DuckDB file per publication (tables in its ``main`` schema,
                                     plus ``snapshot_manifest``)
    snapshots/<snapshot_id>.json     sidecar: the same manifest, readable without DuckDB
    current.duckdb -> snapshots/<snapshot_id>.duckdb   (relative symlink, replaced atomically)
    briefings/<snapshot_id>/         the snapshot's executive briefings (written after the switch, not by publish())
    publications.jsonl               append-only log: one line per switch of current (publish or rollback)

Steps of :func:`publish`: write ``.<id>.duckdb.tmp`` (warehouse ATTACHed READ_ONLY), CHECKPOINT, close; reopen it
read-only and verify (every table present with the source's row count, manifest readable); rename to
``<id>.duckdb``; write the sidecar; point a temporary symlink at it and ``os.replace`` it onto ``current.duckdb``;
apply retention. Anything failing before the switch removes what this publication wrote and leaves the previous
current exactly as it was. Readers that hold an old snapshot open keep reading it (its inode survives even when
retention unlinks the file).

Snapshot ids (``20261125T184501Z-3fa2c1``) sort by time to the second; ordering within a second uses the
``created_at`` (microseconds) recorded in the sidecar.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import duckdb

from warehouse.durable import fsync_dir
from warehouse.settings import REPO_ROOT, Settings, get_settings

CURRENT_NAME = "current.duckdb"
LOG_NAME = "publications.jsonl"
BRIEFINGS_NAME = "briefings"  # briefings/<snapshot_id>/: the executive briefings of a snapshot (dashboards/briefing.py)
MANIFEST_TABLE = "snapshot_manifest"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_SNAPSHOT_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{6}$")


class PublishError(RuntimeError):
    """The snapshot could not be written or verified; the previous current snapshot is untouched."""


@dataclass
class SnapshotInfo:
    snapshot_id: str
    path: Path
    created_at: datetime  # UTC, timezone-aware
    manifest: dict  # the caller's manifest, as published
    code_version: str = "unknown"
    tables: dict[str, int] = field(default_factory=dict)  # table name in the snapshot -> row count
    is_current: bool = False


# ---------------------------------------------------------------------------------------------- helpers


def _quote(identifier: str) -> str:
    if not _IDENTIFIER.match(identifier):
        raise ValueError(f"unsafe SQL identifier: {identifier!r}")
    return f'"{identifier}"'


def _sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def new_snapshot_id(now: datetime | None = None) -> str:
    now = now or datetime.now(timezone.utc)
    return f"{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"


def _code_version(manifest: dict) -> str:
    if manifest.get("code_version"):
        return str(manifest["code_version"])
    if os.environ.get("PROCURE_CODE_VERSION"):
        return os.environ["PROCURE_CODE_VERSION"]
    try:
        out = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=5, check=False,
        )
        if out.returncode == 0 and out.stdout.strip():
            dirty = subprocess.run(
                ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "--untracked-files=no"],
                capture_output=True, text=True, timeout=5, check=False,
            )
            return out.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def _remove(*paths: Path) -> None:
    for p in paths:
        for candidate in (p, p.with_name(p.name + ".wal")):
            try:
                candidate.unlink()
            except FileNotFoundError:
                pass


def _remove_leftovers(settings: Settings) -> list[str]:
    """Delete what a publication killed half-way left behind: its ``.<id>.duckdb.tmp`` (and WAL) and
    ``.<id>.json.tmp`` in snapshots/, never pointed to by current.duckdb. Only a publication writes those, and
    publications run one at a time (under the warehouse lock), so any found here are stale. A ``.current.*.tmp``
    link (a switch killed between its two steps) is deleted when older than a minute (a rollback's own takes
    milliseconds). Returns the names deleted."""
    gone = []
    stale = [*settings.snapshots_dir.glob(".*.duckdb.tmp*"), *settings.snapshots_dir.glob(".*.json.tmp")]
    now = datetime.now(timezone.utc).timestamp()
    for link in settings.published.glob(".current.*.tmp"):
        try:
            if now - link.lstat().st_mtime > 60:
                stale.append(link)
        except FileNotFoundError:
            pass
    for path in stale:
        try:
            path.unlink()
            gone.append(path.name)
        except FileNotFoundError:
            pass
    return gone


def _duckdb_config(settings: Settings) -> dict[str, Any]:
    return {"memory_limit": settings.duckdb_memory, "threads": settings.duckdb_threads}


# ---------------------------------------------------------------------------------------------- publish


def publish(
    tables: list[tuple[str, str]],
    manifest: dict,
    warehouse_path: Path | None = None,
    settings: Settings | None = None,
) -> SnapshotInfo:
    """Copy (schema, table) pairs from the warehouse into a new snapshot and make it current.

    Raises PublishError (previous current untouched, nothing of this publication left behind) on failure.
    """
    settings = settings or get_settings()
    warehouse_path = Path(warehouse_path) if warehouse_path else settings.warehouse
    if not tables:
        raise PublishError("nothing to publish: no tables given")
    names = [t for _, t in tables]
    if len(set(names)) != len(names):
        raise PublishError(f"two tables would get the same name in the snapshot: {names}")
    for schema, table in tables:
        _quote(schema), _quote(table)
    if MANIFEST_TABLE in names:
        raise PublishError(f"'{MANIFEST_TABLE}' is reserved for the snapshot manifest")
    if not warehouse_path.is_file():
        raise PublishError(f"no warehouse at {warehouse_path}")
    manifest_json = json.dumps(manifest, sort_keys=True, default=str)  # fails early on unserialisable input

    snapshots_dir = settings.snapshots_dir
    snapshots_dir.mkdir(parents=True, exist_ok=True)
    _remove_leftovers(settings)
    created_at = datetime.now(timezone.utc)
    snapshot_id = new_snapshot_id(created_at)
    code_version = _code_version(manifest)
    tmp_path = snapshots_dir / f".{snapshot_id}.duckdb.tmp"
    final_path = snapshots_dir / f"{snapshot_id}.duckdb"
    sidecar_tmp = snapshots_dir / f".{snapshot_id}.json.tmp"
    sidecar_path = snapshots_dir / f"{snapshot_id}.json"

    try:
        row_counts = _write_snapshot(
            tmp_path, warehouse_path, tables, snapshot_id, created_at, code_version, manifest_json, settings
        )
        verify_snapshot(tmp_path, row_counts, snapshot_id)
        info = SnapshotInfo(
            snapshot_id=snapshot_id,
            path=final_path,
            created_at=created_at,
            manifest=json.loads(manifest_json),
            code_version=code_version,
            tables=row_counts,
        )
        sidecar_tmp.write_text(json.dumps(_sidecar(info, tables, warehouse_path), indent=2, sort_keys=True))
        os.replace(tmp_path, final_path)
        os.replace(sidecar_tmp, sidecar_path)
        fsync_dir(snapshots_dir)
    except BaseException as e:
        _remove(tmp_path, sidecar_tmp, final_path, sidecar_path)
        if isinstance(e, PublishError) or not isinstance(e, Exception):
            raise
        raise PublishError(f"publication failed before the switch, current snapshot unchanged: {e}") from e

    previous = _current_target(settings)
    try:
        _switch_current(settings, snapshot_id)
    except BaseException:
        _remove(final_path, sidecar_path)
        raise
    info.is_current = True
    _log_switch(settings, "publish", snapshot_id, previous)
    _apply_retention(settings)
    return info


def _write_snapshot(
    path: Path,
    warehouse_path: Path,
    tables: list[tuple[str, str]],
    snapshot_id: str,
    created_at: datetime,
    code_version: str,
    manifest_json: str,
    settings: Settings,
) -> dict[str, int]:
    _remove(path)
    counts: dict[str, int] = {}
    con = duckdb.connect(str(path), config=_duckdb_config(settings))
    try:
        # ATTACH takes no bound parameters: the path is a quoted string literal; the alias is fixed.
        con.execute(f"ATTACH {_sql_string(str(warehouse_path.resolve()))} AS wh (READ_ONLY)")
        for schema, table in tables:
            source = f"wh.{_quote(schema)}.{_quote(table)}"
            con.execute(f"CREATE TABLE main.{_quote(table)} AS SELECT * FROM {source}")
            counts[table] = con.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        con.execute(
            f"CREATE TABLE main.{MANIFEST_TABLE} (snapshot_id VARCHAR NOT NULL, created_at TIMESTAMP NOT NULL, "
            "code_version VARCHAR, manifest VARCHAR, tables VARCHAR)"
        )
        con.execute(
            f"INSERT INTO main.{MANIFEST_TABLE} VALUES (?, ?, ?, ?, ?)",
            [
                snapshot_id,
                created_at.astimezone(timezone.utc).replace(tzinfo=None),  # stored as naive UTC
                code_version,
                manifest_json,
                json.dumps(counts, sort_keys=True),
            ],
        )
        con.execute("DETACH wh")
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return counts


def verify_snapshot(path: Path, expected: dict[str, int] | None = None, snapshot_id: str | None = None) -> str:
    """Open a snapshot file read-only and check it is whole; return its snapshot id. Raises PublishError.

    Whole means: ``snapshot_manifest`` holds exactly one row (naming ``snapshot_id`` when given, else the file's
    own name for a published ``<id>.duckdb``), and every table ``expected`` lists (default: the row counts the
    manifest recorded at publication) is there with that many rows. Publication runs it on the new file before the
    switch; anyone may run it on a published one (readers, the fault-injection tests).
    """
    con = duckdb.connect(str(path), read_only=True)
    try:
        present = {r[0] for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'"
        ).fetchall()}
        if MANIFEST_TABLE not in present:
            raise PublishError(f"verification: {path.name} has no {MANIFEST_TABLE} table")
        rows = con.execute(f"SELECT snapshot_id, manifest, tables FROM main.{MANIFEST_TABLE}").fetchall()
        if snapshot_id is None and _SNAPSHOT_ID.match(path.stem):
            snapshot_id = path.stem
        if len(rows) != 1 or (snapshot_id is not None and rows[0][0] != snapshot_id):
            raise PublishError(f"verification: {MANIFEST_TABLE} of {path.name} does not hold exactly this snapshot's row")
        json.loads(rows[0][1])
        if expected is None:
            expected = json.loads(rows[0][2] or "{}")
            if not expected:
                raise PublishError(f"verification: {MANIFEST_TABLE} of {path.name} lists no tables")
        for table, count in expected.items():
            if table not in present:
                raise PublishError(f"verification: table {table} missing from the snapshot")
            got = con.execute(f"SELECT count(*) FROM main.{_quote(table)}").fetchone()[0]
            if got != count:
                raise PublishError(f"verification: {table} has {got} rows in the snapshot, {count} in the source")
        return rows[0][0]
    finally:
        con.close()


def _sidecar(info: SnapshotInfo, tables: list[tuple[str, str]], warehouse_path: Path) -> dict:
    return {
        "snapshot_id": info.snapshot_id,
        "created_at": info.created_at.isoformat(),
        "code_version": info.code_version,
        "manifest": info.manifest,
        "tables": info.tables,
        "sources": {t: f"{s}.{t}" for s, t in tables},
        "warehouse": str(warehouse_path),
    }


# ---------------------------------------------------------------------------------------------- switch


def _switch_current(settings: Settings, snapshot_id: str) -> None:
    target = settings.snapshots_dir / f"{snapshot_id}.duckdb"
    if not target.is_file():
        raise PublishError(f"no snapshot {snapshot_id} to switch to")
    published = settings.published
    link_tmp = published / f".current.{snapshot_id}.{secrets.token_hex(3)}.tmp"
    os.symlink(os.path.join(settings.snapshots_dir.name, target.name), link_tmp)
    try:
        os.replace(link_tmp, published / CURRENT_NAME)
    except BaseException:
        _remove(link_tmp)
        raise
    fsync_dir(published)


def rollback(snapshot_id: str | None = None, settings: Settings | None = None) -> SnapshotInfo:
    """Make a kept snapshot current again: the given one, or the newest one older than the current.

    The warehouse is not touched: only current.duckdb moves (atomically). The switch is logged in
    publications.jsonl; the next successful run publishes a new snapshot over it as usual.
    """
    settings = settings or get_settings()
    snapshots = list_snapshots(settings)
    if snapshot_id is None:
        idx = next((i for i, s in enumerate(snapshots) if s.is_current), None)
        older = snapshots[idx + 1:] if idx is not None else snapshots
        if not older:
            raise PublishError("no older snapshot to roll back to")
        snapshot_id = older[0].snapshot_id
    kept = [s.snapshot_id for s in snapshots]
    if snapshot_id not in kept:
        reason = "is not a snapshot id (YYYYMMDDTHHMMSSZ-xxxxxx)" if not _SNAPSHOT_ID.match(snapshot_id) else "is not kept"
        raise PublishError(
            f"snapshot {snapshot_id!r} {reason}; kept snapshots (newest first): {', '.join(kept) or 'none'}"
        )
    previous = _current_target(settings)
    _switch_current(settings, snapshot_id)
    _log_switch(settings, "rollback", snapshot_id, previous)
    info = _read_info(settings.snapshots_dir / f"{snapshot_id}.duckdb")
    info.is_current = True
    return info


def _log_switch(settings: Settings, action: str, snapshot_id: str, previous: Path | None) -> None:
    """Append one line to publications.jsonl (who became current, from what, when). Never fails the switch."""
    entry = {
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "action": action,
        "snapshot_id": snapshot_id,
        "previous_snapshot_id": previous.stem if previous is not None else None,
        "pid": os.getpid(),
    }
    try:
        with open(settings.published / LOG_NAME, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, sort_keys=True) + "\n")
    except OSError:
        pass


def publication_log(settings: Settings | None = None) -> list[dict]:
    """Every switch of current.duckdb, oldest first (unreadable lines are skipped)."""
    settings = settings or get_settings()
    path = settings.published / LOG_NAME
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return entries


def gate_summary(manifest: dict) -> str:
    """One line on the gate results recorded in a snapshot's manifest, e.g. 'passed: 44 contracts, 612 checks'."""
    gate = manifest.get("gate") if isinstance(manifest, dict) else None
    if not gate:
        return "not recorded"
    contracts = gate.get("contracts") or []
    checks = sum(int(c.get("checks_evaluated") or 0) for c in contracts)
    failed = [c for c in contracts if not c.get("passed")]
    verdict = "passed" if gate.get("passed") and not failed else f"FAILED ({len(failed)} contract(s))"
    text = f"{verdict}: {len(contracts)} contracts, {checks} checks"
    dbt = gate.get("dbt_tests")
    if dbt:
        text += f"; dbt tests {dbt.get('passed', 0)} passed, {dbt.get('failed', 0)} failed"
        if dbt.get("warned"):  # severity warn (e.g. a child whose parent is held back): listed, blocking nothing
            text += f", {dbt['warned']} warned"
    return text


def loads_summary(manifest: dict) -> str:
    """One line on the loads a snapshot contains, e.g. '21 files: 141,020 rows loaded, 75 quarantined'."""
    loads = [ld for ld in (manifest.get("loads") or []) if ld.get("status") == "loaded"] if isinstance(manifest, dict) else []
    if not loads:
        return "not recorded"
    loaded = sum(int(ld.get("rows_loaded") or 0) for ld in loads)
    quarantined = sum(int(ld.get("rows_quarantined") or 0) for ld in loads)
    return f"{len(loads)} files: {loaded:,} rows loaded, {quarantined:,} quarantined"


# ---------------------------------------------------------------------------------------------- read


def _current_target(settings: Settings) -> Path | None:
    current = settings.current_snapshot
    if not current.exists():  # follows the link: a dangling link counts as no snapshot
        return None
    return current.resolve()


def _read_info(path: Path) -> SnapshotInfo:
    """SnapshotInfo from the sidecar, or from the file's snapshot_manifest table when the sidecar is gone."""
    sidecar = path.with_suffix(".json")
    data: dict[str, Any]
    if sidecar.is_file():
        data = json.loads(sidecar.read_text())
    else:
        con = duckdb.connect(str(path), read_only=True)
        try:
            sid, created, code, manifest, tables = con.execute(
                f"SELECT snapshot_id, created_at, code_version, manifest, tables FROM main.{MANIFEST_TABLE}"
            ).fetchone()
        finally:
            con.close()
        data = {
            "snapshot_id": sid,
            "created_at": created.replace(tzinfo=timezone.utc).isoformat(),
            "code_version": code,
            "manifest": json.loads(manifest or "{}"),
            "tables": json.loads(tables or "{}"),
        }
    created_at = datetime.fromisoformat(data["created_at"])
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=timezone.utc)
    return SnapshotInfo(
        snapshot_id=data["snapshot_id"],
        path=path,
        created_at=created_at,
        manifest=data.get("manifest") or {},
        code_version=data.get("code_version") or "unknown",
        tables=data.get("tables") or {},
    )


def current_snapshot(settings: Settings | None = None) -> SnapshotInfo | None:
    settings = settings or get_settings()
    target = _current_target(settings)
    if target is None or not target.is_file():
        return None
    info = _read_info(target)
    info.is_current = True
    return info


def list_snapshots(settings: Settings | None = None) -> list[SnapshotInfo]:
    """Every complete snapshot, newest first; ``is_current`` marks the one current.duckdb points to."""
    settings = settings or get_settings()
    directory = settings.snapshots_dir
    if not directory.is_dir():
        return []
    current = _current_target(settings)
    infos = []
    for path in directory.glob("*.duckdb"):
        if not _SNAPSHOT_ID.match(path.stem):
            continue
        try:
            info = _read_info(path)
        except Exception:  # noqa: BLE001 - an unreadable snapshot is listed by its name and file time
            info = SnapshotInfo(
                path.stem, path, datetime.fromtimestamp(path.stat().st_mtime, timezone.utc), {}
            )
        info.is_current = current is not None and path.resolve() == current
        infos.append(info)
    infos.sort(key=lambda s: (s.created_at, s.snapshot_id), reverse=True)
    return infos


def _apply_retention(settings: Settings) -> list[str]:
    """Delete snapshots beyond the newest settings.keep_snapshots, never the current one. Returns deleted ids."""
    deleted = []
    for info in list_snapshots(settings)[settings.keep_snapshots:]:
        if info.is_current:
            continue
        _remove(info.path, info.path.with_suffix(".json"))
        shutil.rmtree(settings.published / BRIEFINGS_NAME / info.snapshot_id, ignore_errors=True)
        deleted.append(info.snapshot_id)
    return deleted
