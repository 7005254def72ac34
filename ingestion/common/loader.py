"""Load landing files into raw.* with lineage, a load ledger and a quarantine.

For each file: hash it; skip it if the ledger already holds a successful load of the same content for the same
entity (a file delivered twice, or renamed, is loaded once); read it as text with row numbers; validate every
row against the canonical schema in SQL; insert valid rows into raw.<entity> (typed) and invalid rows into
quarantine.<entity> (as received, with the reason); record the load in raw._loads. All of a file's writes
commit in one transaction, so a crash leaves either the whole file loaded or nothing of it.
"""

import hashlib
import logging
from fnmatch import fnmatch
from functools import lru_cache
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
from ingestion.files.mapping import filter_sql, header_index, missing_sources, select_sql
from ingestion.files.readers import ReadError, cut_short_row, read_table
from warehouse.connection import connect

log = logging.getLogger("ingestion.loader")

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS raw._loads (
  load_id VARCHAR PRIMARY KEY,
  source VARCHAR NOT NULL,
  entity VARCHAR NOT NULL,
  file VARCHAR NOT NULL,
  file_sha256 VARCHAR NOT NULL,
  file_bytes BIGINT NOT NULL,
  status VARCHAR NOT NULL,           -- loaded | rejected | retracted
  rows_in BIGINT NOT NULL,           -- data rows of the file (a rejected file: the rows read, 0 when unreadable)
  rows_loaded BIGINT NOT NULL,
  rows_quarantined BIGINT NOT NULL,
  amount_loaded DECIMAL(38,2),       -- sum of the entity's amount column over loaded rows
  amount_quarantined DECIMAL(38,2),  -- same over quarantined rows whose amount parses
  message VARCHAR,
  started_at TIMESTAMP NOT NULL,
  finished_at TIMESTAMP NOT NULL,
  rows_duplicate BIGINT              -- of rows_quarantined: exact copies of an earlier row of the same file
)
"""

# Each landing file's sha256 by its path, size and modification time: a file seen before is not read again to
# be recognised (a run with nothing new should not read the whole landing area, 6 GB at scale 10, to find out).
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
# Files a user took back with `procure retract --file`: their content is not loaded again (whatever the file is
# called) until it changes (another sha256) or the user re-admits it (`procure retract --file PATH --readmit`).
HELD_DDL = """
CREATE TABLE IF NOT EXISTS raw._held_files (
  file_sha256 VARCHAR NOT NULL,      -- the content held back
  file VARCHAR NOT NULL,             -- landing-relative path it had when it was retracted
  held_at TIMESTAMP NOT NULL,
  reason VARCHAR
)
"""
# The ledger's inserts name their columns (as the entity tables' do): a ledger an older version created and
# ensure_warehouse upgraded may hold its columns in another order.
LEDGER_INSERT = ("INSERT INTO raw._loads (load_id, source, entity, file, file_sha256, file_bytes, status, rows_in, "
                 "rows_loaded, rows_quarantined, amount_loaded, amount_quarantined, message, started_at, finished_at, "
                 "rows_duplicate)")

SUPPORTED_SUFFIXES = {".csv"}  # canonical files (named after their entity); mapped files may be of any format
MAPPING_SUFFIXES = {".yml", ".yaml"}
# What the OCDS importer produces (ingestion/ocds): one load per entity of each OCDS file.
OCDS_ENTITIES = ("agencies", "suppliers", "requisitions", "solicitations", "bids", "awards", "contracts", "contract_amendments", "payments")


class IngestionError(Exception):
    """A problem with a whole file (not a row) that the user must fix; `rows_in` is the number of data rows when
    the file could be read (recorded in the ledger for a rejected file)."""

    def __init__(self, message: str, rows_in: int = 0):
        super().__init__(message)
        self.rows_in = rows_in


class WarehouseUpgradeError(IngestionError):
    """The warehouse's tables differ from this version's in a way that cannot be upgraded in place."""


@dataclass
class FileLoad:
    entity: str
    file: str
    status: str  # loaded | rejected | skipped_duplicate | held (retracted with --file: not loaded again)
    rows_in: int = 0
    rows_loaded: int = 0
    rows_quarantined: int = 0
    load_id: str | None = None
    message: str = ""
    samples: list[str] = field(default_factory=list)  # "file:row column: reason" for a few quarantined rows
    rows_duplicate: int = 0  # of rows_quarantined: exact copies of an earlier row of the file


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
    upgraded: list[str] = field(default_factory=list)  # what ensure_warehouse changed in tables an older version built

    def by_entity(self) -> dict[str, dict[str, int]]:
        out: dict[str, dict[str, int]] = {}
        for load in self.loads:
            row = out.setdefault(load.entity, {"files": 0, "skipped": 0, "rows_loaded": 0, "rows_quarantined": 0})
            if load.status in ("skipped_duplicate", "held"):
                row["skipped"] += 1
            else:
                row["files"] += 1
            row["rows_loaded"] += load.rows_loaded
            row["rows_quarantined"] += load.rows_quarantined
        return out


def ensure_warehouse(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Create the raw and quarantine schemas, every entity's tables and the ledger (idempotent), and upgrade the
    tables a warehouse built by an older version has: the columns this version added are added, NULL (or their
    default) in the rows already there, which is what the older version knew of them.

    Returns what was upgraded, e.g. "raw.awards: added column currency VARCHAR (NULL in 120 existing row(s))",
    also logged as warnings. Raises WarehouseUpgradeError, changing nothing, when a table cannot be upgraded in
    place (a column of another type, a new required column, a NOT NULL column the inserts leave empty)."""
    steps, notes, problems = _upgrade_plan(con)
    if problems:
        raise WarehouseUpgradeError(_upgrade_refusal(con, problems))
    con.execute("BEGIN TRANSACTION")  # every table upgraded, or none
    try:
        con.execute("CREATE SCHEMA IF NOT EXISTS raw")
        con.execute("CREATE SCHEMA IF NOT EXISTS quarantine")
        for statement in steps:
            con.execute(statement)
        for _, _, ddl, _ in _warehouse_tables():
            con.execute(ddl)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    for note in notes:
        log.warning("upgraded the warehouse: %s", note)
    return notes


def _warehouse_tables() -> list[tuple[str, str, str, frozenset[str]]]:
    """(schema, table, CREATE statement, columns every row must have) of every table ensure_warehouse keeps."""
    tables = [("raw", "_loads", LEDGER_DDL, frozenset()), ("raw", "_file_hashes", HASH_CACHE_DDL, frozenset()),
              ("raw", "_held_files", HELD_DDL, frozenset())]
    for e in load_schema().values():
        tables.append(("raw", e.name, raw_table_ddl(e), frozenset(e.required_columns)))
        tables.append(("quarantine", e.name, quarantine_table_ddl(e), frozenset()))  # rows as received
    return tables


@dataclass(frozen=True)
class _TableColumn:
    name: str
    type: str
    nullable: bool
    default: str | None


def _table_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], dict[str, _TableColumn]]:
    """The columns of every table in the raw and quarantine schemas, in table order."""
    rows = con.execute(
        "SELECT c.schema_name, c.table_name, c.column_name, c.data_type, c.is_nullable, c.column_default "
        "FROM duckdb_columns() c JOIN duckdb_tables() t USING (table_oid) "
        "WHERE c.database_name = current_database() AND c.schema_name IN ('raw', 'quarantine') "
        "ORDER BY c.schema_name, c.table_name, c.column_index"
    ).fetchall()
    tables: dict[tuple[str, str], dict[str, _TableColumn]] = {}
    for schema, table, *column in rows:
        tables.setdefault((schema, table), {})[column[0]] = _TableColumn(*column)
    return tables


@lru_cache(maxsize=1)
def _canonical_columns() -> dict[tuple[str, str], dict[str, _TableColumn]]:
    """Every table's columns as this version's CREATE statements make them (run in an empty in-memory database,
    so that types are spelled as duckdb_columns() spells those of the warehouse)."""
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA raw")
        con.execute("CREATE SCHEMA quarantine")
        for _, _, ddl, _ in _warehouse_tables():
            con.execute(ddl)
        return _table_columns(con)
    finally:
        con.close()


def _upgrade_plan(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str], list[str]]:
    """The statements that give the existing tables this version's columns, what they do in words, and the
    differences they cannot fix (type changes; columns that old rows cannot leave empty)."""
    canonical, found = _canonical_columns(), _table_columns(con)
    steps: list[str] = []
    notes: list[str] = []
    problems: list[str] = []
    for schema, table, ddl, required in _warehouse_tables():
        have, want, name = found.get((schema, table)), canonical[(schema, table)], f"{schema}.{table}"
        if have is None:
            continue  # a new table: ensure_warehouse creates it
        retyped = []
        for c in have.values():
            w = want.get(c.name)
            if w is not None and c.type != w.type:
                # A type this version widened (e.g. prices from 4 to 6 decimals) is upgraded when every value
                # already there survives the cast unchanged; anything else is refused.
                widening = c.type.startswith("DECIMAL") and w.type.startswith("DECIMAL")
                lost = widening and con.execute(
                    f"SELECT count(*) FROM {name} WHERE {c.name} IS NOT NULL AND "
                    f"TRY_CAST({c.name} AS {w.type}) IS DISTINCT FROM {c.name}").fetchone()[0]
                if not widening:
                    problems.append(f"{name}: column {c.name} is {c.type}, this version expects {w.type}")
                elif lost:
                    problems.append(f"{name}: column {c.name} is {c.type}, this version expects {w.type} "
                                    f"({lost:,} value(s) would change)")
                else:
                    retyped.append(c)
            elif not c.nullable and c.default is None and (w is None or w.nullable):
                what = "is not in this version's schema and" if w is None else "is nullable in this version but"
                problems.append(f"{name}: column {c.name} {what} NOT NULL without a default here: "
                                "rows this version inserts would leave it empty")
        missing = [c for c in want.values() if c.name not in have]
        if not missing and not retyped:
            continue
        rows = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        for c in missing:
            if rows and (c.name in required or (not c.nullable and c.default is None)):
                problems.append(f"{name}: column {c.name} {c.type} is new and required, but the {rows:,} row(s) "
                                "already there have no value for it")
        if len(have) > len(want) - len(missing) and not retyped:
            # Columns this version does not know (a newer version's, or added by hand) are left alone: every insert
            # names its columns. The new ones are appended after them; the raw contract names the unknown ones.
            steps += [f"ALTER TABLE {name} ADD COLUMN {c.name} {c.type}{f' DEFAULT {c.default}' if c.default else ''}"
                      for c in missing]
        else:
            # Rebuilt in this version's column order (what the raw contracts' schema check expects; ADD COLUMN
            # would append at the end): renamed, created anew, its rows copied by name, the old one dropped.
            old = f"{table}__before_upgrade"
            steps += [f"ALTER TABLE {name} RENAME TO {old}", ddl,
                      f"INSERT INTO {name} BY NAME SELECT * FROM {schema}.{old}", f"DROP TABLE {schema}.{old}"]
        if len(have) > len(want) - len(missing) and retyped:
            problems.append(f"{name}: columns this version does not know ({', '.join(c for c in have if c not in want)}) "
                            f"and columns whose type changed ({', '.join(c.name for c in retyped)}): rebuild it")
        notes += [f"{name}: added column {c.name} {c.type} ({c.default or 'NULL'} in {rows:,} existing row(s))"
                  for c in missing]
        notes += [f"{name}: column {c.name} {c.type} -> {want[c.name].type} ({rows:,} existing row(s), no value changed)"
                  for c in retyped]
    return steps, notes, problems


def _upgrade_refusal(con: duckdb.DuckDBPyConnection, problems: list[str]) -> str:
    path = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    where = path or "the warehouse"
    return "\n".join([
        f"{where} was built by another version of the project; its tables cannot be upgraded in place "
        "(nothing was changed):",
        *(f"  {p}" for p in problems),
        f"Rebuild it from the landing files: move {where} (and its .wal file, if any) aside, keeping it until "
        "the new one is checked, then run `procure run`, which loads every file in the landing area into a new "
        "warehouse. Files loaded with `procure ingest --mapping` from outside the landing area must be loaded "
        "again the same way; retracted loads whose files are still in the landing area come back.",
    ])


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
        con.execute("INSERT INTO raw._file_hashes (path, file_bytes, mtime_ns, file_sha256, hashed_at) VALUES (?, ?, ?, ?, ?)",
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
    select: str                       # the file's rows as text: canonical column names, _row_number
    present: set[str]                 # canonical columns that select holds
    messages: list[str]
    labels: dict[str, str] = field(default_factory=dict)  # canonical column -> label naming its source
    has_location: bool = False        # the select carries _location (OCDS: where in the JSON the row came from)
    file_key: str | None = None       # OCDS: the files of a batch share one select; its _file_key says whose row it is
    cut_short: tuple[int, int, int] | None = None  # CSV: (row, fields, header fields) of a last line cut short
    cut_short_columns: str = ""       # the canonical columns that line does not reach


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
    select = f"SELECT {select_cols}{', ' if select_cols else ''}_row_number FROM read_parquet({sql_literal(str(text))})"
    cut = cut_short_row(text)
    unreached = ",".join(c for c, src in mapping.items() if cut and src in header[cut[1]:])
    return _Prepared(select, set(mapping), messages, cut_short=cut, cut_short_columns=unreached)


def _prepare_mapped(con, lf: LandingFile, e: Entity, sha: str, tmpdir: Path) -> _Prepared:
    m = lf.mapping
    assert m is not None
    em: EntityMapping = next(x for x in m.entities if x.entity.name == e.name)
    fmt = m.format_for(lf.path)
    text_path, header = _read_cached(lf, sha, fmt, m.read, tmpdir)
    missing = missing_sources(m, header)
    if missing:
        rows = con.execute("SELECT count(*) FROM read_parquet(?)", [str(text_path)]).fetchone()[0]
        raise IngestionError(
            f"{lf.relative}: the mapping {m.path} names column(s) the file does not have: {', '.join(missing)}; "
            f"the file's columns: {', '.join(repr(h) for h in header if h != '_row_number')}", rows_in=rows)
    text = str(text_path)
    select = select_sql(em, header, f"read_parquet({sql_literal(text)})", m.read.null_values)
    messages = [f"mapping {m.path} (sha256 {m.sha256[:12]})"]
    if em.rows or em.distinct or em.group_by:
        file_rows = con.execute("SELECT count(*) FROM read_parquet(?)", [text]).fetchone()[0]
    if em.rows:
        kept = con.execute(f"SELECT count(*) FROM read_parquet({sql_literal(text)}) "
                           f"WHERE {filter_sql(em.rows, header)}").fetchone()[0]
        messages.append(f"{file_rows - kept:,} of {file_rows:,} file row(s) left out by the mapping ({em.rows.describe()})")
    if em.distinct or em.group_by:
        rows = con.execute(f"SELECT count(*) FROM ({select})").fetchone()[0]
        keys = em.group_by or e.primary_key
        what = "distinct" if em.distinct else "group_by"
        messages.append(f"{what}: {rows:,} row(s) from {file_rows:,} file row(s) (one per {', '.join(keys)})")
    labels = {c: f"{c} ({how})" for c, how in describe_sources(em).items() if how != "constant"}
    cut = cut_short_row(text_path)
    unreached = header_index(header[cut[1]:]) if cut else {}
    columns = ",".join(spec.target for spec in em.columns
                       if any(src.strip().lower() in unreached for src in spec.source_columns))
    return _Prepared(select, {s.target for s in em.columns}, messages, labels, cut_short=cut, cut_short_columns=columns)


def _prepare_ocds(con, lf: LandingFile, e: Entity, sha: str, tmpdir: Path, batch: list[tuple[LandingFile, str]]) -> _Prepared:
    """The files of an OCDS mapping are read together and loaded in one pass (ingestion/ocds/loading.py)."""
    from ingestion.ocds.loading import prepare  # imported here: the OCDS importer is optional work
    from ingestion.ocds.reader import OcdsError

    try:
        select, present, messages, key = prepare(con, lf, sha, e.name, set(e.column_index), batch, tmpdir)
    except OcdsError as exc:
        raise IngestionError(str(exc)) from None
    return _Prepared(select, present, messages, has_location=True, file_key=key)


def load_file(con: duckdb.DuckDBPyConnection, lf: LandingFile, tmpdir: Path, sha: str | None = None) -> FileLoad:
    """Load one (file, entity); `sha` is the file's sha256 when the caller already has it."""
    return load_files(con, [(lf, sha or file_sha256(lf.path))], tmpdir)[0]


@dataclass
class _Pending:
    lf: LandingFile
    sha: str
    load_id: str
    size: int
    started: datetime
    prepared: _Prepared


def load_files(con: duckdb.DuckDBPyConnection, files: list[tuple[LandingFile, str]], tmpdir: Path) -> list[FileLoad]:
    """Load (file, sha256) pairs of one entity, in one pass and one transaction: every file still gets its own
    ledger row, lineage, counts and reconciliation. A file whose content is already loaded is skipped; a file
    that cannot be read as a table is rejected (recorded) and the others load. One pass instead of one per file:
    with a month per file the per-statement cost (the validation SQL is long) outweighed the rows."""
    if not files:
        return []
    e = load_schema()[files[0][0].entity]
    assert all(lf.entity == e.name for lf, _ in files), "load_files takes the files of one entity"
    results: dict[int, FileLoad] = {}
    pending: list[tuple[int, _Pending]] = []
    batch_shas: dict[str, str] = {}
    loaded: dict[str, tuple[str, str]] = {}  # one ledger query per batch, not per file (many small files)
    for sha, load_id, file in con.execute(
        "SELECT file_sha256, load_id, file FROM raw._loads WHERE entity = ? AND status = 'loaded' "
        "AND list_contains(?, file_sha256)", [e.name, sorted({s for _, s in files})],
    ).fetchall():
        loaded.setdefault(sha, (load_id, file))
    held = {sha: (file, at) for sha, file, at in con.execute(
        "SELECT file_sha256, file, held_at FROM raw._held_files WHERE list_contains(?, file_sha256)",
        [sorted({s for _, s in files})]).fetchall()}
    for i, (lf, sha) in enumerate(files):
        held_at = held.get(sha)
        if held_at is not None:
            results[i] = FileLoad(e.name, lf.relative, "held", message=(
                f"held back: its content was retracted with `procure retract --file` ({held_at[0]}, {held_at[1]:%Y-%m-%d %H:%M} "
                f"UTC); it loads again once it changes, or after `procure retract --file {lf.relative} --readmit`"))
            continue
        done = loaded.get(sha)
        if done is None and sha in batch_shas:
            done = (None, batch_shas[sha])
        if done:
            what = f"same content as {done[1]}" + (f" (load {done[0]})" if done[0] else " (this ingest)")
            results[i] = FileLoad(e.name, lf.relative, "skipped_duplicate", load_id=done[0],
                                  message=f"{what}; not loaded again")
            continue
        started = datetime.now(timezone.utc).replace(tzinfo=None)
        load_id = f"{started:%Y%m%dT%H%M%S}-{sha[:8]}-{uuid.uuid4().hex[:6]}"
        size = lf.path.stat().st_size
        try:
            if lf.mapping is None:
                prepared = _prepare_canonical(con, lf, e, sha, tmpdir)
            elif lf.mapping.read.format == "ocds":
                prepared = _prepare_ocds(con, lf, e, sha, tmpdir, files)
            else:
                prepared = _prepare_mapped(con, lf, e, sha, tmpdir)
        except (ReadError, MappingError, IngestionError, pl.exceptions.PolarsError, OSError, duckdb.Error) as exc:
            # The file cannot be read as a table at all: nothing to load, recorded as rejected.
            message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            if not message.startswith(lf.relative):
                message = f"{lf.relative}: cannot be read: {message}"
            results[i] = _record_rejected(con, lf, e, load_id, sha, size, started, message,
                                          rows_in=getattr(exc, "rows_in", 0))
            continue
        batch_shas[sha] = lf.relative
        pending.append((i, _Pending(lf, sha, load_id, size, started, prepared)))
    if pending:
        for i, load in zip([i for i, _ in pending], _load_prepared(con, e, [p for _, p in pending])):
            results[i] = load
    return [results[i] for i in range(len(files))]


def _load_prepared(con: duckdb.DuckDBPyConnection, e: Entity, batch: list[_Pending]) -> list[FileLoad]:
    """Validate the prepared files together (the text relation tags each row with its file's index), then insert
    valid rows into raw.<entity> and the others into quarantine, with each file's lineage, and its ledger row."""
    has_location = any(p.prepared.has_location for p in batch)
    present = set().union(*(p.prepared.present for p in batch))
    labels: dict[str, str] = {}
    for p in batch:
        labels.update(p.prepared.labels)
    if all(p.prepared.file_key is not None for p in batch) and len({p.prepared.select for p in batch}) == 1:
        keys = ", ".join(f"({sql_literal(p.prepared.file_key)}, {i})" for i, p in enumerate(batch))
        text = (f"SELECT s.* EXCLUDE (_file_key), k._file_idx FROM ({batch[0].prepared.select}) s "
                f"JOIN (VALUES {keys}) k(_file_key, _file_idx) ON s._file_key = k._file_key")
    else:
        text = " UNION ALL BY NAME ".join(f"SELECT *, {i} AS _file_idx FROM ({p.prepared.select})" for i, p in enumerate(batch))
    con.execute(f"CREATE OR REPLACE TEMP VIEW _text AS {text}")
    text_columns = {r[0] for r in con.execute("DESCRIBE _text").fetchall()}
    carry = ("_file_idx", "_location", "_problem", "_problem_columns") if has_location else ("_file_idx",)
    if "_mapping_reason" in text_columns:  # an aggregating mapping: what a group's rows got wrong
        carry += ("_mapping_reason", "_mapping_columns")
    con.execute(f"CREATE OR REPLACE TEMP TABLE _checked AS {validation_sql(e, '_text', present, labels, carry=carry)}")
    if "_mapping_reason" in text_columns:
        con.execute("UPDATE _checked SET _reason = concat_ws('; ', _mapping_reason, _reason), "
                    "_columns = concat_ws(',', _mapping_columns, _columns) WHERE _mapping_reason IS NOT NULL")
    if has_location:  # OCDS: codes the importer could not map quarantine the row (ingestion/ocds/codes.py)
        # (a column the importer could not fill from what was given is not also "required value is empty")
        empty = "list_transform(string_split(coalesce(_problem_columns, ''), ','), lambda c: c || ': required value is empty')"
        kept = f"list_filter(string_split(coalesce(_reason, ''), '; '), lambda r: r <> '' AND NOT list_contains({empty}, r))"
        con.execute(f"UPDATE _checked SET _reason = concat_ws('; ', _problem, NULLIF(array_to_string({kept}, '; '), '')), "
                    "_columns = NULLIF(concat_ws(',', _problem_columns, _columns), '') WHERE _problem IS NOT NULL")
    for i, p in enumerate(batch):
        if p.prepared.cut_short:  # padded with empty values by the reader: say why, whatever else is wrong with it
            row, fields, expected = p.prepared.cut_short
            reason = (f"the line has {fields} of {expected} fields and the file ends there, without a line break: "
                      "the file seems cut short (a truncated export or transfer; deliver it whole)")
            con.execute("UPDATE _checked SET _reason = concat_ws('; ', ?, _reason), _columns = coalesce(_columns, ?) "
                        "WHERE _file_idx = ? AND _row_number = ?", [reason, p.prepared.cut_short_columns, i, row])
    _quarantine_foreign_currency(con, e)
    duplicates = _quarantine_duplicate_keys(con, e)  # among the rows valid so far
    if has_location:  # OCDS: every reason says where in the JSON the row came from
        con.execute("UPDATE _checked SET _reason = coalesce(_location || ': ', '') || _reason WHERE _reason IS NOT NULL")
    loaded_at = datetime.now(timezone.utc).replace(tzinfo=None)
    con.execute("CREATE OR REPLACE TEMP TABLE _batch_files (_file_idx INTEGER, source VARCHAR, file VARCHAR, load_id VARCHAR)")
    con.executemany("INSERT INTO _batch_files VALUES (?, ?, ?, ?)",
                    [[i, p.lf.source, p.lf.relative, p.load_id] for i, p in enumerate(batch)])
    lineage = "f.source AS _source, f.file AS _file, c._row_number, f.load_id AS _load_id, ? AS _loaded_at"
    amount = e.amount_column
    con.execute("BEGIN TRANSACTION")
    try:
        # Typed rows, in file order, with lineage. Inserted BY NAME: a table an older version created and
        # ensure_warehouse upgraded may hold its columns in another order.
        con.execute(
            f"INSERT INTO raw.{e.name} BY NAME SELECT {typed_columns(e, 'c')}, {lineage} FROM _checked c "
            f"JOIN _batch_files f USING (_file_idx) WHERE c._reason IS NULL ORDER BY c._file_idx, c._row_number",
            [loaded_at],
        )
        con.execute(
            f"INSERT INTO quarantine.{e.name} BY NAME SELECT {', '.join('c.' + c.name for c in e.columns)}, {lineage}, "
            f"c._reason, c._columns FROM _checked c JOIN _batch_files f USING (_file_idx) "
            f"WHERE c._reason IS NOT NULL ORDER BY c._file_idx, c._row_number",
            [loaded_at],
        )
        sums = (f", sum({typed_name(amount)}) FILTER (WHERE _reason IS NULL), "
                f"sum({typed_name(amount)}) FILTER (WHERE _reason IS NOT NULL)") if amount else ", NULL, NULL"
        counts = {
            r[0]: r[1:] for r in con.execute(
                f"SELECT _file_idx, count(*), count(*) FILTER (WHERE _reason IS NULL), "
                f"count(*) FILTER (WHERE _reason IS NOT NULL){sums} FROM _checked GROUP BY _file_idx"
            ).fetchall()
        }
        notes = _noted(con)
        ledger = []
        for i, p in enumerate(batch):
            rows_in, rows_loaded, rows_quarantined, amount_loaded, amount_quarantined = counts.get(i, (0, 0, 0, None, None))
            if rows_in != rows_loaded + rows_quarantined:  # cannot happen by construction; never let it pass silently
                raise IngestionError(f"{p.lf.relative}: reconciliation failed: {rows_in} in, {rows_loaded} loaded, "
                                     f"{rows_quarantined} quarantined")
            messages = p.prepared.messages + duplicates.get(i, ([], 0))[0] + notes.get(i, [])
            ledger.append([p.load_id, p.lf.source, e.name, p.lf.relative, p.sha, p.size, rows_in, rows_loaded,
                           rows_quarantined, amount_loaded, amount_quarantined, "; ".join(messages) or None,
                           p.started, loaded_at, duplicates.get(i, ([], 0))[1]])
        # One INSERT from a frame: executemany cost ~0.8 ms a row (many small files: 300 files x 9 OCDS entities).
        names = ["load_id", "source", "entity", "file", "file_sha256", "file_bytes", "rows_in", "rows_loaded",
                 "rows_quarantined", "amount_loaded", "amount_quarantined", "message", "started_at", "finished_at",
                 "rows_duplicate"]
        whole = ("file_bytes", "rows_in", "rows_loaded", "rows_quarantined", "rows_duplicate")
        frame = pl.DataFrame([[*r[:9], *(None if a is None else str(a) for a in r[9:11]), *r[11:]] for r in ledger],
                             schema={n: pl.Int64 if n in whole else pl.Datetime("us") if n.endswith("_at") else pl.Utf8
                                     for n in names},
                             orient="row")
        con.register("_batch_ledger", frame)
        try:
            con.execute(f"{LEDGER_INSERT} SELECT load_id, source, entity, file, file_sha256, file_bytes, 'loaded', "
                        "rows_in, rows_loaded, rows_quarantined, CAST(amount_loaded AS DECIMAL(38,2)), "
                        "CAST(amount_quarantined AS DECIMAL(38,2)), message, started_at, finished_at, rows_duplicate "
                        "FROM _batch_ledger")
        finally:
            con.unregister("_batch_ledger")
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    samples: dict[int, list[str]] = {}
    for idx, row_number, columns, reason in con.execute(
        "SELECT _file_idx, _row_number, _columns, _reason FROM ("
        "  SELECT *, row_number() OVER (PARTITION BY _file_idx ORDER BY _row_number) AS _n FROM _checked"
        "  WHERE _reason IS NOT NULL) WHERE _n <= 5 ORDER BY _file_idx, _row_number"
    ).fetchall():
        samples.setdefault(idx, []).append(f"{batch[idx].lf.relative}:{row_number} [{columns}] {reason}")
    return [
        FileLoad(e.name, p.lf.relative, "loaded", *(int(x) for x in counts.get(i, (0, 0, 0))[:3]), p.load_id,
                 "; ".join(p.prepared.messages + duplicates.get(i, ([], 0))[0] + notes.get(i, [])), samples.get(i, []),
                 duplicates.get(i, ([], 0))[1])
        for i, p in enumerate(batch)
    ]


# Key columns staging upper-cases besides trimming (stg_raw__states, __holidays, __commodity_codes, ...).
_UPPER_CASED_KEYS = frozenset({"state_code", "scheme"})


def _key_sql(e: Entity) -> list[str]:
    """The primary key as staging compares it (strings trimmed, state codes and schemes upper-cased; staging's
    latest_version() keeps one row per key, so two rows of one load equal here would hide one in staging)."""
    def one(k: str) -> str:
        if e.column(k).type != "string":
            return typed_name(k)
        return f"upper(trim({typed_name(k)}))" if k in _UPPER_CASED_KEYS else f"trim({typed_name(k)})"
    return [one(k) for k in e.primary_key]


# Where a row's state comes from when the entity has no state_code of its own: its parent's (latest) row.
_STATE_VIA_PARENT = {"bids": ("solicitations", "solicitation_id"), "awards": ("solicitations", "solicitation_id"),
                     "contract_amendments": ("contracts", "contract_id")}


def _quarantine_foreign_currency(con: duckdb.DuckDBPyConnection, e: Entity) -> None:
    """Amounts are never converted: a row whose currency is not its state's (states.currency, empty = USD) is
    quarantined here, naming both, rather than stopping the publication at the gate. The state is the row's own
    state_code, or its parent's (a bid's or award's solicitation, an amendment's contract) when already loaded;
    a state not yet in raw.states is not checked here (the gate still is)."""
    if "currency" not in e.column_index:
        return
    latest = "QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY _loaded_at DESC, _row_number DESC) = 1"
    states = (f"SELECT upper(trim(state_code)) AS state_code, coalesce(upper(nullif(trim(currency), '')), 'USD') AS cur "
              f"FROM raw.states {latest.format(key='upper(trim(state_code))')}")
    if "state_code" in e.column_index:
        rows = "SELECT _file_idx, _row_number, upper(trim(state_code)) AS state_code, currency FROM _checked WHERE _reason IS NULL"
    elif e.name in _STATE_VIA_PARENT:
        parent, key = _STATE_VIA_PARENT[e.name]
        rows = (f"SELECT c._file_idx, c._row_number, p.state_code, c.currency FROM _checked c JOIN ("
                f"SELECT trim({key}) AS k, upper(trim(state_code)) AS state_code FROM raw.{parent} "
                f"{latest.format(key=f'trim({key})')}) p ON trim(c.{key}) = p.k WHERE c._reason IS NULL")
    else:
        return
    con.execute(f"""
        UPDATE _checked AS c SET
            _reason = 'currency: ' || coalesce('''' || trim(m.currency) || '''', 'empty (USD)') || ' is not the currency of '
                      || m.state_code || ' (' || m.cur || ' in states.csv): amounts are never converted',
            _columns = 'currency'
        FROM (
            SELECT r._file_idx, r._row_number, r.state_code, r.currency, s.cur
            FROM ({rows}) AS r JOIN ({states}) AS s USING (state_code)
            WHERE coalesce(upper(nullif(trim(r.currency), '')), 'USD') <> s.cur
        ) AS m
        WHERE c._file_idx = m._file_idx AND c._row_number = m._row_number
    """)


def _quarantine_duplicate_keys(con: duckdb.DuckDBPyConnection, e: Entity) -> dict[int, tuple[list[str], int]]:
    """Rows of one file that share a primary key are never left for staging's "latest version wins" to pick from:
    exact copies of an earlier row (every value the same) are quarantined as duplicates of it (the first loads);
    rows of one key whose values differ are all quarantined, naming each other, because nothing says which is
    right (a mapping that knows, e.g. account-assignment splits of one PO line, aggregates them or widens the
    key). Returns per file index the ledger messages and the number of exact duplicates."""
    keys = _key_sql(e)
    found = con.execute(
        f"SELECT count(*) FROM (SELECT _file_idx FROM _checked WHERE _reason IS NULL "
        f"GROUP BY _file_idx, {', '.join(keys)} HAVING count(*) > 1)"
    ).fetchone()[0]
    if not found:
        return {}
    values = [f"trim({typed_name(c.name)})" if c.type == "string" else typed_name(c.name) for c in e.columns]
    key_text = " || ', ' || ".join(f"{sql_literal(k + '=')} || coalesce(CAST({expr} AS VARCHAR), '')"
                                    for k, expr in zip(e.primary_key, keys))
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE _dups AS
        WITH candidates AS (
            SELECT *, {key_text} AS _key FROM _checked WHERE _reason IS NULL
        ),
        repeated AS (
            SELECT _file_idx, _key FROM candidates GROUP BY _file_idx, _key HAVING count(*) > 1
        ),
        keyed AS (
            SELECT c._file_idx, c._row_number, c._key,
                   min(c._row_number) OVER (PARTITION BY c._file_idx, {', '.join('c.' + v if v.startswith('_') else v.replace('trim(', 'trim(c.') for v in values)}) AS _first_same
            FROM candidates AS c JOIN repeated AS r ON c._file_idx = r._file_idx AND c._key = r._key
        ),
        versions AS (  -- the distinct versions of each key: their first rows
            SELECT _file_idx, _key, list(_row_number ORDER BY _row_number) AS _rows, count(*) AS _n
            FROM keyed WHERE _row_number = _first_same GROUP BY _file_idx, _key
        )
        SELECT k._file_idx, k._row_number, k._key, v._n > 1 AS _conflict, k._first_same, v._rows
        FROM keyed AS k JOIN versions AS v USING (_file_idx, _key)
        WHERE v._n > 1 OR k._row_number <> k._first_same
    """)
    key_columns = ",".join(e.primary_key)
    con.execute(f"""
        UPDATE _checked AS c SET
            _reason = CASE WHEN d._conflict
                THEN d._key || ' is the key of rows ' || array_to_string(d._rows, ', ')
                     || ' of this file, with different values: nothing says which is right (a mapping can aggregate '
                     || 'such rows or take a wider key)'
                     || CASE WHEN d._row_number <> d._first_same THEN ' (and row ' || d._first_same || ' has the same values)' ELSE '' END
                ELSE 'exact duplicate of row ' || d._first_same || ' of this file (every value the same): the first copy loads' END,
            _columns = {sql_literal(key_columns)}
        FROM _dups AS d
        WHERE c._file_idx = d._file_idx AND c._row_number = d._row_number
    """)
    out: dict[int, tuple[list[str], int]] = {}
    for idx, exact, conflicting, example in con.execute(f"""
        SELECT _file_idx, count(*) FILTER (WHERE NOT _conflict), count(*) FILTER (WHERE _conflict),
               min(CASE WHEN _conflict THEN 'rows ' || array_to_string(_rows, ', ') END)
        FROM _dups GROUP BY _file_idx
    """).fetchall():
        messages = []
        if exact:
            messages.append(f"{exact} exact duplicate row(s) quarantined (the first copy of each loaded)")
        if conflicting:
            messages.append(f"{conflicting} row(s) quarantined sharing a key ({key_columns}) with different values, "
                            f"e.g. {example}")
        out[idx] = (messages, int(exact))
    return out


def _noted(con: duckdb.DuckDBPyConnection) -> dict[int, list[str]]:
    """Per file index: the values loaded after a stated rule changed them (e.g. quantities rounded), counted per
    column with the first example, for the ledger message."""
    out: dict[int, list[str]] = {}
    for idx, column, n, example in con.execute("""
        SELECT _file_idx, split_part(note, ': ', 1) AS column_label, count(*), min_by('row ' || _row_number || ' ' || note, _row_number)
        FROM (SELECT _file_idx, _row_number, unnest(string_split(_notes, '; ')) AS note FROM _checked
              WHERE _reason IS NULL AND _notes IS NOT NULL)
        GROUP BY 1, 2 ORDER BY 1, 2
    """).fetchall():
        out.setdefault(idx, []).append(f"{column}: {n} value(s) rounded by the data dictionary's rule, e.g. {example}")
    return out


def _record_rejected(con, lf: LandingFile, e: Entity, load_id: str, sha: str, size: int, started: datetime, message: str,
                     rows_in: int = 0) -> FileLoad:
    """A file that cannot be loaded at all: its ledger row says why and how many rows it held (0 when it could
    not be read), none of which is loaded or quarantined."""
    finished = datetime.now(timezone.utc).replace(tzinfo=None)
    con.execute(
        f"{LEDGER_INSERT} VALUES (?, ?, ?, ?, ?, ?, 'rejected', ?, 0, 0, NULL, NULL, ?, ?, ?, 0)",
        [load_id, lf.source, e.name, lf.relative, sha, size, rows_in, message, started, finished],
    )
    return FileLoad(e.name, lf.relative, "rejected", rows_in=rows_in, load_id=load_id, message=message)


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
        report.upgraded = ensure_warehouse(con)
        hashes: dict[Path, str] = {}  # a mapped file gives several entities: hash it once
        done = 0
        # parents before children (the canonical schema lists them so): a row's state and currency can then be
        # checked against what the same run loaded (e.g. an award against its solicitation's state)
        order = {name: i for i, name in enumerate(load_schema())}
        for batch in sorted(_batches(files), key=lambda b: order.get(b[0].entity, len(order))):
            if progress:
                lf = batch[0]
                name = f"{lf.relative} -> {lf.entity}" if lf.mapping else lf.relative
                progress(name + (f" and {len(batch) - 1} more {lf.entity} file(s)" if len(batch) > 1 else ""), done, len(files))
            for lf in batch:
                if lf.path not in hashes:
                    hashes[lf.path] = cached_sha256(con, lf.path)
            report.loads.extend(load_files(con, [(lf, hashes[lf.path]) for lf in batch], Path(tmp)))
            done += len(batch)
        if progress:
            progress("done", len(files), len(files))
    return report


# Canonical files of one entity are validated and loaded together, up to these bounds (memory stays bounded:
# a batch is one temporary table of text and parsed columns).
BATCH_MAX_BYTES = 256 * 1024 * 1024
BATCH_MAX_FILES = 200


def _batches(files: list[LandingFile]) -> list[list[LandingFile]]:
    """Files in load order: canonical files of one entity grouped (per BATCH_MAX_BYTES / BATCH_MAX_FILES) at the
    place of the entity's first file; a mapped file is a batch of its own (its read options are its own), except
    OCDS files: all files of one OCDS mapping and entity are one batch (read together, releases of one process
    compile across files; ingestion/ocds/loading.py)."""
    out: list[list[LandingFile]] = []
    open_batch: dict[str, tuple[list[LandingFile], int]] = {}
    ocds: dict[tuple[str, str], list[LandingFile]] = {}
    for lf in files:
        if lf.mapping is not None and lf.mapping.read.format == "ocds":
            if (str(lf.mapping.path), lf.entity) not in ocds:
                out.append(ocds.setdefault((str(lf.mapping.path), lf.entity), []))
            ocds[(str(lf.mapping.path), lf.entity)].append(lf)
            continue
        if lf.mapping is not None:
            out.append([lf])
            continue
        size = lf.path.stat().st_size
        current = open_batch.get(lf.entity)
        if current is None or len(current[0]) >= BATCH_MAX_FILES or current[1] + size > BATCH_MAX_BYTES:
            batch: list[LandingFile] = []
            out.append(batch)
            open_batch[lf.entity] = (batch, 0)
            current = open_batch[lf.entity]
        current[0].append(lf)
        open_batch[lf.entity] = (current[0], current[1] + size)
    return out


@dataclass
class Retraction:
    load_id: str
    entity: str
    file: str
    rows_deleted: int
    rows_unquarantined: int


@dataclass
class FileRetraction:
    file: str                                   # as the ledger names it (landing-relative)
    retractions: list[Retraction]
    held: list[str]                             # sha256 of the contents now held back
    readmitted: int = 0                         # holds lifted (--readmit)


def _ledger_files_for(con: duckdb.DuckDBPyConnection, path: str) -> tuple[list[str], list[str]]:
    """The ledger's file names and contents (sha256) that `path` denotes: the landing-relative name as the
    ledger holds it, an absolute or relative path under the landing area, or any existing file (by content)."""
    candidates = {path.strip().removeprefix("./")}
    try:
        from warehouse.settings import get_settings

        landing = get_settings().landing.resolve()
        p = Path(path).expanduser()
        if p.exists():
            resolved = p.resolve()
            if resolved.is_relative_to(landing):
                candidates.add(str(resolved.relative_to(landing)))
    except Exception:  # settings unavailable (a bare warehouse path): names and content only
        pass
    names = [r[0] for r in con.execute(
        f"SELECT DISTINCT file FROM raw._loads WHERE file IN ({', '.join('?' for _ in candidates)})", list(candidates)
    ).fetchall()]
    shas: list[str] = []
    p = Path(path).expanduser()
    if p.is_file():
        shas.append(file_sha256(p))
    shas += [r[0] for r in con.execute(
        f"SELECT DISTINCT file_sha256 FROM raw._loads WHERE file IN ({', '.join('?' for _ in candidates)}) "
        "AND file_sha256 IS NOT NULL", list(candidates)).fetchall()]
    return names, list(dict.fromkeys(shas))


def retract_file(path: str, warehouse_path: Path | None = None, reason: str = "", readmit: bool = False) -> FileRetraction:
    """Take back every load of a file (all its entities, all its versions named so) and hold its content back:
    discovery skips it until its content changes or it is re-admitted. With `readmit`, lift the hold only.
    One transaction: all of it or nothing. Raises IngestionError when the warehouse knows nothing of the file."""
    with connect(warehouse_path) as con:
        ensure_warehouse(con)
        names, shas = _ledger_files_for(con, path)
        if readmit:
            lifted = con.execute(
                f"DELETE FROM raw._held_files WHERE file_sha256 IN ({', '.join('?' for _ in shas) or 'NULL'}) "
                f"OR file IN ({', '.join('?' for _ in names) or 'NULL'})", shas + names).fetchone()[0]
            if not lifted:
                raise IngestionError(f"{path}: nothing of it is held back (the holds are the rows of raw._held_files)")
            return FileRetraction(names[0] if names else path, [], [], int(lifted))
        if not names:
            raise IngestionError(f"{path}: no load of this file in raw._loads (list them with `procure loads`; give the "
                                 "path under the landing area, e.g. nevada_epro/contracts.csv)")
        loads = con.execute(
            f"SELECT load_id, file_sha256 FROM raw._loads WHERE file IN ({', '.join('?' for _ in names)}) AND status = 'loaded' "
            "ORDER BY started_at", names).fetchall()
        if not loads and not shas:
            raise IngestionError(f"{path}: no loaded load of this file to retract")
        stamp = datetime.now(timezone.utc)
        con.execute("BEGIN TRANSACTION")
        try:
            done = [_retract_one(con, load_id, reason, stamp) for load_id, _ in loads]
            held = list(dict.fromkeys([sha for _, sha in loads if sha] + shas))
            for sha in held:
                con.execute("DELETE FROM raw._held_files WHERE file_sha256 = ?", [sha])
                con.execute("INSERT INTO raw._held_files VALUES (?, ?, ?, ?)",
                            [sha, names[0], stamp.replace(tzinfo=None), reason or None])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return FileRetraction(names[0], done, held)


def _retract_one(con: duckdb.DuckDBPyConnection, load_id: str, reason: str, stamp: datetime) -> Retraction:
    """Delete one loaded load's rows and mark it retracted (inside the caller's transaction)."""
    entity, file, status = con.execute("SELECT entity, file, status FROM raw._loads WHERE load_id = ?", [load_id]).fetchone()
    if status != "loaded":
        raise IngestionError(f"load {load_id} ({file}) is {status}, only a loaded load can be retracted")
    if entity not in load_schema():
        raise IngestionError(f"load {load_id} names an entity {entity!r} that the canonical schema does not have")
    note = f"retracted {stamp:%Y-%m-%d %H:%M:%S} UTC" + (f": {reason}" if reason else "")
    deleted = con.execute(f"DELETE FROM raw.{entity} WHERE _load_id = ?", [load_id]).fetchone()[0]
    unquarantined = con.execute(f"DELETE FROM quarantine.{entity} WHERE _load_id = ?", [load_id]).fetchone()[0]
    con.execute("UPDATE raw._loads SET status = 'retracted', "
                "message = CASE WHEN message IS NULL THEN ? ELSE message || '; ' || ? END WHERE load_id = ?",
                [note, note, load_id])
    return Retraction(load_id, entity, file, int(deleted), int(unquarantined))


def retract(load_id: str, warehouse_path: Path | None = None, reason: str = "") -> Retraction:
    """Take one load back out of the warehouse: delete its rows from raw.<entity> and quarantine.<entity> and mark
    it ``retracted`` in raw._loads (the ledger keeps the row, its counts and why). The same file can then be loaded
    again (the ledger only skips content whose load is ``loaded``). One transaction: all of it or nothing.

    Raises IngestionError naming the load when it does not exist or is not ``loaded``.
    """
    with connect(warehouse_path) as con:
        ensure_warehouse(con)
        if con.execute("SELECT 1 FROM raw._loads WHERE load_id = ?", [load_id]).fetchone() is None:
            raise IngestionError(f"no load {load_id!r} in raw._loads (list them with `procure loads`)")
        con.execute("BEGIN TRANSACTION")
        try:
            done = _retract_one(con, load_id, reason, datetime.now(timezone.utc))
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    return done
