"""Read OCDS publications (Open Contracting Data Standard 1.0 / 1.1) into canonical entity tables.

Shapes (detected by one streaming pass over each file with ijson, which also finds invalid JSON):

- release package ``{"releases": [...]}``: releases streamed one at a time;
- record package ``{"records": [...]}``: records streamed one at a time;
- a single record (an object with ``releases`` and ``ocid`` / ``compiledRelease`` / ``versionedRelease``);
- a single release (an object with ``ocid``);
- JSON Lines: one release, record or package per line (read line by line).

Anything else raises OcdsError naming the file: an empty file, invalid JSON (with line and column), or JSON that is
none of the above. Read together (``read_ocds_files``), such a file is reported in ``errors`` and the others load.

Records: a record's ocid is its ``ocid``, else its compiledRelease's, else its first embedded release's. A record
with only linked releases (``url``, ``date``, ``tag``: never fetched) and no compiledRelease has nothing to read and
is reported in ``problems``. A compiled record counts as one release in ``OcdsTables.releases``.

Compiling (a simplified OCDS merge, not ocdsmerge). Everything read together that has the same ocid is one
contracting process, whichever files (or records) its releases came from:

1. one record alone: its ``compiledRelease`` when present (the publisher's compile), its embedded releases as the
   history (first sightings); without compiledRelease its embedded releases are compiled as below;
2. otherwise the releases are pooled: loose releases, the embedded releases of records (a record without embedded
   releases gives its compiledRelease, dated by its ``date``), and compiled as follows;
3. releases are taken in ``date`` order (the date text as published; equal or missing dates keep reading order:
   files in the order given, then position in the file);
4. releases sharing an ``id`` within an ocid are the same release published twice (e.g. in a record and in a release
   file): the last one in that order is kept, each dropped one is reported in ``problems``;
5. starting from an empty object, each release is merged in: a later value overrides an earlier one (latest release
   wins per field); ``null`` removes the field; objects are merged field by field; arrays whose items are all
   objects with an ``id`` are merged by id (an item with a new id is appended, one with a known id is merged field
   by field, items absent from the later release are kept); any other array is replaced whole.

Streaming: the detection pass counts the releases and records of each ocid in each file (JSON Lines: a first pass
over the lines), so a process is compiled (and its releases freed) as soon as its last release has been read, in
whichever file that is. Each row names the files its process drew on (``_files``: indexes into the files read, in
release order); the loader attributes it to the newest of those that it is loading.
Locations in ``_location`` and ``problems`` read ``<file> <JSON location> (ocid <ocid>) <path in the release>``;
for a compiled release the JSON location lists its source releases (``a.json releases[0] + b.json releases[0]
compiled``; the file name once when they share a file).
"""

from __future__ import annotations

import json
from collections import Counter
from copy import deepcopy
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, Iterator

import ijson
import polars as pl

from ingestion.ocds.codes import STANDARD, Codes
from ingestion.ocds.mapping import Mapper, _dict, _list, _text

SHAPES = ("release_package", "record_package", "release", "record", "json_lines")
_EXPECTED = ("expected a release package ({'releases': [...]}), a record package ({'records': [...]}), "
             "a release (with 'ocid') or JSON Lines of those")
_NOT_OCDS = f"JSON, but not OCDS: {_EXPECTED}"
_DIAGNOSE_MAX_BYTES = 64 * 1024 * 1024  # re-read invalid files up to this size with `json` to name line and column


class OcdsError(ValueError):
    """The file is not OCDS (or not JSON); message names the file and what was expected."""


@dataclass
class OcdsTables:
    tables: dict[str, pl.DataFrame]  # canonical entity name -> rows (text columns, _row_number, _location, _problem*)
    shape: str                       # one of SHAPES
    releases: int                    # releases read (records: compiled or merged ones)
    problems: list[str]              # things skipped, each naming file and JSON location


@dataclass
class OcdsGroup:
    """Several files read together (read_ocds_files); per file: index in the list given."""
    tables: dict[str, pl.DataFrame]  # as OcdsTables, plus _files (list of file indexes each row drew on)
    shapes: dict[int, str]
    releases: dict[int, int]
    problems: dict[int, list[str]]   # by the file they are attributed to (a compiled process: its newest file)
    errors: dict[int, str]           # files that could not be read at all (OcdsError message)


def read_ocds(path: Path, *, state_code: str, agency_type: str = "state_agency", codes: Codes = STANDARD) -> OcdsTables:
    """Read one OCDS file into canonical entity tables (see the module docstrings for the rules); `codes`: the code
    lists with a publisher's overrides (codes.py). Raises OcdsError when it is not OCDS."""
    path = Path(path)
    group = read_ocds_files([(path, path.name)], state_code=state_code, agency_type=agency_type, codes=codes)
    if group.errors:
        raise OcdsError(group.errors[0])
    return OcdsTables({e: df.drop("_files") for e, df in group.tables.items()}, group.shapes[0], group.releases[0],
                      group.problems.get(0, []))


def read_ocds_files(files: list[tuple[Path, str]], *, state_code: str, agency_type: str = "state_agency",
                    codes: Codes = STANDARD) -> OcdsGroup:
    """Read (path, name) files together: releases of one ocid are compiled across them (module docstring). A file
    that is not OCDS is reported in `errors`; the others are read."""
    readers: dict[int, _Reader] = {}
    errors: dict[int, str] = {}
    for i, (path, name) in enumerate(files):
        try:
            readers[i] = _Reader(Path(path), name, i)
        except OcdsError as exc:
            errors[i] = str(exc)
    counts: Counter = Counter()
    for r in readers.values():
        try:
            counts.update(r.ocid_counts())
        except OcdsError as exc:
            errors[r.index] = str(exc)
    problems: dict[int, list[str]] = {}
    mapper = Mapper(state_code, agency_type, codes, problems)
    pending: dict[str, list[_Unit]] = {}

    def emit(group: list[_Unit]) -> None:
        ocid, release, where, history, used = _compile(group, problems)
        if release is not None:
            mapper.add(ocid, release, where, history, used)
    for i, r in readers.items():
        if i in errors:
            continue
        r.problems = problems.setdefault(i, [])
        try:
            for unit in r.units():
                group = pending.setdefault(unit.ocid, [])
                group.append(unit)
                if len(group) >= counts.get(unit.ocid, 1):
                    emit(pending.pop(unit.ocid))
        except OcdsError as exc:  # only when a file changed after its detection pass
            errors[i] = str(exc)
    for group in pending.values():  # only if the counts were off; never lose a release
        emit(group)
    return OcdsGroup(mapper.frames(), {i: r.shape for i, r in readers.items()},
                     {i: r.releases for i, r in readers.items()},
                     {i: p for i, p in problems.items() if p}, errors)


# ------------------------------------------------------------------ merge

def _merge(base: dict, new: dict) -> None:
    for k, v in new.items():
        old = base.get(k)
        if v is None:
            base.pop(k, None)
        elif isinstance(v, dict) and isinstance(old, dict):
            _merge(old, v)
        elif _by_id(v) and isinstance(old, list) and _by_id(old):
            index = {_text(item["id"]): item for item in old}
            for item in v:
                if _text(item["id"]) in index:
                    _merge(index[_text(item["id"])], item)
                else:
                    index[_text(item["id"])] = deepcopy(item)
                    old.append(index[_text(item["id"])])
        else:
            base[k] = deepcopy(v)


def _by_id(x: Any) -> bool:
    return isinstance(x, list) and bool(x) and all(isinstance(i, dict) and _text(i.get("id")) for i in x)


def _is_full_release(x: Any) -> bool:
    """An embedded release, as opposed to a linked one ({url, date, tag})."""
    return isinstance(x, dict) and bool(set(x) - {"url", "date", "tag"})


# ------------------------------------------------------------------ reader

@dataclass
class _Unit:
    """One release, or one record, of one file."""
    ocid: str
    kind: str                  # release | record
    obj: dict
    where: str                 # "<file> <JSON location>"
    file: int                  # index of the file
    name: str                  # the file's name


class _Reader:
    def __init__(self, path: Path, name: str, index: int = 0) -> None:
        self.path, self.name, self.index = path, name, index
        self.problems: list[str] = []
        self.releases = 0
        self.shape, self._ocid_counts = self._detect()

    # ---- detection
    def _open(self) -> BinaryIO:
        f = open(self.path, "rb")
        if f.read(3) != b"\xef\xbb\xbf":  # skip a UTF-8 byte order mark
            f.seek(0)
        return f

    def _detect(self) -> tuple[str, Counter]:
        if self.path.stat().st_size == 0:
            raise OcdsError(f"{self.name}: empty file; {_EXPECTED}")
        values, first, keys, member_types = 0, None, set(), {}
        release_ocids, record_ocids = Counter(), Counter()
        root: dict[str, str] = {}     # ocid candidates of a single release / record
        record: dict[str, str] = {}   # ... of the record being read (record package)
        try:
            with self._open() as f:
                for prefix, event, value in ijson.parse(f, multiple_values=True):
                    if prefix == "":
                        if event == "map_key":
                            keys.add(value)
                        elif event not in ("end_map", "end_array"):
                            values += 1
                            first = first or event
                            if values > 1:
                                break
                    elif prefix in ("releases", "records"):
                        member_types.setdefault(prefix, event)
                    elif prefix == "releases.item.ocid":
                        release_ocids[_text(value)] += 1
                        root.setdefault("release", _text(value))
                    elif prefix in ("ocid", "compiledRelease.ocid"):
                        root.setdefault(prefix, _text(value))
                    elif prefix == "records.item":
                        if event == "start_map":
                            record = {}
                        elif event == "end_map":
                            ocid = record.get("ocid") or record.get("compiled") or record.get("release")
                            if ocid:
                                record_ocids[ocid] += 1
                    elif prefix == "records.item.ocid":
                        record.setdefault("ocid", _text(value))
                    elif prefix == "records.item.compiledRelease.ocid":
                        record.setdefault("compiled", _text(value))
                    elif prefix == "records.item.releases.item.ocid":
                        record.setdefault("release", _text(value))
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            raise OcdsError(self._invalid_json(exc)) from None
        if values > 1:
            return "json_lines", Counter()
        if first != "start_map":
            found = {"start_array": "a JSON array", "string": "a string", "number": "a number"}.get(first, "a scalar")
            raise OcdsError(f"{self.name}: {_NOT_OCDS} (found {found})")
        shape = self._classify(keys, lambda k: member_types.get(k) == "start_array")
        if shape is None:
            raise OcdsError(f"{self.name}: {_NOT_OCDS} (found an object with keys {', '.join(sorted(keys)[:8]) or 'none'})")
        if shape == "release_package":
            return shape, release_ocids
        if shape == "record_package":
            return shape, record_ocids
        ocid = root.get("ocid") or (root.get("compiledRelease.ocid") or root.get("release") if shape == "record" else None)
        return shape, Counter([ocid] if ocid else [])

    def ocid_counts(self) -> Counter:
        """How many units (releases, records) of each ocid the file holds."""
        if self.shape != "json_lines":
            return self._ocid_counts
        return Counter(u.ocid for u in self.units(report=False))

    @staticmethod
    def _classify(keys: set, is_array) -> str | None:
        if is_array("records"):
            return "record_package"
        if "compiledRelease" in keys or (is_array("releases") and keys & {"ocid", "versionedRelease"}):
            return "record"
        if is_array("releases"):
            return "release_package"
        if "ocid" in keys:
            return "release"
        return None

    def _invalid_json(self, exc: Exception) -> str:
        if isinstance(exc, UnicodeDecodeError):
            return f"{self.name}: not UTF-8 text ({exc.reason} at byte {exc.start})"
        if self.path.stat().st_size <= _DIAGNOSE_MAX_BYTES:  # ijson's C parser gives no position: ask `json`
            try:
                text = self.path.read_text(encoding="utf-8-sig")
            except UnicodeDecodeError as e:
                return f"{self.name}: not UTF-8 text ({e.reason} at byte {e.start})"
            if not text.strip():
                return f"{self.name}: empty file (only white space); {_EXPECTED}"
            try:
                json.loads(text)
            except json.JSONDecodeError as e:
                if e.msg != "Extra data":
                    return f"{self.name}: invalid JSON at line {e.lineno} column {e.colno}: {e.msg}"
                for n, line in enumerate(text.splitlines(), start=1):  # several values: JSON Lines gone wrong
                    try:
                        if line.strip():
                            json.loads(line)
                    except json.JSONDecodeError as le:
                        return f"{self.name}: invalid JSON at line {n} column {le.colno}: {le.msg}"
        return f"{self.name}: invalid JSON: {str(exc).splitlines()[0]}"

    # ---- objects in the file
    def _objects(self, report: bool = True) -> Iterator[tuple[str, Any, str]]:
        """('release' | 'record', object, JSON location) for every release and record in the file."""
        if self.shape == "json_lines":
            yield from self._lines(report)
            return
        with self._open() as f:
            try:
                if self.shape in ("release", "record"):
                    yield self.shape, next(ijson.items(f, "")), ""
                else:
                    kind = "release" if self.shape == "release_package" else "record"
                    for i, obj in enumerate(ijson.items(f, f"{kind}s.item")):
                        yield kind, obj, f"{kind}s[{i}]"
            except ijson.JSONError as exc:  # the detection pass parsed it already; only a file changed meanwhile
                raise OcdsError(self._invalid_json(exc)) from None

    def _lines(self, report: bool) -> Iterator[tuple[str, Any, str]]:
        found = False
        with open(self.path, encoding="utf-8-sig") as f:
            for n, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line, parse_float=Decimal)
                except json.JSONDecodeError as e:
                    raise OcdsError(f"{self.name}: invalid JSON at line {n} column {e.colno}: {e.msg} "
                                    f"(JSON Lines: one JSON object per line)") from None
                shape = self._classify(set(obj), lambda k: isinstance(obj.get(k), list)) if isinstance(obj, dict) else None
                if shape is None:
                    if report:
                        self.problems.append(f"{self.name} line {n}: not an OCDS release, record or package; line skipped")
                    continue
                found = True
                if shape in ("release", "record"):
                    yield shape, obj, f"line {n}"
                else:
                    kind = "release" if shape == "release_package" else "record"
                    for i, item in enumerate(obj[f"{kind}s"]):
                        yield kind, item, f"line {n} {kind}s[{i}]"
        if not found:
            raise OcdsError(f"{self.name}: {_NOT_OCDS} (no line is an OCDS release, record or package)")

    def _at(self, where: str) -> str:
        return f"{self.name} {where}" if where else self.name

    def units(self, report: bool = True) -> Iterator[_Unit]:
        """Every release and record of the file that has an ocid (the others are reported and skipped)."""
        for kind, obj, where in self._objects(report):
            if not isinstance(obj, dict):
                if report:
                    self.problems.append(f"{self._at(where)}: not a JSON object; {kind} skipped")
                continue
            if kind == "release":
                ocid = _text(obj.get("ocid"))
                if report:
                    self.releases += 1
            else:
                compiled = _dict(obj.get("compiledRelease"))
                ocid = (_text(obj.get("ocid")) or _text(compiled.get("ocid"))
                        or next((_text(r.get("ocid")) for r in _list(obj.get("releases"))
                                 if isinstance(r, dict) and _text(r.get("ocid"))), None))
                if report and (compiled or any(_is_full_release(r) for r in _list(obj.get("releases")))):
                    self.releases += 1
            if not ocid:
                if report:
                    self.problems.append(f"{self._at(where)}: no ocid; release skipped" if kind == "release"
                                         else f"{self._at(where)}: record without ocid; record skipped")
                continue
            yield _Unit(ocid, kind, obj, self._at(where), self.index, self.name)


# ------------------------------------------------------------------ compiling

def _record_parts(unit: _Unit) -> tuple[dict | None, list[tuple[dict, str, int]]]:
    """A record's compiledRelease (or None) and its embedded full releases as (release, where, file)."""
    rec = unit.obj
    compiled = rec.get("compiledRelease") if isinstance(rec.get("compiledRelease"), dict) else None
    embedded = [(r, f"{unit.where} releases[{i}]", unit.file) for i, r in enumerate(_list(rec.get("releases")))
                if _is_full_release(r)]
    return compiled, embedded


def _in_order(ocid: str, group: list[tuple[dict, str, int]], problems: dict[int, list[str]]) -> list[tuple[dict, str, int]]:
    """Date order (stable), one release per release id (the last one in that order)."""
    ordered = sorted(group, key=lambda g: _text(g[0].get("date")) or "")
    last = {_text(r.get("id")): i for i, (r, _, _) in enumerate(ordered) if _text(r.get("id"))}
    kept = []
    for i, (r, where, file) in enumerate(ordered):
        rid = _text(r.get("id"))
        if rid and last[rid] != i:
            problems.setdefault(file, []).append(f"{where} (ocid {ocid}): duplicate release id {rid!r}; "
                                                 f"{_short(ordered[last[rid]][1], where)} kept instead")
        else:
            kept.append((r, where, file))
    return kept


def _short(where: str, other: str) -> str:
    """`where` without its file name when `other` is in the same file."""
    name = other.split(" ", 1)[0]
    return where[len(name) + 1:] if where.startswith(name + " ") else where


def _compile(group: list[_Unit], problems: dict[int, list[str]]):
    """(ocid, compiled release or None, JSON location, history in date order, files used in release order)."""
    ocid = group[0].ocid
    if len(group) == 1:
        unit = group[0]
        if unit.kind == "release":
            return ocid, unit.obj, unit.where, [unit.obj], [unit.file]
        compiled, embedded = _record_parts(unit)
        if compiled is not None:
            history = _in_order(ocid, embedded, problems) if embedded else []
            return ocid, compiled, f"{unit.where} compiledRelease".strip(), [r for r, _, _ in history], [unit.file]
        if not embedded:
            problems.setdefault(unit.file, []).append(
                f"{unit.where} (ocid {ocid}): record has neither compiledRelease nor embedded releases (linked releases "
                f"are not fetched); record skipped")
            return ocid, None, "", [], []
        return _merged(ocid, _in_order(ocid, embedded, problems))
    pool: list[tuple[dict, str, int]] = []
    for unit in group:
        if unit.kind == "release":
            pool.append((unit.obj, unit.where, unit.file))
            continue
        compiled, embedded = _record_parts(unit)
        if embedded:
            pool.extend(embedded)
        elif compiled is not None:
            pool.append((compiled, f"{unit.where} compiledRelease", unit.file))
        else:
            problems.setdefault(unit.file, []).append(
                f"{unit.where} (ocid {ocid}): record has neither compiledRelease nor embedded releases (linked releases "
                f"are not fetched); record skipped")
    if not pool:
        return ocid, None, "", [], []
    return _merged(ocid, _in_order(ocid, pool, problems))


def _merged(ocid: str, kept: list[tuple[dict, str, int]]):
    if len(kept) == 1:
        r, where, file = kept[0]
        return ocid, r, where, [r], [file]
    compiled: dict = {}
    for r, _, _ in kept:
        _merge(compiled, r)
    parts, previous = [], None
    for _, where, _ in kept:  # the file name once per run of releases from the same file
        name = where.split(" ", 1)[0]
        parts.append(where if name != previous else where[len(name) + 1:])
        previous = name
    files = list(dict.fromkeys(f for _, _, f in reversed(kept)))[::-1]  # release order, each file at its last place
    return ocid, compiled, " + ".join(parts) + " compiled", [r for r, _, _ in kept], files
