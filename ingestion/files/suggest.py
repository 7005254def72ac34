"""Draft a mapping YAML from a file's header and values: `procure map --suggest FILE`.

The draft is a starting point the user edits: every canonical column it proposes names the source column, a
confidence (high, medium, low) and the evidence (score, what the sampled values look like, examples) in a comment; a
required column it could not place is written as `{TODO: hint}`, and so is a received code whose canonical value is
not certain (`"Finally Closed": {TODO: "closed?"}`). `parse_mapping` refuses any TODO, naming the line, so an unedited
draft cannot load; once each TODO is replaced the draft is a valid mapping.

How a column is placed: the header's words, normalised (`#`/No/Nbr -> number, Vendor/Payee -> supplier,
Organization/Department -> agency, plurals, ...), are compared word by word (rapidfuzz for near spellings) with the
canonical column's name, the entity's own words (a PO file's "Date" is the PO's date) and the column's description
in the data dictionary (`name_score`); the score is then weighed by what the values look like (a date column needs
dates in one format, a money column amounts, an allowed-values column few distinct values: `type_fit`). Each
canonical column takes its best header from PLACE_AT; a header feeds one column of an entity, except that a key
`x_id` with no header of its own takes the header of its `x_number`. The entity is the one whose required columns are
best placed, that explains most of the file's columns, and whose key's header names it; an entity whose key repeats
in the sample (POs drawn from a PO-lines file) is ranked down, and can still be asked for as a second entity
(`distinct: true`).

Money and numbers are checked with the loader's own parsing expression (ingestion/common/parsing.py), so a note
that sampled values would be quarantined says what loading would do. Only a bounded sample is read (SAMPLE_ROWS
data rows: the head of a CSV/TSV/JSON Lines file, the first records of a JSON array, the first rows of a Parquet
file; an XLSX sheet whole), through ingestion/files/readers.py as the loader reads it.
"""

from __future__ import annotations

import codecs
import datetime as dt
import itertools
import json
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import duckdb
import polars as pl
from rapidfuzz import fuzz

from ingestion.common.parsing import sql_ident, sql_literal
from ingestion.common.schema import Column, Entity, load_schema
from ingestion.files.mapping import SUFFIX_FORMATS, ReadOptions
from ingestion.files.readers import ReadError, read_table

SAMPLE_ROWS = 2000
WHOLE_FILE_CODES_MAX_BYTES = 256 << 20  # up to this size, a map's codes are read from the whole file, not the head
PLACE_AT = 60          # a header is proposed for a column from this adjusted score (0-100)
LOW_CARDINALITY = 25   # at most this many distinct values: a candidate for an allowed-values column's map
DATE_SHARE = 0.9       # this share of non-empty values must parse for a column to count as dates / numbers

# Tried in this order; the first that reads every sampled value wins (so 03/04/2025 is read as US month/day
# unless a value like 13/04/2025 rules it out). DuckDB's strptime reads them as Python's does.
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d/%m/%Y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %H:%M:%S",
                "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%d.%m.%Y", "%Y%m%d", "%d-%b-%Y", "%d-%b-%y", "%b %d, %Y",
                "%m/%d/%y", "%Y/%m/%d", "%m-%d-%Y", "%d %b %Y", "%Y-%m-%d %H:%M:%S.%f")
EXCEL_SERIAL = (20000, 80000)  # Excel day numbers of 1954-10-03 .. 2119-01-10: a plausible date range
BOOLEAN_TEXT = {"true", "false", "t", "f", "yes", "no", "y", "n", "1", "0"}
_MONEY = re.compile(r"^\(?-?\s*[$€£]?\s*\(?-?\s*((\d{1,3}(,\d{3})+|\d+)(\.\d+)?|\.\d+)\)?-?$")
_DECIMAL_COMMA = re.compile(r"^-?\s*[$€£]?\s*(\d{1,3}(\.\d{3})+|\d+),\d{1,4}-?$")
_INTEGER = re.compile(r"^-?\d+$")

# Header words -> the word the data dictionary uses. Written for procurement exports; a word not here is compared
# as it is.
SYNONYMS = {
    "#": "number", "no": "number", "nbr": "number", "num": "number", "nr": "number", "numb": "number",
    "vendor": "supplier", "payee": "supplier", "contractor": "supplier", "seller": "supplier", "company": "supplier",
    "organization": "agency", "organisation": "agency", "org": "agency", "department": "agency", "dept": "agency",
    "ministry": "agency", "buyer": "buyer",
    "amt": "amount", "value": "amount", "dollars": "amount", "sum": "amount",
    "qty": "quantity", "uom": "unit of measure", "desc": "description", "descr": "description",
    "begin": "start", "commencement": "start", "effective": "start", "expiration": "end", "expiry": "end",
    "expires": "end", "sent": "issued", "issue": "issued", "ordered": "issued", "cat": "category",
    "ln": "line", "dt": "date", "stat": "status", "id": "id", "identifier": "id", "key": "id", "code": "code",
}
PHRASES = {"purchase order": "po", "p o": "po", "unit of measure": "uom", "solicitation": "solicitation",
           "bid opening": "close", "opening date": "close date", "due date": "due date"}
GENERIC = {"id", "number", "code", "key"}
STOPWORDS = {"the", "of", "a", "an", "in", "on", "to", "by", "for", "and", "or", "as", "is", "usd", "empty", "e", "g"}


# ------------------------------------------------------------------------------------------ the sample
class SuggestError(ValueError):
    """The file cannot be sampled; the message says why and what to do."""


def _csv_head(path: Path, rows: int, skip: int, out: Path) -> None:
    """The header (after `skip` title rows) and the first `rows` records of a CSV/TSV file, byte for byte: a record
    ends at a line end outside quotes (an even count of quote characters so far)."""
    with open(path, "rb") as src, open(out, "wb") as dst:
        records, quotes = 0, 0
        for line in src:
            dst.write(line)
            quotes += line.count(b'"')
            if quotes % 2 == 0:
                records += 1
                if records >= rows + skip + 1:
                    break


def _json_head(path: Path, records: str | None, rows: int, out: Path) -> None:
    import ijson

    prefix = (records + ".item") if records else "item"
    with open(path, "rb") as fh, open(out, "w", encoding="utf-8") as dst:
        try:
            for record in itertools.islice(ijson.items(fh, prefix, use_float=False), rows):
                dst.write(json.dumps(record, default=str, ensure_ascii=False) + "\n")
        except ijson.JSONError as exc:
            raise SuggestError(f"{path}: not valid JSON: {exc}") from None


def _json_records(path: Path, events: int = 100_000) -> str | None:
    """The dotted path of the first list of objects in a JSON document whose top level is an object (None when the
    top level is the list itself, or none is found in the first `events` parse events)."""
    import ijson

    with open(path, "rb") as fh:
        try:
            for i, (prefix, event, _) in enumerate(ijson.parse(fh)):
                if i == 0 and event != "start_map":
                    return None
                if event == "start_map" and prefix.endswith(".item") and ".item." not in prefix:
                    return prefix[: -len(".item")]
                if i >= events:
                    return None
        except ijson.JSONError as exc:
            raise SuggestError(f"{path}: not valid JSON: {exc}") from None
    return None


@dataclass
class Sample:
    path: Path
    format: str
    read: ReadOptions
    header: list[str]
    frame: pl.DataFrame      # text columns, at most SAMPLE_ROWS rows
    notes: list[str] = field(default_factory=list)


def _guess_csv_options(path: Path) -> tuple[ReadOptions, list[str]]:
    """Encoding (UTF-8 unless the head is not) and delimiter (from the header line) of a CSV file."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 20)
    notes = []
    encoding = "utf-8"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        encoding = "cp1252"
        notes.append("the file is not UTF-8: read as cp1252 (Windows Western); set read.encoding to latin-1 if "
                     "characters come out wrong")
    first = head.decode(encoding, errors="replace").lstrip("\ufeff").split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    delimiter = max(counts, key=counts.get) if max(counts.values()) else ","
    return ReadOptions(encoding=encoding, delimiter=None if delimiter == "," else delimiter), notes


def sample(path: Path, rows: int = SAMPLE_ROWS, fmt: str | None = None, opts: ReadOptions | None = None) -> Sample:
    """Read the first `rows` data rows of `path` (any format the readers support) as text columns."""
    path = Path(path)
    if not path.is_file():
        raise SuggestError(f"{path}: no such file")
    fmt = fmt or SUFFIX_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise SuggestError(f"{path}: cannot tell the format from the suffix {path.suffix or '(none)'}; "
                           f"name the file .csv, .tsv, .xlsx, .parquet, .json or .jsonl")
    notes: list[str] = []
    if opts is None:
        opts, notes = _guess_csv_options(path) if fmt == "csv" else (ReadOptions(), [])
        if fmt == "json":
            records = _json_records(path)
            if records:
                opts = ReadOptions(records=records)
                notes.append(f"the records are the list at {records!r} (read.records); the first list of objects found")
    with tempfile.TemporaryDirectory(prefix="procure-suggest-") as tmp:
        src, src_fmt = path, fmt
        if fmt in ("csv", "tsv", "jsonl"):
            src = Path(tmp) / f"head{path.suffix}"
            if fmt == "jsonl":
                with open(path, "rb") as fh, open(src, "wb") as dst:
                    dst.writelines(itertools.islice((ln for ln in fh if ln.strip()), rows))
            else:
                _csv_head(path, rows, opts.header_row - 1, src)
        elif fmt == "json":
            src, src_fmt = Path(tmp) / "head.jsonl", "jsonl"
            _json_head(path, opts.records, rows, src)
        elif fmt == "parquet":
            src = Path(tmp) / "head.parquet"
            try:
                duckdb.execute(f"COPY (SELECT * FROM read_parquet({sql_literal(str(path))}) LIMIT {int(rows)}) "
                               f"TO {sql_literal(str(src))} (FORMAT parquet)")
            except duckdb.Error as exc:
                raise SuggestError(f"{path}: cannot be read as Parquet: {str(exc).splitlines()[0]}") from None
        elif fmt == "ocds":
            raise SuggestError(f"{path}: OCDS needs no suggestion: use mappings/ocds/publisher.yml")
        # xlsx: read whole (a sheet holds at most about a million rows); the sample is its head
        try:
            header = read_table(src, src_fmt, Path(tmp) / "sample.parquet", opts)
        except ReadError as exc:
            raise SuggestError(f"{path}: cannot be read: {exc}") from None
        frame = pl.read_parquet(Path(tmp) / "sample.parquet").head(rows)
    header = [h for h in header if h != "_row_number"]
    return Sample(path, fmt, opts, header, frame.select(header), notes)


def whole_file_codes(path: Path, fmt: str, opts: ReadOptions, headers: list[str],
                     limit: int = LOW_CARDINALITY) -> dict[str, Counter] | None:
    """The trimmed non-empty values of `headers` over the whole file with their counts (a file sorted by date can
    hold a code its head lacks); a header with more than `limit` distinct values is left out. None when the file is
    above WHOLE_FILE_CODES_MAX_BYTES or `headers` is empty."""
    path = Path(path)
    if not headers or path.stat().st_size > WHOLE_FILE_CODES_MAX_BYTES:
        return None
    with tempfile.TemporaryDirectory(prefix="procure-suggest-") as tmp:
        out = Path(tmp) / "whole.parquet"
        try:
            read_table(path, fmt, out, opts)
        except ReadError:
            return None
        con = duckdb.connect()
        try:
            found = {}
            for h in headers:
                rows = con.execute(
                    f"SELECT trim({sql_ident(h)}) AS v, count(*) FROM read_parquet({sql_literal(str(out))}) "
                    f"WHERE nullif(trim({sql_ident(h)}), '') IS NOT NULL GROUP BY v ORDER BY v LIMIT {int(limit) + 1}"
                ).fetchall()
                if len(rows) <= limit:
                    found[h] = Counter(dict(rows))
            return found
        finally:
            con.close()


# ------------------------------------------------------------------------------------------ profiles
@dataclass
class Profile:
    """What a column's sampled values look like."""
    name: str
    values: list[str]                 # non-empty values, trimmed
    empty: int
    counts: Counter
    date_format: str | None = None    # the format that reads DATE_SHARE of the values
    date_share: float = 0.0
    excel_serial: bool = False
    money_share: float = 0.0          # numbers, also with $, thousands separators, parentheses
    decimal_comma: bool = False
    integer_share: float = 0.0
    boolean_share: float = 0.0
    whole_file_rows: int | None = None  # the codes in `counts` are the whole file's (that many non-empty values)

    @property
    def distinct(self) -> int:
        return len(self.counts)

    @property
    def low_cardinality(self) -> bool:
        return 0 < self.distinct <= LOW_CARDINALITY and self.distinct <= max(2, len(self.values) // 2)

    def examples(self, n: int = 3) -> list[str]:
        return [v for v, _ in self.counts.most_common(n)] if self.low_cardinality else list(dict.fromkeys(self.values))[:n]


def _share(values: list[str], test) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _parses(value: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(value, fmt)
        return True
    except ValueError:
        return False


def profile(name: str, column: pl.Series) -> Profile:
    raw = column.to_list()
    values = [v.strip() for v in raw if v is not None and v.strip()]
    p = Profile(name, values, len(raw) - len(values), Counter(values))
    if not values:
        return p
    distinct = list(p.counts)
    if any(re.search(r"\d", v) for v in distinct[:50]):
        for fmt in DATE_FORMATS:
            share = _share(distinct, lambda v, f=fmt: _parses(v, f))
            if share >= DATE_SHARE and share > p.date_share:
                p.date_format, p.date_share = fmt, share
                if share == 1.0:
                    break
    p.integer_share = _share(values, lambda v: bool(_INTEGER.match(v.replace(",", ""))))
    p.money_share = _share(values, lambda v: bool(_MONEY.match(v)))
    comma = _share(values, lambda v: bool(_DECIMAL_COMMA.match(v)))
    if comma >= DATE_SHARE and p.money_share < DATE_SHARE:
        p.decimal_comma, p.money_share = True, comma
    p.boolean_share = _share(values, lambda v: v.lower() in BOOLEAN_TEXT)
    if p.integer_share >= DATE_SHARE and not p.date_format:
        ints = [int(v) for v in values if _INTEGER.match(v)]
        p.excel_serial = bool(ints) and all(EXCEL_SERIAL[0] <= i <= EXCEL_SERIAL[1] for i in ints) and len(set(ints)) > 1
    return p


# ------------------------------------------------------------------------------------------ matching
def words(text: str) -> list[str]:
    """Lower-case content words of a header or a dictionary text, with SYNONYMS and PHRASES applied."""
    t = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    t = t.replace("#", " # ").replace("_", " ").replace("/", " ").lower()
    t = re.sub(r"[^a-z0-9# ]+", " ", t)
    t = " " + re.sub(r"\s+", " ", t).strip() + " "
    for phrase, word in PHRASES.items():
        t = t.replace(f" {phrase} ", f" {word} ")
    out = []
    for w in t.split():
        w = SYNONYMS.get(w, w)
        out += [_stem(x) for x in w.split() if x not in STOPWORDS]
    return out


def _stem(w: str) -> str:
    """Plural and singular compare equal (vendors, vendor; categories, category)."""
    if len(w) > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if len(w) > 3 and w.endswith("s") and not w.endswith("ss") and not w.endswith("us"):
        return w[:-1]
    return w


def _own_words(e: Entity) -> set[str]:
    """Words a header may leave out because the file is about the entity: the PO's date is just "Date" in a PO
    file. A line file's `line_number` keeps "line" (there, "Line" is the line, not the file)."""
    own = {w for w in words(e.name.replace("_", " ")) if w not in ("line", "sale", "code")}
    if e.name.startswith("purchase_order"):
        own = {"po"}
    return own


@lru_cache(maxsize=1)
def _entity_words() -> frozenset[str]:
    return frozenset(w for e in load_schema().values() for w in _own_words(e))


def _credit(w: str, others: list[str]) -> float:
    """How well word `w` is matched by one of `others`: 1 the same word (after synonyms and plurals), 0.75 two
    identifier words (id, number, code, key), 0.7 a near spelling (rapidfuzz ratio >= 90, words of 5+ letters:
    a typo or a variant), else 0."""
    best = 0.0
    for o in others:
        if o == w:
            return 1.0
        if w in GENERIC and o in GENERIC:
            best = max(best, 0.75)
        elif len(w) >= 5 and len(o) >= 5 and fuzz.ratio(w, o) >= 90:
            best = max(best, 0.7)
    return best


def name_score(header: str, col: Column, entity: Entity | None = None) -> float:
    """0-100: how well a header's words match a canonical column.

    Two coverages: of the column's name words by the header (60 %: "Approved Date" covers `po_date`, whose "po"
    a PO file leaves out), and of the header's words by the column's name, the entity's own words and the column's
    description (40 %: "Sent Date" is fully explained, "sent" being "issued", po_date's description). In the
    column's name, identifier words (id, number, code) and the entity's own words count only when the header has
    them, unless the name has nothing else (`po_number`: "Number" is enough, "PO Number" is better)."""
    h = words(header)
    if not h:
        return 0.0
    own = _own_words(entity) if entity is not None else set()
    n = words(col.name)
    core = [w for w in n if w not in own and w not in GENERIC]
    total = got = 0.0
    for w in n:
        weight = 1.0 if w in core else (0.5 if w in GENERIC else 0.25)
        c = _credit(w, h)
        if w in core or not core or c:
            total += weight
            got += weight * c
    col_cov = got / total if total else 0.0
    described = words(col.description)
    # "Description" fills `title` ("Title / description."): the description alone places a column, less surely
    if all(_credit(w, described) == 1.0 and w not in GENERIC for w in h):
        col_cov = max(col_cov, 0.6)
    # A header that names another entity is about that one: "Organization Name" is the agency's name, not a holiday's
    # (unless it also names this entity or the one the column refers to: "Bid Solicitation #" is a solicitation's)
    named = _entity_words() & set(h)
    if entity is not None and named and not named & (own | set(n)):
        col_cov *= 0.5
    head_cov = sum(max(_credit(w, n + sorted(own)), 0.8 * _credit(w, described)) for w in h) / len(h)
    return round(100 * (0.6 * col_cov + 0.4 * head_cov), 1) if col_cov else 0.0


def type_fit(p: Profile, col: Column) -> tuple[float, str]:
    """A factor for the name score (about 0.4-1.15) from the values, and the evidence in words."""
    n = len(p.values)
    if n == 0:
        return 0.9, "EMPTY in the sample: check the column is the right one"
    if col.type == "date":
        if p.date_format:
            return 1.15, f"{p.date_share:.0%} of {n} values are dates {p.date_format}"
        if p.excel_serial:
            return 1.0, "values look like Excel day numbers"
        return 0.4, "values are not dates"
    if col.type in ("money", "price"):
        if p.money_share >= DATE_SHARE and not p.date_format:
            return 1.15, f"{p.money_share:.0%} of {n} values are amounts"
        return 0.4, "values are not amounts"
    if col.type == "integer":
        if p.integer_share >= DATE_SHARE:
            return 1.1, f"{p.integer_share:.0%} of {n} values are whole numbers"
        return 0.4, "values are not whole numbers"
    if col.type == "boolean":
        if p.boolean_share >= DATE_SHARE or (p.distinct <= 2 and p.low_cardinality):
            return 1.1, f"{p.distinct} distinct value(s) sampled"
        return 0.5, "values are not yes/no"
    if col.allowed:
        if p.low_cardinality:
            return 1.1, f"{p.distinct} distinct value(s) sampled"
        return 0.6, f"{p.distinct}+ distinct values, too many for a code"
    if p.date_format or (p.money_share >= DATE_SHARE and p.integer_share < DATE_SHARE):
        return 0.7, "values look like dates or amounts, not text"
    return 1.0, f"{p.distinct} distinct value(s) sampled"


@dataclass
class Placement:
    column: Column
    header: str
    score: float            # adjusted, 0-100
    name: float
    evidence: str
    reused: bool = False    # a key taking the header of its `_number` column


@dataclass
class EntityFit:
    entity: Entity
    score: float
    placed: dict[str, Placement]
    missing_required: list[str]
    unused: list[str]
    why: str
    repeats: tuple[int, int] | None = None   # (rows, distinct keys) when the key repeats in the sample


def _key_repeats(frame: pl.DataFrame | None, headers: list[str]) -> tuple[int, int]:
    """(rows with every key header filled, distinct key values among them) in the sample."""
    if frame is None or not headers:
        return 0, 0
    keys = frame.select([pl.col(h).str.strip_chars() for h in headers]).drop_nulls()
    keys = keys.filter(pl.all_horizontal([pl.col(h) != "" for h in headers]))
    return keys.height, keys.unique().height


def fit_entity(e: Entity, profiles: dict[str, Profile], file_stem: str = "",
               frame: pl.DataFrame | None = None) -> EntityFit:
    candidates = []
    for col in e.columns:
        for h, p in profiles.items():
            ns = name_score(h, col, e)
            if ns < 35:
                continue
            factor, evidence = type_fit(p, col)
            candidates.append((min(100.0, ns * factor), ns, col, h, evidence))
    candidates.sort(key=lambda c: (-c[0], e.column_names.index(c[2].name)))
    placed: dict[str, Placement] = {}
    used: set[str] = set()
    for score, ns, col, h, evidence in candidates:
        if score < PLACE_AT or col.name in placed or h in used:
            continue
        placed[col.name] = Placement(col, h, score, ns, evidence)
        used.add(h)
    for key in e.primary_key:
        if key not in placed and key.endswith("_id") and f"{key[:-3]}_number" in placed:
            twin = placed[f"{key[:-3]}_number"]
            placed[key] = Placement(e.column(key), twin.header, twin.score, twin.name, twin.evidence, reused=True)
    # state_code is a constant of the delivery almost always: not held against an entity
    required = [c for c in e.required_columns if c != "state_code"]
    req_score = sum(placed[c].score for c in required if c in placed) / (100 * len(required)) if required else 0
    explained = len(used) / len(profiles) if profiles else 0
    optional = [c.name for c in e.columns if not c.required]
    opt_score = sum(1 for c in optional if c in placed) / len(optional) if optional else 0
    stem = 1.0 if file_stem and set(words(e.name)) == set(words(file_stem)) else 0.0
    # a key whose header names the entity ("PO #", "Bid Solicitation #", "Vendor ID") is strong evidence
    named = _own_words(e) | set(words(e.name))
    key_named = 1.0 if any(k in placed and set(words(placed[k].header)) & named for k in e.primary_key) else 0.0
    score = 0.5 * req_score + 0.2 * explained + 0.1 * opt_score + 0.15 * key_named + 0.05 * stem
    placed_req = sum(1 for c in required if c in placed)
    why = (f"{placed_req} of {len(required)} required columns placed"
           + (" (state_code aside)" if "state_code" in e.required_columns else "")
           + f", {len(used)} of {len(profiles)} file columns used")
    # The grain: one row of the entity per file row needs its key unique in the file. A key that repeats says the
    # file is finer (PO lines, not POs): the entity can still be drawn from it with `distinct: true`.
    key_headers = list(dict.fromkeys(placed[k].header for k in e.primary_key if k in placed))
    repeats = None
    if len(key_headers) and all(k in placed for k in e.primary_key):
        rows, distinct = _key_repeats(frame, key_headers)
        if distinct < rows:
            repeats = (rows, distinct)
            score *= 0.8
            why += (f"; its key ({', '.join(key_headers)}) repeats: {distinct:,} distinct in {rows:,} sampled rows, "
                    "so the file is finer than one row per record")
    missing = [c for c in e.required_columns if c not in placed]
    return EntityFit(e, round(score, 3), placed, missing, [h for h in profiles if h not in used], why, repeats)


def rank_entities(profiles: dict[str, Profile], file_stem: str = "",
                  frame: pl.DataFrame | None = None) -> list[EntityFit]:
    fits = [fit_entity(e, profiles, file_stem, frame) for e in load_schema().values()]
    return sorted(fits, key=lambda f: -f.score)


# ------------------------------------------------------------------------------------------ the draft
def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON's string syntax is YAML's)."""
    return json.dumps(str(text), ensure_ascii=False)


def _shown(values: list[str], width: int = 40) -> str:
    out = []
    for v in values:
        v = v.replace("\n", " ").replace("\r", " ")
        out.append(repr(v if len(v) <= width else v[:width] + "..."))
    return ", ".join(out)


def _refused(col: Column, p: Profile, decimal_comma: bool = False) -> list[str]:
    """The sampled values the loader would refuse for `col`, by the loader's own parsing expression (so the note
    cannot drift from what loading does): e.g. '7597372.1200000001' as money."""
    from ingestion.common.parsing import parse_expr

    distinct = list(p.counts)
    expr = "replace(replace(v, '.', ''), ',', '.')" if decimal_comma else "v"
    con = duckdb.connect()
    try:
        bad = {r[0] for r in con.execute(f"SELECT v FROM unnest(?::VARCHAR[]) t(v) WHERE {parse_expr(col, expr)} IS NULL",
                                         [distinct]).fetchall()}
    finally:
        con.close()
    return [v for v in p.values if v in bad]


def _allowed_guess(value: str, allowed: tuple[str, ...]) -> tuple[str | None, bool]:
    """The allowed value a received value stands for, and whether that is certain: the same text (case, spaces and
    underscores aside) is; a received value whose words hold exactly one allowed value's words ("Finally Closed"
    -> closed) is a guess, left as a TODO for the user to confirm."""
    norm = {a.lower().replace("_", " "): a for a in allowed}
    v = " ".join(value.lower().replace("_", " ").split())
    if v in norm:
        return norm[v], True
    vw = set(words(value))
    hits = [a for a in allowed if set(words(a.replace("_", " "))) <= vw]
    return (hits[0], False) if len(hits) == 1 else (None, False)


def _spec(pl_: Placement, p: Profile, notes: list[str]) -> str:
    """The YAML flow value of one placed column, and notes (comments) for the user."""
    col, h = pl_.column, pl_.header
    parts = [f"from: {_q(h)}"]
    if col.type == "date" and p.date_format and p.date_format not in ("%Y-%m-%d",):
        parts.append(f"date_format: {_q(p.date_format)}")
    if col.type == "date" and p.excel_serial:
        notes.append(f"TODO: {h!r} holds Excel day numbers (e.g. {_shown(p.examples(2))}); the mapping cannot convert "
                     "them: export the column as dates (e.g. YYYY-MM-DD)")
    if col.type in ("money", "price") and p.decimal_comma:
        parts.append("decimal_comma: true")
    if col.type in ("money", "price", "integer") and p.values:
        refused = _refused(col, p, decimal_comma=p.decimal_comma)
        if refused:
            why = {"money": "more decimals than cents", "price": "more than 4 decimals",
                   "integer": "not whole numbers"}[col.type]
            notes.append(f"{len(refused)} of {len(p.values)} sampled values would be quarantined by the loader "
                         f"(e.g. {_shown(refused[:2])}: {why}, or too large); it never rounds")
    if col.allowed and p.low_cardinality:
        entries = []
        for value, _ in sorted(p.counts.items()):
            target, sure = _allowed_guess(value, col.allowed)
            entries.append(f"{_q(value)}: {_q(target)}" if sure else
                           f"{_q(value)}: {{TODO: {_q((target + '?') if target else 'which of the allowed values?')}}}")
        seen = (f"the {p.distinct} value(s) of the whole file ({p.whole_file_rows:,} non-empty)" if p.whole_file_rows
                else f"the values of the {len(p.values):,} sampled rows; one they lack passes through and is "
                     "quarantined unless it is one of those")
        notes.append(f"map each received value to one of: {', '.join(col.allowed)}; listed: {seen}")
        return "{" + ", ".join(parts) + ", map: {" + ", ".join(entries) + "}}"
    if len(parts) == 1:
        return _q(h)
    return "{" + ", ".join(parts) + "}"


def _entity_block(fit: EntityFit, profiles: dict[str, Profile], secondary: bool) -> list[str]:
    """The `entities:` entry of one entity, each column with its evidence in a comment."""
    e = fit.entity
    lines = [f"  {e.name}:"]
    if secondary and fit.repeats:
        rows, distinct = fit.repeats
        lines.append(f"    # {distinct:,} distinct keys in {rows:,} sampled rows: one {e.name} row per key, from the "
                     "first row that has it")
        lines.append("    distinct: true")
    lines.append("    columns:")
    for col in e.columns:
        pl_ = fit.placed.get(col.name)
        if pl_ is None:
            if col.required:
                why = "no file column matched; a constant is usual" if col.name == "state_code" else "no file column matched"
                lines.append(f"      # {col.name} ({col.type}, required): {col.description} TODO: {why}")
                hint = "a constant {value: XX} or a source column" if col.name == "state_code" else "a source column, {value: ...} or {template: ...}"
                lines.append(f"      {col.name}: {{TODO: {_q(hint)}}}")
            continue
        p = profiles[pl_.header]
        notes: list[str] = []
        spec = _spec(pl_, p, notes)
        how = (f"the key: no column of its own; {pl_.header!r} is the {col.name[:-3]}_number too (check it is unique)"
               if pl_.reused else f"{_confidence(pl_.score)} confidence, score {pl_.score:.0f} (name {pl_.name:.0f}; {pl_.evidence})")
        lines.append(f"      # {col.name} <- {pl_.header!r}: {how}" + (f"; e.g. {_shown(p.examples())}" if p.values else ""))
        if col.references and not pl_.reused and col.name.endswith("_id") and p.distinct:
            notes.append(f"keys of {col.references.split('.')[0]} must be stable and unique across states: a prefix "
                         f"such as {{template: \"XX-{{{pl_.header}}}\"}} is usual")
        if secondary and fit.repeats and e.amount_column == col.name:
            notes.append(f"CHECK: {pl_.header!r} is a value of one row, not necessarily the {e.name} total "
                         "(e.g. a line's amount on a PO): the first row's value is kept")
        lines += [f"      # {n}" for n in notes]
        lines.append(f"      {col.name}: {spec}")
    not_placed = [c.name for c in e.columns if not c.required and c.name not in fit.placed]
    if not_placed:
        lines.append(f"      # optional columns not placed: {', '.join(not_placed)}")
    return lines


def _confidence(score: float) -> str:
    return "high" if score >= 85 else ("medium" if score >= 70 else "low")


def related(fit: EntityFit, ranked: list[EntityFit], chosen: set[str]) -> list[EntityFit]:
    """Entities the file also holds completely (every required column but state_code placed) that a column of `fit`
    refers to: a PO-lines file that names each line's PO date, supplier and status holds the POs too."""
    by_name = {f.entity.name: f for f in ranked}
    out = []
    for col in fit.entity.columns:
        target = col.references.split(".")[0] if col.references and col.name in fit.placed else None
        f = by_name.get(target) if target else None
        if f is not None and f.entity.name not in chosen and f not in out and all(c == "state_code" for c in f.missing_required):
            out.append(f)
    return out


def render(sample_: Sample, fits: list[EntityFit], ranked: list[EntityFit], profiles: dict[str, Profile],
           chosen_by_user: bool) -> str:
    name = sample_.path.name
    lines = [
        f"# Draft mapping suggested by `procure map --suggest` for {name} ({len(sample_.frame):,} data row(s) sampled).",
        "# Check every line, fill in each TODO (the mapping is refused while one is left), then try it without loading:",
        f"#   procure ingest --check --mapping THIS.yml {name}",
        "# Confidence of a column: high (score 85-100), medium (70-84), low (60-69); scores weigh the header's words",
        "# against the data dictionary (column name, entity, description) by what the sampled values look like.",
    ]
    names = [f.entity.name for f in fits]
    for i, fit in enumerate(fits):
        missing = [c for c in fit.missing_required]
        todo = f"; required and unmapped: {', '.join(missing)}" if missing else "; every required column mapped"
        how = "as asked" if chosen_by_user else ("the best fit" if i == 0 else "also held by the file")
        lines.append(f"# Entity {fit.entity.name}, {how} (fit {fit.score:.2f}: {fit.why}){todo}.")
    if not chosen_by_user:
        runners = [f for f in ranked if f.entity.name not in names][:3]
        if runners:
            lines.append("# Runners-up: " + "; ".join(f"{f.entity.name} {f.score:.2f} ({f.why})" for f in runners) + ".")
        also = related(fits[0], ranked, set(names))
        if also:
            lines.append(f"# The file also holds {', '.join(f.entity.name for f in also)} (every required column found): "
                         f"procure map --suggest {name} " + " ".join(f"--entity {n}" for n in names + [f.entity.name for f in also])
                         + " drafts both.")
    lines += [f"# Note: {n}" for n in sample_.notes]
    lines += ["version: 1", f"files: [{_q(name)}]"]
    read = [f"format: {sample_.format}"]
    if sample_.read.encoding != "utf-8":
        read.append(f"encoding: {sample_.read.encoding}")
    if sample_.read.delimiter:
        read.append(f"delimiter: {_q(sample_.read.delimiter)}")
    if sample_.read.records:
        read.append(f"records: {_q(sample_.read.records)}")
    lines += ["read: {" + ", ".join(read) + "}", "entities:"]
    for i, fit in enumerate(fits):
        lines += _entity_block(fit, profiles, secondary=i > 0)
    used = {p.header for f in fits for p in f.placed.values()}
    unused = [h for h in profiles if h not in used]
    if unused:
        e = fits[0].entity
        lines.append("# File columns not used (add any that hold a canonical column):")
        for h in unused:
            p = profiles[h]
            best = max(e.columns, key=lambda c: name_score(h, c, e))
            close = name_score(h, best, e)
            lines.append(f"#   {h!r}: " + (f"e.g. {_shown(p.examples(2))}" if p.values else "empty in the sample") +
                         (f" (closest: {best.name}, name {close:.0f})" if close >= 40 else ""))
    return "\n".join(lines) + "\n"


@dataclass
class Suggestion:
    text: str
    entities: list[str]
    ranked: list[EntityFit]
    fits: list[EntityFit]


def suggest(path: Path, entities: list[str] | None = None, rows: int = SAMPLE_ROWS) -> Suggestion:
    """A draft mapping for `path` onto `entities` (in that order; the first is the file's grain), or onto the
    best-fitting entity. Raises SuggestError when the file cannot be sampled or no column of it matches any
    canonical column (without `entities`)."""
    s = sample(path, rows)
    if not s.header:
        raise SuggestError(f"{path}: no columns found")
    schema = load_schema()
    for name in entities or []:
        if name not in schema:
            raise SuggestError(f"--entity {name!r} is not a canonical entity; one of: {', '.join(schema)}")
    profiles = {h: profile(h, s.frame[h]) for h in s.header}
    ranked = rank_entities(profiles, Path(path).stem, s.frame)
    if entities:
        fits = [next(f for f in ranked if f.entity.name == n) for n in dict.fromkeys(entities)]
    else:
        best = ranked[0]
        if not best.placed:
            shown = ", ".join(repr(h) for h in s.header[:12]) + (", ..." if len(s.header) > 12 else "")
            raise SuggestError(
                f"{path}: none of its {len(s.header)} column(s) ({shown}) looks like a column of any canonical entity "
                "(docs/data_dictionary.md), so there is nothing to suggest. If the header is not on the first row, "
                "remove the rows above it; or name the entity with --entity ENTITY to get a draft with every "
                "required column as a TODO")
        fits = [best]
    # The codes of a map come from the whole file when it is small enough: the head may lack some (WVU's PO lines
    # are sorted by year; their first 2,000 rows have no 'Open' status).
    coded = sorted({pl_.header for f in fits for pl_ in f.placed.values()
                    if pl_.column.allowed and profiles[pl_.header].low_cardinality})
    codes = whole_file_codes(path, s.format, s.read, coded)
    for h, counts in (codes or {}).items():
        p = profiles[h]
        p.counts, p.whole_file_rows = counts, sum(counts.values())
    if coded and codes is None:
        s.notes.append(f"the codes of {', '.join(map(repr, coded))} are those of the first {len(s.frame):,} rows only "
                       f"(the file is larger than {WHOLE_FILE_CODES_MAX_BYTES >> 20} MiB): `procure ingest --check` "
                       "finds any other")
    return Suggestion(render(s, fits, ranked, profiles, bool(entities)), [f.entity.name for f in fits], ranked, fits)
