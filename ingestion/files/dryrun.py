"""What loading files with a mapping would do, without touching the warehouse: `procure ingest --check`.

The real loader (`ingestion.common.loader.ingest`) runs on the files into a throwaway DuckDB database in a temporary
folder, so the answer is the loader's own (same reading, transforms, validation and quarantine reasons), not a
re-implementation that could drift from it. The user's warehouse is never opened, so no lock is needed and a run in
progress is not disturbed.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from ingestion.common.schema import load_schema
from ingestion.files.mapping import Mapping

EXAMPLES = 3     # example values per reason
TOP_REASONS = 5  # reasons shown per file and entity


@dataclass
class Reason:
    column: str        # the label the loader gives, e.g. "po_date (from 'Sent Date')"
    kind: str          # "required value is empty", "is not a valid date", "is not one of ...", "is above 12", ...
    rows: int
    examples: list[tuple[int, str | None]] = field(default_factory=list)  # (row number, value as received)


@dataclass
class EntityCheck:
    file: str
    entity: str
    status: str        # loaded (would load) | rejected | skipped_duplicate
    rows_in: int = 0
    would_load: int = 0
    would_quarantine: int = 0
    message: str = ""
    reasons: list[Reason] = field(default_factory=list)
    more_reasons: int = 0  # groups beyond TOP_REASONS


def dry_run(mapping: Mapping, paths: list[Path]) -> list[EntityCheck]:
    """Load `paths` with `mapping` into a throwaway warehouse; per file and entity, what would load and why rows
    would be quarantined (grouped by column and kind of problem, largest first)."""
    from ingestion.common.loader import ingest, mapped_files

    with tempfile.TemporaryDirectory(prefix="procure-dryrun-") as tmp:
        wh = Path(tmp) / "dryrun.duckdb"
        files = mapped_files(mapping, [Path(p) for p in paths], source=mapping.source or "check")
        report = ingest(Path(tmp) / "landing", wh, files=files)
        con = duckdb.connect(str(wh), read_only=True)
        try:
            out = []
            for load in report.loads:
                check = EntityCheck(load.file, load.entity, load.status, load.rows_in, load.rows_loaded,
                                    load.rows_quarantined, load.message)
                if load.rows_quarantined and load.load_id:
                    check.reasons, check.more_reasons = _reasons(con, load.entity, load.load_id)
                out.append(check)
            return out
        finally:
            con.close()


_KIND = re.compile(r"^(required value is empty)$|^'(.*)' (is not a valid \w+(?: \(expected .*\))?|is not one of .*|is below .*|"
                   r"is above .*|has more decimals than .*|is too large .*|is before \d{4}-\d\d-\d\d, the earliest .*|"
                   r"is after \d{4}-\d\d-\d\d.*, the latest .*|is before \w+ \d{4}-\d\d-\d\d)$", re.S)


def _split(reason: str, columns: list[str]) -> list[tuple[str, str]]:
    """A quarantine reason ("a (from 'X'): ...; b: ...") as (label, problem) pairs. The loader joins one message per
    failing column with '; ', and a value may itself hold '; ', so split only where a failing column's label starts
    (after the start, '; ' or, for OCDS rows, the JSON location's ': ')."""
    found = []
    for c in columns:
        label = re.compile(rf"(?:^|; |: )({re.escape(c)}(?: \((?:from|template) (?:'[^']*'|\"[^\"]*\")\))?): ")
        found += [(m.start(), m.end(), m.group(1)) for m in label.finditer(reason)]
    found.sort()
    if not found:
        return [("?", reason)]
    return [(label, reason[end:found[i + 1][0] if i + 1 < len(found) else len(reason)])
            for i, (_, end, label) in enumerate(found)]


def _reasons(con: duckdb.DuckDBPyConnection, entity: str, load_id: str) -> tuple[list[Reason], int]:
    schema = load_schema()[entity]
    groups: dict[tuple[str, str], Reason] = {}
    rows = con.execute(f"SELECT _row_number, _reason, _columns FROM quarantine.{entity} WHERE _load_id = ? "
                       "ORDER BY _row_number", [load_id]).fetchall()
    for row_number, reason, columns in rows:
        names = [c for c in (columns or "").split(",") if c in schema.column_index]
        for label, problem in _split(reason or "", names):
            m = _KIND.match(problem)
            kind, value = (problem, None) if m is None else ((m.group(1) or m.group(3)), m.group(2))
            key = (label, kind)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Reason(label, kind, 0)
            group.rows += 1
            if len(group.examples) < EXAMPLES:
                group.examples.append((row_number, value))
    ordered = sorted(groups.values(), key=lambda g: (-g.rows, g.column, g.kind))
    return ordered[:TOP_REASONS], max(0, len(ordered) - TOP_REASONS)


def describe(check: EntityCheck) -> list[str]:
    """The lines `--check` prints for one file and entity."""
    head = f"{check.file} -> {check.entity}: "
    if check.status == "rejected":
        return [head + f"rejected, nothing would load: {check.message}"]
    if check.status == "skipped_duplicate":
        return [head + f"skipped: {check.message}"]
    lines = [head + f"{check.rows_in:,} row(s) in: {check.would_load:,} would load, "
                    f"{check.would_quarantine:,} would be quarantined"]
    for r in check.reasons:
        shown = ", ".join(f"row {n}" + ("" if v is None else f" {v!r}") for n, v in r.examples)
        lines.append(f"  {r.column}: {r.kind}: {r.rows:,} row(s), e.g. {shown}")
    if check.more_reasons:
        lines.append(f"  ... and {check.more_reasons} other reason(s)")
    return lines


def clean(checks: list[EntityCheck]) -> bool:
    """Nothing would be quarantined or rejected."""
    return all(c.status != "rejected" and c.would_quarantine == 0 for c in checks)
