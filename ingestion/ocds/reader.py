"""Read an OCDS publication (Open Contracting Data Standard 1.0 / 1.1) into canonical entity tables.

Shapes (detected by one streaming pass over the file with ijson, which also finds invalid JSON):

- release package ``{"releases": [...]}``: releases streamed one at a time;
- record package ``{"records": [...]}``: records streamed one at a time;
- a single record (an object with ``releases`` and ``ocid`` / ``compiledRelease`` / ``versionedRelease``);
- a single release (an object with ``ocid``);
- JSON Lines: one release, record or package per line (read line by line).

Anything else raises OcdsError naming the file: an empty file, invalid JSON (with line and column), or JSON that is
none of the above.

Records: ``compiledRelease`` is used when present, else the record's embedded releases are compiled as below; a
record with only linked releases (``url``, ``date``, ``tag``: never fetched) has nothing to read and is reported in
``problems``. The compiled release of a record counts as one release in ``OcdsTables.releases``.

Releases of the same ocid in one file are compiled (a simplified OCDS merge, not ocdsmerge):

1. releases are taken in ``date`` order (the date text as published; equal or missing dates keep file order);
2. releases sharing an ``id`` within an ocid are the same release published twice: the last one in that order is
   kept, each dropped one is reported in ``problems``;
3. starting from an empty object, each release is merged in: a later value overrides an earlier one; ``null``
   removes the field; objects are merged field by field; arrays whose items are all objects with an ``id`` are
   merged by id (an item with a new id is appended, one with a known id is merged field by field, items absent
   from the later release are kept); any other array is replaced whole.

A release package streams: the detection pass counts the releases of each ocid (JSON Lines: a first pass over the
lines), so a compiled release is emitted (and its source releases freed) as soon as its last release has been read.
The same ocid in two records of one file (or in a record and a release) is not merged: rows whose key was already
emitted from the file are skipped and reported. Mapping onto entities: mapping.py.
Locations in ``_location`` and ``problems`` read ``<file> <JSON location> (ocid <ocid>) <path in the release>``;
for a compiled release the JSON location lists its source releases.
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
from ingestion.ocds.mapping import Mapper, _list, _text

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


def read_ocds(path: Path, *, state_code: str, agency_type: str = "state_agency", codes: Codes = STANDARD) -> OcdsTables:
    """Read any OCDS publication into canonical entity tables (see the module docstrings for the rules); `codes`:
    the code lists with a publisher's overrides (codes.py)."""
    reader = _Reader(Path(path))
    mapper = Mapper(reader.name, state_code, agency_type, codes)
    reader.problems = mapper.problems
    for ocid, release, where, history in reader.compiled():
        mapper.add(ocid, release, where, history)
    return OcdsTables(mapper.frames(), reader.shape, reader.releases, mapper.problems)


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

class _Reader:
    def __init__(self, path: Path) -> None:
        self.path, self.name = path, path.name
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
        values, first, keys, member_types, ocids = 0, None, set(), {}, Counter()
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
                        ocids[_text(value)] += 1
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
        return shape, ocids

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
    def _units(self, report: bool = True) -> Iterator[tuple[str, Any, str]]:
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

    # ---- compiled releases
    def _at(self, where: str) -> str:
        return f"{self.name} {where}" if where else self.name

    def compiled(self) -> Iterator[tuple[str, dict, str, list[dict]]]:
        """(ocid, compiled release, JSON location, source releases in date order) per ocid / record."""
        counts = self._ocid_counts
        if self.shape == "json_lines":  # a counting pass, so that groups can be emitted as soon as complete
            counts = Counter(_text(o.get("ocid")) for kind, o, _ in self._units(report=False)
                             if kind == "release" and isinstance(o, dict))
        pending: dict[str, list[tuple[dict, str]]] = {}
        for kind, obj, where in self._units():
            if not isinstance(obj, dict):
                self.problems.append(f"{self._at(where)}: not a JSON object; {kind} skipped")
                continue
            if kind == "record":
                yield from self._record(obj, where)
                continue
            self.releases += 1
            ocid = _text(obj.get("ocid"))
            if not ocid:
                self.problems.append(f"{self._at(where)}: no ocid; release skipped")
                continue
            group = pending.setdefault(ocid, [])
            group.append((obj, where))
            if len(group) >= counts.get(ocid, 1):
                del pending[ocid]
                yield self._compile(ocid, group)
        for ocid, group in pending.items():  # only if the counts were off; never lose a release
            yield self._compile(ocid, group)

    def _record(self, rec: dict, where: str) -> Iterator[tuple[str, dict, str, list[dict]]]:
        compiled = rec.get("compiledRelease") if isinstance(rec.get("compiledRelease"), dict) else None
        embedded = [(r, f"{where} releases[{i}]".strip()) for i, r in enumerate(_list(rec.get("releases")))
                    if _is_full_release(r)]
        ocid = (_text(rec.get("ocid")) or _text((compiled or {}).get("ocid"))
                or next((_text(r.get("ocid")) for r, _ in embedded if _text(r.get("ocid"))), None))
        if not ocid:
            self.problems.append(f"{self._at(where)}: record without ocid; record skipped")
            return
        history = self._in_order(ocid, embedded) if embedded else []
        if compiled or history:
            self.releases += 1
        if compiled:
            yield ocid, compiled, f"{where} compiledRelease".strip(), [r for r, _ in history]
        elif history:
            yield self._merged(ocid, history)
        else:
            self.problems.append(f"{self._at(where)} (ocid {ocid}): record has neither compiledRelease nor embedded "
                                 f"releases (linked releases are not fetched); record skipped")

    def _in_order(self, ocid: str, group: list[tuple[dict, str]]) -> list[tuple[dict, str]]:
        """Date order (stable), one release per release id (the last one in that order)."""
        ordered = sorted(group, key=lambda g: _text(g[0].get("date")) or "")
        last = {_text(r.get("id")): i for i, (r, _) in enumerate(ordered) if _text(r.get("id"))}
        kept = []
        for i, (r, where) in enumerate(ordered):
            rid = _text(r.get("id"))
            if rid and last[rid] != i:
                self.problems.append(f"{self._at(where)} (ocid {ocid}): duplicate release id {rid!r}; "
                                     f"{ordered[last[rid]][1]} kept instead")
            else:
                kept.append((r, where))
        return kept

    def _compile(self, ocid: str, group: list[tuple[dict, str]]) -> tuple[str, dict, str, list[dict]]:
        if len(group) == 1:
            return ocid, group[0][0], group[0][1], [group[0][0]]
        return self._merged(ocid, self._in_order(ocid, group))

    @staticmethod
    def _merged(ocid: str, kept: list[tuple[dict, str]]) -> tuple[str, dict, str, list[dict]]:
        compiled: dict = {}
        for r, _ in kept:
            _merge(compiled, r)
        where = " + ".join(w for _, w in kept) + " compiled"
        return ocid, compiled, where, [r for r, _ in kept]
