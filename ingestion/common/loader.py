"""Load landing files into raw.* with lineage, a load ledger and a quarantine.

For each file: hash it; skip it if the ledger already holds a successful load of the same content for the same
entity (a file delivered twice, or renamed, is loaded once); read it as text with row numbers; validate every
row against the canonical schema in SQL; insert valid rows into raw.<entity> (typed) and invalid rows into
quarantine.<entity> (as received, with the reason); record the load in raw._loads. All of a file's writes
commit in one transaction, so a crash leaves either the whole file loaded or nothing of it.
"""

import hashlib
from fnmatch import fnmatch
import re
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable

import duckdb
import polars as pl
import yaml

from ingestion.common.parsing import sql_ident, sql_literal, typed_columns, typed_name, validation_sql
from ingestion.common.schema import Entity, load_schema, quarantine_table_ddl, raw_table_ddl
from ingestion.files.mapping import EntityMapping, Mapping, MappingError, ReadOptions, describe_sources, load_mapping
from ingestion.files.mapping import missing_sources, select_sql
from ingestion.files.readers import ReadError, read_table
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

# Each landing file's sha256 by its path, size and modification time: a file seen before is not read again to
# be recognised (at scale 10 hashing the landing area took longer than the rest of a run with nothing new).
# A file rewritten in place keeps neither its size nor its mtime (nanoseconds), so it is hashed again.
HASH_CACHE_DDL = """
CREATE TABLE IF NOT EXISTS raw._file_hashes (
  path VARCHAR NOT NULL,             -- absolute path of a landing file
  file_bytes BIGINT NOT NULL,
  mtime_ns BIGINT NOT NULL,
  file_sha256 VARCHAR NOT NULL,
  hashed_at TIMESTAMP NOT NULL
)
"""

SUPPORTED_SUFFIXES = {".csv"}  # canonical files (named after their entity); mapped files may be of any format
MAPPING_SUFFIXES = {".yml", ".yaml"}
# What the OCDS importer produces (ingestion/ocds): one load per entity of each OCDS file.
OCDS_ENTITIES = ("agencies", "suppliers", "requisitions", "solicitations", "bids", "awards", "contracts", "contract_amendments", "payments")


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
    mapping: Mapping | None = None  # None: a canonical file (columns named as the canonical schema)


def mapped_files(mapping: Mapping, paths: Iterable[Path], source: str | None = None,
                 landing: Path | None = None) -> list[LandingFile]:
    """One LandingFile per (file, entity) of the mapping. Lineage names the file relative to the landing
    area when it is inside it, else by its absolute path."""
    entities = OCDS_ENTITIES if mapping.read.format == "ocds" else [em.entity.name for em in mapping.entities]
    out = []
    for path in paths:
        path = Path(path)
        relative = str(path.resolve())
        if landing is not None:
            try:
                relative = str(path.resolve().relative_to(Path(landing).resolve()))
            except ValueError:
                pass
        for entity in entities:
            out.append(LandingFile(source=source or mapping.source or "manual", entity=entity, path=path,
                                   relative=relative, mapping=mapping))
    return out


@dataclass
class IngestReport:
    loads: list[FileLoad] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)
    mapping_errors: list[str] = field(default_factory=list)  # mappings that failed validation: nothing loaded with them

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
    con.execute(HASH_CACHE_DDL)
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


def _claimed_globs(path: Path) -> list[str]:
    """The `files:` globs of a mapping that failed validation, read leniently; all files of its folder when even
    that is unreadable (an invalid mapping's files must wait for the fix, not load as something else)."""
    try:
        files = (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("files")
    except Exception:  # noqa: BLE001 - any YAML or shape problem: claim everything
        return ["*"]
    if isinstance(files, str):
        return [files]
    return [f for f in files if isinstance(f, str)] if isinstance(files, list) and files else ["*"]


def _source_mappings(folder: Path) -> tuple[list[Mapping], list[tuple[Path, str, list[str]]]]:
    """The valid mappings (*.yml) anywhere under a source folder, and the invalid ones as (path, error, globs)."""
    mappings, invalid = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in MAPPING_SUFFIXES):
        try:
            mappings.append(load_mapping(path))
        except MappingError as exc:
            invalid.append((path, str(exc), _claimed_globs(path)))
    return mappings, invalid


def discover(landing: Path, errors: list[str] | None = None) -> tuple[list[LandingFile], list[str]]:
    """Files under landing/<source>/: canonical files named after an entity (<entity>.csv, <entity>__part.csv
    or <entity>/x.csv), and files matched by a mapping (a *.yml in the source folder whose `files:` globs
    name them, relative to the mapping's folder). Invalid mappings are appended to `errors` and their
    files are not loaded."""
    found: list[LandingFile] = []
    unrecognised: list[str] = []
    if not landing.exists():
        return found, unrecognised
    mappings: dict[Path, list[Mapping]] = {}
    broken: dict[Path, list[tuple[Path, str, list[str]]]] = {}
    for folder in sorted(p for p in landing.iterdir() if p.is_dir() and not p.name.startswith(".")):
        mappings[folder], broken[folder] = _source_mappings(folder)
        messages = [error for _, error, _ in broken[folder]]
        if errors is not None:
            errors.extend(messages)
        else:
            unrecognised.extend(f"mapping not used: {e}" for e in messages)
    for path in sorted(p for p in landing.rglob("*") if p.is_file()):
        rel = path.relative_to(landing)
        if path.name.startswith(".") or path.suffix.lower() in MAPPING_SUFFIXES:
            continue
        if len(rel.parts) < 2:
            unrecognised.append(f"{rel}: files must sit in a source folder, landing/<source>/<entity>.csv")
            continue
        folder = landing / rel.parts[0]
        claimed_by = [p for p, _, globs in broken.get(folder, []) if path.is_relative_to(p.parent)
                      and any(fnmatch(str(path.relative_to(p.parent)), g) for g in globs)]
        if claimed_by:
            unrecognised.append(f"{rel}: not loaded: its mapping {claimed_by[0].relative_to(landing)} is invalid (fix it, then run again)")
            continue
        matching = [m for m in mappings.get(folder, [])
                    if path.is_relative_to(m.path.parent) and m.applies_to(str(path.relative_to(m.path.parent)))]
        if matching:
            for m in matching:
                found.extend(mapped_files(m, [path], source=m.source or rel.parts[0], landing=landing))
            continue
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            unrecognised.append(f"{rel}: unsupported file type {path.suffix or '(none)'} without a mapping; "
                                "canonical files are .csv, other formats need a mapping (docs/add-your-data.md)")
            continue
        entity = _entity_for(path.name) or (_entity_for(rel.parts[-2]) if len(rel.parts) >= 3 else None)
        if entity is None:
            unrecognised.append(f"{rel}: no canonical entity named in the file name (one of: {', '.join(load_schema())}) "
                                "and no mapping in the folder matches it")
            continue
        found.append(LandingFile(source=rel.parts[0], entity=entity, path=path, relative=str(rel)))
    return found, unrecognised


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cached_sha256(con: duckdb.DuckDBPyConnection, path: Path, remember: bool = True) -> str:
    """The file's sha256 from raw._file_hashes when its path, size and mtime are unchanged; else hashed (and,
    with `remember` on a writable connection, recorded)."""
    st = path.stat()
    key = str(path.resolve())
    row = con.execute(
        "SELECT file_sha256 FROM raw._file_hashes WHERE path = ? AND file_bytes = ? AND mtime_ns = ? LIMIT 1",
        [key, st.st_size, st.st_mtime_ns],
    ).fetchone()
    if row:
        return row[0]
    sha = file_sha256(path)
    if remember:
        con.execute("DELETE FROM raw._file_hashes WHERE path = ?", [key])
        con.execute("INSERT INTO raw._file_hashes VALUES (?, ?, ?, ?, ?)",
                    [key, st.st_size, st.st_mtime_ns, sha, datetime.now(timezone.utc).replace(tzinfo=None)])
    return sha


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


@dataclass
class _Prepared:
    present: set[str]                 # canonical columns the text relation _text holds
    messages: list[str]
    labels: dict[str, str] = field(default_factory=dict)  # canonical column -> label naming its source
    has_location: bool = False        # _text carries _location (OCDS: where in the JSON the row came from)


def _read_cached(lf: LandingFile, sha: str, fmt: str, opts: ReadOptions, tmpdir: Path) -> tuple[Path, list[str]]:
    """Read a file once per ingest even when a mapping takes several entities from it; the cache key holds the
    read options too (two mappings may read two sheets of one workbook). Returns the text Parquet and header."""
    key = hashlib.sha256(repr((fmt, opts)).encode()).hexdigest()[:12]
    cached = tmpdir / f"read-{sha[:16]}-{key}.parquet"
    header_file = cached.with_suffix(".header")
    if not header_file.exists():
        header = read_table(lf.path, fmt, cached, opts)
        header_file.write_text("\n".join(header), encoding="utf-8")
    return cached, header_file.read_text(encoding="utf-8").split("\n")


def _prepare_canonical(con, lf: LandingFile, e: Entity, sha: str, tmpdir: Path) -> _Prepared:
    text, header = _read_cached(lf, sha, "csv", ReadOptions(), tmpdir)
    mapping, extra = _map_header(e, header, lf.relative)
    messages = []
    if extra:
        messages.append(f"ignored columns not in the canonical schema: {', '.join(extra)}")
    missing_required = [c for c in e.required_columns if c not in mapping]
    if missing_required:
        messages.append(f"missing required column(s): {', '.join(missing_required)}")
    select_cols = ", ".join(f"{sql_ident(src)} AS {c}" for c, src in mapping.items())
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW _text AS SELECT {select_cols}{', ' if select_cols else ''}_row_number "
        f"FROM read_parquet({sql_literal(str(text))})"
    )
    return _Prepared(set(mapping), messages)


def _prepare_mapped(con, lf: LandingFile, e: Entity, sha: str, tmpdir: Path) -> _Prepared:
    m = lf.mapping
    assert m is not None
    em: EntityMapping = next(x for x in m.entities if x.entity.name == e.name)
    fmt = m.format_for(lf.path)
    text_path, header = _read_cached(lf, sha, fmt, m.read, tmpdir)
    missing = missing_sources(m, header)
    if missing:
        raise IngestionError(
            f"{lf.relative}: the mapping {m.path} names column(s) the file does not have: {', '.join(missing)}; "
            f"the file's columns: {', '.join(repr(h) for h in header if h != '_row_number')}"
        )
    text = str(text_path)
    con.execute(f"CREATE OR REPLACE TEMP VIEW _text AS {select_sql(em, header, f'read_parquet({sql_literal(text)})', m.read.null_values)}")
    messages = [f"mapping {m.path} (sha256 {m.sha256[:12]})"]
    if em.distinct:
        file_rows = con.execute("SELECT count(*) FROM read_parquet(?)", [text]).fetchone()[0]
        rows = con.execute("SELECT count(*) FROM _text").fetchone()[0]
        messages.append(f"distinct: {rows} row(s) from {file_rows} file row(s) (one per {', '.join(e.primary_key)})")
    labels = {c: f"{c} ({how})" for c, how in describe_sources(em).items() if how != "constant"}
    return _Prepared({s.target for s in em.columns}, messages, labels)


def _prepare_ocds(con, lf: LandingFile, e: Entity, sha: str, tmpdir: Path) -> _Prepared:
    from ingestion.ocds import OcdsError, read_ocds  # imported here: the OCDS importer is optional work

    m = lf.mapping
    assert m is not None
    folder = tmpdir / f"ocds-{sha[:16]}"
    if not folder.exists():
        try:
            result = read_ocds(lf.path, state_code=m.ocds["state_code"],
                               **({"agency_type": m.ocds["agency_type"]} if "agency_type" in m.ocds else {}))
        except OcdsError as exc:
            raise IngestionError(str(exc)) from None
        tmp = folder.with_suffix(".tmp")
        tmp.mkdir()
        for name, frame in result.tables.items():
            frame.write_parquet(tmp / f"{name}.parquet")
        (tmp / "problems.txt").write_text("\n".join(result.problems), encoding="utf-8")
        tmp.rename(folder)
    table = folder / f"{e.name}.parquet"
    problems = [p for p in (folder / "problems.txt").read_text(encoding="utf-8").split("\n") if p]
    messages = [f"OCDS via mapping {m.path}"]
    if problems:
        messages.append(f"{len(problems)} OCDS object(s) skipped, e.g. {problems[0]}")
    if not table.exists():
        con.execute("CREATE OR REPLACE TEMP VIEW _text AS SELECT CAST(NULL AS BIGINT) AS _row_number, "
                    "CAST(NULL AS VARCHAR) AS _location WHERE false")
        return _Prepared(set(), messages, has_location=True)
    columns = [r[0] for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(table)]).fetchall()]
    present = {c for c in columns if c in e.column_index}
    cols = ", ".join(sorted(present))
    con.execute(f"CREATE OR REPLACE TEMP VIEW _text AS SELECT {cols}{', ' if cols else ''}_row_number, _location "
                f"FROM read_parquet({sql_literal(str(table))})")
    return _Prepared(present, messages, has_location=True)


def load_file(con: duckdb.DuckDBPyConnection, lf: LandingFile, tmpdir: Path, sha: str | None = None) -> FileLoad:
    """Load one (file, entity); `sha` is the file's sha256 when the caller already has it."""
    e = load_schema()[lf.entity]
    sha = sha or file_sha256(lf.path)
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
    try:
        if lf.mapping is None:
            prepared = _prepare_canonical(con, lf, e, sha, tmpdir)
        elif lf.mapping.read.format == "ocds":
            prepared = _prepare_ocds(con, lf, e, sha, tmpdir)
        else:
            prepared = _prepare_mapped(con, lf, e, sha, tmpdir)
    except (ReadError, MappingError, IngestionError, pl.exceptions.PolarsError, OSError, duckdb.Error) as exc:
        # The file cannot be read as a table at all: nothing to load, recorded as rejected.
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if not message.startswith(lf.relative):
            message = f"{lf.relative}: cannot be read: {message}"
        return _record_rejected(con, lf, e, load_id, sha, size, started, message)
    messages = prepared.messages

    con.execute(f"CREATE OR REPLACE TEMP TABLE _checked AS {validation_sql(e, '_text', prepared.present, prepared.labels)}")
    if prepared.has_location:  # OCDS: say where in the JSON each quarantined row came from
        con.execute("UPDATE _checked SET _reason = t._location || ': ' || _checked._reason FROM _text t "
                    "WHERE t._row_number = _checked._row_number AND _checked._reason IS NOT NULL")
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    lineage = "?, ?, _row_number, ?, ?"
    lineage_params = [lf.source, lf.relative, load_id, loaded_at]
    amount = e.amount_column
    con.execute("BEGIN TRANSACTION")
    try:
        # Typed rows, in file order, with lineage.
        con.execute(
            f"INSERT INTO raw.{e.name} SELECT {typed_columns(e)}, {lineage} FROM _checked WHERE _reason IS NULL ORDER BY _row_number",
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
                f"SELECT sum({typed_name(amount)}) FILTER (WHERE _reason IS NULL), "
                f"sum({typed_name(amount)}) FILTER (WHERE _reason IS NOT NULL) FROM _checked"
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
    files: list[LandingFile] | None = None,
) -> IngestReport:
    """Load every new file under `landing` (optionally only some entities) into the warehouse; or, with
    `files`, exactly those (e.g. `procure ingest --mapping`)."""
    report = IngestReport()
    if files is None:
        files, report.unrecognised = discover(Path(landing), errors=report.mapping_errors)
    if entities is not None:
        wanted = set(entities)
        files = [f for f in files if f.entity in wanted]
    with connect(warehouse_path) as con, tempfile.TemporaryDirectory(prefix="procure-ingest-") as tmp:
        ensure_warehouse(con)
        hashes: dict[Path, str] = {}  # a mapped file gives several entities: hash it once
        for i, lf in enumerate(files, start=1):
            if progress:
                progress(f"{lf.relative} -> {lf.entity}" if lf.mapping else lf.relative, i - 1, len(files))
            if lf.path not in hashes:
                hashes[lf.path] = cached_sha256(con, lf.path)
            report.loads.append(load_file(con, lf, Path(tmp), hashes[lf.path]))
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
