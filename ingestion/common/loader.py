"""Load landing files into raw.* with lineage, a load ledger and a quarantine.

For each file: hash it; skip it if the ledger already holds a successful load of the same content for the same
entity (a file delivered twice, or renamed, is loaded once); read it as text with row numbers; validate every
row against the canonical schema in SQL; insert valid rows into raw.<entity> (typed) and invalid rows into
quarantine.<entity> (as received, with the reason); record the load in raw._loads. All of a file's writes
commit in one transaction, so a crash leaves either the whole file loaded or nothing of it.
"""

import csv
import hashlib
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import polars as pl

from ingestion.common.parsing import parse_expr, typed_select, validation_sql
from ingestion.common.schema import Entity, load_schema, quarantine_table_ddl, raw_table_ddl
from warehouse.connection import connect

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS raw._loads (
  load_id VARCHAR PRIMARY KEY,
  source VARCHAR NOT NULL,
  entity VARCHAR NOT NULL,
  file VARCHAR NOT NULL,
  file_sha256 VARCHAR NOT NULL,
  file_bytes BIGINT NOT NULL,
  status VARCHAR NOT NULL,           -- loaded | rejected
  rows_in BIGINT NOT NULL,
  rows_loaded BIGINT NOT NULL,
  rows_quarantined BIGINT NOT NULL,
  amount_loaded DECIMAL(38,2),       -- sum of the entity's amount column over loaded rows
  amount_quarantined DECIMAL(38,2),  -- same over quarantined rows whose amount parses
  message VARCHAR,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL
)
"""

SUPPORTED_SUFFIXES = {".csv"}


class IngestionError(Exception):
    """A problem with a whole file (not a row) that the user must fix."""


@dataclass
class FileLoad:
    entity: str
    file: str
    status: str  # loaded | rejected | skipped_duplicate
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    load_id: str | None = None
    message: str = ""
    samples: list[str] = field(default_factory=list)  # "file:row column: reason" for a few quarantined rows


@dataclass
class LandingFile:
    source: str
    entity: str
    path: Path
    relative: str


@dataclass
class IngestReport:
    loads: list[FileLoad] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)

    def by_entity(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for load in self.loads:
            row = out.setdefault(load.entity, {"files": 0, "skipped": 0, "rows_loaded": 0, "rows_quarantined": 0})
            if load.status == "skipped_duplicate":
                row["skipped"] += 1
            else:
                row["files"] += 1
            row["rows_loaded"] += load.rows_loaded
            row["rows_quarantined"] += load.rows_quarantined
        return out


def ensure_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and quarantine schemas, every entity's tables and the ledger (idempotent)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
    con.execute(LEDGER_DDL)
    for e in load_schema().values():
        con.execute(raw_table_ddl(e))
        con.execute(quarantine_table_ddl(e))


def _entity_for(name: str) -> str | None:
    schema = load_schema()
    stem = name.split(".")[0].lower()
    # <entity>.csv, <entity>__<anything>.csv or <entity>-<anything>.csv
    for candidate in (stem, re.split(r"__|-", stem)[0]):
        if candidate in schema:
            return candidate
    return None


def discover(landing: Path) -> tuple[list[LandingFile], list[str]]:
    """Files under landing/<source>/ named after an entity (<entity>.csv, <entity>__part.csv or <entity>/x.csv)."""
    found, unrecognised = [], []
    if not landing.exists():
        return found, unrecognised
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        rel = path.relative_to(landing)
        if path.name.startswith("."):
            continue
        if len(rel.parts) < 2:
            unrecognised.append(f"{rel}: files must sit in a source folder, landing/<source>/<entity>.csv")
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            unrecognised.append(f"{rel}: unsupported file type {path.suffix or '(none)'}; supported: .csv")
            continue
        entity = _entity_for(path.name) or (_entity_for(rel.parts[-2]) if len(rel.parts) >= 3 else None)
        if entity is None:
            unrecognised.append(f"{rel}: no canonical entity named in the file name (one of: {', '.join(load_schema())})")
            continue
        found.append(LandingFile(source=rel.parts[0], entity=entity, path=path, relative=str(rel)))
    return found, unrecognised


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _csv_header(path: Path) -> list[str]:
    # Read the header ourselves: polars silently renames a repeated column (x, x_duplicated_0).
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        return next(csv.reader(fh), [])


def _to_text_parquet(path: Path, out: Path) -> list[str]:
    """Stream the CSV into a Parquet file of text columns plus _row_number; returns the header."""
    header = _csv_header(path)
    seen: set[str] = set()
    for h in header:
        key = h.strip().lower()
        if key in seen:
            raise IngestionError(f"header has the column {h.strip()!r} twice")
        seen.add(key)
    lf = pl.scan_csv(path, infer_schema=False, encoding="utf8-lossy")
    lf.with_row_index("_row_number", offset=1).sink_parquet(out)
    return lf.collect_schema().names()


def _map_header(e: Entity, header: list[str], relative: str) -> tuple[dict[str, str], list[str]]:
    """Canonical column -> header column (case- and space-insensitive); raises on duplicates."""
    normalised: dict[str, str] = {}
    for h in header:
        key = h.strip().lower()
        if key in normalised:
            raise IngestionError(f"{relative}: header has the column {h.strip()!r} twice")
        normalised[key] = h
    mapping = {c.name: normalised[c.name] for c in e.columns if c.name in normalised}
    extra = [h for k, h in normalised.items() if k not in e.column_index and k != "_row_number"]
    return mapping, extra


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def load_file(con: duckdb.DuckDBPyConnection, lf: LandingFile, tmpdir: Path) -> FileLoad:
    e = load_schema()[lf.entity]
    sha = file_sha256(lf.path)
    done = con.execute(
        "SELECT load_id, file FROM raw._loads WHERE entity = ? AND file_sha256 = ? AND status = 'loaded' LIMIT 1",
        [e.name, sha],
    ).fetchone()
    if done:
        return FileLoad(e.name, lf.relative, "skipped_duplicate", load_id=done[0],
                        message=f"same content as {done[1]} (load {done[0]}); not loaded again")

    started = datetime.now(timezone.utc).replace(tzinfo=None)
    load_id = f"{started:%Y%m%dT%H%M%S}-{sha[:8]}-{uuid.uuid4().hex[:6]}"
    size = lf.path.stat().st_size
    text_file = tmpdir / f"{load_id}.parquet"
    messages: list[str] = []
    try:
        header = _to_text_parquet(lf.path, text_file) if size > 0 else []
        mapping, extra = _map_header(e, header, lf.relative)
    except (pl.exceptions.PolarsError, IngestionError, OSError) as exc:
        # The file cannot be read as a table at all: nothing to load, recorded as rejected.
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _record_rejected(con, lf, e, load_id, sha, size, started, f"{lf.relative}: cannot be read: {message}")
    if size == 0 or not header:
        return _record_rejected(con, lf, e, load_id, sha, size, started, f"{lf.relative}: empty file (no header)")
    if extra:
        messages.append(f"ignored columns not in the canonical schema: {', '.join(extra)}")
    missing_required = [c for c in e.required_columns if c not in mapping]
    if missing_required:
        messages.append(f"missing required column(s): {', '.join(missing_required)}")

    select_cols = ", ".join(f"{_ident(src)} AS {c}" for c, src in mapping.items())
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _text AS SELECT {select_cols}{', ' if select_cols else ''}_row_number "
        f"FROM read_parquet(?)",
        [str(text_file)],
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _checked AS {validation_sql(e, '_text', set(mapping))}")
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    lineage = "?, ?, _row_number, ?, ?"
    lineage_params = [lf.source, lf.relative, load_id, loaded_at]
    amount = e.amount_column
    con.execute("BEGIN TRANSACTION")
    try:
        # Typed rows, in file order, with lineage.
        typed_cols = typed_select(e, "_checked").removeprefix("SELECT ").rsplit(" FROM ", 1)[0]
        con.execute(
            f"INSERT INTO raw.{e.name} SELECT {typed_cols}, {lineage} FROM _checked WHERE _reason IS NULL ORDER BY _row_number",
            lineage_params,
        )
        con.execute(
            f"INSERT INTO quarantine.{e.name} SELECT {', '.join(c.name for c in e.columns)}, {lineage}, _reason, _columns "
            f"FROM _checked WHERE _reason IS NOT NULL ORDER BY _row_number",
            lineage_params,
        )
        counts = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE _reason IS NULL), count(*) FILTER (WHERE _reason IS NOT NULL) FROM _checked"
        ).fetchone()
        amounts = (None, None)
        if amount:
            amounts = con.execute(
                f"SELECT sum({parse_expr(e.column(amount), amount)}) FILTER (WHERE _reason IS NULL), "
                f"sum({parse_expr(e.column(amount), amount)}) FILTER (WHERE _reason IS NOT NULL) FROM _checked"
            ).fetchone()
        rows_in, rows_loaded, rows_quarantined = counts
        if rows_in != rows_loaded + rows_quarantined:  # cannot happen by construction; never let it pass silently
            raise IngestionError(f"{lf.relative}: reconciliation failed: {rows_in} in, {rows_loaded} loaded, {rows_quarantined} quarantined")
        con.execute(
            "INSERT INTO raw._loads VALUES (?, ?, ?, ?, ?, ?, 'loaded', ?, ?, ?, ?, ?, ?, ?, ?)",
            [load_id, lf.source, e.name, lf.relative, sha, size, rows_in, rows_loaded, rows_quarantined,
             amounts[0], amounts[1], "; ".join(messages) or None, started, loaded_at],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    samples = [
        f"{lf.relative}:{r[0]} [{r[1]}] {r[2]}"
        for r in con.execute(
            "SELECT _row_number, _columns, _reason FROM _checked WHERE _reason IS NOT NULL ORDER BY _row_number LIMIT 5"
        ).fetchall()
    ]
    return FileLoad(e.name, lf.relative, "loaded", rows_in, rows_loaded, rows_quarantined, load_id,
                    "; ".join(messages), samples)


def _record_rejected(con, lf: LandingFile, e: Entity, load_id: str, sha: str, size: int, started: datetime, message: str) -> FileLoad:
    finished = datetime.now(timezone.utc).replace(tzinfo=None)
    con.execute(
        "INSERT INTO raw._loads VALUES (?, ?, ?, ?, ?, ?, 'rejected', 0, 0, 0, NULL, NULL, ?, ?, ?)",
        [load_id, lf.source, e.name, lf.relative, sha, size, message, started, finished],
    )
    return FileLoad(e.name, lf.relative, "rejected", load_id=load_id, message=message)


def ingest(
    landing: Path,
    warehouse_path: Path | None = None,
    entities: Iterable[str] | None = None,
    progress: Callable[[str, int, int], None] | None = None,
) -> IngestReport:
    """Load every new file under `landing` (optionally only some entities) into the warehouse."""
    files, unrecognised = discover(Path(landing))
    if entities is not None:
        wanted = set(entities)
        files = [f for f in files if f.entity in wanted]
    report = IngestReport(unrecognised=unrecognised)
    with connect(warehouse_path) as con, tempfile.TemporaryDirectory(prefix="procure-ingest-") as tmp:
        ensure_warehouse(con)
        for i, lf in enumerate(files, start=1):
            if progress:
                progress(lf.relative, i - 1, len(files))
            report.loads.append(load_file(con, lf, Path(tmp)))
        if progress:
            progress("done", len(files), len(files))
    return report


@dataclass
class Retraction:
    load_id: str
    entity: str
    file: str
    rows_deleted: int
    rows_unquarantined: int


def retract(load_id: str, warehouse_path: Path | None = None, reason: str = "") -> Retraction:
    """Take one load back out of the warehouse: delete its rows from raw.<entity> and quarantine.<entity> and mark
    it ``retracted`` in raw._loads (the ledger keeps the row, its counts and why). The same file can then be loaded
    again (the ledger only skips content whose load is ``loaded``). One transaction: all of it or nothing.

    Raises IngestionError naming the load when it does not exist or is not ``loaded``.
    """
    with connect(warehouse_path) as con:
        ensure_warehouse(con)
        row = con.execute("SELECT entity, file, status FROM raw._loads WHERE load_id = ?", [load_id]).fetchone()
        if row is None:
            raise IngestionError(f"no load {load_id!r} in raw._loads (list them with `procure loads`)")
        entity, file, status = row
        if status != "loaded":
            raise IngestionError(f"load {load_id} ({file}) is {status}, only a loaded load can be retracted")
        if entity not in load_schema():
            raise IngestionError(f"load {load_id} names an entity {entity!r} that the canonical schema does not have")
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
        note = f"retracted {stamp}" + (f": {reason}" if reason else "")
        con.execute("BEGIN TRANSACTION")
        try:
            deleted = con.execute(f"DELETE FROM raw.{entity} WHERE _load_id = ?", [load_id]).fetchone()[0]
            unquarantined = con.execute(f"DELETE FROM quarantine.{entity} WHERE _load_id = ?", [load_id]).fetchone()[0]
            con.execute(
                "UPDATE raw._loads SET status = 'retracted', "
                "message = CASE WHEN message IS NULL THEN ? ELSE message || '; ' || ? END WHERE load_id = ?",
                [note, note, load_id],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return Retraction(load_id, entity, file, int(deleted), int(unquarantined))
