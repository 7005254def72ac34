"""Declarative mappings: a YAML file that says how a user's export becomes canonical entities.

A mapping is validated completely before any row loads; every mistake names the mapping file and line.
It is then compiled into one DuckDB SELECT per entity over the file's text columns (see `select_sql`), so
the rows are transformed in SQL, memory-bounded, and validated by the same rules as canonical files.

Format (docs/add-your-data.md has the full reference and a worked example)::

    version: 1
    source: nevada_epro                 # lineage name of the source (default: the landing folder's name)
    files: ["purchase_orders*.csv"]     # landing convention: file-name globs this mapping reads
    read:                               # how to read the file (all optional)
      format: csv                       # csv | tsv | xlsx | parquet | json | jsonl | ocds (default: from the suffix)
      encoding: utf-8                   # csv/tsv: utf-8 (a byte-order mark is fine), latin-1, cp1252
      delimiter: ","                    # csv only
      header_row: 1                     # csv/tsv/xlsx: 1-based row of the header (title rows above are skipped)
      sheet: Sales                      # xlsx: sheet name or 1-based number (default: the first)
      records: data.items               # json: dotted path to the list of records (default: the top-level list)
      null_values: ["N/A", "-"]         # texts that mean "empty"
    ocds: {state_code: MX}              # format ocds only: the state code its rows get (and agency_type), and
                                        # codes: {tender.procurementMethod: {"Licitación Pública": open}} for a
                                        # publisher's own codes (ingestion/ocds/codes.py)
    socrata: {domain: data.example.gov, dataset: abcd-1234, watermark: ":updated_at"}
                                        # an open-data API instead of a file: `procure fetch --mapping` pulls the
                                        # new rows (ingestion/socrata) and loads them with this mapping
    entities:
      purchase_orders:                  # a canonical entity
        distinct: false                 # true: one row per primary key (first occurrence), e.g. agencies from POs
        columns:                        # canonical column: source column, or a spec
          po_number: "PO #"
          state_code: {value: NV}
          po_date: {from: Sent Date, date_format: "%m/%d/%Y"}
          contract_id: {from: "PO #", split: {separator: ":", part: 1}}
          status: {from: Status, map: {"3PS - Sent": open}}
          coop_program: {from: Description, cases: [{match: "(?i)naspo", value: NASPO ValuePoint}]}
          agency_id: {template: "NV:{Organization}"}

A column spec has exactly one base (`from`, `value`, `template` or `coalesce`: the first non-empty of several
source columns), then, applied in this order: `when` (conditions on the row; the value is empty where one fails),
`extract` (regular expression; its first group, else the whole match; no match = empty) or `split`
(`separator` and 1-based `part`; empty when the separator is absent), `map` and `lookup` (exact values after
trimming, written inline or read from a CSV beside the mapping; values not found pass through unchanged, so a
wrong code is quarantined naming the value, unless `map_default` is given), `cases` (first regular expression
that matches gives the value, else `default`; a case may test another source column with `column:`; after a
map it needs `default`), `default` (used when the value is empty), `decimal_comma` (1.234,56 -> 1234.56),
`round` (to N decimals, half away from zero), `date_format` (one strftime format or a list; a date that
matches none is passed through to the loader, which still accepts ISO dates and MM/DD/YYYY and quarantines
anything else). With the entity's `group_by`, `aggregate` (sum, min, max, first, any) then combines the rows
of a group; a column without one must agree across the group.
An entity (or the whole mapping) may keep rows with `where:` and drop rows with `skip:` (conditions
`{column: C, matches: regex}`, `{column: C, equals: value or [values]}`, `{column: C, empty: true|false}`),
counted in the load's ledger message.
Money text needs no option: `$`, thousands separators, parentheses and a trailing minus are parsed by the
loader for every money column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import duckdb
import yaml

from ingestion.common.parsing import blank, money_text, parse_expr, sql_ident, sql_literal, strptime_sql
from ingestion.common.schema import DECIMAL_SCALES, Entity, load_schema

FORMATS = ("csv", "tsv", "xlsx", "parquet", "json", "jsonl", "ocds")
SUFFIX_FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".tab": "tsv", ".xlsx": "xlsx", ".xlsm": "xlsx",
                  ".parquet": "parquet", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl"}
ENCODINGS = {"utf-8": "utf-8", "utf8": "utf-8", "utf-8-sig": "utf-8", "latin-1": "latin-1", "latin1": "latin-1",
             "iso-8859-1": "latin-1", "cp1252": "cp1252", "windows-1252": "cp1252"}
TOP_KEYS = {"version", "source", "files", "read", "where", "skip", "entities", "ocds", "socrata", "description"}
READ_KEYS = {"format", "encoding", "delimiter", "header_row", "sheet", "records", "null_values"}
ENTITY_KEYS = {"columns", "distinct", "where", "skip", "group_by"}
SPEC_KEYS = {"from", "value", "template", "coalesce", "when", "extract", "split", "map", "map_default", "lookup", "cases",
             "default", "decimal_comma", "round", "date_format", "aggregate"}
CONDITION_KEYS = {"column", "matches", "equals", "empty"}
LOOKUP_KEYS = {"file", "key", "value"}
AGGREGATES = ("sum", "min", "max", "first", "any")
NUMERIC_TYPES = ("money", "price", "integer")
OCDS_KEYS = {"state_code", "agency_type", "codes"}
_TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")


class MappingError(ValueError):
    """A mistake in a mapping file; the message starts with `file:line:`."""


@dataclass(frozen=True)
class ColumnSpec:
    target: str
    line: int
    source: str | None = None          # `from`
    value: str | None = None           # constant
    template: str | None = None
    coalesce: tuple[str, ...] = ()     # the first non-empty of these source columns
    when: tuple["Condition", ...] = ()  # the value only on rows where every condition holds (else empty)
    extract: str | None = None
    split: tuple[str, int] | None = None
    map: dict[str, str] | None = None
    map_default: str | None = None
    cases: tuple[tuple[str, str, str | None], ...] = ()  # (regex, value, other source column tested or None)
    default: str | None = None
    date_formats: tuple[str, ...] = ()
    decimal_comma: bool = False
    round: int | None = None
    aggregate: str | None = None       # with the entity's group_by: sum, min, max, first or any

    @property
    def source_columns(self) -> list[str]:
        if self.source is not None:
            cols = [self.source]
        elif self.template is not None:
            cols = _TEMPLATE_FIELD.findall(self.template)
        else:
            cols = list(self.coalesce)
        return cols + [c.column for c in self.when] + [c for _, _, c in self.cases if c is not None]


@dataclass(frozen=True)
class Condition:
    """One row test of `where:`/`skip:` on a source column: a regular expression, a list of values, or emptiness."""
    column: str
    line: int
    matches: str | None = None
    equals: tuple[str, ...] = ()
    empty: bool | None = None

    def describe(self) -> str:
        if self.matches is not None:
            return f"{self.column!r} matches {self.matches!r}"
        if self.equals:
            return f"{self.column!r} is {' or '.join(repr(v) for v in self.equals)}"
        return f"{self.column!r} is {'empty' if self.empty else 'not empty'}"


@dataclass(frozen=True)
class RowFilter:
    """`where` (keep a row when every condition holds) and `skip` (drop it when any holds)."""
    where: tuple[Condition, ...] = ()
    skip: tuple[Condition, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.where or self.skip)

    def merged(self, other: "RowFilter") -> "RowFilter":
        return RowFilter(self.where + other.where, self.skip + other.skip)

    def describe(self) -> str:
        parts = []
        if self.where:
            parts.append("kept where " + " and ".join(c.describe() for c in self.where))
        if self.skip:
            parts.append("skipped where " + " or ".join(c.describe() for c in self.skip))
        return "; ".join(parts)


@dataclass(frozen=True)
class EntityMapping:
    entity: Entity
    columns: tuple[ColumnSpec, ...]
    distinct: bool
    line: int
    rows: RowFilter = RowFilter()       # the mapping's and the entity's where/skip together
    group_by: tuple[str, ...] = ()      # canonical columns: one row per group (aggregation of lines)


@dataclass(frozen=True)
class ReadOptions:
    format: str | None = None
    encoding: str = "utf-8"
    delimiter: str | None = None
    header_row: int = 1
    sheet: str | int | None = None
    records: str | None = None
    null_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mapping:
    path: Path
    source: str | None
    files: tuple[str, ...]
    read: ReadOptions
    entities: tuple[EntityMapping, ...]
    ocds: dict[str, str] = field(default_factory=dict)
    ocds_codes: dict[str, dict[str, str]] = field(default_factory=dict)  # code list -> publisher code -> OCDS code
    socrata: Any = None                 # ingestion.socrata.SocrataSource for `procure fetch`
    sha256: str = ""

    def format_for(self, file: Path) -> str:
        if self.read.format:
            return self.read.format
        fmt = SUFFIX_FORMATS.get(file.suffix.lower())
        if fmt is None:
            raise MappingError(
                f"{self.path}: cannot tell the format of {file.name} from its suffix; set read.format "
                f"(one of {', '.join(FORMATS)})"
            )
        return fmt

    def applies_to(self, name: str) -> bool:
        return any(fnmatch(name, pattern) or fnmatch(name.lower(), pattern.lower()) for pattern in self.files)

    def source_columns(self) -> dict[str, int]:
        """Every source column the mapping reads -> the line that first names it."""
        out: dict[str, int] = {}
        for em in self.entities:
            for cond in em.rows.where + em.rows.skip:
                out.setdefault(cond.column, cond.line)
            for spec in em.columns:
                for col in spec.source_columns:
                    out.setdefault(col, spec.line)
        return out


# ------------------------------------------------------------------------------------------ parsing
class _LineLoader(yaml.SafeLoader):
    """SafeLoader that remembers the line of every mapping key (1-based) in `self.lines`."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping = _LineDict()
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise MappingError(f"{loader.name}:{key_node.start_mark.line + 1}: key {key!r} appears twice")
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.lines[key] = key_node.start_mark.line + 1
    mapping.line = node.start_mark.line + 1
    return mapping


class _LineDict(dict):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines: dict[str, int] = {}
        self.line = 0


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line(d: Any, key: str | None = None, default: int = 1) -> int:
    if isinstance(d, _LineDict):
        return d.lines.get(key, d.line) if key is not None else d.line
    return default


def _text(value: Any, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise MappingError(f"{where}: expected a text value, got {type(value).__name__}")


def _unknown(d: dict, allowed: set[str], where: str, path: Path) -> None:
    for key in d:
        if key not in allowed:
            raise MappingError(f"{path}:{_line(d, key)}: {where}unknown key {key!r}; allowed: {', '.join(sorted(allowed))}")


def _regex(pattern: Any, where: str) -> str:
    if not isinstance(pattern, str):
        raise MappingError(f"{where}: a regular expression must be text")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise MappingError(f"{where}: invalid regular expression {pattern!r}: {exc}") from None
    return pattern


def _todo(raw: dict, where: str) -> None:
    """A `{TODO: hint}` left in a draft of `procure map --suggest` is refused, naming the line and the hint."""
    if "TODO" in raw:
        raise MappingError(f"{where}: TODO left from the suggested draft ({_text(raw['TODO'], where)}): replace it "
                           "with the real value")


def _lookup(raw: Any, where: str, path: Path, used: list[bytes]) -> dict[str, str]:
    """The received value -> canonical value pairs of a `lookup:` reference file (CSV, beside the mapping)."""
    if not isinstance(raw, dict) or set(raw) != LOOKUP_KEYS:
        raise MappingError(f"{where}: lookup needs {{file: name.csv, key: column, value: column}} (got {raw!r})")
    file = path.parent / _text(raw["file"], where)
    key, value = _text(raw["key"], where), _text(raw["value"], where)
    try:
        data = file.read_bytes()
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MappingError(f"{where}: cannot read the lookup file {file}: {getattr(exc, 'strerror', None) or exc}") from None
    header = list(rows[0]) if rows else []
    for col in (key, value):
        if col not in header:
            raise MappingError(f"{where}: the lookup file {file} has no column {col!r}; its columns: "
                               f"{', '.join(repr(h) for h in header) or 'none (no data rows)'}")
    out: dict[str, str] = {}
    for i, row in enumerate(rows, start=2):
        k, v = (row[key] or "").strip(), (row[value] or "").strip()
        if not k:
            continue
        if k in out and out[k] != v:
            raise MappingError(f"{where}: the lookup file {file} gives {key}={k!r} two values ({out[k]!r} and, "
                               f"on line {i}, {v!r})")
        out[k] = v
    used.append(file.name.encode() + b"\0" + data)
    return out


def _condition(raw: Any, path: Path, where: str) -> Condition:
    line = _line(raw)
    if not isinstance(raw, dict) or "column" not in raw:
        raise MappingError(f"{path}:{line}: {where}: each condition is {{column: Name, matches: regex}}, "
                           f"{{column: Name, equals: value or [values]}} or {{column: Name, empty: true|false}} (got {raw!r})")
    _unknown(raw, CONDITION_KEYS, f"{where}: ", path)
    tests = [k for k in ("matches", "equals", "empty") if k in raw]
    if len(tests) != 1:
        raise MappingError(f"{path}:{line}: {where}: give exactly one of matches, equals or empty (got {', '.join(tests) or 'none'})")
    at = f"{path}:{line}: {where}"
    column = _text(raw["column"], at)
    if "matches" in raw:
        return Condition(column, line, matches=_regex(raw["matches"], at))
    if "equals" in raw:
        values = raw["equals"] if isinstance(raw["equals"], list) else [raw["equals"]]
        if not values:
            raise MappingError(f"{at}: equals needs a value or a non-empty list")
        return Condition(column, line, equals=tuple(_text(v, at) for v in values))
    if not isinstance(raw["empty"], bool):
        raise MappingError(f"{at}: empty must be true or false")
    return Condition(column, line, empty=raw["empty"])


def _row_filter(raw: dict, path: Path, where: str) -> RowFilter:
    parts = {}
    for key in ("where", "skip"):
        if key not in raw:
            parts[key] = ()
            continue
        conds = raw[key] if isinstance(raw[key], list) else [raw[key]]
        if not conds:
            raise MappingError(f"{path}:{_line(raw, key)}: {where}{key} needs at least one condition")
        parts[key] = tuple(_condition(c, path, f"{where}{key}") for c in conds)
    return RowFilter(parts["where"], parts["skip"])


def _column_spec(target: str, raw: Any, line: int, path: Path, e: Entity, used: list[bytes]) -> ColumnSpec:
    where = f"{path}:{line}: {e.name}.{target}"
    if isinstance(raw, str):
        return ColumnSpec(target=target, line=line, source=raw)
    if not isinstance(raw, dict):
        raise MappingError(f"{where}: expected a source column name or a spec like {{from: Column}}, got {raw!r}")
    _todo(raw, where)
    _unknown(raw, SPEC_KEYS, f"{e.name}.{target}: ", path)
    bases = [k for k in ("from", "value", "template", "coalesce") if k in raw]
    if len(bases) != 1:
        raise MappingError(f"{where}: give exactly one of from, value, template or coalesce (got {', '.join(bases) or 'none'})")
    col_type = e.column(target).type
    kw: dict[str, Any] = {}
    if "coalesce" in raw:
        cols = raw["coalesce"]
        if not isinstance(cols, list) or len(cols) < 2:
            raise MappingError(f"{where}: coalesce needs a list of two or more source columns (the first non-empty wins)")
        kw["coalesce"] = tuple(_text(c, where) for c in cols)
    if "from" in raw:
        kw["source"] = _text(raw["from"], where)
    if "when" in raw:
        conds = raw["when"] if isinstance(raw["when"], list) else [raw["when"]]
        if not conds:
            raise MappingError(f"{where}: when needs at least one condition")
        kw["when"] = tuple(_condition(c, path, f"{e.name}.{target}.when") for c in conds)
    if "value" in raw:
        kw["value"] = None if raw["value"] is None else _text(raw["value"], where)
    if "template" in raw:
        template = _text(raw["template"], where)
        if not _TEMPLATE_FIELD.search(template):
            raise MappingError(f"{where}: template {template!r} names no {{column}}; use value: for a constant")
        kw["template"] = template
    if "extract" in raw and "split" in raw:
        raise MappingError(f"{where}: use extract or split, not both")
    if "extract" in raw:
        kw["extract"] = _regex(raw["extract"], where)
    if "split" in raw:
        sp = raw["split"]
        if not isinstance(sp, dict) or set(sp) != {"separator", "part"} or not isinstance(sp["part"], int) or sp["part"] < 1:
            raise MappingError(f"{where}: split needs {{separator: ':', part: N}} with N >= 1 (got {sp!r})")
        kw["split"] = (_text(sp["separator"], where), sp["part"])
    if "map" in raw:
        if not isinstance(raw["map"], dict) or not raw["map"]:
            raise MappingError(f"{where}: map must be a non-empty mapping of received value -> canonical value")
        for k, v in raw["map"].items():
            if isinstance(v, dict):
                _todo(v, f"{where}: map {k!r}")
        kw["map"] = {_text(k, where): _text(v, where) for k, v in raw["map"].items()}
    if "lookup" in raw:
        # a map read from a reference file; entries written under map: take precedence
        kw["map"] = {**_lookup(raw["lookup"], where, path, used), **kw.get("map", {})}
        if not kw["map"]:
            raise MappingError(f"{where}: the lookup file has no rows")
    if "map_default" in raw:
        if "map" not in raw and "lookup" not in raw:
            raise MappingError(f"{where}: map_default needs a map or a lookup")
        kw["map_default"] = _text(raw["map_default"], where)
    if "cases" in raw:
        cases = raw["cases"]
        if not isinstance(cases, list) or not cases:
            raise MappingError(f"{where}: cases must be a list of {{match: regex, value: text}}")
        parsed = []
        for case in cases:
            if not isinstance(case, dict) or not {"match", "value"} <= set(case) <= {"match", "value", "column"}:
                raise MappingError(f"{path}:{_line(case, default=line)}: {e.name}.{target}: each case needs match and value "
                                   f"(and optionally column, the source column to test instead) (got {case!r})")
            parsed.append((_regex(case["match"], where), _text(case["value"], where),
                           _text(case["column"], where) if "column" in case else None))
        kw["cases"] = tuple(parsed)
        if ("map" in raw or "lookup" in raw) and "default" not in raw:
            raise MappingError(f"{where}: cases come after map/lookup and replace its result: a value no case matches "
                               "would become empty; give default: (the value when no case matches), or use only one of them")
    if "default" in raw:
        kw["default"] = None if raw["default"] is None else _text(raw["default"], where)
    if "date_format" in raw:
        formats = raw["date_format"] if isinstance(raw["date_format"], list) else [raw["date_format"]]
        if not all(isinstance(f, str) and "%" in f for f in formats):
            raise MappingError(f"{where}: date_format must be a strftime format like '%m/%d/%Y' (or a list of them)")
        for f in formats:
            try:
                duckdb.execute("SELECT try_strptime('', ?)", [f])
            except duckdb.Error as exc:
                raise MappingError(f"{where}: date_format {f!r} is not a valid format: {str(exc).splitlines()[0]}") from None
        if e.column(target).type != "date":
            raise MappingError(f"{where}: date_format on a column of type {e.column(target).type}")
        kw["date_formats"] = tuple(formats)
    if "decimal_comma" in raw:
        if not isinstance(raw["decimal_comma"], bool):
            raise MappingError(f"{where}: decimal_comma must be true or false")
        kw["decimal_comma"] = raw["decimal_comma"]
    if "round" in raw:
        digits = raw["round"]
        if not isinstance(digits, int) or isinstance(digits, bool) or not 0 <= digits <= DECIMAL_SCALES.get(col_type, -1):
            if col_type not in DECIMAL_SCALES:
                raise MappingError(f"{where}: round applies to money and price columns (prices, quantities, rates), not {col_type}")
            raise MappingError(f"{where}: round must be a whole number of decimals from 0 to {DECIMAL_SCALES[col_type]} "
                               f"(what a {col_type} keeps), got {digits!r}")
        kw["round"] = digits
    if "aggregate" in raw:
        how = raw["aggregate"]
        if how not in AGGREGATES:
            raise MappingError(f"{where}: aggregate {how!r} is not one of {', '.join(AGGREGATES)}")
        if how == "sum" and col_type not in NUMERIC_TYPES:
            raise MappingError(f"{where}: aggregate sum needs a numeric column; {target} is {col_type}")
        kw["aggregate"] = how
    return ColumnSpec(target=target, line=line, **kw)


def _read_options(raw: Any, path: Path) -> ReadOptions:
    if raw is None:
        return ReadOptions()
    if not isinstance(raw, dict):
        raise MappingError(f"{path}:{_line(raw)}: read must be a mapping")
    _unknown(raw, READ_KEYS, "read: ", path)
    kw: dict[str, Any] = {}
    if "format" in raw:
        if raw["format"] not in FORMATS:
            raise MappingError(f"{path}:{_line(raw, 'format')}: read.format {raw['format']!r} is not one of {', '.join(FORMATS)}")
        kw["format"] = raw["format"]
    if "encoding" in raw:
        enc = str(raw["encoding"]).lower()
        if enc not in ENCODINGS:
            raise MappingError(f"{path}:{_line(raw, 'encoding')}: read.encoding {raw['encoding']!r} is not one of {', '.join(sorted(set(ENCODINGS)))}")
        kw["encoding"] = ENCODINGS[enc]
    if "delimiter" in raw:
        if not isinstance(raw["delimiter"], str) or len(raw["delimiter"]) != 1:
            raise MappingError(f"{path}:{_line(raw, 'delimiter')}: read.delimiter must be one character")
        kw["delimiter"] = raw["delimiter"]
    if "header_row" in raw:
        if not isinstance(raw["header_row"], int) or isinstance(raw["header_row"], bool) or raw["header_row"] < 1:
            raise MappingError(f"{path}:{_line(raw, 'header_row')}: read.header_row must be a whole number >= 1")
        kw["header_row"] = raw["header_row"]
    if "sheet" in raw:
        kw["sheet"] = raw["sheet"]
    if "records" in raw:
        kw["records"] = _text(raw["records"], f"{path}:{_line(raw, 'records')}")
    if "null_values" in raw:
        if not isinstance(raw["null_values"], list):
            raise MappingError(f"{path}:{_line(raw, 'null_values')}: read.null_values must be a list")
        kw["null_values"] = tuple(_text(v, f"{path}:{_line(raw, 'null_values')}") for v in raw["null_values"])
    return ReadOptions(**kw)


def parse_mapping(text: str, path: Path) -> Mapping:
    """Parse and validate a mapping; raises MappingError naming the file and line."""
    try:
        loader = _LineLoader(text)
        loader.name = str(path)
        try:
            raw = loader.get_single_data()
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise MappingError(f"{where}: not valid YAML: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(raw, dict):
        raise MappingError(f"{path}:1: a mapping file is a YAML mapping with at least `entities:` (or read.format: ocds)")
    _unknown(raw, TOP_KEYS, "", path)
    if raw.get("version", 1) != 1:
        raise MappingError(f"{path}:{_line(raw, 'version')}: version {raw['version']!r} is not supported (use 1)")
    read = _read_options(raw.get("read"), path)
    files = raw.get("files", [])
    if isinstance(files, str):
        files = [files]
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise MappingError(f"{path}:{_line(raw, 'files')}: files must be a list of file-name globs")
    source = raw.get("source")
    if source is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+", str(source)):
        raise MappingError(f"{path}:{_line(raw, 'source')}: source {source!r} may only hold letters, digits, _ . -")
    ocds: dict[str, str] = {}
    ocds_codes: dict[str, dict[str, str]] = {}
    if read.format == "ocds":
        block = raw.get("ocds")
        if not isinstance(block, dict) or "state_code" not in block:
            raise MappingError(f"{path}:{_line(raw, 'read')}: read.format ocds needs `ocds: {{state_code: XX}}` (the state its rows belong to)")
        _unknown(block, OCDS_KEYS, "ocds: ", path)
        ocds = {k: _text(v, f"{path}:{_line(block, k)}") for k, v in block.items() if k != "codes"}
        ocds_codes = _ocds_codes(block, path) if "codes" in block else {}
        if raw.get("entities"):
            raise MappingError(f"{path}:{_line(raw, 'entities')}: an OCDS mapping takes no entities: the importer maps OCDS onto every entity")
    elif "ocds" in raw:
        raise MappingError(f"{path}:{_line(raw, 'ocds')}: `ocds:` applies only with read.format: ocds")
    socrata = None
    if "socrata" in raw:
        from ingestion.socrata import SocrataSource

        try:
            socrata = SocrataSource.from_config(raw["socrata"], where_from=f"{path}:{_line(raw, 'socrata')}")
        except ValueError as exc:
            raise MappingError(str(exc)) from None
        if read.format not in (None, "jsonl"):
            raise MappingError(f"{path}:{_line(raw, 'read')}: a socrata mapping reads what `procure fetch` writes (JSON Lines): drop read.format or set it to jsonl")
        read = ReadOptions(**{**read.__dict__, "format": "jsonl"})
    schema = load_schema()
    entities = []
    used: list[bytes] = []  # lookup files: their content is part of the mapping's identity
    top_rows = _row_filter(raw, path, "")
    if top_rows and read.format == "ocds":
        raise MappingError(f"{path}:{_line(raw, 'where' if 'where' in raw else 'skip')}: where/skip apply to tabular files, not OCDS")
    raw_entities = raw.get("entities") or {}
    if read.format != "ocds" and not raw_entities:
        raise MappingError(f"{path}:{_line(raw)}: no entities: say which canonical entity the file maps to (entities: {{payments: {{columns: ...}}}})")
    if not isinstance(raw_entities, dict):
        raise MappingError(f"{path}:{_line(raw, 'entities')}: entities must be a mapping of canonical entity -> columns")
    for name, spec in raw_entities.items():
        line = _line(raw_entities, name)
        if name not in schema:
            raise MappingError(f"{path}:{line}: {name!r} is not a canonical entity; one of: {', '.join(schema)}")
        e = schema[name]
        if not isinstance(spec, dict) or "columns" not in spec:
            raise MappingError(f"{path}:{line}: {name}: expected {{columns: {{canonical_column: source}}}}")
        _unknown(spec, ENTITY_KEYS, f"{name}: ", path)
        cols_raw = spec["columns"]
        if not isinstance(cols_raw, dict) or not cols_raw:
            raise MappingError(f"{path}:{_line(spec, 'columns')}: {name}.columns must map canonical columns to sources")
        specs = []
        for target, col_raw in cols_raw.items():
            col_line = _line(cols_raw, target)
            if target not in e.column_index:
                raise MappingError(f"{path}:{col_line}: {name} has no column {target!r}; its columns: {', '.join(e.column_names)}")
            specs.append(_column_spec(target, col_raw, col_line, path, e, used))
        missing = [c for c in e.required_columns if c not in cols_raw]
        if missing:
            raise MappingError(f"{path}:{_line(spec, 'columns')}: {name}: required canonical column(s) not mapped: {', '.join(missing)}")
        distinct = spec.get("distinct", False)
        if not isinstance(distinct, bool):
            raise MappingError(f"{path}:{_line(spec, 'distinct')}: {name}.distinct must be true or false")
        group_by = _group_by(spec, specs, e, path, name)
        if distinct and group_by:
            raise MappingError(f"{path}:{_line(spec, 'group_by')}: {name}: use distinct or group_by, not both "
                               "(group_by with no aggregate keeps one row per group too, and checks the rows agree)")
        entities.append(EntityMapping(entity=e, columns=tuple(specs), distinct=distinct, line=line,
                                      rows=top_rows.merged(_row_filter(spec, path, f"{name}: ")), group_by=group_by))
    digest = hashlib.sha256(text.encode())
    for blob in used:
        digest.update(b"\0lookup\0" + blob)
    return Mapping(path=path, source=str(source) if source else None, files=tuple(files), read=read,
                   entities=tuple(entities), ocds=ocds, ocds_codes=ocds_codes, socrata=socrata,
                   sha256=digest.hexdigest())


def _group_by(spec: dict, specs: list[ColumnSpec], e: Entity, path: Path, name: str) -> tuple[str, ...]:
    """The canonical columns an aggregated entity groups by (validated); () when the entity is not aggregated."""
    aggregated = [s for s in specs if s.aggregate]
    if "group_by" not in spec:
        if aggregated:
            raise MappingError(f"{path}:{aggregated[0].line}: {name}.{aggregated[0].target}: aggregate needs "
                               f"{name}.group_by (e.g. group_by: [{', '.join(e.primary_key)}])")
        return ()
    line = _line(spec, "group_by")
    keys = spec["group_by"] if isinstance(spec["group_by"], list) else [spec["group_by"]]
    mapped = {s.target for s in specs}
    if not keys or not all(isinstance(k, str) for k in keys):
        raise MappingError(f"{path}:{line}: {name}.group_by must be a list of canonical columns")
    for k in keys:
        if k not in mapped:
            raise MappingError(f"{path}:{line}: {name}.group_by names {k!r}, which the mapping does not map")
    for s in aggregated:
        if s.target in keys:
            raise MappingError(f"{path}:{s.line}: {name}.{s.target}: a group_by column takes no aggregate")
    return tuple(keys)



def _ocds_codes(block: dict, path: Path) -> dict[str, dict[str, str]]:
    """ocds.codes: {code list: {publisher code: OCDS code}}, each target a code of that list (codes.py)."""
    from ingestion.ocds.codes import CODE_LISTS

    raw = block["codes"]
    lists = ", ".join(CODE_LISTS)
    if not isinstance(raw, dict) or not raw:
        raise MappingError(f"{path}:{_line(block, 'codes')}: ocds.codes maps a code list to {{publisher code: OCDS code}}, "
                           f"e.g. codes: {{tender.procurementMethod: {{\"Licitación Pública\": open}}}}; code lists: {lists}")
    out: dict[str, dict[str, str]] = {}
    for name, pairs in raw.items():
        line = _line(raw, name)
        if name not in CODE_LISTS:
            raise MappingError(f"{path}:{line}: ocds.codes: {name!r} is not a code list the importer reads; one of: {lists}")
        known = ", ".join(CODE_LISTS[name].targets)
        if not isinstance(pairs, dict) or not pairs:
            raise MappingError(f"{path}:{line}: ocds.codes.{name} maps the publisher's codes to OCDS codes "
                               f"({{\"their code\": one of {known}}})")
        out[name] = {}
        for code, target in pairs.items():
            at = f"{path}:{_line(pairs, code)}"
            if not isinstance(code, str) or not code.strip():
                raise MappingError(f"{at}: ocds.codes.{name}: the publisher's code {code!r} must be text (quote it)")
            if not isinstance(target, str) or target not in CODE_LISTS[name].targets:
                target_list = CODE_LISTS[name].via or name
                raise MappingError(f"{at}: ocds.codes.{name}: {code!r} -> {target!r}: {target!r} is not an OCDS "
                                   f"{target_list} code; one of: {known}")
            out[name][code.strip()] = target
    return out


def load_mapping(path: Path) -> Mapping:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{path}: cannot read the mapping: {exc.strerror or exc}") from None
    return parse_mapping(text, path)


# ------------------------------------------------------------------------------------------ SQL
def _blank(expr: str) -> str:
    return f"({expr} IS NULL OR trim({expr}) = '')"


def column_sql(spec: ColumnSpec, header: dict[str, str]) -> str:
    """The text expression of one canonical column; `header` maps normalised source names to actual ones."""
    def col(name: str) -> str:
        return sql_ident(header[_norm(name)])

    if spec.source is not None:
        expr = col(spec.source)
    elif spec.value is not None:
        expr = sql_literal(spec.value)
    elif spec.template is not None:
        names = _TEMPLATE_FIELD.findall(spec.template)
        parts, pos = [], 0
        for m in _TEMPLATE_FIELD.finditer(spec.template):
            if m.start() > pos:
                parts.append(sql_literal(spec.template[pos:m.start()]))
            parts.append(f"trim({col(m.group(1))})")
            pos = m.end()
        if pos < len(spec.template):
            parts.append(sql_literal(spec.template[pos:]))
        any_blank = " OR ".join(_blank(col(n)) for n in names)
        expr = f"(CASE WHEN {any_blank} THEN NULL ELSE concat({', '.join(parts)}) END)"
    elif spec.coalesce:
        expr = "coalesce(" + ", ".join(f"NULLIF(trim({col(c)}), '')" for c in spec.coalesce) + ")"
    else:
        expr = "CAST(NULL AS VARCHAR)"
    if spec.when:
        expr = f"(CASE WHEN {' AND '.join(_condition_sql(c, header) for c in spec.when)} THEN {expr} END)"
    if spec.extract is not None:
        groups = re.compile(spec.extract).groups
        expr = f"NULLIF(regexp_extract({expr}, {sql_literal(spec.extract)}, {1 if groups else 0}), '')"
    if spec.split is not None:
        sep, part = spec.split
        expr = f"(CASE WHEN strpos({expr}, {sql_literal(sep)}) > 0 THEN NULLIF(split_part({expr}, {sql_literal(sep)}, {part}), '') END)"
    if spec.map is not None:
        whens = " ".join(f"WHEN {sql_literal(k)} THEN {sql_literal(v)}" for k, v in spec.map.items())
        otherwise = sql_literal(spec.map_default) if spec.map_default is not None else expr
        expr = f"(CASE WHEN {_blank(expr)} THEN NULL ELSE (CASE trim({expr}) {whens} ELSE {otherwise} END) END)"
    if spec.cases:
        whens = " ".join(f"WHEN regexp_matches(coalesce({col(c) if c else expr}, ''), {sql_literal(p)}) THEN {sql_literal(v)}"
                         for p, v, c in spec.cases)
        otherwise = sql_literal(spec.default) if spec.default is not None else "CAST(NULL AS VARCHAR)"
        expr = f"(CASE {whens} ELSE {otherwise} END)"
    elif spec.default is not None:
        expr = f"(CASE WHEN {_blank(expr)} THEN {sql_literal(spec.default)} ELSE {expr} END)"
    if spec.decimal_comma:
        expr = f"replace(replace({expr}, '.', ''), ',', '.')"
    if spec.round is not None:
        # a number (money text included) rounded half away from zero; anything else passes on to be quarantined
        number = f"TRY_CAST({money_text(expr)} AS DECIMAL(38,12))"
        expr = f"(CASE WHEN {number} IS NOT NULL THEN CAST(round({number}, {spec.round}) AS VARCHAR) ELSE {expr} END)"
    if spec.date_formats:
        parsed = ", ".join(f"strftime({strptime_sql(f'trim({expr})', sql_literal(f))}, '%Y-%m-%d')" for f in spec.date_formats)
        expr = f"(CASE WHEN {_blank(expr)} THEN NULL ELSE coalesce({parsed}, {expr}) END)"
    return expr


def _norm(name: str) -> str:
    return name.strip().lower()


def header_index(header: list[str]) -> dict[str, str]:
    return {_norm(h): h for h in header}


def missing_sources(mapping: Mapping, header: list[str]) -> list[str]:
    """Source columns the mapping names that the file's header lacks, as 'line N: name' texts."""
    index = header_index(header)
    return [f"line {line}: {name!r}" for name, line in mapping.source_columns().items() if _norm(name) not in index]


def _condition_sql(c: Condition, index: dict[str, str]) -> str:
    value = f"trim({sql_ident(index[_norm(c.column)])})"
    if c.matches is not None:
        return f"regexp_matches(coalesce({value}, ''), {sql_literal(c.matches)})"
    if c.equals:
        return f"coalesce({value} IN ({', '.join(sql_literal(v) for v in c.equals)}), false)"
    return blank(value) if c.empty else f"NOT {blank(value)}"


def filter_sql(rows: RowFilter, header: list[str]) -> str:
    """The WHERE condition of a mapping's where/skip ('true' when it has none)."""
    index = header_index(header)
    parts = [_condition_sql(c, index) for c in rows.where]
    parts += [f"NOT ({_condition_sql(c, index)})" for c in rows.skip]
    return " AND ".join(parts) or "true"


def _quoted_list(values: str) -> str:
    """SQL: a list of texts shown as 'a', 'b' (at most three)."""
    return f"array_to_string(list_transform(({values})[1:3], lambda x: '''' || x || ''''), ', ')"


def _aggregate_sql(em: EntityMapping, relation: str) -> str:
    """One row per group_by value over `relation` (the entity's canonical text columns): the aggregated columns
    as their function says, the others the one value the group's rows share. `_row_number` is the group's first
    file row; `_mapping_reason` (and `_mapping_columns`) say what the group's rows got wrong (a value that does not parse for sum, min
    or max; rows that disagree on a column without aggregate), so the loader quarantines the row naming it."""
    e, keys = em.entity, em.group_by
    specs = {s.target: s for s in em.columns}
    # a row with an empty key part is never merged with others: it stays a row of its own (and is quarantined)
    solo = f"CASE WHEN {' OR '.join(blank(k) for k in keys)} THEN _row_number END"
    group = [f"trim({k})" for k in keys] + [solo]
    rows_of = "array_to_string(list(_row_number ORDER BY _row_number), ', ')"
    cols, reasons = [], []
    for c in e.columns:
        if c.name not in specs:
            continue
        how = specs[c.name].aggregate
        given = f"NOT {blank(c.name)}"
        if c.name in keys or how == "first":
            cols.append(f"arg_min({c.name}, _row_number) AS {c.name}")
        elif how in ("sum", "min", "max") and c.type != "string":
            parsed = parse_expr(c, c.name)
            bad = f"({given} AND {parsed} IS NULL)"
            agg = f"{how}({parsed})"
            shown = f"strftime({agg}, '%Y-%m-%d')" if c.type == "date" else f"CAST({agg} AS VARCHAR)"
            cols.append(f"CASE WHEN count(*) FILTER (WHERE {bad}) = 0 THEN {shown} END AS {c.name}")
            reasons.append((
                f"count(*) FILTER (WHERE {bad}) > 0", c.name,
                f"{sql_literal(f'{c.name}: {how} over rows ')} || {rows_of} || ': ' || "
                f"{_quoted_list(f'list({c.name} ORDER BY _row_number) FILTER (WHERE {bad})')} || "
                f"{sql_literal(f' is not a valid {c.type}')}"))
        elif how in ("min", "max"):
            cols.append(f"{how}(trim({c.name})) FILTER (WHERE {given}) AS {c.name}")
        elif how == "any":
            cols.append(f"arg_min({c.name}, _row_number) FILTER (WHERE {given}) AS {c.name}")
        else:  # no aggregate: the rows of a group must agree (empty values aside)
            cols.append(f"arg_min({c.name}, _row_number) FILTER (WHERE {given}) AS {c.name}")
            values = f"list_sort(list(DISTINCT trim({c.name})) FILTER (WHERE {given}))"
            reasons.append((
                f"count(DISTINCT trim({c.name})) FILTER (WHERE {given}) > 1", c.name,
                f"{sql_literal(f'{c.name}: the rows ')} || {rows_of} || "
                f"{sql_literal(' share ' + ', '.join(keys) + ' but disagree (')} || {_quoted_list(values)} || "
                f"{sql_literal('); give it aggregate: first, any, min or max')}"))
    if reasons:
        reason = f"NULLIF(concat_ws('; ', {', '.join(f'CASE WHEN {w} THEN {m} END' for w, _, m in reasons)}), '')"
        named = f"NULLIF(concat_ws(',', {', '.join(f'CASE WHEN {w} THEN {sql_literal(n)} END' for w, n, _ in reasons)}), '')"
    else:
        reason = named = "CAST(NULL AS VARCHAR)"
    return (f"SELECT {', '.join(cols)}, min(_row_number) AS _row_number, {reason} AS _mapping_reason, "
            f"{named} AS _mapping_columns FROM {relation} GROUP BY {', '.join(group)}")


def select_sql(em: EntityMapping, header: list[str], relation: str, null_values: tuple[str, ...] = ()) -> str:
    """SELECT of the entity's canonical text columns (unmapped ones NULL) plus _row_number over `relation`.

    `null_values` empty the source columns before any transform; `where`/`skip` keep or drop rows before the
    columns are computed. With `distinct`, one row per primary key: the first in file order (rows with an empty
    key part are kept, one by one, to be quarantined). With `group_by`, one row per group (see _aggregate_sql),
    and a `_mapping_reason` column the loader adds to the row's quarantine reasons.
    """
    index = header_index(header)
    if null_values:
        listed = ", ".join(sql_literal(v) for v in null_values)
        cols = ", ".join(f"CASE WHEN trim({sql_ident(h)}) IN ({listed}) THEN NULL ELSE {sql_ident(h)} END AS {sql_ident(h)}"
                         for h in header if h != "_row_number")
        relation = f"(SELECT {cols}, _row_number FROM {relation})"
    specs = {s.target: s for s in em.columns}
    cols = [f"CAST({column_sql(specs[c.name], index)} AS VARCHAR) AS {c.name}" for c in em.entity.columns if c.name in specs]
    sql = f"SELECT {', '.join(cols)}, _row_number FROM {relation}"
    if em.rows:
        sql += f" WHERE {filter_sql(em.rows, header)}"
    if em.distinct:
        keys = em.entity.primary_key
        solo = f"CASE WHEN {' OR '.join(blank(k) for k in keys)} THEN _row_number END"
        parts = ", ".join([f"trim({k})" for k in keys] + [solo])
        sql = f"SELECT * FROM ({sql}) QUALIFY row_number() OVER (PARTITION BY {parts} ORDER BY _row_number) = 1"
    if em.group_by:
        sql = _aggregate_sql(em, f"({sql})")
    return sql


def describe_sources(em: EntityMapping) -> dict[str, str]:
    """Canonical column -> where it comes from, for messages ("from 'Sent Date'")."""
    out = {}
    for s in em.columns:
        if s.source is not None:
            out[s.target] = f"from {s.source!r}"
        elif s.template is not None:
            out[s.target] = f"template {s.template!r}"
        else:
            out[s.target] = "constant"
    return out
